//! The `cmd` XML of each operation, built from validated values only and XML-escaped, with
//! whether the operation is read-only (and so safe to retry).

use crate::error::ClientError;
use crate::model::RoutingEngine;
use crate::types::{JobId, ParseError, SoftwareVersion};

/// Whether sending an operation twice is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Reads state only: retried on transient errors.
    ReadOnly,
    /// Starts or changes something (a job, a restart, an HA state): sent once.
    Changes,
}

/// One `type=op` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// The operation's name in errors and logs (`show system info`).
    pub(crate) name: &'static str,
    /// The `cmd` parameter.
    pub(crate) xml: String,
    /// Whether it may be retried.
    pub(crate) effect: Effect,
}

impl Command {
    const fn read(name: &'static str, xml: String) -> Self {
        Self {
            name,
            xml,
            effect: Effect::ReadOnly,
        }
    }

    const fn change(name: &'static str, xml: String) -> Self {
        Self {
            name,
            xml,
            effect: Effect::Changes,
        }
    }

    pub(crate) fn system_info() -> Self {
        Self::read(
            "show system info",
            "<show><system><info/></system></show>".into(),
        )
    }

    pub(crate) fn ha_state() -> Self {
        Self::read(
            "show high-availability state",
            "<show><high-availability><state/></high-availability></show>".into(),
        )
    }

    pub(crate) fn software_check() -> Self {
        Self::read(
            "request system software check",
            "<request><system><software><check/></software></system></request>".into(),
        )
    }

    pub(crate) fn software_info() -> Self {
        Self::read(
            "request system software info",
            "<request><system><software><info/></software></system></request>".into(),
        )
    }

    pub(crate) fn software_download(version: &SoftwareVersion) -> Self {
        Self::change(
            "request system software download",
            format!(
                "<request><system><software><download><version>{}</version></download>\
                 </software></system></request>",
                escape(&version.to_string())
            ),
        )
    }

    pub(crate) fn software_install(version: &SoftwareVersion) -> Self {
        Self::change(
            "request system software install",
            format!(
                "<request><system><software><install><version>{}</version></install>\
                 </software></system></request>",
                escape(&version.to_string())
            ),
        )
    }

    pub(crate) fn job_status(job: JobId) -> Self {
        Self::read(
            "show jobs id",
            format!("<show><jobs><id>{}</id></jobs></show>", job.0),
        )
    }

    pub(crate) fn jobs_all() -> Self {
        Self::read("show jobs all", "<show><jobs><all/></jobs></show>".into())
    }

    pub(crate) fn restart() -> Self {
        Self::change(
            "request restart system",
            "<request><restart><system/></restart></request>".into(),
        )
    }

    pub(crate) fn chassis_ready() -> Self {
        Self::read("show chassis-ready", "<show><chassis-ready/></show>".into())
    }

    pub(crate) fn ha_suspend() -> Self {
        Self::change(
            "request high-availability state suspend",
            "<request><high-availability><state><suspend/></state></high-availability></request>"
                .into(),
        )
    }

    pub(crate) fn ha_functional() -> Self {
        Self::change(
            "request high-availability state functional",
            "<request><high-availability><state><functional/></state></high-availability>\
             </request>"
                .into(),
        )
    }

    pub(crate) fn session_info() -> Self {
        Self::read(
            "show session info",
            "<show><session><info/></session></show>".into(),
        )
    }

    pub(crate) fn routes(engine: RoutingEngine) -> Self {
        match engine {
            RoutingEngine::Legacy => Self::read(
                "show routing route",
                "<show><routing><route/></routing></show>".into(),
            ),
            RoutingEngine::Advanced => Self::read(
                "show advanced-routing route",
                "<show><advanced-routing><route/></advanced-routing></show>".into(),
            ),
        }
    }

    pub(crate) fn arp() -> Self {
        Self::read(
            "show arp entry",
            "<show><arp><entry name='all'/></arp></show>".into(),
        )
    }

    pub(crate) fn disk_space() -> Self {
        Self::read(
            "show system disk-space",
            "<show><system><disk-space/></system></show>".into(),
        )
    }

    pub(crate) fn managed_devices(connected_only: bool) -> Self {
        if connected_only {
            Self::read(
                "show devices connected",
                "<show><devices><connected/></devices></show>".into(),
            )
        } else {
            Self::read(
                "show devices all",
                "<show><devices><all/></devices></show>".into(),
            )
        }
    }

    /// A caller-supplied command, checked to be one well-formed XML element. Never retried:
    /// nothing says it is read-only.
    pub(crate) fn raw(xml: &str) -> Result<Self, ClientError> {
        let refuse = |reason| {
            ClientError::InvalidInput(ParseError {
                what: "command",
                value: xml.chars().take(64).collect(),
                reason,
            })
        };
        let trimmed = xml.trim();
        if trimmed.is_empty() {
            return Err(refuse("the command is empty"));
        }
        if trimmed.starts_with("<?") || trimmed.contains("<!") {
            return Err(refuse(
                "the command must be plain XML elements, without declarations",
            ));
        }
        roxmltree::Document::parse(trimmed)
            .map_err(|_| refuse("the command is not well-formed XML"))?;
        Ok(Self::change("op", trimmed.to_owned()))
    }
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_well_formed_xml() {
        let version: SoftwareVersion = "10.2.9-h1".parse().unwrap();
        let all = [
            Command::system_info(),
            Command::ha_state(),
            Command::software_check(),
            Command::software_info(),
            Command::software_download(&version),
            Command::software_install(&version),
            Command::job_status(JobId(42)),
            Command::jobs_all(),
            Command::restart(),
            Command::chassis_ready(),
            Command::ha_suspend(),
            Command::ha_functional(),
            Command::session_info(),
            Command::routes(RoutingEngine::Legacy),
            Command::routes(RoutingEngine::Advanced),
            Command::arp(),
            Command::disk_space(),
            Command::managed_devices(true),
            Command::managed_devices(false),
        ];
        for command in &all {
            assert!(
                roxmltree::Document::parse(&command.xml).is_ok(),
                "{}: {}",
                command.name,
                command.xml
            );
        }
        let changes: Vec<&str> = all
            .iter()
            .filter(|c| c.effect == Effect::Changes)
            .map(|c| c.name)
            .collect();
        assert_eq!(
            changes,
            [
                "request system software download",
                "request system software install",
                "request restart system",
                "request high-availability state suspend",
                "request high-availability state functional"
            ]
        );
        assert!(
            Command::software_install(&version)
                .xml
                .contains("<version>10.2.9-h1</version>")
        );
        assert!(Command::job_status(JobId(42)).xml.contains("<id>42</id>"));
    }

    #[test]
    fn raw_commands_must_be_well_formed() {
        assert!(Command::raw("<show><clock/></show>").is_ok());
        for bad in [
            "",
            "<show>",
            "<a/><b/>",
            "text",
            "<?xml version='1.0'?><a/>",
            "<!DOCTYPE a><a/>",
        ] {
            assert!(
                matches!(Command::raw(bad), Err(ClientError::InvalidInput(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
