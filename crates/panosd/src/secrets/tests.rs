//! Tests of the credential sources and their order, and of config encryption.

use std::os::unix::fs::PermissionsExt;

use super::*;

fn write_mode(path: &Path, text: &str, mode: u32) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn key_of(credentials: &Credentials) -> String {
    match credentials {
        Credentials::ApiKey(key) => key.expose_secret().to_owned(),
        Credentials::Password { username, password } => {
            format!("{username}:{}", password.expose_secret())
        }
    }
}

#[test]
fn encrypted_values_round_trip_and_the_identity_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let secret = SecretString::from("LUFRPT1-secret-key".to_owned());
    let encrypted = encrypt_for_config(dir.path(), &secret).unwrap();
    assert!(is_encrypted(&encrypted));
    assert!(!encrypted.contains("LUFRPT1"));
    let mode = fs::metadata(identity_file(dir.path()))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let back = decrypt_from_config(dir.path(), "panorama.api_key", &encrypted).unwrap();
    assert_eq!(back.expose_secret(), "LUFRPT1-secret-key");
    // A second encryption reuses the identity.
    let again = encrypt_for_config(dir.path(), &secret).unwrap();
    assert!(decrypt_from_config(dir.path(), "panorama.api_key", &again).is_ok());
    // Another state directory cannot decrypt it.
    let other = tempfile::tempdir().unwrap();
    encrypt_for_config(other.path(), &secret).unwrap();
    let err = decrypt_from_config(other.path(), "panorama.api_key", &encrypted).unwrap_err();
    assert!(matches!(err, SecretError::Decrypt { .. }), "{err}");
    assert!(!err.to_string().contains("LUFRPT1"));
}

#[test]
fn key_files_must_be_private() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    write_mode(&file, "k1\n", 0o644);
    let err = read_private(&file).unwrap_err();
    assert!(matches!(err, SecretError::TooOpen { .. }));
    assert!(err.to_string().contains("chmod 600"), "{err}");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(read_private(&file).unwrap().expose_secret(), "k1");
    write_mode(&file, "  \n", 0o600);
    assert!(matches!(
        read_private(&file),
        Err(SecretError::Empty { .. })
    ));
}

#[test]
fn sources_are_tried_in_the_documented_order() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds");
    fs::create_dir(&creds).unwrap();
    let file = dir.path().join("key");
    write_mode(&file, "from-file", 0o600);
    let encrypted =
        encrypt_for_config(dir.path(), &SecretString::from("from-config".to_owned())).unwrap();
    let mut panorama = PanoramaConfig {
        api_key_file: Some(file),
        api_key: Some(encrypted.clone()),
        ..PanoramaConfig::default()
    };

    write_mode(&creds.join(API_KEY_CREDENTIAL), "from-systemd\n", 0o400);
    let (c, source) = resolve(dir.path(), &panorama, Some(&creds)).unwrap();
    assert_eq!(key_of(&c), "from-systemd");
    assert!(matches!(source, CredentialSource::SystemdCredential(_)));

    let (c, _) = resolve(dir.path(), &panorama, None).unwrap();
    assert_eq!(key_of(&c), "from-file");

    panorama.api_key_file = None;
    let (c, source) = resolve(dir.path(), &panorama, None).unwrap();
    assert_eq!(key_of(&c), "from-config");
    assert_eq!(source, CredentialSource::EncryptedConfig);

    panorama.api_key = None;
    assert!(matches!(
        resolve(dir.path(), &panorama, None),
        Err(SecretError::NoCredentials)
    ));
    panorama.username = Some("admin".into());
    panorama.password =
        Some(encrypt_for_config(dir.path(), &SecretString::from("pw".to_owned())).unwrap());
    let (c, source) = resolve(dir.path(), &panorama, None).unwrap();
    assert_eq!(key_of(&c), "admin:pw");
    assert!(matches!(source, CredentialSource::Password(_)));
    assert!(!source.to_string().contains("pw\""));
}
