//! [`PanoramaClient`]: one HTTP client per Panorama. Every call goes through the shared
//! limiter, carries the API key only in the `X-PAN-KEY` header (marked sensitive), is sent as a
//! POST form to `/api/`, and is retried only when it is read-only.
//!
//! The typed operations ([`crate::PanosApi`] and the Panorama-level calls) are in
//! `operations.rs`; this file owns the transport.

use std::fmt;
use std::sync::Arc;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::command::{Command, Effect};
use crate::config::{ClientConfig, Credentials};
use crate::error::ClientError;
use crate::limit::{ClientStats, Limiter, until_cancelled};
use crate::parse::Ctx;
use crate::tls::rustls_config;
use crate::types::Serial;

/// The header that carries the API key.
const KEY_HEADER: &str = "X-PAN-KEY";
const FORM: &str = "application/x-www-form-urlencoded";

/// A client for one Panorama, and through it (`target=<serial>`) for each managed firewall.
///
/// Cheap to clone: clones share the HTTP connections, the API key, the rate limiter, the
/// in-flight cap and the counters. [`PanoramaClient::with_cancellation`] gives a clone whose
/// calls stop waiting when a token fires.
#[derive(Clone)]
pub struct PanoramaClient {
    inner: Arc<Inner>,
    cancel: Option<CancellationToken>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    limiter: Limiter,
    /// The key in use: the configured one, or the one keygen returned.
    key: tokio::sync::Mutex<Option<SecretString>>,
}

