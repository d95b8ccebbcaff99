//! The operations the simulator answers ([`Op`]) and the parsing of the `cmd` parameter of
//! `type=op` requests into a [`Command`].
//!
//! `cmd` is parsed as XML (roxmltree), so `<info></info>` and `<info/>` are the same, and
//! pan-python's CLI-to-XML forms (`<show><jobs><id>912</id></jobs></show>`,
//! `<download><sync-to-peer>yes</sync-to-peer><version>10.2.9</version></download>`) work.

use serde::{Deserialize, Serialize};

/// An API operation, as recorded in the request log and used to aim faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Op {
    /// `type=keygen`.
    Keygen,
    /// `show system info`.
    ShowSystemInfo,
    /// `show high-availability state`.
    ShowHaState,
    /// `request system software check`.
    SoftwareCheck,
    /// `request system software info`.
    SoftwareInfo,
    /// `request system software download`.
    SoftwareDownload,
    /// `request system software install`.
    SoftwareInstall,
    /// `show jobs id N`.
    ShowJob,
    /// `show jobs all`.
    ShowJobsAll,
    /// `request restart system`.
    Restart,
    /// `show chassis-ready`.
    ChassisReady,
    /// `request high-availability state suspend`.
    HaSuspend,
    /// `request high-availability state functional`.
    HaFunctional,
    /// `show session info`.
    ShowSessionInfo,
    /// `show routing route`.
    ShowRoutingRoute,
    /// `show advanced-routing route`.
    ShowAdvancedRoutingRoute,
    /// `show arp entry name='all'`.
    ShowArp,
    /// `show system disk-space`.
    ShowDiskSpace,
    /// `show devices all` (Panorama).
    ShowDevicesAll,
    /// `show devices connected` (Panorama).
    ShowDevicesConnected,
    /// Anything else (unknown command, unsupported request type, bad parameters).
    Other,
}

impl Op {
    /// The CLI form, e.g. `show system info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Keygen => "keygen",
            Op::ShowSystemInfo => "show system info",
            Op::ShowHaState => "show high-availability state",
            Op::SoftwareCheck => "request system software check",
            Op::SoftwareInfo => "request system software info",
            Op::SoftwareDownload => "request system software download",
            Op::SoftwareInstall => "request system software install",
            Op::ShowJob => "show jobs id",
            Op::ShowJobsAll => "show jobs all",
            Op::Restart => "request restart system",
            Op::ChassisReady => "show chassis-ready",
            Op::HaSuspend => "request high-availability state suspend",
            Op::HaFunctional => "request high-availability state functional",
            Op::ShowSessionInfo => "show session info",
            Op::ShowRoutingRoute => "show routing route",
            Op::ShowAdvancedRoutingRoute => "show advanced-routing route",
            Op::ShowArp => "show arp entry name='all'",
            Op::ShowDiskSpace => "show system disk-space",
            Op::ShowDevicesAll => "show devices all",
            Op::ShowDevicesConnected => "show devices connected",
            Op::Other => "other",
        }
    }
}

/// A parsed operational command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `show system info`.
    SystemInfo,
    /// `show high-availability state`.
    HaState,
    /// `request system software check`.
    SoftwareCheck,
    /// `request system software info`.
    SoftwareInfo,
    /// `request system software download version X [sync-to-peer yes|no]`.
    SoftwareDownload {
        /// The version to download.
        version: String,
        /// `sync-to-peer yes`.
        sync_to_peer: bool,
    },
    /// `request system software install version X`.
    SoftwareInstall {
        /// The version to install.
        version: String,
    },
    /// `show jobs id N` (the id as sent).
    ShowJob {
        /// The job id text.
        id: String,
    },
    /// `show jobs all`.
    ShowJobsAll,
    /// `request restart system`.
    Restart,
    /// `show chassis-ready`.
    ChassisReady,
    /// `request high-availability state suspend`.
    HaSuspend,
    /// `request high-availability state functional`.
    HaFunctional,
    /// `show session info`.
    SessionInfo,
    /// `show routing route`.
    RoutingRoute,
    /// `show advanced-routing route`.
    AdvancedRoutingRoute,
    /// `show arp entry name='all'`.
    Arp,
    /// `show system disk-space`.
    DiskSpace,
    /// `show devices all`.
    DevicesAll,
    /// `show devices connected`.
    DevicesConnected,
}

