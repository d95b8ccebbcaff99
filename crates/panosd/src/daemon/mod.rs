//! [`run`]: the daemon from start to stop. Creates the state directory's layout, takes its
//! lock (one daemon per directory), opens the logs, finds the credentials and builds the one
//! Panorama client, recovers `queue/active/`, then runs its tasks (scheduler, commands,
//! status writer, inventory, SIGHUP reload, watchdog) until `shutdown` fires, and stops
//! within the grace period.
//!
//! Dropping the future of [`run`] aborts every task it started, like a killed process: what
//! is on disk (claimed jobs, checkpoints) is all the next start has, and all it needs.

mod commands;
mod convert;
mod inventory;
mod job;
mod lifecycle;
mod probe;
mod scheduler;
mod shared;
mod sink;
mod status;
mod tasks;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use panos_client::PanosApi;
use panos_queue::{DaemonState, StateLock};
use sd_notify::NotifyState;
use tokio_util::sync::CancellationToken;
use tracing::instrument::WithSubscriber;

use crate::api::{CountingApi, build_client};
use crate::config::{DaemonConfig, load_upgrade_paths};
use crate::error::DaemonError;
use crate::logging::Logs;
use crate::store::Store;

use lifecycle::notify;

/// Runs the daemon until `shutdown` fires, then stops within `daemon.shutdown_grace_secs`.
///
/// # Errors
/// [`DaemonError`] when the daemon cannot start: the state directory is locked by another
/// daemon (the message names its pid), the configuration or credentials are unusable, the
/// logs cannot be opened.
pub async fn run(config: DaemonConfig, shutdown: CancellationToken) -> Result<(), DaemonError> {
    let (lock, logs) = prepare(&config).await?;
    let dispatch = logs.dispatch.clone();
    async move {
        let api = connect(&config)
            .await
            .inspect_err(|err| tracing::error!(%err, "panosd cannot start"))?;
        serve(config, api, shutdown, lock)
            .await
            .inspect_err(|err| tracing::error!(%err, "panosd stopped with an error"))
    }
    .with_subscriber(dispatch)
    .await
}

/// [`run`] with an API implementation of the caller's (a recording wrapper, a test double)
/// instead of a Panorama client built from the configuration.
///
/// # Errors
/// As for [`run`], less the credentials.
pub async fn run_with_api<A: PanosApi + 'static>(
    config: DaemonConfig,
    api: A,
    shutdown: CancellationToken,
) -> Result<(), DaemonError> {
    let (lock, logs) = prepare(&config).await?;
    let dispatch = logs.dispatch.clone();
    async move {
        serve(config, CountingApi::new(api), shutdown, lock)
            .await
            .inspect_err(|err| tracing::error!(%err, "panosd stopped with an error"))
    }
    .with_subscriber(dispatch)
    .await
}

/// The layout, the lock and the logs.
async fn prepare(config: &DaemonConfig) -> Result<(StateLock, Logs), DaemonError> {
    let store = Store::new(&config.state_dir);
    store.create().await?;
    let dir = config.state_dir.clone();
    let lock = blocking(move || StateLock::acquire(&dir).map_err(DaemonError::from)).await?;
    let dir = config.state_dir.clone();
    let logging = config.config.logging.clone();
    let console = config.console;
    let logs = blocking(move || Logs::open(&dir, &logging, console)).await?;
    Ok((lock, logs))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DaemonError> + Send + 'static,
) -> Result<T, DaemonError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| DaemonError::Internal(e.to_string()))?
}

/// The credentials and the Panorama client.
async fn connect(
    config: &DaemonConfig,
) -> Result<CountingApi<panos_client::PanoramaClient>, DaemonError> {
    let file = config.config_file.clone();
    let url = config.config.panorama_url(&file)?.to_owned();
    let dir = config.state_dir.clone();
    let panorama = config.config.panorama.clone();
    let creds_dir = config.credentials_dir.clone();
    let (credentials, source) = blocking(move || {
        crate::secrets::resolve(&dir, &panorama, creds_dir.as_deref()).map_err(DaemonError::from)
    })
    .await?;
    tracing::info!(%source, "Panorama credentials found");
    let keygen = matches!(credentials, panos_client::Credentials::Password { .. });
    let client = build_client(
        &url,
        &config.config.panorama,
        &config.config.timing,
        credentials,
        &file,
    )?;
    if keygen {
        match tokio::time::timeout(Duration::from_secs(60), client.api_key()).await {
            Ok(Ok(_)) => tracing::info!("API key generated from the username and password"),
            Ok(Err(panos_client::ClientError::Auth { message, .. })) => {
                return Err(DaemonError::Client {
                    file,
                    source: panos_client::ClientError::Config(format!(
                        "Panorama refused the username and password: {message}"
                    )),
                });
            }
            Ok(Err(err)) => tracing::warn!(%err, "keygen failed; retried on the first call"),
            Err(_) => tracing::warn!("keygen timed out; retried on the first call"),
        }
    }
    let api = CountingApi::new(client.clone());
    api.stats().attach(Arc::new(client));
    Ok(api)
}

