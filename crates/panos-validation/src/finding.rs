//! Findings of the readiness checks: a stable [`FindingCode`], a [`Severity`], the [`CheckId`]
//! that produced it and a message written for the operator who has to act on it.
//!
//! This module owns the vocabulary only; the checks live in [`crate::readiness`].

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much a finding matters. Ordered: `Info < Warn < Block`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For the record; never stops anything.
    Info,
    /// Worth a look; the upgrade may go on.
    Warn,
    /// The upgrade must not start.
    Block,
}

impl Severity {
    /// The lower-case name (`info`, `warn`, `block`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Block => "block",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The readiness checks, each enabled and tuned separately in
/// [`ReadinessConfig`](crate::readiness::ReadinessConfig).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// Free space on `/opt/panrepo` for the images still to download.
    Disk,
    /// HA enabled and healthy for pairs; no surprise pair for standalone jobs.
    Ha,
    /// No job running or pending on the device.
    Jobs,
    /// `show chassis-ready` says yes.
    Chassis,
    /// Panorama lists the device as connected.
    Device,
    /// The target (and base) image is in the device's software catalog.
    Catalog,
    /// The running version against the target.
    Version,
}

impl CheckId {
    /// Every check, in the order they run and are reported.
    pub const ALL: [CheckId; 7] = [
        Self::Device,
        Self::Version,
        Self::Catalog,
        Self::Disk,
        Self::Jobs,
        Self::Chassis,
        Self::Ha,
    ];

    /// The lower-case name, as in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disk => "disk",
            Self::Ha => "ha",
            Self::Jobs => "jobs",
            Self::Chassis => "chassis",
            Self::Device => "device",
            Self::Catalog => "catalog",
            Self::Version => "version",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! finding_codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// A stable identifier of a finding (`disk.insufficient`, `ha.peer_down`, …). The text
        /// form never changes once released: the web application and scripts match on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum FindingCode {
            $($(#[$doc])* #[serde(rename = $text)] $variant,)*
        }

        impl FindingCode {
            /// The stable text form (`disk.insufficient`).
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)* }
            }
        }
    };
}

finding_codes! {
    /// Free space on `/opt/panrepo` is below what the downloads need plus the margin.
    DiskInsufficient = "disk.insufficient",
    /// Free space is enough.
    DiskSufficient = "disk.sufficient",
    /// An image to download has no size in the catalog, so the need cannot be computed.
    DiskSizeUnknown = "disk.size_unknown",
    /// No disk-space reading (or no filesystem holding `/opt/panrepo`).
    DiskUnknown = "disk.unknown",
    /// Every needed image is already downloaded.
    DiskNothingToDownload = "disk.nothing_to_download",
    /// The job treats the pair as HA but a member reports HA disabled.
    HaNotEnabled = "ha.not_enabled",
    /// The pair is not exactly one active and one passive member.
    HaInconsistentRoles = "ha.inconsistent_roles",
    /// The configuration is not synchronized between the members.
    HaNotSynchronized = "ha.not_synchronized",
    /// A member sees its peer's connection down.
    HaPeerDown = "ha.peer_down",
    /// The members run different PAN-OS versions.
    HaVersionMismatch = "ha.version_mismatch",
    /// A member's HA state was not collected.
    HaUnknown = "ha.unknown",
    /// The job treats the device as standalone but it reports an HA peer.
    HaUnexpectedPair = "ha.unexpected_pair",
    /// The pair looks healthy.
    HaHealthy = "ha.healthy",
    /// A job is running or pending on the device.
    JobsRunning = "jobs.running",
    /// The job list was not collected.
    JobsUnknown = "jobs.unknown",
    /// `show chassis-ready` says no.
    ChassisNotReady = "chassis.not_ready",
    /// `show chassis-ready` was not collected.
    ChassisUnknown = "chassis.unknown",
    /// Panorama lists the device as not connected.
    DeviceNotConnected = "device.not_connected",
    /// The device's Panorama entry was not collected or not found.
    DeviceUnknown = "device.unknown",
    /// The target version is not in the device's software catalog.
    CatalogTargetMissing = "catalog.target_missing",
    /// The base image the target needs is not in the catalog.
    CatalogBaseMissing = "catalog.base_missing",
    /// The software catalog was not collected.
    CatalogUnknown = "catalog.unknown",
    /// The device already runs the target version.
    VersionAlreadyOnTarget = "version.already_on_target",
    /// The target is older than the running version.
    VersionDowngrade = "version.downgrade",
    /// The running version is unknown.
    VersionUnknown = "version.unknown",
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One result of a readiness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The check that produced it.
    pub check: CheckId,
    /// Stable code.
    pub code: FindingCode,
    /// Block, warn or info (after the configuration's override).
    pub severity: Severity,
    /// What was seen, against what threshold, and what to do about it.
    pub message: String,
}

impl Finding {
    /// A finding with the given parts.
    pub fn new(
        check: CheckId,
        code: FindingCode,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Self {
            check,
            code,
            severity,
            message: message.into(),
        }
    }
}
