//! The lab the examples run against when no real Panorama is named: an in-process panos-sim
//! (a Panorama with four managed firewalls, served over HTTPS on loopback with a self-signed
//! certificate, like a real Panorama's), and the version paths shipped in
//! `deploy/config/upgrade_paths.json`.
//!
//! The examples themselves are the binaries in `src/bin/`; this library only spares each of
//! them the simulator's set-up. Nothing here is needed to use the panos crates against a real
//! Panorama.

use panos_sim::{FleetSpec, SimConfig, SimError, SimHandle};

/// A standalone PA-440 on 11.0.6: its path to 11.1.6 needs the 11.1 base image first.
pub const STANDALONE: &str = "007954000000001";
/// A standalone PA-VM on 11.1.4-h2.
pub const BRANCH: &str = "007954000000002";
/// The active member of an HA pair of PA-3220 on 11.0.6.
pub const HA_ACTIVE: &str = "007954000000003";
/// The passive member of that pair.
pub const HA_PASSIVE: &str = "007954000000004";

/// The version paths the deployment ships (`deploy/config/upgrade_paths.json`): every
/// version in the lab's fleet is listed, and they all end on 11.1.6.
pub const UPGRADE_PATHS: &str = include_str!("../../deploy/config/upgrade_paths.json");

/// The lab's fleet, as a panos-sim fleet file would give it.
pub fn fleet() -> FleetSpec {
    let device = |serial: &str, hostname: &str, model: &str, version: &str| {
        serde_json::json!({
            "serial": serial, "hostname": hostname, "model": model, "sw_version": version,
            "ip_address": "192.0.2.40", "free_disk_mb": 12000, "uptime_secs": 3_100_000,
            "sessions": 4200, "routes": 30, "arp": 18,
        })
    };
    let mut active = device(HA_ACTIVE, "fw-lab-ha-a", "PA-3220", "11.0.6");
    active["ha"] = serde_json::json!({"peer": HA_PASSIVE, "state": "active", "priority": 90});
    let mut passive = device(HA_PASSIVE, "fw-lab-ha-b", "PA-3220", "11.0.6");
    passive["ha"] = serde_json::json!({"peer": HA_ACTIVE, "state": "passive", "priority": 100});
    let spec = serde_json::json!({
        "panorama": {"hostname": "panorama-lab", "serial": "000702100009", "sw_version": "11.1.6"},
        "devices": [
            device(STANDALONE, "fw-lab-01", "PA-440", "11.0.6"),
            device(BRANCH, "fw-lab-02", "PA-VM", "11.1.4-h2"),
            active,
            passive,
        ],
    });
    serde_json::from_value(spec).expect("the lab's fleet is a valid fleet file")
}

/// Starts the lab's simulator over HTTP and HTTPS on loopback; `time_scale` simulated seconds
/// pass per real second (a 20-minute upgrade takes about a second at 1000).
///
/// # Errors
/// [`SimError`] when it cannot bind a loopback port.
pub async fn start_simulator(time_scale: f64) -> Result<SimHandle, SimError> {
    panos_sim::start(
        SimConfig::new(fleet())
            .with_tls()
            .with_time_scale(time_scale),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_paths_cover_every_version_of_the_lab() {
        let paths = panos_upgrade::UpgradePaths::from_json(UPGRADE_PATHS).unwrap();
        for device in fleet().devices {
            let version = device.sw_version.parse().unwrap();
            let path = paths.path_for(&version);
            assert!(
                path.is_some(),
                "{} is not in upgrade_paths.json",
                device.sw_version
            );
            assert_eq!(path.unwrap().target().to_string(), "11.1.6");
        }
    }
}
