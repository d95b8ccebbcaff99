//! [`UpgradeFailure`]: a failed upgrade step, saying which device, which hop, which step, what
//! Panorama answered, and what the operator must do by hand.

use std::fmt;

use panos_client::{ClientError, Serial, SoftwareVersion};
use serde::{Deserialize, Serialize};

use crate::event::Step;

/// Why a device's upgrade stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct UpgradeFailure {
    /// The device.
    pub serial: Serial,
    /// The hop being installed, when the failure is in one.
    pub hop: Option<SoftwareVersion>,
    /// The step that failed.
    pub step: Step,
    /// What went wrong, in one sentence.
    pub message: String,
    /// Panorama's or the device's own message, when there was one.
    pub panorama_message: Option<String>,
    /// What the operator should check or do by hand.
    pub manual_action: String,
}

impl fmt::Display for UpgradeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.serial)?;
        if let Some(hop) = &self.hop {
            write!(f, " (hop to {hop})")?;
        }
        write!(f, ", step {}: {}", self.step, self.message)?;
        if let Some(message) = &self.panorama_message {
            write!(f, " [device said: {message}]")?;
        }
        write!(f, ". Manual action: {}", self.manual_action)
    }
}

impl UpgradeFailure {
    /// A failure with the given parts.
    pub fn new(
        serial: &Serial,
        hop: Option<&SoftwareVersion>,
        step: Step,
        message: impl Into<String>,
        manual_action: impl Into<String>,
    ) -> Self {
        Self {
            serial: serial.clone(),
            hop: hop.cloned(),
            step,
            message: message.into(),
            panorama_message: None,
            manual_action: manual_action.into(),
        }
    }

    /// The same failure with the device's own message attached.
    pub fn with_panorama_message(mut self, message: impl Into<String>) -> Self {
        let message = message.into();
        if !message.is_empty() {
            self.panorama_message = Some(message);
        }
        self
    }

    /// A failure from a client error.
    pub fn from_client(
        serial: &Serial,
        hop: Option<&SoftwareVersion>,
        step: Step,
        what: &str,
        error: &ClientError,
        manual_action: impl Into<String>,
    ) -> Self {
        let panorama = match error {
            ClientError::Api { message, .. } | ClientError::Auth { message, .. } => {
                Some(message.clone())
            }
            _ => None,
        };
        let mut failure = Self::new(serial, hop, step, format!("{what}: {error}"), manual_action);
        failure.panorama_message = panorama;
        failure
    }
}