impl fmt::Debug for PanoramaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanoramaClient")
            .field("api_url", &self.inner.config.api_url.as_str())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl PanoramaClient {
    /// Builds the client: the TLS configuration, the HTTP client and the limiter. Nothing is
    /// sent yet (with a username and password, the key is generated on the first call).
    ///
    /// # Errors
    /// [`ClientError::Config`] when the TLS settings cannot be used (unreadable CA file …).
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let tls = rustls_config(&config.tls)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("panos-upgrade/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| ClientError::Config(format!("cannot build the HTTP client: {err}")))?;
        let key = match &config.credentials {
            Credentials::ApiKey(key) => Some(key.clone()),
            Credentials::Password { .. } => None,
        };
        let limiter = Limiter::new(
            config.requests_per_second,
            config.burst,
            config.max_in_flight,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                limiter,
                key: tokio::sync::Mutex::new(key),
            }),
            cancel: None,
        })
    }

    /// A clone whose calls end with [`ClientError::Cancelled`] when `token` fires while they
    /// wait (for the limiter, a retry delay or the answer).
    pub fn with_cancellation(&self, token: CancellationToken) -> Self {
        Self {
            inner: self.inner.clone(),
            cancel: Some(token),
        }
    }

    /// The counters shared by this client and its clones.
    pub fn stats(&self) -> ClientStats {
        self.inner.limiter.stats()
    }

    /// Changes the rate limit (requests per second, burst) and the in-flight cap shared by
    /// this client and all its clones, while calls run: the next request waits under the new
    /// rate; a lower cap is reached as requests in flight end.
    ///
    /// # Errors
    /// [`ClientError::Config`] when a value is zero (nothing is changed then).
    pub fn set_limits(
        &self,
        requests_per_second: u32,
        burst: u32,
        max_in_flight: usize,
    ) -> Result<(), ClientError> {
        let nonzero = |n: u32, what: &str| {
            std::num::NonZeroU32::new(n)
                .ok_or_else(|| ClientError::Config(format!("{what} must be at least 1")))
        };
        let rate = nonzero(requests_per_second, "the rate limit")?;
        let burst = nonzero(burst, "the burst")?;
        if max_in_flight == 0 {
            return Err(ClientError::Config(
                "max_in_flight must be at least 1".into(),
            ));
        }
        self.inner.limiter.set_limits(rate, burst, max_in_flight);
        Ok(())
    }

    /// The API endpoint the client talks to.
    pub fn api_url(&self) -> &Url {
        &self.inner.config.api_url
    }

    /// Generates an API key from the configured username and password (`type=keygen` by POST),
    /// keeps it for later calls and returns it. With an API key configured, returns that key.
    ///
    /// # Errors
    /// [`ClientError::Auth`] for refused credentials, or a transport error.
    pub async fn api_key(&self) -> Result<SecretString, ClientError> {
        self.key_or_keygen()
            .await
            .inspect_err(|_| self.inner.limiter.count_error())
    }

    /// The key in use, generated first when needed (errors are counted by the caller).
    async fn key_or_keygen(&self) -> Result<SecretString, ClientError> {
        let mut slot = self.inner.key.lock().await;
        if let Some(key) = slot.as_ref() {
            return Ok(key.clone());
        }
        let Credentials::Password { username, password } = &self.inner.config.credentials else {
            return Err(ClientError::Config("no API key configured".into()));
        };
        let form = keygen_form(username, password);
        let key = self
            .inner
            .config
            .retry
            .run(
                || async {
                    let (status, body) = self.send("keygen", None, &form).await?;
                    let body = SecretString::from(body);
                    crate::parse::keygen(
                        &Ctx::new("keygen").with_status(status),
                        body.expose_secret(),
                    )
                },
                |err, delay| self.note_retry("keygen", err, delay),
            )
            .await?;
        *slot = Some(key.clone());
        Ok(key)
    }

    /// Sends a raw `type=op` command (to Panorama, or to `target` through it) and returns the
    /// whole answer once its envelope says success. `cmd_xml` must be one well-formed XML
    /// element; the command is sent once, never retried.
    ///
    /// # Errors
    /// [`ClientError::InvalidInput`] for malformed XML, else as for any call.
    pub async fn op(&self, target: Option<&Serial>, cmd_xml: &str) -> Result<String, ClientError> {
        let command = Command::raw(cmd_xml)?;
        self.call(command, target, |ctx, body| {
            crate::parse::check_envelope(ctx.operation, ctx.http_status, body)
                .map(|_| body.to_owned())
        })
        .await
    }

    /// Sends `command` and parses the answer with `parse`; read-only commands are retried
    /// under the configured policy.
    pub(crate) async fn call<T>(
        &self,
        command: Command,
        target: Option<&Serial>,
        parse: impl Fn(&Ctx<'_>, &str) -> Result<T, ClientError> + Send + Sync,
    ) -> Result<T, ClientError> {
        let operation = match target {
            Some(serial) => format!("{} on {serial}", command.name),
            None => command.name.to_owned(),
        };
        let attempt = || async {
            let key = self.key_or_keygen().await?;
            let form = op_form(&command.xml, target);
            let (status, body) = self.send(&operation, Some(&key), &form).await?;
            let ctx = Ctx::new(&operation).with_status(status);
            let result = parse(&ctx, &body);
            if matches!(result, Err(ClientError::Auth { .. })) {
                self.forget_generated_key().await;
            }
            result
        };
        let result = match command.effect {
            Effect::ReadOnly => {
                let policy = &self.inner.config.retry;
                let retried = policy.run(attempt, |err, delay| {
                    self.note_retry(&operation, err, delay)
                });
                until_cancelled(self.cancel.as_ref(), retried)
                    .await
                    .unwrap_or_else(|_| Err(cancelled(&operation)))
            }
            Effect::Changes => {
                tracing::info!(operation = %operation, "sending (once, never retried)");
                attempt().await
            }
        };
        match &result {
            Ok(_) => tracing::debug!(operation = %operation, "call succeeded"),
            Err(err) => {
                self.inner.limiter.count_error();
                tracing::debug!(
                    operation = %operation,
                    error = %err,
                    may_have_been_applied = err.may_have_been_applied(),
                    "call failed"
                );
            }
        }
        result
    }

    /// One HTTP exchange: waits for the limiter, POSTs `form` (the key, when given, only in
    /// the header) and reads the answer. Returns the HTTP status and the body.
    async fn send(
        &self,
        operation: &str,
        key: Option<&SecretString>,
        form: &SecretString,
    ) -> Result<(u16, String), ClientError> {
        let cancel = self.cancel.as_ref();
        let _permit = self
            .inner
            .limiter
            .acquire(cancel)
            .await
            .map_err(|_| cancelled(operation))?;
        let mut request = self
            .inner
            .http
            .post(self.inner.config.api_url.clone())
            .header(CONTENT_TYPE, FORM)
            .body(form.expose_secret().to_owned());
        if let Some(key) = key {
            let mut value = HeaderValue::from_str(key.expose_secret()).map_err(|_| {
                ClientError::Config("the API key holds characters a header cannot carry".into())
            })?;
            value.set_sensitive(true);
            request = request.header(KEY_HEADER, value);
        }
        self.inner.limiter.count_sent();
        let exchange = async {
            let mut response = request
                .send()
                .await
                .map_err(|err| transport_error(operation, err))?;
            let status = response.status().as_u16();
            let limit = self.inner.config.max_response_bytes;
            // Room for the whole answer at once when its length is announced: growing by
            // doubling would copy a large answer several times and leave the pieces behind.
            let announced = response
                .content_length()
                .and_then(|len| usize::try_from(len).ok())
                .unwrap_or(0);
            let mut body = Vec::with_capacity(announced.min(limit));
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|err| transport_error(operation, err))?
            {
                if body.len() + chunk.len() > limit {
                    return Err(ClientError::Decode {
                        operation: operation.to_owned(),
                        reason: format!("the answer is larger than {limit} bytes"),
                        excerpt: String::new(),
                    });
                }
                body.extend_from_slice(&chunk);
            }
            tracing::trace!(operation, status, bytes = body.len(), "answer received");
            Ok((status, into_text(body)))
        };
        until_cancelled(cancel, exchange)
            .await
            .unwrap_or_else(|_| Err(cancelled(operation)))
    }

    /// After an authentication failure, drops a key that keygen produced so that the next call
    /// generates a fresh one (a configured key is kept: it cannot be renewed here).
    async fn forget_generated_key(&self) {
        if matches!(self.inner.config.credentials, Credentials::Password { .. }) {
            *self.inner.key.lock().await = None;
        }
    }

    fn note_retry(&self, operation: &str, err: &ClientError, delay: std::time::Duration) {
        self.inner.limiter.count_retry();
        tracing::debug!(operation, error = %err, delay_ms = delay.as_millis() as u64, "retrying");
    }
}

