//! [`ClientConfig`]: where Panorama is, how to authenticate, how to trust its certificate, and
//! the limits every call shares. Built with [`ClientConfig::builder`] and checked once, before
//! anything is sent.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::{Host, Url};

use crate::error::ClientError;
use crate::retry::RetryPolicy;

/// How the client authenticates to Panorama.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An API key, sent in the `X-PAN-KEY` header.
    ApiKey(SecretString),
    /// A username and password, exchanged for an API key (`type=keygen`, by POST) on first use.
    /// Generating a key ends the user's other API sessions, so prefer [`Credentials::ApiKey`]
    /// for long-running processes.
    Password {
        /// The administrator's name.
        username: String,
        /// The password.
        password: SecretString,
    },
}

/// How the client trusts Panorama's certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TlsTrust {
    /// Verify the chain against the Mozilla root store (webpki roots) and the host name.
    #[default]
    WebPkiRoots,
    /// Verify the chain against the certificates of a PEM bundle (a private CA) and the name.
    CaFile(PathBuf),
    /// Accept exactly the leaf certificate whose SHA-256 (of its DER) is this, whatever its
    /// issuer, name or CA flag (Panorama's usual self-signed, CA-flagged certificate).
    /// Handshake signatures are still verified.
    Fingerprint([u8; 32]),
    /// Accept any certificate. Handshake signatures are still verified, but anyone on the path
    /// can impersonate Panorama. Logged as a warning whenever a client is built.
    InsecureSkipVerify,
}

/// Everything a [`crate::PanoramaClient`] needs; see [`ClientConfig::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The API endpoint (`https://panorama.example.com/api/`).
    pub api_url: Url,
    /// How to authenticate.
    pub credentials: Credentials,
    /// How to trust the certificate.
    pub tls: TlsTrust,
    /// Time allowed to establish a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time allowed for one request, from sending to the last byte of the answer.
    pub request_timeout: Duration,
    /// Requests per second allowed, for the whole process (all clones of the client).
    pub requests_per_second: NonZeroU32,
    /// Requests that may be sent at once after a quiet period.
    pub burst: NonZeroU32,
    /// Requests in flight at once (Palo Alto Networks advises at most 5).
    pub max_in_flight: usize,
    /// How read-only operations are retried.
    pub retry: RetryPolicy,
    /// The largest answer accepted, in bytes.
    pub max_response_bytes: usize,
}

