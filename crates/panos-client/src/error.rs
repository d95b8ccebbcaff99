//! [`ClientError`]: everything that can go wrong talking to Panorama, classified by what the
//! caller must do next: whether the request may already have been applied, and whether it is
//! safe to retry.
//!
//! Messages never contain the API key or a URL with a query string.

use crate::types::{ParseError, Serial};

/// What went wrong with one API call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A value was refused before anything was sent (bad serial, version, command text).
    #[error("{0}")]
    InvalidInput(#[from] ParseError),

    /// The client's configuration is unusable (bad URL, unreadable CA file, bad fingerprint).
    /// Nothing was sent.
    #[error("client configuration: {0}")]
    Config(String),

    /// The request never reached Panorama (DNS, connection refused, TLS handshake): it was not
    /// applied.
    #[error("{operation}: could not connect to Panorama: {source}")]
    Connect {
        /// The operation, e.g. `show system info`.
        operation: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },

    /// The request was sent but no complete answer came back (timeout, connection reset):
    /// it **may have been applied**. Check the device before sending it again.
    #[error("{operation}: sent, but no answer came back (it may have been applied): {source}")]
    NoResponse {
        /// The operation.
        operation: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },

    /// Panorama (or the firewall behind it) answered with an error status and/or code.
    #[error("{operation}: API error{}: {message}", code.map(|c| format!(" code {c}")).unwrap_or_default())]
    Api {
        /// The operation.
        operation: String,
        /// The `code` attribute, when present.
        code: Option<u32>,
        /// The message from the response (from any of the places devices put it).
        message: String,
        /// The HTTP status, when not 200.
        http_status: Option<u16>,
    },

    /// Authentication or authorisation failed (HTTP 403 / code 403 / `Invalid Credential`).
    #[error("{operation}: Panorama refused the credentials: {message}")]
    Auth {
        /// The operation.
        operation: String,
        /// The message from the response.
        message: String,
    },

    /// The firewall is not connected to Panorama (`<serial> not connected`): the normal state
    /// while it reboots.
    #[error("{operation}: firewall {serial} is not connected to Panorama")]
    NotConnected {
        /// The operation.
        operation: String,
        /// The firewall.
        serial: Serial,
    },

    /// Panorama answered with an HTTP error status and no usable XML body (5xx, 429, …).
    #[error("{operation}: HTTP {status} from Panorama{}", excerpt_suffix(excerpt))]
    Http {
        /// The operation.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body, for diagnosis.
        excerpt: String,
    },

    /// The answer could not be understood.
    #[error(
        "{operation}: could not decode the answer: {reason}{}",
        excerpt_suffix(excerpt)
    )]
    Decode {
        /// The operation.
        operation: String,
        /// What was wrong.
        reason: String,
        /// The start of the body, for diagnosis.
        excerpt: String,
    },

    /// The caller cancelled the call while it waited (for a rate-limit permit or an answer).
    #[error("{operation}: cancelled")]
    Cancelled {
        /// The operation.
        operation: String,
    },
}

fn excerpt_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(" (answer began: {excerpt:?})")
    }
}

impl ClientError {
    /// Whether the request may have reached the device and taken effect. When true, a
    /// job-starting operation must not be re-sent before checking the device's state.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Self::InvalidInput(_)
            | Self::Config(_)
            | Self::Connect { .. }
            | Self::Auth { .. }
            | Self::NotConnected { .. } => false,
            // An API error is an answer: the device said no. 429 (too many requests) is a
            // refusal before any processing. A decode error or another HTTP error status means
            // an answer we could not read, so we cannot know.
            Self::Api { .. } => false,
            Self::Http { status: 429, .. } => false,
            Self::NoResponse { .. } | Self::Http { .. } | Self::Decode { .. } => true,
            Self::Cancelled { .. } => true,
        }
    }

    /// Whether the same call may succeed if tried again later (transient transport errors,
    /// 5xx/429, session timeouts, a firewall that is rebooting, a garbled answer).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { .. }
            | Self::NoResponse { .. }
            | Self::NotConnected { .. }
            | Self::Decode { .. } => true,
            Self::Http { status, .. } => *status == 429 || *status >= 500,
            // 22: session timed out; 2–5, 11, 21: internal errors.
            Self::Api { code, .. } => matches!(code, Some(2..=5 | 11 | 21 | 22)),
            Self::InvalidInput(_)
            | Self::Config(_)
            | Self::Auth { .. }
            | Self::Cancelled { .. } => false,
        }
    }

    /// Whether the error means the firewall (or Panorama) is out of reach for now, as during a
    /// reboot: not connected, connection failures, no answer.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::NotConnected { .. } | Self::Connect { .. } | Self::NoResponse { .. }
        )
    }

    /// The API error code, when the device gave one.
    pub fn api_code(&self) -> Option<u32> {
        match self {
            Self::Api { code, .. } => *code,
            _ => None,
        }
    }
}

#[cfg(test)]
mod classification_tests {
    use super::*;

    fn http(status: u16) -> ClientError {
        ClientError::Http {
            operation: "request system software install".into(),
            status,
            excerpt: String::new(),
        }
    }

    #[test]
    fn too_many_requests_was_refused_before_processing() {
        assert!(!http(429).may_have_been_applied());
        assert!(http(429).is_retryable());
    }

    #[test]
    fn other_error_statuses_may_have_been_applied() {
        for status in [500, 502, 503, 504] {
            assert!(http(status).may_have_been_applied(), "{status}");
            assert!(http(status).is_retryable(), "{status}");
        }
    }
}
