//! The `<response status=… code=…>` envelope every answer comes in: success or failure, the
//! code, and the message from wherever the device put it.
//!
//! Success is `status="success"` **and** a code that is absent, 0, 19 or 20; anything else is an
//! error. The HTTP status is taken into account: a 403 is an authentication failure whatever
//! the body says, and a non-XML body with a 5xx is an HTTP error rather than a decode error.

use roxmltree::{Document, Node, ParsingOptions};

use super::{child, excerpt, own_text, path, trimmed_text};
use crate::error::ClientError;
use crate::types::Serial;

/// What the envelope of a successful answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    /// The `code` attribute, when present (0, 19 or 20 on success).
    pub code: Option<u32>,
    /// The message, from any of the places devices put it (lines joined with `\n`); empty when
    /// there is none.
    pub message: String,
}

/// Checks the envelope of an answer to `operation` and returns what it says.
///
/// `http_status` is the HTTP status the answer came with, when known. The checks, in order:
/// an empty body is a [`ClientError::Decode`] (or [`ClientError::Http`] with a non-2xx status);
/// a body that is not one well-formed XML document (including junk after the root element) is
/// a `Decode` error (or `Http`/`Auth` by status); HTTP 403, code 403 or an
/// `Invalid Credential(s)` message is [`ClientError::Auth`]; `<serial> not connected` is
/// [`ClientError::NotConnected`]; any other failure is [`ClientError::Api`] with the code and
/// message.
///
/// # Errors
/// As described above, whenever the answer is not a success.
pub fn check_envelope(
    operation: &str,
    http_status: Option<u16>,
    body: &str,
) -> Result<Envelope, ClientError> {
    let ctx = Ctx {
        operation,
        http_status,
        secret_body: false,
    };
    open(&ctx, body).map(|response| response.envelope)
}

/// How a parser reports errors: the operation's name, the HTTP status, and whether the body
/// holds a secret (keygen) so that no excerpt of it may be kept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    /// The operation, e.g. `show system info`.
    pub(crate) operation: &'a str,
    /// The HTTP status of the answer, when known.
    pub(crate) http_status: Option<u16>,
    /// Whether excerpts of the body must be withheld.
    pub(crate) secret_body: bool,
}

impl<'a> Ctx<'a> {
    /// A context for parsing a body without transport information.
    pub(crate) const fn new(operation: &'a str) -> Self {
        Self {
            operation,
            http_status: None,
            secret_body: false,
        }
    }

    /// The same context, with the HTTP status the answer came with.
    pub(crate) const fn with_status(mut self, http_status: u16) -> Self {
        self.http_status = Some(http_status);
        self
    }

    /// A decode error for this operation, with an excerpt of `body` unless it is secret.
    pub(crate) fn decode(&self, reason: impl Into<String>, body: &str) -> ClientError {
        ClientError::Decode {
            operation: self.operation.to_owned(),
            reason: reason.into(),
            excerpt: self.excerpt(body),
        }
    }

    fn excerpt(&self, body: &str) -> String {
        if self.secret_body {
            String::new()
        } else {
            excerpt(body)
        }
    }

    /// Whether the HTTP status, when known, is a 2xx.
    pub(crate) fn http_ok(&self) -> bool {
        self.http_status
            .is_none_or(|status| (200..300).contains(&status))
    }

    /// The error for a body that cannot be read as an envelope, by HTTP status first.
    fn unreadable(&self, reason: String, body: &str) -> ClientError {
        match self.http_status {
            Some(status @ (401 | 403)) => ClientError::Auth {
                operation: self.operation.to_owned(),
                message: format!("HTTP {status} without a readable answer"),
            },
            Some(status) if !self.http_ok() => ClientError::Http {
                operation: self.operation.to_owned(),
                status,
                excerpt: self.excerpt(body),
            },
            _ => self.decode(reason, body),
        }
    }
}

/// A parsed answer whose envelope says success.
pub(crate) struct Response<'i> {
    doc: Document<'i>,
    pub(crate) envelope: Envelope,
    body: &'i str,
}

impl<'i> Response<'i> {
    /// The `<response>` element.
    pub(crate) fn root(&self) -> Node<'_, 'i> {
        self.doc.root_element()
    }

    /// The `<result>` element, when present.
    pub(crate) fn result(&self) -> Option<Node<'_, 'i>> {
        child(self.root(), "result")
    }

    /// The text of the answer, for excerpts.
    pub(crate) fn body(&self) -> &'i str {
        self.body
    }
}

/// A parsed answer before the success check.
pub(crate) struct RawResponse<'i> {
    response: Response<'i>,
    /// Whether the `status` attribute says `success`.
    status_success: bool,
}

impl<'i> RawResponse<'i> {
    /// Whether the envelope says success (status and code).
    pub(crate) fn is_success(&self) -> bool {
        self.status_success && matches!(self.response.envelope.code, None | Some(0 | 19 | 20))
    }

