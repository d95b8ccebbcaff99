//! Where a fleet run's time goes, read from the simulator's request log: per job, simulated
//! seconds from its first request to its last, split at the accepted download, install and
//! restart of each device, minus what the simulator itself takes for each step. What remains
//! is the daemon's: readiness checks and snapshots, poll intervals that overshoot the end of a
//! step, the HA steps, and the time a job waited for a worker.

use std::collections::HashMap;
use std::time::Duration;

use panos_sim::{Op, RequestRecord, ResponseKind, Timings};
use serde::Serialize;

/// Mean simulated seconds of each phase of the standalone jobs, and of the pair jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Phases {
    /// Standalone jobs measured.
    pub standalone_jobs: usize,
    /// First request to the last: the job on its device.
    pub standalone_job_secs: f64,
    /// First request to the accepted download: readiness checks, pre-flight snapshot.
    pub before_download_secs: f64,
    /// End of the download (by the simulator's duration) to the accepted install.
    pub after_download_secs: f64,
    /// End of the install to the accepted restart.
    pub after_install_secs: f64,
    /// Chassis ready (restart + shutdown + reboot + chassis-ready) to the last request:
    /// the reboot wait's overshoot and the post-flight snapshot.
    pub after_ready_secs: f64,
    /// HA pair jobs measured.
    pub pair_jobs: usize,
    /// First request to the last, both members.
    pub pair_job_secs: f64,
    /// Mean simulated seconds from the first request of the run to a job's first request
    /// (waiting for a worker), over all jobs.
    pub mean_start_secs: f64,
    /// The last request of the run, simulated seconds after the first.
    pub span_secs: f64,
}

/// Phases of `jobs` (each the serials of one job) from `records`.
pub fn phases(records: &[RequestRecord], timings: &Timings, jobs: &[Vec<String>]) -> Phases {
    let mut by_target: HashMap<&str, Vec<&RequestRecord>> = HashMap::new();
    for record in records {
        if let Some(target) = record.target.as_deref() {
            by_target.entry(target).or_default().push(record);
        }
    }
    let Some(run_start) = records.iter().map(|r| r.sim_at).min() else {
        return Phases::default();
    };
    let run_end = records.iter().map(|r| r.sim_at).max().unwrap_or(run_start);
    let secs = |d: Duration| d.as_secs_f64();
    let accepted = |list: &[&RequestRecord], op: Op| {
        list.iter()
            .find(|r| r.op == op && r.response == ResponseKind::Ok)
            .map(|r| secs(r.sim_at))
    };
    let mut p = Phases {
        span_secs: secs(run_end - run_start),
        ..Phases::default()
    };
    let mut starts = Vec::new();
    for job in jobs {
        let list: Vec<&RequestRecord> = job
            .iter()
            .flat_map(|s| by_target.get(s.as_str()).into_iter().flatten().copied())
            .collect();
        let (Some(first), Some(last)) = (
            list.iter().map(|r| r.sim_at).min(),
            list.iter().map(|r| r.sim_at).max(),
        ) else {
            continue;
        };
        starts.push(secs(first - run_start));
        let (first, last) = (secs(first), secs(last));
        if job.len() == 2 {
            p.pair_jobs += 1;
            p.pair_job_secs += last - first;
            continue;
        }
        let (Some(dl), Some(inst), Some(rst)) = (
            accepted(&list, Op::SoftwareDownload),
            accepted(&list, Op::SoftwareInstall),
            accepted(&list, Op::Restart),
        ) else {
            continue;
        };
        p.standalone_jobs += 1;
        p.standalone_job_secs += last - first;
        p.before_download_secs += dl - first;
        p.after_download_secs += inst - (dl + timings.download_secs);
        p.after_install_secs += rst - (inst + timings.install_secs);
        p.after_ready_secs += last
            - (rst
                + timings.shutdown_delay_secs
                + timings.reboot_secs
                + timings.chassis_ready_secs);
    }
    let mean = |sum: &mut f64, n: usize| *sum /= n.max(1) as f64;
    let n = p.standalone_jobs;
    for field in [
        &mut p.standalone_job_secs,
        &mut p.before_download_secs,
        &mut p.after_download_secs,
        &mut p.after_install_secs,
        &mut p.after_ready_secs,
    ] {
        mean(field, n);
    }
    let pairs = p.pair_jobs;
    mean(&mut p.pair_job_secs, pairs);
    p.mean_start_secs = starts.iter().sum::<f64>() / starts.len().max(1) as f64;
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(op: Op, target: &str, sim_secs: f64) -> RequestRecord {
        RequestRecord {
            seq: 0,
            at: Duration::ZERO,
            sim_at: Duration::from_secs_f64(sim_secs),
            op,
            target: Some(target.into()),
            version: None,
            job_id: None,
            response: ResponseKind::Ok,
        }
    }

    #[test]
    fn a_standalone_job_splits_at_its_changing_commands() {
        let t = Timings::default();
        let records = vec![
            at(Op::ShowSystemInfo, "A", 100.0),
            at(Op::SoftwareDownload, "A", 110.0),
            at(Op::SoftwareInstall, "A", 240.0),
            at(Op::Restart, "A", 850.0),
            at(Op::ShowArp, "A", 1420.0),
            at(Op::ShowSystemInfo, "B", 0.0),
            at(Op::ShowSystemInfo, "C", 3000.0),
        ];
        let p = phases(
            &records,
            &t,
            &[vec!["A".into()], vec!["B".into(), "C".into()]],
        );
        assert_eq!(p.standalone_jobs, 1);
        assert_eq!(p.standalone_job_secs, 1320.0);
        assert_eq!(p.before_download_secs, 10.0);
        assert_eq!(p.after_download_secs, 10.0);
        assert_eq!(p.after_install_secs, 10.0);
        assert_eq!(p.after_ready_secs, 25.0);
        assert_eq!(p.pair_jobs, 1);
        assert_eq!(p.pair_job_secs, 3000.0);
        assert_eq!(p.mean_start_secs, 50.0);
        assert_eq!(p.span_secs, 3000.0);
    }
}