impl Command {
    /// The operation this command is.
    pub fn op(&self) -> Op {
        match self {
            Command::SystemInfo => Op::ShowSystemInfo,
            Command::HaState => Op::ShowHaState,
            Command::SoftwareCheck => Op::SoftwareCheck,
            Command::SoftwareInfo => Op::SoftwareInfo,
            Command::SoftwareDownload { .. } => Op::SoftwareDownload,
            Command::SoftwareInstall { .. } => Op::SoftwareInstall,
            Command::ShowJob { .. } => Op::ShowJob,
            Command::ShowJobsAll => Op::ShowJobsAll,
            Command::Restart => Op::Restart,
            Command::ChassisReady => Op::ChassisReady,
            Command::HaSuspend => Op::HaSuspend,
            Command::HaFunctional => Op::HaFunctional,
            Command::SessionInfo => Op::ShowSessionInfo,
            Command::RoutingRoute => Op::ShowRoutingRoute,
            Command::AdvancedRoutingRoute => Op::ShowAdvancedRoutingRoute,
            Command::Arp => Op::ShowArp,
            Command::DiskSpace => Op::ShowDiskSpace,
            Command::DevicesAll => Op::ShowDevicesAll,
            Command::DevicesConnected => Op::ShowDevicesConnected,
        }
    }
}

/// Why a `cmd` was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// Not well-formed XML (code 18, "Malformed Request").
    Malformed,
    /// A word the command tree does not know (code 17, `show -> bogus is unexpected`).
    Unexpected(String),
    /// A required argument is missing (code 17, `download -> version is missing`).
    Missing(String),
}

/// One leaf of the command tree: the element path from the root, its text and `name` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Leaf {
    path: Vec<String>,
    text: Option<String>,
    name_attr: Option<String>,
}

fn leaves(node: roxmltree::Node<'_, '_>, prefix: &mut Vec<String>, out: &mut Vec<Leaf>) {
    prefix.push(node.tag_name().name().to_string());
    let children: Vec<_> = node.children().filter(|c| c.is_element()).collect();
    if children.is_empty() {
        let text: String = node
            .children()
            .filter(|c| c.is_text())
            .filter_map(|c| c.text())
            .collect();
        let text = text.trim();
        out.push(Leaf {
            path: prefix.clone(),
            text: (!text.is_empty()).then(|| text.trim_matches('"').to_string()),
            name_attr: node.attribute("name").map(str::to_string),
        });
    } else {
        for child in children {
            leaves(child, prefix, out);
        }
    }
    prefix.pop();
}

/// Parses the `cmd` XML of a `type=op` request.
pub fn parse(cmd: &str) -> Result<Command, CommandError> {
    let doc = roxmltree::Document::parse(cmd.trim()).map_err(|_| CommandError::Malformed)?;
    let mut out = Vec::new();
    leaves(doc.root_element(), &mut Vec::new(), &mut out);
    let first = out.first().ok_or(CommandError::Malformed)?;
    let words: Vec<&str> = first.path.iter().map(String::as_str).collect();
    let arg = |name: &str| {
        out.iter()
            .find(|l| l.path.last().map(String::as_str) == Some(name))
            .and_then(|l| l.text.clone())
    };
    let cmd = match words.as_slice() {
        ["show", "system", "info"] => Command::SystemInfo,
        ["show", "system", "disk-space"] => Command::DiskSpace,
        ["show", "high-availability", "state"] => Command::HaState,
        ["show", "chassis-ready"] => Command::ChassisReady,
        ["show", "session", "info"] => Command::SessionInfo,
        ["show", "routing", "route"] => Command::RoutingRoute,
        ["show", "advanced-routing", "route"] => Command::AdvancedRoutingRoute,
        ["show", "arp", "entry"] => match first.name_attr.as_deref().or(first.text.as_deref()) {
            Some("all") => Command::Arp,
            _ => return Err(CommandError::Missing("entry -> name".into())),
        },
        ["show", "jobs", "all"] => Command::ShowJobsAll,
        ["show", "jobs", "id"] => Command::ShowJob {
            id: first
                .text
                .clone()
                .ok_or_else(|| CommandError::Missing("jobs -> id".into()))?,
        },
        ["show", "devices", "all"] => Command::DevicesAll,
        ["show", "devices", "connected"] => Command::DevicesConnected,
        ["request", "restart", "system"] => Command::Restart,
        ["request", "system", "software", "check"] => Command::SoftwareCheck,
        ["request", "system", "software", "info"] => Command::SoftwareInfo,
        ["request", "system", "software", "download", leaf] => {
            if !matches!(*leaf, "version" | "sync-to-peer") {
                return Err(unexpected(&words));
            }
            Command::SoftwareDownload {
                version: arg("version")
                    .ok_or_else(|| CommandError::Missing("download -> version".into()))?,
                sync_to_peer: arg("sync-to-peer").as_deref() == Some("yes"),
            }
        }
        ["request", "system", "software", "install", leaf] => {
            if !matches!(*leaf, "version" | "load-config") {
                return Err(unexpected(&words));
            }
            Command::SoftwareInstall {
                version: arg("version")
                    .ok_or_else(|| CommandError::Missing("install -> version".into()))?,
            }
        }
        ["request", "system", "software", "download" | "install"] => {
            return Err(CommandError::Missing(format!("{} -> version", words[3])));
        }
        ["request", "high-availability", "state", "suspend"] => Command::HaSuspend,
        ["request", "high-availability", "state", "functional"] => Command::HaFunctional,
        _ => return Err(unexpected(&words)),
    };
    Ok(cmd)
}