    /// The answer, whatever its status (for operations with their own success rules).
    pub(crate) fn response(&self) -> &Response<'i> {
        &self.response
    }

    /// The answer when it is a success, else the classified error.
    pub(crate) fn into_success(self, ctx: &Ctx<'_>) -> Result<Response<'i>, ClientError> {
        if !self.is_success() {
            return Err(failure(ctx, self.response.envelope));
        }
        if !ctx.http_ok() {
            // A success envelope with an HTTP error status: trust the status.
            return Err(ctx.unreadable(String::new(), self.response.body));
        }
        Ok(self.response)
    }
}

/// Parses `body` and checks its envelope: the answer on success, else the classified error.
pub(crate) fn open<'i>(ctx: &Ctx<'_>, body: &'i str) -> Result<Response<'i>, ClientError> {
    read(ctx, body)?.into_success(ctx)
}

/// The text of `body` that is parsed as the document: without a leading byte-order mark or
/// white space.
pub(crate) fn document_text(body: &str) -> &str {
    body.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
}

/// How every answer (and every part of one read piecewise) is parsed: no DTD, and a bound on
/// the nodes of one document.
pub(crate) fn parsing_options<'i>() -> ParsingOptions<'i> {
    ParsingOptions {
        allow_dtd: false,
        nodes_limit: 2_000_000,
        ..ParsingOptions::default()
    }
}

/// Parses `body` as a `<response>` document, without judging its status.
pub(crate) fn read<'i>(ctx: &Ctx<'_>, body: &'i str) -> Result<RawResponse<'i>, ClientError> {
    let text = document_text(body);
    if text.trim().is_empty() {
        return Err(ctx.unreadable("the answer is empty".to_owned(), body));
    }
    let doc = Document::parse_with_options(text, parsing_options())
        .map_err(|err| ctx.unreadable(format!("malformed XML: {err}"), body))?;
    let root = doc.root_element();
    if root.tag_name().name() != "response" {
        let reason = format!(
            "the root element is <{}>, not <response>",
            root.tag_name().name()
        );
        return Err(ctx.unreadable(reason, body));
    }
    let status_success = root.attribute("status").unwrap_or("").trim() == "success";
    let code = match root.attribute("code").map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(code.parse::<u32>().map_err(|_| {
            ctx.unreadable(format!("the response code {code:?} is not a number"), body)
        })?),
    };
    let message = message(root);
    Ok(RawResponse {
        response: Response {
            doc,
            envelope: Envelope { code, message },
            body,
        },
        status_success,
    })
}

/// The error for a failed envelope.
fn failure(ctx: &Ctx<'_>, envelope: Envelope) -> ClientError {
    let operation = ctx.operation.to_owned();
    let Envelope { code, message } = envelope;
    if matches!(ctx.http_status, Some(401 | 403))
        || code == Some(403)
        || message.to_ascii_lowercase().contains("invalid credential")
    {
        return ClientError::Auth { operation, message };
    }
    if let Some(serial) = not_connected(&message) {
        return ClientError::NotConnected { operation, serial };
    }
    ClientError::Api {
        operation,
        code,
        message,
        http_status: ctx.http_status.filter(|&status| status != 200),
    }
}

/// The serial in a `<serial> not connected` message (the whole message; a serial has at least
/// one digit, so `Peer not connected` is not one).
fn not_connected(message: &str) -> Option<Serial> {
    let serial = message
        .trim()
        .trim_end_matches('.')
        .strip_suffix(" not connected")?
        .trim();
    if !serial.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    serial.parse().ok()
}

/// The message of an answer, from the places devices put it, in this order: `msg/line`,
/// `result/msg/line`, `result/msg`, `msg`, `result/job/details/line`.
fn message(root: Node<'_, '_>) -> String {
    let msg = child(root, "msg");
    let result_msg = path(root, &["result", "msg"]);
    let candidates = [
        msg.map(lines_of),
        result_msg.map(lines_of),
        result_msg.map(own_text),
        msg.map(own_text),
        path(root, &["result", "job", "details"]).map(lines_of),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|text| text.trim().to_owned())
        .find(|text| !text.is_empty())
        .unwrap_or_default()
}

/// The `<line>` children of `node` (nested lines flattened), trimmed, blank ones dropped,
/// joined with `\n`.
fn lines_of(node: Node<'_, '_>) -> String {
    let mut lines = Vec::new();
    collect_lines(node, &mut lines, 0);
    lines.join("\n")
}