impl ClientConfig {
    /// Starts a configuration for the Panorama at `url` (`panorama.example.com`,
    /// `https://10.0.0.5`, `https://panorama:8443/`), with `https://` assumed when no scheme
    /// is given.
    pub fn builder(url: impl Into<String>, credentials: Credentials) -> ClientConfigBuilder {
        ClientConfigBuilder {
            url: url.into(),
            credentials,
            ca_file: None,
            fingerprint: None,
            insecure_skip_verify: false,
            allow_insecure_http: false,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            requests_per_second: 10,
            burst: 5,
            max_in_flight: 5,
            retry: RetryPolicy::default(),
            max_response_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Builds a [`ClientConfig`]; every setting has a safe default.
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    url: String,
    credentials: Credentials,
    ca_file: Option<PathBuf>,
    fingerprint: Option<String>,
    insecure_skip_verify: bool,
    allow_insecure_http: bool,
    connect_timeout: Duration,
    request_timeout: Duration,
    requests_per_second: u32,
    burst: u32,
    max_in_flight: usize,
    retry: RetryPolicy,
    max_response_bytes: usize,
}

impl ClientConfigBuilder {
    /// Trusts the certificates of this PEM bundle instead of the public roots.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Pins Panorama's certificate by the SHA-256 of its DER, in hex, with or without colons
    /// (`AB:CD:…` or `abcd…`).
    pub fn tls_fingerprint_sha256(mut self, hex: impl Into<String>) -> Self {
        self.fingerprint = Some(hex.into());
        self
    }

    /// Turns certificate verification off. Only for labs; logged as a warning.
    pub fn insecure_skip_verify(mut self, skip: bool) -> Self {
        self.insecure_skip_verify = skip;
        self
    }

    /// Allows `http://` to a host that is not loopback. Off by default: the API key would
    /// travel in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Time allowed to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one request (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Requests per second for the whole process (default 10) and the burst allowed after a
    /// quiet period (default 5).
    pub fn rate_limit(mut self, requests_per_second: u32, burst: u32) -> Self {
        self.requests_per_second = requests_per_second;
        self.burst = burst;
        self
    }

    /// Requests in flight at once (default 5).
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max;
        self
    }

    /// How read-only operations are retried (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The largest answer accepted, in bytes (default 32 MiB).
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// Checks the settings and builds the configuration.
    ///
    /// # Errors
    /// [`ClientError::Config`] for a URL that is not `http(s)://host[:port][/path]`, `http://`
    /// to a non-loopback host without [`Self::allow_insecure_http`], a bad fingerprint,
    /// conflicting TLS settings, zero limits or timeouts, or an empty username.
    pub fn build(self) -> Result<ClientConfig, ClientError> {
        let api_url = api_url(&self.url, self.allow_insecure_http)?;
        let tls = match (self.ca_file, self.fingerprint, self.insecure_skip_verify) {
            (None, None, false) => TlsTrust::WebPkiRoots,
            (Some(path), None, false) => TlsTrust::CaFile(path),
            (None, Some(hex), false) => TlsTrust::Fingerprint(parse_fingerprint(&hex)?),
            (None, None, true) => TlsTrust::InsecureSkipVerify,
            _ => {
                return Err(config(
                    "choose one of ca_file, tls_fingerprint_sha256 and insecure_skip_verify",
                ));
            }
        };
        let credentials = match self.credentials {
            Credentials::ApiKey(key) => {
                // Keys read from files often end with a newline, which a header cannot carry.
                let trimmed = key.expose_secret().trim();
                if trimmed.is_empty() {
                    return Err(config("the API key is empty"));
                }
                Credentials::ApiKey(SecretString::from(trimmed.to_owned()))
            }
            Credentials::Password { username, .. } if username.trim().is_empty() => {
                return Err(config("the username is empty"));
            }
            password @ Credentials::Password { .. } => password,
        };
        let nonzero = |n: u32, what: &str| {
            NonZeroU32::new(n).ok_or_else(|| config(&format!("{what} must be at least 1")))
        };
        if self.max_in_flight == 0 {
            return Err(config("max_in_flight must be at least 1"));
        }
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return Err(config("timeouts must be longer than zero"));
        }
        Ok(ClientConfig {
            api_url,
            credentials,
            tls,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            requests_per_second: nonzero(self.requests_per_second, "requests_per_second")?,
            burst: nonzero(self.burst, "burst")?,
            max_in_flight: self.max_in_flight,
            retry: self.retry,
            max_response_bytes: self.max_response_bytes.max(1024),
        })
    }
}

fn config(message: &str) -> ClientError {
    ClientError::Config(message.to_owned())
}

