//! The never-twice check, from the simulator's request log: no changing command reached a
//! device a second time after the first had been accepted.
//!
//! - A download or install of the same version accepted twice (a garbled answer that still
//!   created a job counts as accepted), unless the job the first one
//!   created ended in failure (a busy software manager fails its install job at once, and the
//!   engine is designed to send it again after a pause).
//! - A restart accepted twice with no accepted install in between.
//! - An HA suspend accepted twice with no accepted `functional` in between, and the other way
//!   round.

use std::collections::HashMap;

use panos_sim::{DeviceSnapshot, Op, RequestRecord, ResponseKind};

/// What the last accepted changing command of each kind was, per device.
#[derive(Default)]
struct DeviceLog {
    /// (op, version) → the job id its first accepted send created.
    jobs: HashMap<(Op, String), Option<u32>>,
    restarted_since_install: bool,
    suspended: Option<bool>,
}

/// Every duplicate send in `records`; `devices` gives the outcome of the devices' jobs.
pub fn duplicate_sends(records: &[RequestRecord], devices: &[DeviceSnapshot]) -> Vec<String> {
    let failed_job = |serial: &str, id: Option<u32>| {
        devices
            .iter()
            .find(|d| d.serial == serial)
            .and_then(|d| d.jobs.iter().find(|j| Some(j.id) == id))
            .is_some_and(|j| j.finished && !j.ok)
    };
    let mut logs: HashMap<&str, DeviceLog> = HashMap::new();
    let mut problems = Vec::new();
    let mut records: Vec<&RequestRecord> = records.iter().collect();
    records.sort_by_key(|r| r.seq);
    for r in records {
        // Accepted: answered OK, or applied and then answered with a garbled body (the
        // simulator records the job such a download or install created).
        let applied = r.response == ResponseKind::Ok
            || (r.response == ResponseKind::Malformed && r.job_id.is_some());
        let (Some(serial), true) = (r.target.as_deref(), applied) else {
            continue;
        };
        let log = logs.entry(serial).or_default();
        let what = format!("{serial}: {:?}", r.op);
        match r.op {
            Op::SoftwareDownload | Op::SoftwareInstall => {
                let version = r.version.clone().unwrap_or_default();
                let key = (r.op, version.clone());
                if let Some(first) = log.jobs.get(&key)
                    && !failed_job(serial, *first)
                {
                    problems.push(format!(
                        "{what} of {version} accepted again (seq {}) after job {} was accepted",
                        r.seq,
                        first.map_or("?".into(), |id| id.to_string())
                    ));
                }
                log.jobs.insert(key, r.job_id);
                if r.op == Op::SoftwareInstall {
                    log.restarted_since_install = false;
                }
            }
            Op::Restart => {
                if log.restarted_since_install {
                    problems.push(format!(
                        "{what} accepted again (seq {}) with no install since the last one",
                        r.seq
                    ));
                }
                log.restarted_since_install = true;
            }
            Op::HaSuspend | Op::HaFunctional => {
                let suspend = r.op == Op::HaSuspend;
                if log.suspended == Some(suspend) {
                    problems.push(format!(
                        "{what} accepted twice in a row (seq {}) without the opposite between",
                        r.seq
                    ));
                }
                log.suspended = Some(suspend);
            }
            _ => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn rec(seq: u64, op: Op, version: Option<&str>, job: Option<u32>) -> RequestRecord {
        RequestRecord {
            seq,
            at: Duration::ZERO,
            sim_at: Duration::ZERO,
            op,
            target: Some("0001".into()),
            version: version.map(str::to_owned),
            job_id: job,
            response: ResponseKind::Ok,
        }
    }

    #[test]
    fn a_second_accepted_install_or_restart_or_suspend_is_a_duplicate() {
        let ok = [
            rec(0, Op::SoftwareDownload, Some("10.2.10"), Some(1)),
            rec(1, Op::SoftwareInstall, Some("10.2.10"), Some(2)),
            rec(2, Op::Restart, None, None),
            rec(3, Op::SoftwareInstall, Some("11.0.6"), Some(3)),
            rec(4, Op::Restart, None, None),
            rec(5, Op::HaSuspend, None, None),
            rec(6, Op::HaFunctional, None, None),
            rec(7, Op::HaSuspend, None, None),
        ];
        assert!(duplicate_sends(&ok, &[]).is_empty());
        let mut bad = ok.to_vec();
        bad.push(rec(8, Op::SoftwareInstall, Some("10.2.10"), Some(4)));
        bad.push(rec(9, Op::Restart, None, None));
        bad.push(rec(10, Op::Restart, None, None));
        bad.push(rec(11, Op::HaSuspend, None, None));
        let problems = duplicate_sends(&bad, &[]);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].contains("SoftwareInstall of 10.2.10 accepted again"));
        assert!(problems[1].contains("Restart accepted again (seq 10)"));
        assert!(problems[2].contains("HaSuspend accepted twice"));
        // A refused send does not count.
        let mut refused = rec(12, Op::HaSuspend, None, None);
        refused.response = ResponseKind::Dropped;
        assert_eq!(duplicate_sends(&[ok[7].clone(), refused], &[]).len(), 0);
    }
}