fn collect_lines(node: Node<'_, '_>, out: &mut Vec<String>, depth: usize) {
    for line in node.children().filter(|n| n.has_tag_name("line")) {
        let nested = line.children().any(|n| n.has_tag_name("line"));
        if nested && depth < 8 {
            collect_lines(line, out, depth + 1);
        } else {
            let text = trimmed_text(line);
            if !text.is_empty() {
                out.push(text.into_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str) -> Result<Envelope, ClientError> {
        check_envelope("test op", None, body)
    }

    #[test]
    fn success_needs_status_and_a_success_code() {
        for body in [
            r#"<response status="success"/>"#,
            r#"<response status="success" code="0"/>"#,
            r#"<response status="success" code="19"/>"#,
            r#"<response status = 'success' code = '20'/>"#,
            r#"<?xml version="1.0"?><response status="success"><result/></response>"#,
        ] {
            assert!(check(body).is_ok(), "{body} is a success");
        }
        let err = check(r#"<response status="success" code="7"><result/></response>"#)
            .expect_err("code 7 is a failure");
        assert_eq!(err.api_code(), Some(7));
        for status in ["error", "failed", "fail", ""] {
            let body = format!(r#"<response status="{status}"><msg>x</msg></response>"#);
            assert!(check(&body).is_err(), "{status:?} is a failure");
        }
    }

    #[test]
    fn message_comes_from_every_real_place() {
        let cases = [
            (
                "<response status='error'><msg><line>a</line><line> b </line></msg></response>",
                "a\nb",
            ),
            (
                "<response status='error'><msg><line><line>x</line><line>y</line></line></msg></response>",
                "x\ny",
            ),
            (
                "<response status='error'><msg><line><![CDATA[ c ]]></line></msg></response>",
                "c",
            ),
            (
                "<response status='error'><result><msg><line>r</line></msg></result></response>",
                "r",
            ),
            (
                "<response status='error'><result><msg>plain</msg></result></response>",
                "plain",
            ),
            (
                "<response status='error'><msg>bare</msg></response>",
                "bare",
            ),
            (
                "<response status='error'><result><job><details><line>d</line></details></job></result></response>",
                "d",
            ),
        ];
        for (body, want) in cases {
            match check(body) {
                Err(ClientError::Api { message, .. }) => assert_eq!(message, want, "{body}"),
                other => panic!("{body}: expected an API error, got {other:?}"),
            }
        }
    }

    #[test]
    fn empty_and_malformed_bodies_are_decode_errors() {
        for body in [
            "",
            "   \n",
            "<response status='success'>",
            "not xml",
            "<html/>",
        ] {
            let err = check(body).expect_err(body);
            assert!(matches!(err, ClientError::Decode { .. }), "{body}: {err:?}");
            assert!(err.is_retryable());
        }
        let junk = "<response status='success'><result/></response>junk<x/>";
        let err = check(junk).expect_err("junk after the document");
        assert!(matches!(err, ClientError::Decode { .. }), "{err:?}");
    }

    #[test]
    fn excerpts_are_short() {
        let body = format!("<response>{}", "x".repeat(1000));
        match check(&body) {
            Err(ClientError::Decode { excerpt, .. }) => {
                assert!(excerpt.chars().count() <= 120, "{}", excerpt.len());
                assert!(excerpt.starts_with("<response>"));
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn http_status_classifies_unreadable_bodies() {
        let err = check_envelope("op", Some(502), "<html>bad gateway</html>").unwrap_err();
        assert!(
            matches!(err, ClientError::Http { status: 502, .. }),
            "{err:?}"
        );
        let err = check_envelope("op", Some(503), "").unwrap_err();
        assert!(
            matches!(err, ClientError::Http { status: 503, .. }),
            "{err:?}"
        );
        let err = check_envelope("op", Some(403), "Forbidden").unwrap_err();
        assert!(matches!(err, ClientError::Auth { .. }), "{err:?}");
        let err = check_envelope("op", Some(500), "<response status='success'/>").unwrap_err();
        assert!(
            matches!(err, ClientError::Http { status: 500, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn not_connected_and_credentials_are_classified() {
        let body = "<response status='error'><msg><line>007951000123456 not connected</line></msg></response>";
        match check(body) {
            Err(ClientError::NotConnected { serial, .. }) => {
                assert_eq!(serial.as_str(), "007951000123456");
            }
            other => panic!("expected not connected, got {other:?}"),
        }
        for body in [
            "<response status='error'><msg><line>Peer not connected</line></msg></response>",
            "<response status='error'><msg><line>link 0079 is not connected</line></msg></response>",
        ] {
            assert!(
                matches!(check(body), Err(ClientError::Api { .. })),
                "{body}"
            );
        }
        let body = "<response status='error'><msg>Invalid credentials.</msg></response>";
        assert!(matches!(check(body), Err(ClientError::Auth { .. })));
        let body = "<response status='error' code='22'><msg>Session timed out</msg></response>";
        let err = check(body).unwrap_err();
        assert!(err.is_retryable(), "code 22 is retryable");
    }

    #[test]
    fn secret_bodies_leave_no_excerpt() {
        let ctx = Ctx {
            operation: "keygen",
            http_status: None,
            secret_body: true,
        };
        let body = "<response status='success'><result><key>SECRET</key></result></response>junk";
        let Err(err) = open(&ctx, body) else {
            panic!("junk must fail")
        };
        assert!(!format!("{err} {err:?}").contains("SECRET"));
    }
}