/// The form of a `type=op` request (the key is never part of it).
fn op_form(cmd: &str, target: Option<&Serial>) -> SecretString {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("type", "op").append_pair("cmd", cmd);
    if let Some(serial) = target {
        form.append_pair("target", serial.as_str());
    }
    SecretString::from(form.finish())
}

/// The form of a `type=keygen` request; secret, as it holds the password.
fn keygen_form(username: &str, password: &SecretString) -> SecretString {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("type", "keygen")
        .append_pair("user", username)
        .append_pair("password", password.expose_secret())
        .finish();
    SecretString::from(form)
}

/// The body as text, without a copy unless it is not UTF-8 (its invalid bytes are replaced).
fn into_text(body: Vec<u8>) -> String {
    String::from_utf8(body)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
}

fn cancelled(operation: &str) -> ClientError {
    ClientError::Cancelled {
        operation: operation.to_owned(),
    }
}

/// A connection that never got through was not applied; anything later may have been.
fn transport_error(operation: &str, err: reqwest::Error) -> ClientError {
    let operation = operation.to_owned();
    if err.is_connect() {
        ClientError::Connect {
            operation,
            source: err,
        }
    } else {
        ClientError::NoResponse {
            operation,
            source: err,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_the_body_itself_unless_it_is_not_utf8() {
        let body = "<response status='success'/>é".as_bytes().to_vec();
        let bytes = body.as_ptr();
        let text = into_text(body);
        assert_eq!(text, "<response status='success'/>é");
        assert_eq!(text.as_ptr(), bytes, "a UTF-8 body is not copied");
        assert_eq!(into_text(b"a\xffb".to_vec()), "a\u{fffd}b");
    }
}
