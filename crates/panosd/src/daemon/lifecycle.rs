//! The daemon's relations with its supervisor: systemd notifications (READY, STATUS,
//! STOPPING, and WATCHDOG pings only while the scheduler loop is making progress; all
//! harmless without systemd), and SIGHUP, which reloads what can change live (`workers.max`,
//! the rate limit and in-flight cap, `validation`, `timing`, the upgrade paths) and names
//! what needs a restart.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sd_notify::NotifyState;
use tokio::signal::unix::Signal;
use tokio_util::sync::CancellationToken;

use super::shared::{Live, Shared};
use crate::config::{Config, PanoramaConfig, load_upgrade_paths};

/// Sends `states` to systemd when it supervises the daemon; does nothing otherwise.
pub fn notify(states: &[NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(err) = sd_notify::notify(states) {
        tracing::debug!(%err, "systemd notification failed");
    }
}

/// The watchdog interval systemd asks for, if any.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled().filter(|d| !d.is_zero())
}

/// Pings the watchdog every `interval / 2` while `heartbeat` moved since the last ping.
pub async fn watchdog(interval: Duration, heartbeat: Arc<AtomicU64>, stop: CancellationToken) {
    let mut last = heartbeat.load(Ordering::Relaxed);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(interval / 2) => {}
        }
        let now = heartbeat.load(Ordering::Relaxed);
        if now != last {
            notify(&[NotifyState::Watchdog]);
            last = now;
        } else {
            tracing::warn!("scheduler loop made no progress; withholding the watchdog ping");
        }
    }
}

/// Starts listening for SIGHUP (from now on, a SIGHUP no longer ends the process).
pub fn listen_sighup() -> Option<Signal> {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(err) => {
            tracing::warn!(%err, "cannot listen for SIGHUP; reload by restarting");
            None
        }
    }
}

/// Reloads on every SIGHUP received by `hup` until `stop` fires.
pub async fn reload_on_sighup(
    mut hup: Signal,
    shared: Arc<Shared>,
    state_dir: PathBuf,
    config_file: PathBuf,
    current: Config,
    stop: CancellationToken,
) {
    let mut current = current;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            got = hup.recv() => if got.is_none() { return },
        }
        notify(&[NotifyState::Status("reloading configuration")]);
        match reload(&shared, &state_dir, &config_file, &current).await {
            Ok(config) => current = config,
            Err(reason) => tracing::error!(%reason, "reload refused; the running settings stay"),
        }
        notify(&[NotifyState::Status("running")]);
    }
}

/// Reads the configuration again and applies what can change live; returns the new one.
///
/// # Errors
/// Why the new configuration or paths file is not usable (nothing is applied then).
pub async fn reload(
    shared: &Shared,
    state_dir: &std::path::Path,
    config_file: &std::path::Path,
    current: &Config,
) -> Result<Config, String> {
    let file = config_file.to_path_buf();
    let dir = state_dir.to_path_buf();
    let loaded = tokio::task::spawn_blocking(move || {
        let config = Config::load(&file)?;
        let paths = load_upgrade_paths(&dir.join(&config.paths.upgrade_paths))?;
        Ok::<_, crate::error::ConfigError>((config, paths))
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    let (config, paths) = loaded;
    if config.workers.max != current.workers.max {
        tracing::info!(
            from = current.workers.max,
            to = config.workers.max,
            "workers.max changed"
        );
        shared.workers.resize(config.workers.max);
    }
    let (old, new) = (&current.panorama, &config.panorama);
    // The limits in force after this reload: the new ones once the client has taken them.
    let mut limits_from = old;
    if with_limits(new, old) != *new {
        match shared.api_stats.control() {
            Some(client) => {
                client.set_limits(new).map_err(|e| e.to_string())?;
                tracing::info!(
                    rate_limit_per_second = new.rate_limit_per_second,
                    rate_limit_burst = new.rate_limit_burst,
                    max_in_flight = new.max_in_flight,
                    "Panorama rate limit and in-flight cap changed"
                );
                limits_from = new;
            }
            None => tracing::warn!(
                "the rate limit changed, but this daemon runs on an API it did not build; it takes effect after a restart"
            ),
        }
    }
    // The rest of `panorama` needs a restart: what runs now is the old section with the
    // limits in force, and the rest changed when the new one differs beyond its limits.
    let running_panorama = with_limits(old, limits_from);
    let rest_changed = with_limits(new, old) != *old;
    shared.set_live(Live {
        engine: config.engine(),
        paths: Arc::new(paths),
    });
    for (section, changed) in [
        ("panorama", rest_changed),
        ("logging", config.logging != current.logging),
        ("daemon", config.daemon != current.daemon),
    ] {
        if changed {
            tracing::warn!(
                section,
                "settings in `{section}` changed; they take effect after a restart (systemctl restart panosd)"
            );
        }
    }
    tracing::info!(
        "configuration reloaded: workers.max, the rate limit, validation, timing and upgrade paths apply to new jobs"
    );
    shared.wake_scheduler.notify_one();
    shared.status_changed.notify_one();
    // What runs now: a section that needs a restart keeps being reported until then.
    let mut running = config;
    running.panorama = running_panorama;
    Ok(running)
}

/// `panorama` with the rate limit, burst and in-flight cap of `limits`.
fn with_limits(panorama: &PanoramaConfig, limits: &PanoramaConfig) -> PanoramaConfig {
    PanoramaConfig {
        rate_limit_per_second: limits.rate_limit_per_second,
        rate_limit_burst: limits.rate_limit_burst,
        max_in_flight: limits.max_in_flight,
        ..panorama.clone()
    }
}
