//! Faults: what can go wrong on a simulated firewall (or on Panorama itself), as data.
//!
//! A [`FaultRule`] is a [`Fault`] plus an optional operation filter and an optional count. Rules
//! live on a device (or on Panorama for requests without `target`), are set in the fleet file or
//! at run time through [`crate::SimHandle::inject_fault`], and are consumed where they act: a job
//! fault when a job is created, a reboot fault at restart, a response fault per request.

use serde::{Deserialize, Serialize};

use crate::command::Op;

/// One thing that goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// The next download or install job (pick with the rule's `op`) ends `FIN`/`FAIL` halfway,
    /// with real-looking detail lines.
    JobFail,
    /// A download job's progress stops at `at_percent` and the job never finishes.
    DownloadStall {
        /// Where the progress stops (0–99).
        at_percent: u8,
    },
    /// After `request restart system` the device never comes back (`not connected` forever).
    RebootNeverReturns,
    /// The device comes back from its reboot on the version it had before.
    ReturnsOnOldVersion,
    /// `count` routes are missing after the device comes back from a reboot.
    RoutesLost {
        /// How many routes disappear.
        count: u32,
    },
    /// `count` ARP entries are missing after the device comes back from a reboot.
    ArpLost {
        /// How many ARP entries disappear.
        count: u32,
    },
    /// The active session count drops by `percent` after the device comes back from a reboot.
    SessionDrop {
        /// The drop, 0–100.
        percent: u8,
    },
    /// An install job fails with "The software manager is currently in use. Please try again
    /// later." (use `times` for N failures, then installs work).
    SoftwareManagerBusy,
    /// The HA pair never reaches `running-sync` = `synchronized` (shows `not synchronized`).
    HaOutOfSync,
    /// `request system software check` fails: the update server cannot be reached.
    UpdateServerUnreachable,
    /// The response is delayed by `ms` milliseconds (real time).
    Delay {
        /// The delay in milliseconds.
        ms: u64,
    },
    /// The connection is closed without any response.
    DropConnection,
    /// The request is answered with this HTTP status (e.g. 500, 502, 503) and a short body.
    HttpStatus {
        /// The HTTP status code.
        status: u16,
    },
    /// The response XML has junk after the document element.
    MalformedXml,
    /// HTTP 200 with an empty body (seen under load on real Panoramas).
    EmptyBody,
    /// The request fails with this API error code and message (e.g. 22, "Session timed out").
    ApiError {
        /// The PAN-OS error code.
        code: u16,
        /// The message line.
        message: String,
    },
}

impl Fault {
    /// True for faults that act on the HTTP response of a request (delay, drop, 5xx, malformed
    /// XML, API error) rather than on the device model.
    pub fn is_response_fault(&self) -> bool {
        matches!(
            self,
            Fault::Delay { .. }
                | Fault::DropConnection
                | Fault::HttpStatus { .. }
                | Fault::MalformedXml
                | Fault::EmptyBody
                | Fault::ApiError { .. }
        )
    }
}

/// A fault with where and how often it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// What goes wrong.
    #[serde(flatten)]
    pub fault: Fault,
    /// Only for this operation (e.g. `software_install`); every operation when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<Op>,
    /// How many times it acts before it is used up; forever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule that acts every time, for every operation.
    pub fn always(fault: Fault) -> Self {
        FaultRule {
            fault,
            op: None,
            times: None,
        }
    }

    /// A rule that acts `n` times, for every operation.
    pub fn times(fault: Fault, n: u32) -> Self {
        FaultRule {
            fault,
            op: None,
            times: Some(n),
        }
    }

    /// This rule limited to one operation.
    pub fn on(mut self, op: Op) -> Self {
        self.op = Some(op);
        self
    }
}

/// The fault rules of one device (or of Panorama).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultSet {
    rules: Vec<FaultRule>,
}

impl FaultSet {
    /// A set holding `rules`.
    pub fn new(rules: Vec<FaultRule>) -> Self {
        FaultSet { rules }
    }

    /// Adds a rule.
    pub fn push(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The rules still active.
    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// True when a rule selected by `pick` applies to `op` (nothing is consumed).
    pub fn has(&self, op: Op, pick: impl Fn(&Fault) -> bool) -> bool {
        self.rules
            .iter()
            .any(|r| pick(&r.fault) && r.op.is_none_or(|o| o == op))
    }

    /// Takes one use of the first rule selected by `pick` that applies to `op`, returning its
    /// fault; a rule whose count reaches zero is removed.
    pub fn take(&mut self, op: Op, pick: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let idx = self
            .rules
            .iter()
            .position(|r| pick(&r.fault) && r.op.is_none_or(|o| o == op))?;
        let rule = &mut self.rules[idx];
        let fault = rule.fault.clone();
        if let Some(n) = rule.times.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.rules.remove(idx);
            }
        }
        Some(fault)
    }
}

impl FaultSet {
    /// Takes one use of every rule selected by `pick` that applies to `op`.
    pub fn take_each(&mut self, op: Op, pick: impl Fn(&Fault) -> bool) -> Vec<Fault> {
        let mut out = Vec::new();
        self.rules.retain_mut(|r| {
            if !(pick(&r.fault) && r.op.is_none_or(|o| o == op)) {
                return true;
            }
            out.push(r.fault.clone());
            match r.times.as_mut() {
                Some(n) => {
                    *n = n.saturating_sub(1);
                    *n > 0
                }
                None => true,
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_from_json_with_kind_op_and_times() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"kind":"software_manager_busy","op":"software_install","times":2}"#,
        )
        .unwrap();
        assert_eq!(rule.fault, Fault::SoftwareManagerBusy);
        assert_eq!(rule.op, Some(Op::SoftwareInstall));
        assert_eq!(rule.times, Some(2));
        let rule: FaultRule =
            serde_json::from_str(r#"{"kind":"api_error","code":22,"message":"Session timed out"}"#)
                .unwrap();
        assert!(matches!(rule.fault, Fault::ApiError { code: 22, .. }));
        let back = serde_json::to_string(&rule).unwrap();
        assert!(back.contains(r#""kind":"api_error""#), "{back}");
    }

    #[test]
    fn counted_rules_are_used_up_and_op_filters_apply() {
        let mut set = FaultSet::default();
        set.push(FaultRule::times(Fault::SoftwareManagerBusy, 2).on(Op::SoftwareInstall));
        let busy = |f: &Fault| matches!(f, Fault::SoftwareManagerBusy);
        assert!(set.take(Op::SoftwareDownload, busy).is_none());
        assert!(set.take(Op::SoftwareInstall, busy).is_some());
        assert!(set.take(Op::SoftwareInstall, busy).is_some());
        assert!(set.take(Op::SoftwareInstall, busy).is_none());
        assert!(set.rules().is_empty());
    }
}
