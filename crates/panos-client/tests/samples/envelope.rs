//! The envelope and the error answers: codes, messages from every place, auth.

use super::*;

#[test]
fn error_code_12_joins_cdata_lines() {
    let Some(xml) = sample("error.code-12-msg-cdata-lines.xml") else {
        return;
    };
    let (code, message, _) = api_error(check_envelope("set", None, &xml));
    assert_eq!(code, Some(12));
    assert_eq!(
        message,
        "tf123456 -> server -> first server  is invalid. HTTP method must be GET, \
         Username/Password must not be empty when Tag Distribution is chosen\n\
         tf123456 -> server is invalid"
    );
}

#[test]
fn error_code_17_has_an_empty_message() {
    let Some(xml) = sample("error.code-17-empty-line.xml") else {
        return;
    };
    let (code, message, _) = api_error(check_envelope("op", None, &xml));
    assert_eq!(code, Some(17));
    assert_eq!(message, "");
}

#[test]
fn error_code_18_single_quoted() {
    let Some(xml) = sample("error.code-18-malformed-request.xml") else {
        return;
    };
    let (code, message, http) = api_error(check_envelope("op", Some(200), &xml));
    assert_eq!(
        (code, message.as_str(), http),
        (Some(18), "Malformed Request", None)
    );
}

#[test]
fn error_code_400_spaced_attributes_and_result_msg() {
    let Some(xml) = sample("error.code-400-spaced-attr-result-msg.xml") else {
        return;
    };
    let (code, message, http) = api_error(check_envelope("export", Some(400), &xml));
    assert_eq!(code, Some(400));
    assert_eq!(http, Some(400));
    assert_eq!(
        message,
        "Parameter \"format\" is required while exporting certificate"
    );
}

#[test]
fn error_code_403_is_auth_with_its_message() {
    let Some(xml) = sample("error.code-403-invalid-credential-after-password-change.xml") else {
        return;
    };
    for status in [Some(403), None] {
        match check_envelope("show system info", status, &xml) {
            Err(ClientError::Auth { message, .. }) => assert_eq!(message, "Invalid Credential"),
            other => panic!("expected auth, got {other:?}"),
        }
    }
    let err = parse_system_info(&xml).unwrap_err();
    assert!(matches!(err, ClientError::Auth { .. }));
    assert!(!err.is_retryable());
    assert!(!err.may_have_been_applied());
}

#[test]
fn error_code_403_empty_msg_is_auth() {
    let Some(xml) = sample("error.code-403-empty-msg.xml") else {
        return;
    };
    match check_envelope("op", Some(403), &xml) {
        Err(ClientError::Auth { message, .. }) => assert_eq!(message, ""),
        other => panic!("expected auth, got {other:?}"),
    }
}

#[test]
fn error_code_7_with_status_success_is_a_failure() {
    let Some(xml) = sample("error.code-7-status-success-object-not-present.xml") else {
        return;
    };
    let (code, message, _) = api_error(check_envelope("get", None, &xml));
    assert_eq!((code, message.as_str()), (Some(7), ""));
}

#[test]
fn error_without_code_msg_line() {
    let Some(xml) = sample("error.no-code-msg-line-no-such-node.xml") else {
        return;
    };
    let (code, message, _) = api_error(check_envelope("show", None, &xml));
    assert_eq!((code, message.as_str()), (None, "No such node"));
}

#[test]
fn error_no_update_available() {
    let Some(xml) = sample("error.no-update-available.xml") else {
        return;
    };
    let (code, message, _) = api_error(parse_job_enqueued(&xml));
    assert_eq!((code, message.as_str()), (None, "No update available"));
}

#[test]
fn code_20_is_success_with_its_message() {
    let Some(xml) = sample("config-rename.code20-command-succeeded.doc-9.1.xml") else {
        return;
    };
    let envelope = check_envelope("rename", Some(200), &xml).unwrap();
    assert_eq!(envelope.code, Some(20));
    assert_eq!(envelope.message, "command succeeded");
}

#[test]
fn keygen_reads_the_spaced_single_quoted_answer() {
    let Some(xml) = sample("keygen.success-oneline.fw-10.2.11.xml") else {
        return;
    };
    let key = parse_keygen(&xml).unwrap();
    let key = key.expose_secret();
    assert!(key.starts_with("LUFRPT1IanVrY0k4aUFtUURsaks0"), "{key}");
    assert!(key.ends_with("Rmc9PQ=="));
    assert_eq!(key.len(), 164);
}
