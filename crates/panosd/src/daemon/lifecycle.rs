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
use crate::config::{Config, load_upgrade_paths};

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
    let limits_changed = (
        old.rate_limit_per_second,
        old.rate_limit_burst,
        old.max_in_flight,
    ) != (
        new.rate_limit_per_second,
        new.rate_limit_burst,
        new.max_in_flight,
    );
    let mut applied = config.panorama.clone();
    if limits_changed {
        match shared.api_stats.control() {
            Some(client) => {
                client.set_limits(new).map_err(|e| e.to_string())?;
                tracing::info!(
                    rate_limit_per_second = new.rate_limit_per_second,
                    rate_limit_burst = new.rate_limit_burst,
                    max_in_flight = new.max_in_flight,
                    "Panorama rate limit and in-flight cap changed"
                );
            }
            None => {
                tracing::warn!(
                    "the rate limit changed, but this daemon runs on an API it did not build; it takes effect after a restart"
                );
                applied.rate_limit_per_second = old.rate_limit_per_second;
                applied.rate_limit_burst = old.rate_limit_burst;
                applied.max_in_flight = old.max_in_flight;
            }
        }
    }
    // Compare the rest of `panorama` with the limits as they now are.
    let mut rest = applied.clone();
    rest.rate_limit_per_second = old.rate_limit_per_second;
    rest.rate_limit_burst = old.rate_limit_burst;
    rest.max_in_flight = old.max_in_flight;
    shared.set_live(Live {
        engine: config.engine(),
        paths: Arc::new(paths),
    });
    for (section, changed) in [
        ("panorama", rest != *old),
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
    running.panorama = current.panorama.clone();
    running.panorama.rate_limit_per_second = applied.rate_limit_per_second;
    running.panorama.rate_limit_burst = applied.rate_limit_burst;
    running.panorama.max_in_flight = applied.max_in_flight;
    Ok(running)
}
