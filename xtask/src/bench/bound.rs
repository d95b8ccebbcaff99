//! The lower bound of a fleet's makespan, from the simulator's step durations and the API rate:
//! no correct schedule can finish sooner, so `makespan / bound` says how much time the daemon
//! adds (polling, readiness, file writes, waiting for a permit).
//!
//! Per device and hop: download, install, the shutdown delay, the reboot, chassis-ready. An HA
//! pair upgrades its members one after the other, each followed by the configuration sync;
//! only the download may overlap between the members. A job holds one worker from start to
//! end, so the device-time bound is the shortest makespan of the fleet's jobs (standalone
//! jobs of the device path, pair jobs of the pair path) packed on `workers` workers: found
//! exactly (two job lengths, a few hundred jobs), it is what a perfect scheduler with
//! instant API calls would reach. The simpler form, the device path ×
//! `ceil(devices / workers)`, is reported beside it. The API side: every request waits for a
//! permit of the one rate limiter, so the calls take at least `calls / rate` seconds.

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
    /// `ceil(devices / workers)`.
    pub rounds: usize,
    /// The device path × `rounds`, simulated seconds (the form of the bound).
    pub rounds_sim_secs: f64,
    /// The shortest makespan of the jobs packed on the workers, simulated seconds.
    pub packed_sim_secs: f64,
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
    let rounds = shape.devices.div_ceil(shape.workers.max(1));
    let packed = shortest_makespan(
        standalone,
        device_path,
        shape.ha_pairs,
        pair_path,
        shape.workers.max(1),
    );
    let time_sim = packed;
    let time_secs = time_sim / shape.scale;
    let api_secs = shape.api_calls as f64 / shape.rate_per_second;
    Bound {
        device_path_sim_secs: device_path,
        pair_path_sim_secs: pair_path,
        rounds,
        rounds_sim_secs: device_path * rounds as f64,
        packed_sim_secs: packed,
        time_secs,
        api_secs,
        secs: time_secs.max(api_secs),
    }
}

/// The shortest time in which `workers` workers run `singles` jobs of `single` seconds and
/// `pairs` jobs of `pair` seconds, each job on one worker from start to end. The answer is
/// one worker's load, `a × pair + b × single`; the smallest such load under which the jobs
/// fit is found by trying them in order.
fn shortest_makespan(singles: usize, single: f64, pairs: usize, pair: f64, workers: usize) -> f64 {
    let mut loads: Vec<f64> = (0..=pairs)
        .flat_map(|a| (0..=singles).map(move |b| a as f64 * pair + b as f64 * single))
        .filter(|&load| load > 0.0)
        .collect();
    loads.sort_by(f64::total_cmp);
    loads.dedup();
    // Fitting is monotone in the load: the first load that fits is found by bisection.
    let fits = |limit: f64| fits_within(singles, single, pairs, pair, workers, limit);
    let first = loads.partition_point(|&limit| !fits(limit));
    loads.get(first).copied().unwrap_or(0.0)
}

/// Whether the jobs fit on the workers with no worker's load above `limit`: the most single
/// jobs that fit once every pair job is placed, by dynamic programming over the workers
/// (how many pair jobs the workers so far hold → the most single jobs beside them).
fn fits_within(
    singles: usize,
    single: f64,
    pairs: usize,
    pair: f64,
    workers: usize,
    limit: f64,
) -> bool {
    // A little slack against rounding in the sums.
    let limit = limit + 1e-6;
    let singles_beside = |a: usize| {
        let left = limit - a as f64 * pair;
        if left < 0.0 {
            None
        } else if single > 0.0 {
            Some((left / single).floor() as usize)
        } else {
            Some(singles)
        }
    };
    let mut best: Vec<Option<usize>> = vec![None; pairs + 1];
    best[0] = Some(0);
    for _ in 0..workers {
        let mut next = best.clone();
        for (held, most) in best.iter().enumerate() {
            let Some(most) = most else { continue };
            for a in 1..=pairs - held {
                let Some(b) = singles_beside(a) else { break };
                let slot = &mut next[held + a];
                *slot = Some(slot.map_or(most + b, |s| s.max(most + b)));
            }
            if let Some(b) = singles_beside(0) {
                let slot = &mut next[held];
                *slot = Some(slot.map_or(most + b, |s| s.max(most + b)));
            }
        }
        best = next;
    }
    best[pairs].is_some_and(|most| most >= singles)
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
        assert_eq!(bound.rounds, 5);
        assert_eq!(bound.rounds_sim_secs, 5.0 * 1265.0);
        // 190 standalone jobs and 20 pairs on 50 workers: at most 4 standalone jobs or a
        // pair and 3 fit under five device paths, 180 in all, so one worker runs five.
        assert_eq!(bound.packed_sim_secs, 5.0 * 1265.0);
        assert!((bound.time_secs - 63.25).abs() < 1e-9);
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
        // 100 pairs on 50 workers: two each.
        let only_pairs = lower_bound(&Timings::default(), &shape(200, 100));
        assert!((only_pairs.time_secs - 2.0 * 24.7).abs() < 1e-9);
    }

    /// Every way of placing a few jobs on a few workers, tried one by one.
    fn brute_force(singles: usize, single: f64, pairs: usize, pair: f64, workers: usize) -> f64 {
        fn place(jobs: &[f64], loads: &mut Vec<f64>, best: &mut f64) {
            let Some((&job, rest)) = jobs.split_first() else {
                let worst = loads.iter().copied().fold(0.0, f64::max);
                *best = best.min(worst);
                return;
            };
            for w in 0..loads.len() {
                loads[w] += job;
                place(rest, loads, best);
                loads[w] -= job;
            }
        }
        let mut jobs = vec![pair; pairs];
        jobs.extend(std::iter::repeat_n(single, singles));
        let mut best = f64::INFINITY;
        place(&jobs, &mut vec![0.0; workers], &mut best);
        if jobs.is_empty() { 0.0 } else { best }
    }

    #[test]
    fn the_packing_is_the_shortest_schedule() {
        for workers in 1..=3 {
            for pairs in 0..=3 {
                for singles in 0..=5 {
                    for (single, pair) in [(3.0, 5.0), (4.0, 7.0), (5.0, 9.0)] {
                        assert_eq!(
                            shortest_makespan(singles, single, pairs, pair, workers),
                            brute_force(singles, single, pairs, pair, workers),
                            "{singles} × {single} and {pairs} × {pair} on {workers} workers"
                        );
                    }
                }
            }
        }
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