/// The `/api/` URL under `text`, after the scheme and host checks.
fn api_url(text: &str, allow_insecure_http: bool) -> Result<Url, ClientError> {
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    let mut url = Url::parse(&with_scheme)
        .map_err(|err| config(&format!("the Panorama URL is not valid: {err}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config(
            "the Panorama URL must not hold credentials; use the credentials setting",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config("the Panorama URL must not have a query or fragment"));
    }
    let host = url
        .host()
        .ok_or_else(|| config("the Panorama URL has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&host) => {}
        "http" => {
            return Err(config(
                "plain http is only allowed to a loopback host unless allow_insecure_http is set",
            ));
        }
        other => return Err(config(&format!("unsupported URL scheme {other:?}"))),
    }
    let path = url.path().trim_end_matches('/');
    let path = if path.ends_with("/api") {
        format!("{path}/")
    } else {
        format!("{path}/api/")
    };
    url.set_path(&path);
    Ok(url)
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// A SHA-256 fingerprint in hex, with or without colons or spaces.
fn parse_fingerprint(text: &str) -> Result<[u8; 32], ClientError> {
    let hex_text: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    let bytes =
        hex::decode(&hex_text).map_err(|_| config("tls_fingerprint_sha256 is not hexadecimal"))?;
    bytes
        .try_into()
        .map_err(|_| config("tls_fingerprint_sha256 must be 32 bytes (64 hex digits)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Credentials {
        Credentials::ApiKey(SecretString::from("k"))
    }

    fn url_of(text: &str) -> Result<String, ClientError> {
        ClientConfig::builder(text, key())
            .build()
            .map(|c| c.api_url.to_string())
    }

    #[test]
    fn urls_default_to_https_and_end_in_api() {
        assert_eq!(
            url_of("panorama.example.com").unwrap(),
            "https://panorama.example.com/api/"
        );
        assert_eq!(
            url_of("https://10.0.0.5:8443/").unwrap(),
            "https://10.0.0.5:8443/api/"
        );
        assert_eq!(url_of("https://p/api").unwrap(), "https://p/api/");
        assert_eq!(
            url_of("http://127.0.0.1:9000").unwrap(),
            "http://127.0.0.1:9000/api/"
        );
        assert_eq!(
            url_of("http://[::1]:9000").unwrap(),
            "http://[::1]:9000/api/"
        );
        assert_eq!(url_of("http://localhost").unwrap(), "http://localhost/api/");
    }

    #[test]
    fn refuses_clear_text_and_odd_urls() {
        for bad in [
            "http://panorama.example.com",
            "ftp://p",
            "https://user:pw@p",
            "https://p/?key=x",
            "https://",
        ] {
            let err = url_of(bad).expect_err(bad);
            assert!(matches!(err, ClientError::Config(_)), "{bad}: {err:?}");
            assert!(!err.to_string().contains("key=x"), "{err}");
        }
        let allowed = ClientConfig::builder("http://panorama.example.com", key())
            .allow_insecure_http(true)
            .build();
        assert!(allowed.is_ok());
    }

    #[test]
    fn fingerprints_with_or_without_colons() {
        let hex64 = "ab".repeat(32);
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(parse_fingerprint(&hex64).unwrap(), [0xab; 32]);
        assert_eq!(parse_fingerprint(&colons).unwrap(), [0xab; 32]);
        assert!(parse_fingerprint("abcd").is_err());
        assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn tls_settings_are_exclusive_and_limits_nonzero() {
        let both = ClientConfig::builder("p", key())
            .ca_file("/x.pem")
            .insecure_skip_verify(true)
            .build();
        assert!(matches!(both, Err(ClientError::Config(_))));
        let zero = ClientConfig::builder("p", key()).rate_limit(0, 1).build();
        assert!(matches!(zero, Err(ClientError::Config(_))));
        let zero = ClientConfig::builder("p", key()).max_in_flight(0).build();
        assert!(matches!(zero, Err(ClientError::Config(_))));
        let pinned = ClientConfig::builder("p", key())
            .tls_fingerprint_sha256("00".repeat(32))
            .build()
            .unwrap();
        assert_eq!(pinned.tls, TlsTrust::Fingerprint([0; 32]));
    }

    #[test]
    fn api_keys_are_trimmed_and_must_not_be_empty() {
        let config = ClientConfig::builder("p", Credentials::ApiKey(SecretString::from(" k\n")))
            .build()
            .unwrap();
        let Credentials::ApiKey(key) = config.credentials else {
            panic!("an API key was configured")
        };
        assert_eq!(key.expose_secret(), "k");
        let empty = ClientConfig::builder("p", Credentials::ApiKey(SecretString::from("\n")));
        assert!(matches!(empty.build(), Err(ClientError::Config(_))));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let config = ClientConfig::builder(
            "p",
            Credentials::Password {
                username: "admin".into(),
                password: SecretString::from("hunter2"),
            },
        )
        .build()
        .unwrap();
        let text = format!("{config:?}");
        assert!(!text.contains("hunter2"), "{text}");
        let text = format!("{:?}", key());
        assert!(!text.contains("\"k\""), "{text}");
    }
}
