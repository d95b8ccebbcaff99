//! The demo's lab: the simulated fleet with a few injected faults, the upgrade paths that
//! cover every version in it, and the daemon's configuration pointing at the simulator with
//! its clock scaled like the simulator's.

use std::path::Path;

use panos_client::SoftwareVersion;
use panos_sim::{DeviceSpec, Fault, FaultRule, FleetShape, FleetSpec, Op};
use panosd::Config;
use secrecy::SecretString;

use crate::error::{CtlError, Result};

/// A fault put on a device, and what it should cause.
#[derive(Debug, Clone)]
pub struct Injected {
    /// The device.
    pub serial: String,
    /// What goes wrong, for people.
    pub what: &'static str,
}

/// The target of every path: the newest 11.1 release in the catalog.
pub fn target() -> Result<SoftwareVersion> {
    panos_sim::upgrade_target()
        .parse()
        .map_err(|_| CtlError::Failed("the simulator's catalog has no 11.1 release".into()))
}

/// `upgrade_paths.json` for the versions of `fleet`: one hop per feature release (its newest
/// release), ending on [`target`] (panos-sim's [`panos_sim::upgrade_paths`]).
pub fn paths_json(fleet: &FleetSpec) -> Result<String> {
    serde_json::to_string_pretty(&panos_sim::upgrade_paths(&fleet.devices))
        .map_err(|e| CtlError::Failed(format!("cannot encode the upgrade paths: {e}")))
}

/// Puts a few faults on devices that will really be upgraded (not already on the target):
/// an install that fails, a reboot that never returns, routes lost after the upgrade (the
/// post-flight comparison fails), and a busy software manager on the passive member of the
/// first HA pair (its peer must then be left alone).
pub fn inject_faults(fleet: &mut FleetSpec) -> Result<Vec<Injected>> {
    let target = target()?.to_string();
    let upgrades = |d: &DeviceSpec| d.sw_version != target;
    let mut injected = Vec::new();
    let standalone: Vec<usize> = fleet
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.ha.is_none() && upgrades(d))
        .map(|(i, _)| i)
        .collect();
    type Plan = (&'static str, fn(&DeviceSpec) -> FaultRule);
    let plans: [Plan; 3] = [
        ("install job fails", |_| {
            FaultRule::always(Fault::JobFail).on(Op::SoftwareInstall)
        }),
        ("never returns from its reboot", |_| {
            FaultRule::always(Fault::RebootNeverReturns)
        }),
        ("loses routes after the upgrade", |d| {
            FaultRule::always(Fault::RoutesLost {
                count: d.routes.max(2) / 2 + 1,
            })
        }),
    ];
    // Spread the faulty devices over the fleet; keep at least one standalone device healthy.
    let n = plans.len().min(standalone.len().saturating_sub(1));
    for (k, (what, rule)) in plans.into_iter().take(n).enumerate() {
        let device = &mut fleet.devices[standalone[k * standalone.len() / n]];
        device.faults.push(rule(device));
        injected.push(Injected {
            serial: device.serial.clone(),
            what,
        });
    }
    let passive = fleet
        .devices
        .iter()
        .position(|d| upgrades(d) && d.ha.as_ref().is_some_and(|ha| ha.state == "passive"));
    if let Some(idx) = passive {
        let device = &mut fleet.devices[idx];
        device
            .faults
            .push(FaultRule::always(Fault::SoftwareManagerBusy).on(Op::SoftwareInstall));
        injected.push(Injected {
            serial: device.serial.clone(),
            what: "HA passive member: software manager stays busy",
        });
    }
    Ok(injected)
}

/// The fleet: generated, with faults.
pub fn fleet(devices: usize, ha_pairs: usize, seed: u64) -> Result<(FleetSpec, Vec<Injected>)> {
    if devices == 0 {
        return Err(CtlError::Usage("--devices must be at least 1".into()));
    }
    let mut fleet = panos_sim::generate_fleet(&FleetShape {
        devices,
        ha_pairs,
        seed,
    });
    // Multi-hop paths keep every image they download: the only failures are the injected ones.
    fleet.make_room_for_images();
    let injected = inject_faults(&mut fleet)?;
    Ok((fleet, injected))
}

/// Writes `config/config.json` (the API key encrypted, as `panosctl config set` stores it)
/// and `config/upgrade_paths.json`.
pub fn write_config(
    root: &Path,
    url: &str,
    api_key: String,
    workers: u32,
    scale: f64,
    paths: &str,
) -> Result<()> {
    let encrypted = panosd::secrets::encrypt_for_config(root, &SecretString::from(api_key))?;
    let config = Config::rehearsal(url, encrypted, workers, scale);
    let dir = root.join("config");
    std::fs::create_dir_all(&dir)
        .map_err(|e| CtlError::Failed(format!("cannot create {}: {e}", dir.display())))?;
    let text = serde_json::to_string_pretty(&config)
        .map_err(|e| CtlError::Failed(format!("cannot encode the configuration: {e}")))?;
    // Checked the way the daemon will check it.
    Config::from_json(&text, &dir.join("config.json"))?;
    panos_queue::atomic_write(&dir.join("config.json"), text.as_bytes())?;
    panos_queue::atomic_write(&dir.join("upgrade_paths.json"), paths.as_bytes())?;
    Ok(())
}
