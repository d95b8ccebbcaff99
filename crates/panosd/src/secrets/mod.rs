//! The Panorama credentials: where the daemon finds them, in a fixed order, and the
//! encryption of secrets stored in `config.json` (age, with the identity in
//! `config/identity.age`, mode 0600, made on first use).
//!
//! The order, first found wins:
//! 1. the systemd credential `$CREDENTIALS_DIRECTORY/panorama-api-key`;
//! 2. the file named by `panorama.api_key_file` (refused unless mode 0600 or stricter);
//! 3. `panorama.api_key`, encrypted;
//! 4. `panorama.username` with a password from `$CREDENTIALS_DIRECTORY/panorama-password`,
//!    `panorama.password_file` or `panorama.password` (encrypted), exchanged for a key by
//!    keygen at start.
//!
//! Secrets only ever live in [`SecretString`]s; nothing here logs or formats them.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use panos_client::Credentials;
use secrecy::{ExposeSecret, SecretString};

use crate::config::PanoramaConfig;
use crate::error::SecretError;

/// The systemd credential holding the API key.
pub const API_KEY_CREDENTIAL: &str = "panorama-api-key";
/// The systemd credential holding the password.
pub const PASSWORD_CREDENTIAL: &str = "panorama-password";
/// How an encrypted value in `config.json` begins (an ASCII-armored age file).
pub const ENCRYPTED_PREFIX: &str = "-----BEGIN AGE ENCRYPTED FILE-----";

/// Where the credentials in use came from (for the start-up log line; never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// A systemd credential file.
    SystemdCredential(PathBuf),
    /// A key file.
    KeyFile(PathBuf),
    /// An encrypted value in `config.json`.
    EncryptedConfig,
    /// Username and password, with the password from the given source.
    Password(Box<CredentialSource>),
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SystemdCredential(path) => write!(f, "systemd credential {}", path.display()),
            Self::KeyFile(path) => write!(f, "key file {}", path.display()),
            Self::EncryptedConfig => f.write_str("encrypted value in config.json"),
            Self::Password(source) => write!(f, "username and password ({source})"),
        }
    }
}

/// The identity file of a state directory: `config/identity.age`.
pub fn identity_file(state_dir: &Path) -> PathBuf {
    state_dir.join("config").join("identity.age")
}

/// Whether `value` is an encrypted value (as [`encrypt_for_config`] makes).
pub fn is_encrypted(value: &str) -> bool {
    value.trim_start().starts_with(ENCRYPTED_PREFIX)
}

/// Encrypts `plaintext` for `config.json` of the state directory `state_dir`, making
/// `config/identity.age` (mode 0600) when it does not exist yet. The result is what
/// `panosctl config set panorama.api_key` stores.
///
/// # Errors
/// [`SecretError`] when the identity cannot be read or made, or encryption fails.
pub fn encrypt_for_config(
    state_dir: &Path,
    plaintext: &SecretString,
) -> Result<String, SecretError> {
    let identity = load_or_create_identity(&identity_file(state_dir))?;
    age::encrypt_and_armor(&identity.to_public(), plaintext.expose_secret().as_bytes())
        .map_err(|err| SecretError::Encrypt(err.to_string()))
}

/// Encrypts `plaintext` and sets it as `key` (`panorama.api_key` or `panorama.password`) in
/// the configuration `json`: what `panosctl config set panorama.api_key` does before writing
/// the file with [`crate::config::write_file`].
///
/// # Errors
/// [`crate::DaemonError::Secret`] when encryption fails, [`crate::DaemonError::Config`] for
/// another key.
pub fn set_encrypted(
    state_dir: &Path,
    json: &mut serde_json::Value,
    key: &str,
    plaintext: &SecretString,
) -> Result<(), crate::DaemonError> {
    if !matches!(key, "panorama.api_key" | "panorama.password") {
        return Err(crate::ConfigError::invalid(
            Path::new("config.json"),
            key,
            "is not a secret: only panorama.api_key and panorama.password are stored encrypted",
        )
        .into());
    }
    let encrypted = encrypt_for_config(state_dir, plaintext)?;
    crate::config::set_value(json, key, serde_json::Value::String(encrypted))?;
    Ok(())
}

/// Decrypts a value made by [`encrypt_for_config`]; `key` names the setting in errors.
///
/// # Errors
/// [`SecretError::Decrypt`] or an identity error.
pub fn decrypt_from_config(
    state_dir: &Path,
    key: &'static str,
    value: &str,
) -> Result<SecretString, SecretError> {
    let file = identity_file(state_dir);
    let identity = read_identity(&file)?;
    let plain =
        age::decrypt(&identity, value.trim().as_bytes()).map_err(|err| SecretError::Decrypt {
            key,
            identity: file.clone(),
            reason: err.to_string(),
        })?;
    let text = String::from_utf8(plain).map_err(|_| SecretError::Decrypt {
        key,
        identity: file,
        reason: "the decrypted value is not text".to_owned(),
    })?;
    Ok(SecretString::from(text.trim().to_owned()))
}

