//! The protocol's file types, each with `schema_version` and a JSON Schema: identifiers
//! ([`ids`]), jobs and their results ([`job`]), commands ([`command`]), status files
//! ([`status`]) and validation records ([`validation`]).
//!
//! Forward-compatibility policy: files the web app writes (jobs, commands) refuse unknown
//! fields, so a typo is an error and not a silently ignored option; files the daemon writes
//! (results, status, records) accept unknown fields, so a newer daemon may add fields without
//! breaking older readers. A change that old readers cannot ignore bumps `schema_version`.

pub mod command;
pub mod ids;
pub mod job;
pub mod status;
pub mod validation;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A file type of the protocol.
pub trait ProtocolFile: Serialize + DeserializeOwned + JsonSchema {
    /// What it is, for messages (`job`, `command`, `device status`, …).
    const WHAT: &'static str;

    /// Rules the types cannot express; the reason when one is broken.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

impl ProtocolFile for job::Job {
    const WHAT: &'static str = "job";
    fn check(&self) -> Result<(), String> {
        job::Job::check(self)
    }
}

impl ProtocolFile for command::Command {
    const WHAT: &'static str = "command";
    fn check(&self) -> Result<(), String> {
        command::Command::check(self)
    }
}

impl ProtocolFile for status::DeviceStatus {
    const WHAT: &'static str = "device status";
    fn check(&self) -> Result<(), String> {
        if self.progress > 100 {
            return Err(format!("progress {} is over 100", self.progress));
        }
        Ok(())
    }
}

impl ProtocolFile for status::HaPairStatus {
    const WHAT: &'static str = "ha pair status";
}

impl ProtocolFile for status::DaemonStatus {
    const WHAT: &'static str = "daemon status";
}

impl ProtocolFile for status::WorkersStatus {
    const WHAT: &'static str = "workers status";
}

impl ProtocolFile for validation::ValidationRecord {
    const WHAT: &'static str = "validation record";
}