/// The `a -> b is unexpected` error for the first word the simulator does not know.
fn unexpected(words: &[&str]) -> CommandError {
    const KNOWN: &[&[&str]] = &[
        &["show", "system", "info"],
        &["show", "system", "disk-space"],
        &["show", "high-availability", "state"],
        &["show", "chassis-ready"],
        &["show", "session", "info"],
        &["show", "routing", "route"],
        &["show", "advanced-routing", "route"],
        &["show", "arp", "entry"],
        &["show", "jobs", "all"],
        &["show", "jobs", "id"],
        &["show", "devices", "all"],
        &["show", "devices", "connected"],
        &["request", "restart", "system"],
        &["request", "system", "software", "check"],
        &["request", "system", "software", "info"],
        &["request", "system", "software", "download", "version"],
        &["request", "system", "software", "download", "sync-to-peer"],
        &["request", "system", "software", "install", "version"],
        &["request", "system", "software", "install", "load-config"],
        &["request", "high-availability", "state", "suspend"],
        &["request", "high-availability", "state", "functional"],
    ];
    // The longest known prefix, then the first word past it.
    let depth = KNOWN
        .iter()
        .map(|k| k.iter().zip(words).take_while(|(a, b)| a == b).count())
        .max()
        .unwrap_or(0);
    let shown = (depth + 1).min(words.len());
    CommandError::Unexpected(words[..shown].join(" -> "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_empty_element_forms_parse() {
        assert_eq!(
            parse("<show><system><info></info></system></show>"),
            Ok(Command::SystemInfo)
        );
        assert_eq!(
            parse("<show><system><info/></system></show>"),
            Ok(Command::SystemInfo)
        );
        assert_eq!(
            parse("<show><chassis-ready></chassis-ready></show>"),
            Ok(Command::ChassisReady)
        );
    }

    #[test]
    fn pan_python_cli_forms_parse() {
        assert_eq!(
            parse("<show><jobs><id>912</id></jobs></show>"),
            Ok(Command::ShowJob { id: "912".into() })
        );
        assert_eq!(
            parse(
                "<request><system><software><download><sync-to-peer>yes</sync-to-peer><version>10.2.9</version></download></software></system></request>"
            ),
            Ok(Command::SoftwareDownload {
                version: "10.2.9".into(),
                sync_to_peer: true
            })
        );
        assert_eq!(
            parse(
                "<request><system><software><install><version>11.1.2-h3</version></install></software></system></request>"
            ),
            Ok(Command::SoftwareInstall {
                version: "11.1.2-h3".into()
            })
        );
        assert_eq!(
            parse("<show><arp><entry name='all'/></arp></show>"),
            Ok(Command::Arp)
        );
        assert_eq!(
            parse(
                "<request><high-availability><state><suspend/></state></high-availability></request>"
            ),
            Ok(Command::HaSuspend)
        );
    }

    #[test]
    fn unknown_and_malformed_commands_are_refused() {
        assert_eq!(
            parse("<show><bogus/></show>"),
            Err(CommandError::Unexpected("show -> bogus".into()))
        );
        assert_eq!(
            parse("<show><system><nothing/></system></show>"),
            Err(CommandError::Unexpected("show -> system -> nothing".into()))
        );
        assert_eq!(parse("<show><system>"), Err(CommandError::Malformed));
        assert!(matches!(
            parse("<request><system><software><download/></software></system></request>"),
            Err(CommandError::Missing(_))
        ));
    }
}