fn read_identity(file: &Path) -> Result<age::x25519::Identity, SecretError> {
    let text = read_private(file)?;
    let line = text
        .expose_secret()
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .ok_or_else(|| SecretError::BadIdentity {
            file: file.to_path_buf(),
            reason: "no AGE-SECRET-KEY line".to_owned(),
        })?
        .to_owned();
    age::x25519::Identity::from_str(&line).map_err(|reason| SecretError::BadIdentity {
        file: file.to_path_buf(),
        reason: reason.to_owned(),
    })
}

fn load_or_create_identity(file: &Path) -> Result<age::x25519::Identity, SecretError> {
    if file.exists() {
        return read_identity(file);
    }
    let io = |op, source| SecretError::Io {
        op,
        file: file.to_path_buf(),
        source,
    };
    if let Some(dir) = file.parent() {
        fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
    }
    let identity = age::x25519::Identity::generate();
    let mut out = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
        .map_err(|e| io("create", e))?;
    let body = format!(
        "# panos-upgrade: the key that decrypts secrets in config.json. Keep it 0600.\n# public key: {}\n{}\n",
        identity.to_public(),
        identity.to_string().expose_secret()
    );
    out.write_all(body.as_bytes())
        .and_then(|()| out.sync_all())
        .map_err(|e| io("write", e))?;
    Ok(identity)
}

/// Reads a secret file, refusing one readable by its group or others.
///
/// # Errors
/// [`SecretError::TooOpen`], [`SecretError::Io`] or [`SecretError::Empty`].
pub fn read_private(file: &Path) -> Result<SecretString, SecretError> {
    let meta = fs::metadata(file).map_err(|source| SecretError::Io {
        op: "read",
        file: file.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretError::TooOpen {
            file: file.to_path_buf(),
            mode,
        });
    }
    read_secret(file)
}

fn read_secret(file: &Path) -> Result<SecretString, SecretError> {
    let text = fs::read_to_string(file).map_err(|source| SecretError::Io {
        op: "read",
        file: file.to_path_buf(),
        source,
    })?;
    let secret = SecretString::from(text.trim().to_owned());
    drop(text);
    if secret.expose_secret().is_empty() {
        return Err(SecretError::Empty {
            file: file.to_path_buf(),
        });
    }
    Ok(secret)
}

/// Finds the credentials in the documented order. `credentials_dir` is the value of
/// `$CREDENTIALS_DIRECTORY` (passed in so tests never read the real environment).
///
/// # Errors
/// [`SecretError::NoCredentials`] when no source gives them, or the error of the first
/// source that is configured but unusable.
pub fn resolve(
    state_dir: &Path,
    panorama: &PanoramaConfig,
    credentials_dir: Option<&Path>,
) -> Result<(Credentials, CredentialSource), SecretError> {
    if let Some((key, source)) = find_secret(
        state_dir,
        credentials_dir,
        API_KEY_CREDENTIAL,
        panorama.api_key_file.as_deref(),
        panorama.api_key.as_deref(),
        "panorama.api_key",
    )? {
        return Ok((Credentials::ApiKey(key), source));
    }
    let Some(username) = panorama
        .username
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    else {
        return Err(SecretError::NoCredentials);
    };
    let Some((password, source)) = find_secret(
        state_dir,
        credentials_dir,
        PASSWORD_CREDENTIAL,
        panorama.password_file.as_deref(),
        panorama.password.as_deref(),
        "panorama.password",
    )?
    else {
        return Err(SecretError::NoCredentials);
    };
    Ok((
        Credentials::Password {
            username: username.trim().to_owned(),
            password,
        },
        CredentialSource::Password(Box::new(source)),
    ))
}

fn find_secret(
    state_dir: &Path,
    credentials_dir: Option<&Path>,
    credential: &str,
    file: Option<&Path>,
    encrypted: Option<&str>,
    key: &'static str,
) -> Result<Option<(SecretString, CredentialSource)>, SecretError> {
    if let Some(dir) = credentials_dir {
        let path = dir.join(credential);
        if path.is_file() {
            // systemd makes credential files readable by the service only.
            return Ok(Some((
                read_secret(&path)?,
                CredentialSource::SystemdCredential(path),
            )));
        }
    }
    if let Some(path) = file {
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            state_dir.join(path)
        };
        return Ok(Some((
            read_private(&path)?,
            CredentialSource::KeyFile(path),
        )));
    }
    if let Some(value) = encrypted {
        let secret = decrypt_from_config(state_dir, key, value)?;
        return Ok(Some((secret, CredentialSource::EncryptedConfig)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
