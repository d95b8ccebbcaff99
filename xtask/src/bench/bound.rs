//! The lower bound of a fleet's makespan, from the simulator's step durations and the API rate:
//! no correct schedule can finish sooner, so `makespan / bound` says how much time the daemon
//! adds (polling, readiness, file writes, waiting for a permit).
//!
//! Per device and hop: download, install, the shutdown delay, the reboot, chassis-ready. An HA
//! pair upgrades its members one after the other, each followed by the configuration sync;
//! only the download may overlap between the members. Every job occupies one worker for at
//! least `members × unit`, where `unit` is the shorter of a standalone device's path and half
//! a pair's, so among `workers` workers one does at least `ceil(devices / workers)` units.
//! The API side: every request waits for a permit of the one rate limiter, so the calls take
//! at least `calls / rate` seconds.

use panos_sim::Timings;
use serde::Serialize;

/// What the fleet run was.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetShape {
    /// Firewalls in all.
    pub devices: usize,
    /// How many HA pairs among them.
    pub ha_pairs: usize,
    /// `workers.max`.
    pub workers: usize,
    /// Simulated seconds per real second.
    pub scale: f64,
    /// API calls the simulator answered.
    pub api_calls: u64,
    /// The daemon's rate limit, requests per real second.
    pub rate_per_second: f64,
}

/// The bound and how it was reached; real seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bound {
    /// One standalone device's hop, simulated seconds.
    pub device_path_sim_secs: f64,
    /// One HA pair's hop (members sequential), simulated seconds.
    pub pair_path_sim_secs: f64,
    /// The per-device unit (the shorter of a device's path and half a pair's), simulated.
    pub unit_sim_secs: f64,
    /// `ceil(devices / workers)`.
    pub rounds: usize,
    /// The device-time bound, real seconds.
    pub time_secs: f64,
    /// `api_calls / rate`, real seconds.
    pub api_secs: f64,
    /// The larger of the two.
    pub secs: f64,
}

/// The bound for `shape` under `timings`.
pub fn lower_bound(timings: &Timings, shape: &FleetShape) -> Bound {
    let member = timings.install_secs
        + timings.shutdown_delay_secs
        + timings.reboot_secs
        + timings.chassis_ready_secs;
    let device_path = timings.download_secs + member;
    let pair_path = timings.download_secs + 2.0 * (member + timings.ha_sync_secs);
    let standalone = shape.devices.saturating_sub(2 * shape.ha_pairs);
    let unit = match (standalone > 0, shape.ha_pairs > 0) {
        (true, true) => device_path.min(pair_path / 2.0),
        (false, true) => pair_path / 2.0,
        _ => device_path,
    };
    let rounds = shape.devices.div_ceil(shape.workers.max(1));
    let mut longest_job: f64 = 0.0;
    if standalone > 0 {
        longest_job = device_path;
    }
    if shape.ha_pairs > 0 {
        longest_job = longest_job.max(pair_path);
    }
    let time_sim = (unit * rounds as f64).max(longest_job);
    let time_secs = time_sim / shape.scale;
    let api_secs = shape.api_calls as f64 / shape.rate_per_second;
    Bound {
        device_path_sim_secs: device_path,
        pair_path_sim_secs: pair_path,
        unit_sim_secs: unit,
        rounds,
        time_secs,
        api_secs,
        secs: time_secs.max(api_secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(devices: usize, ha_pairs: usize) -> FleetShape {
        FleetShape {
            devices,
            ha_pairs,
            workers: 50,
            scale: 100.0,
            api_calls: 10_000,
            rate_per_second: 1000.0,
        }
    }

    #[test]
    fn the_default_timings_give_the_documented_paths() {
        let bound = lower_bound(&Timings::default(), &shape(230, 20));
        // 120 download + 600 install + 5 shutdown + 480 reboot + 60 chassis-ready.
        assert_eq!(bound.device_path_sim_secs, 1265.0);
        // 120 + 2 × (1145 + 30 sync).
        assert_eq!(bound.pair_path_sim_secs, 2470.0);
        assert_eq!(bound.unit_sim_secs, 1235.0);
        assert_eq!(bound.rounds, 5);
        assert!((bound.time_secs - 61.75).abs() < 1e-9);
        assert!((bound.api_secs - 10.0).abs() < 1e-9);
        assert_eq!(bound.secs, bound.time_secs);
    }

    #[test]
    fn one_round_is_bound_by_the_longest_job() {
        let with_pairs = lower_bound(&Timings::default(), &shape(40, 4));
        assert_eq!(with_pairs.rounds, 1);
        assert!((with_pairs.time_secs - 24.7).abs() < 1e-9);
        let standalone = lower_bound(&Timings::default(), &shape(40, 0));
        assert!((standalone.time_secs - 12.65).abs() < 1e-9);
        let only_pairs = lower_bound(&Timings::default(), &shape(200, 100));
        assert_eq!(only_pairs.unit_sim_secs, 1235.0);
        assert!((only_pairs.time_secs - 4.0 * 12.35).abs() < 1e-9);
    }

    #[test]
    fn a_slow_api_makes_the_rate_the_bound() {
        let mut slow = shape(230, 20);
        slow.rate_per_second = 100.0;
        let bound = lower_bound(&Timings::default(), &slow);
        assert!((bound.api_secs - 100.0).abs() < 1e-9);
        assert_eq!(bound.secs, bound.api_secs);
    }
}