fn scaled(config: &DaemonConfig, secs: f64) -> Duration {
    config
        .config
        .timing
        .scaled(secs)
        .max(Duration::from_millis(20))
}

async fn serve<A: PanosApi + 'static>(
    config: DaemonConfig,
    api: CountingApi<A>,
    shutdown: CancellationToken,
    lock: StateLock,
) -> Result<(), DaemonError> {
    tracing::info!(
        state_dir = %config.state_dir.display(), pid = std::process::id(),
        version = env!("CARGO_PKG_VERSION"), "panosd starting"
    );
    notify(&[NotifyState::Status("starting")]);
    let paths_file = config.upgrade_paths_file();
    let paths =
        blocking(move || load_upgrade_paths(&paths_file).map_err(DaemonError::from)).await?;
    let store = Store::new(&config.state_dir);
    let mut shared = shared::Shared::new(
        store.clone(),
        api.stats(),
        config.config.workers.max,
        shared::Live {
            engine: config.config.engine(),
            paths: Arc::new(paths),
        },
    );
    shared.metrics_file = config.config.daemon.metrics_file.clone();
    let shared = Arc::new(shared);
    match store.io(|dir| dir.list_device_statuses()).await {
        Ok(devices) => shared.devices_written(&devices),
        Err(err) => {
            tracing::warn!(%err, "cannot read the device status files; the device counts start empty")
        }
    }
    shared.set_state(DaemonState::Starting);
    let api = Arc::new(api);
    let stop = CancellationToken::new();
    let tasks = Arc::new(tasks::Tasks::new());
    let _abort_on_drop = tasks::AbortOnDrop(Arc::clone(&tasks));
    let heartbeat = Arc::new(AtomicU64::new(0));
    let daemon = &config.config.daemon;
    let watchdog = lifecycle::watchdog_interval();
    let mut rescan = scaled(&config, daemon.rescan_interval_secs);
    if let Some(interval) = watchdog {
        rescan = rescan.min(interval / 4);
    }

    let recovered: VecDeque<_> = store.io(|dir| dir.list_active()).await?.into();
    store
        .remove_stale_checkpoints(recovered.iter().map(|a| a.job.job_id).collect())
        .await;
    if !recovered.is_empty() {
        tracing::info!(
            jobs = recovered.len(),
            "resuming jobs left in queue/active/"
        );
    }
    status::write_once(&shared).await;

    tasks.spawn(status::run(
        Arc::clone(&shared),
        scaled(&config, daemon.status_interval_secs),
        Duration::from_millis(50),
        stop.clone(),
    ));
    tasks.spawn(inventory::run(
        Arc::clone(&shared),
        Arc::clone(&api),
        scaled(&config, daemon.inventory_interval_secs),
        stop.clone(),
    ));
    tasks.spawn(
        scheduler::Scheduler {
            shared: Arc::clone(&shared),
            api: Arc::clone(&api),
            tasks: Arc::clone(&tasks),
            stop: stop.clone(),
            recovered,
            rescan,
            heartbeat: Arc::clone(&heartbeat),
            index: panos_queue::PendingIndex::default(),
            arrived: Vec::new(),
            waiting: None,
        }
        .run(),
    );
    tasks.spawn(
        commands::CommandLoop {
            shared: Arc::clone(&shared),
            api: Arc::clone(&api),
            tasks: Arc::clone(&tasks),
            stop: stop.clone(),
            rescan,
        }
        .run(),
    );
    if let Some(hup) = lifecycle::listen_sighup() {
        tasks.spawn(lifecycle::reload_on_sighup(
            hup,
            Arc::clone(&shared),
            config.state_dir.clone(),
            config.config_file.clone(),
            config.config.clone(),
            stop.clone(),
        ));
    }
    if let Some(interval) = watchdog {
        tasks.spawn(lifecycle::watchdog(
            interval,
            Arc::clone(&heartbeat),
            stop.clone(),
        ));
    }
    shared.set_state(DaemonState::Running);
    notify(&[NotifyState::Ready, NotifyState::Status("running")]);
    tracing::info!(workers = config.config.workers.max, "panosd running");

    shutdown.cancelled().await;

    tracing::info!("stopping: no new jobs; running jobs stop at their next recorded point");
    shared.set_state(DaemonState::Stopping);
    notify(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
    stop.cancel();
    let grace = scaled(&config, daemon.shutdown_grace_secs);
    if !tasks.wait(grace).await {
        tracing::warn!(
            grace_secs = grace.as_secs_f64(),
            "some tasks did not stop within the grace period; aborting them (their jobs resume from their last checkpoint)"
        );
        tasks.abort_all();
    }
    status::write_once(&shared).await;
    tracing::info!("panosd stopped");
    lock.release();
    Ok(())
}
