//! The `validate` and `collect_metrics` commands: read a device through Panorama (read-only),
//! build a readiness report or a metrics snapshot with panos-validation, write it as a
//! validation record in `validation/pre_flight/`, and return it as the command's payload.

use chrono::Utc;
use panos_client::model::{ManagedDevice, RoutingEngine};
use panos_client::{PanosApi, Serial, SoftwareVersion};
use panos_queue::{Phase, SchemaVersion, ValidationRecord};
use panos_validation::{ReadinessInput, Snapshot, readiness};

use super::convert::queue_version;
use super::shared::Shared;

fn client_serial(serial: &panos_queue::Serial) -> Result<Serial, String> {
    serial
        .as_str()
        .parse()
        .map_err(|e| format!("serial {serial}: {e}"))
}

async fn snapshot<A: PanosApi>(api: &A, serial: &Serial) -> Result<Snapshot, String> {
    let info = api.system_info(serial).await;
    if let Err(err) = &info {
        return Err(format!("cannot read {serial}: {err}"));
    }
    let engine = match &info {
        Ok(info) if info.advanced_routing == Some(true) => RoutingEngine::Advanced,
        _ => RoutingEngine::Legacy,
    };
    Ok(Snapshot::builder(serial.clone(), Utc::now())
        .sessions(api.session_info(serial).await)
        .routes(api.routes(serial, engine).await)
        .arp(api.arp(serial).await)
        .disk(api.disk_space(serial).await)
        .ha(api.ha_state(serial).await)
        .system_info(info)
        .build())
}

async fn write_record(
    shared: &Shared,
    serial: &panos_queue::Serial,
    snapshot: &Snapshot,
    report: Option<serde_json::Value>,
) {
    let record = ValidationRecord {
        schema_version: SchemaVersion,
        serial: serial.clone(),
        phase: Phase::PreFlight,
        job_id: None,
        hop: None,
        taken_at: Utc::now(),
        snapshot: serde_json::to_value(snapshot).unwrap_or_default(),
        report,
    };
    if let Err(err) = shared
        .store
        .io(move |dir| dir.write_validation_record(&record))
        .await
    {
        tracing::error!(%err, "cannot write the validation record");
    }
}

/// `collect_metrics`: a snapshot of the device.
///
/// # Errors
/// Why the device could not be read.
pub async fn collect<A: PanosApi>(
    shared: &Shared,
    api: &A,
    serial: &panos_queue::Serial,
) -> Result<serde_json::Value, String> {
    let client = client_serial(serial)?;
    let snapshot = snapshot(api, &client).await?;
    write_record(shared, serial, &snapshot, None).await;
    serde_json::to_value(&snapshot).map_err(|e| e.to_string())
}

/// `validate`: the readiness checks of the device against its next hop (from
/// `upgrade_paths.json`; its own version when it has no path).
///
/// # Errors
/// Why the device could not be read.
pub async fn validate<A: PanosApi>(
    shared: &Shared,
    api: &A,
    serial: &panos_queue::Serial,
) -> Result<serde_json::Value, String> {
    let client = client_serial(serial)?;
    let info = api
        .system_info(&client)
        .await
        .map_err(|e| format!("cannot read {serial}: {e}"))?;
    let live = shared.live();
    let target: SoftwareVersion = live
        .paths
        .path_for(&info.sw_version)
        .and_then(|p| p.hops.first().cloned())
        .unwrap_or_else(|| info.sw_version.clone());
    let mut input = ReadinessInput::new(client.clone(), target.clone());
    input.current_version = Some(info.sw_version.clone());
    input.managed = Some(ManagedDevice {
        serial: client.clone(),
        hostname: Some(info.hostname.clone()),
        ip_address: info.ip_address.clone(),
        model: Some(info.model.clone()),
        family: info.family.clone(),
        sw_version: Some(info.sw_version.clone()),
        app_version: info.app_version.clone(),
        connected: true,
        ha: None,
    });
    input.catalog = api.software_info(&client).await.ok();
    input.disk = api.disk_space(&client).await.ok();
    input.jobs = api.jobs_all(&client).await.ok();
    input.chassis_ready = api.chassis_ready(&client).await.ok();
    input.ha_local = api.ha_state(&client).await.ok();
    let report = readiness::check(&input, &live.engine.validation.readiness);
    let value = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    let snapshot = snapshot(api, &client).await?;
    write_record(shared, serial, &snapshot, Some(value.clone())).await;
    tracing::info!(serial = %serial, target = ?queue_version(&target).map(|v| v.to_string()), "readiness checked");
    Ok(value)
}
