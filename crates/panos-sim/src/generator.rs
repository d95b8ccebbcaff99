//! The fleet generator: `--devices N --ha-pairs M --seed S` builds a realistic, deterministic
//! fleet (ChaCha8 from the seed): mixed models, versions spread over 10.1/10.2/11.0/11.1,
//! table sizes by platform, HA pairs of identical members (active priority 90, passive 100).

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::catalog::{Catalog, PanVersion, platform};
use crate::fleet::{DeviceSpec, FleetSpec, HaSpec, PanoramaSpec};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetShape {
    /// Number of firewalls in total.
    pub devices: usize,
    /// How many of them form HA pairs (2 devices each); capped at `devices / 2`.
    pub ha_pairs: usize,
    /// The seed: the same shape and seed give the same fleet.
    pub seed: u64,
}

const MODELS: &[(&str, u32)] = &[
    ("PA-VM", 35),
    ("PA-440", 20),
    ("PA-1410", 10),
    ("PA-3220", 25),
    ("PA-5250", 10),
];
const SITES: &[&str] = &[
    "nyc", "lon", "fra", "sgp", "syd", "chi", "dal", "ams", "tok", "sao", "par", "mad",
];

/// The feature releases a generated fleet runs.
const GENERATED_FEATURES: [(u32, u32); 4] = [(10, 1), (10, 2), (11, 0), (11, 1)];

/// The newest release of each feature release a generated fleet runs, in the built-in
/// catalog.
fn newest_per_feature() -> BTreeMap<(u32, u32), PanVersion> {
    let mut newest: BTreeMap<(u32, u32), PanVersion> = BTreeMap::new();
    for v in Catalog::builtin()
        .entries
        .iter()
        .filter_map(|e| PanVersion::parse(&e.version))
        .filter(|v| GENERATED_FEATURES.contains(&v.feature()))
    {
        if newest.get(&v.feature()).is_none_or(|cur| &v > cur) {
            newest.insert(v.feature(), v);
        }
    }
    newest
}

/// The version [`upgrade_paths`] end on: the newest release of the newest feature release a
/// generated fleet runs (11.1).
pub fn upgrade_target() -> String {
    newest_per_feature()
        .last_key_value()
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// `upgrade_paths.json` for the versions of `devices` (a generated fleet): from each, one hop
/// per newer feature release (its newest release), ending on [`upgrade_target`]. A version
/// already on the target gets an empty path; one that does not parse, none.
pub fn upgrade_paths(devices: &[DeviceSpec]) -> BTreeMap<String, Vec<String>> {
    let newest = newest_per_feature();
    let mut paths = BTreeMap::new();
    for device in devices {
        let Some(v) = PanVersion::parse(&device.sw_version) else {
            continue;
        };
        let hops = newest
            .iter()
            .filter(|(feature, latest)| **feature >= v.feature() && **latest > v)
            .map(|(_, latest)| latest.to_string())
            .collect();
        paths.insert(device.sw_version.clone(), hops);
    }
    paths
}

/// Generates a fleet.
pub fn generate_fleet(shape: &FleetShape) -> FleetSpec {
    let mut rng = ChaCha8Rng::seed_from_u64(shape.seed);
    let catalog = Catalog::builtin();
    let versions: Vec<String> = catalog
        .entries
        .iter()
        .filter_map(|e| PanVersion::parse(&e.version).map(|v| (v, e)))
        .filter(|(v, _)| GENERATED_FEATURES.contains(&v.feature()) && v.patch > 0)
        .map(|(_, e)| e.version.clone())
        .collect();
    let pairs = shape.ha_pairs.min(shape.devices / 2);
    let mut devices = Vec::with_capacity(shape.devices);
    let mut i = 0;
    while i < shape.devices {
        let in_pair = i < pairs * 2;
        let base = device(&mut rng, shape.seed, i, &versions);
        if in_pair {
            let mut a = base;
            let mut b = a.clone();
            let n = i / 2 + 1;
            let site = SITES[n % SITES.len()];
            a.hostname = format!("{site}-fw-{n:03}a");
            b.hostname = format!("{site}-fw-{n:03}b");
            b.serial = serial(shape.seed, i + 1);
            b.ip_address = ip(i + 1);
            b.sessions = 0;
            b.uptime_secs = a.uptime_secs.saturating_sub(rng.random_range(0..86_400));
            a.ha = Some(HaSpec {
                peer: b.serial.clone(),
                state: "active".into(),
                priority: 90,
                preemptive: false,
            });
            b.ha = Some(HaSpec {
                peer: a.serial.clone(),
                state: "passive".into(),
                priority: 100,
                preemptive: false,
            });
            devices.push(a);
            devices.push(b);
            i += 2;
        } else {
            devices.push(base);
            i += 1;
        }
    }
    FleetSpec {
        panorama: PanoramaSpec::default(),
        catalog: None,
        timings: None,
        devices,
    }
}

fn serial(seed: u64, i: usize) -> String {
    format!("0079{:02}{:09}", seed % 100, i + 1)
}

fn ip(i: usize) -> String {
    format!(
        "10.{}.{}.{}",
        1 + (i / 62_500) % 250,
        (i / 250) % 250,
        1 + i % 250
    )
}

fn device(rng: &mut ChaCha8Rng, seed: u64, i: usize, versions: &[String]) -> DeviceSpec {
    let total: u32 = MODELS.iter().map(|m| m.1).sum();
    let mut pick = rng.random_range(0..total);
    let model = MODELS
        .iter()
        .find(|(_, w)| {
            if pick < *w {
                true
            } else {
                pick -= w;
                false
            }
        })
        .map(|m| m.0)
        .unwrap_or("PA-VM");
    let p = platform(model);
    let version = versions[rng.random_range(0..versions.len())].clone();
    let (routes, arp) = match model {
        "PA-440" => (rng.random_range(5..25), rng.random_range(4..40)),
        "PA-VM" => (rng.random_range(8..40), rng.random_range(5..60)),
        "PA-1410" => (rng.random_range(20..120), rng.random_range(20..150)),
        "PA-3220" => (rng.random_range(50..400), rng.random_range(40..400)),
        _ => (rng.random_range(100..800), rng.random_range(100..1200)),
    };
    let panrepo_mb = u64::from(p.panrepo_gb) * 1024;
    let advanced = !version.starts_with("10.1.") && rng.random_bool(0.25);
    let site = SITES[i % SITES.len()];
    DeviceSpec {
        serial: serial(seed, i),
        hostname: format!("{site}-fw-{:03}", i + 1),
        model: model.to_string(),
        ip_address: ip(i),
        sw_version: version,
        app_version: format!(
            "{}-{}",
            8700 + rng.random_range(0..300),
            8400 + rng.random_range(0..300)
        ),
        uptime_secs: rng.random_range(86_400..400 * 86_400),
        downloaded: Vec::new(),
        free_disk_mb: rng.random_range(panrepo_mb * 2 / 5..panrepo_mb * 4 / 5),
        sessions: rng.random_range(0..p.max_sessions / 4),
        routes,
        arp,
        advanced_routing: advanced,
        multi_vsys: model == "PA-5250" && rng.random_bool(0.3),
        ha: None,
        faults: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every version of a generated fleet gets a path: rising, one release per feature
    /// release, each the newest of its feature release, the last the target.
    #[test]
    fn upgrade_paths_take_every_generated_device_to_the_target() {
        let fleet = generate_fleet(&FleetShape {
            devices: 230,
            ha_pairs: 20,
            seed: 7,
        });
        let target = upgrade_target();
        assert!(target.starts_with("11.1."), "{target}");
        let newest = newest_per_feature();
        let paths = upgrade_paths(&fleet.devices);
        for device in &fleet.devices {
            let hops = &paths[&device.sw_version];
            if device.sw_version == target {
                assert!(hops.is_empty());
                continue;
            }
            assert_eq!(hops.last(), Some(&target), "{}", device.sw_version);
            let mut at = PanVersion::parse(&device.sw_version).unwrap();
            for hop in hops {
                let hop = PanVersion::parse(hop).unwrap();
                assert!(hop > at && hop.feature() >= at.feature(), "{at} -> {hop}");
                assert_eq!(newest[&hop.feature()], hop);
                at = hop;
            }
        }
    }

    #[test]
    fn generation_is_deterministic_valid_and_mixed() {
        let shape = FleetShape {
            devices: 230,
            ha_pairs: 40,
            seed: 42,
        };
        let a = generate_fleet(&shape);
        assert_eq!(a, generate_fleet(&shape));
        assert_ne!(a, generate_fleet(&FleetShape { seed: 43, ..shape }));
        a.validate().unwrap();
        assert_eq!(a.devices.len(), 230);
        assert_eq!(a.devices.iter().filter(|d| d.ha.is_some()).count(), 80);
        for train in ["10.1.", "10.2.", "11.0.", "11.1."] {
            assert!(
                a.devices.iter().any(|d| d.sw_version.starts_with(train)),
                "{train}"
            );
        }
        for model in ["PA-VM", "PA-440", "PA-3220", "PA-5250"] {
            assert!(a.devices.iter().any(|d| d.model == model), "{model}");
        }
        let catalog = Catalog::builtin();
        assert!(
            a.devices
                .iter()
                .all(|d| catalog.get(&d.sw_version).is_some())
        );
    }

    #[test]
    fn odd_and_oversized_pair_counts_are_capped() {
        let f = generate_fleet(&FleetShape {
            devices: 5,
            ha_pairs: 10,
            seed: 1,
        });
        f.validate().unwrap();
        assert_eq!(f.devices.len(), 5);
        assert_eq!(f.devices.iter().filter(|d| d.ha.is_some()).count(), 4);
    }
}
