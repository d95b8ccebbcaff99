//! HA pair upgrades, one job for both members and never both in a disruptive step at once.
//!
//! Per hop: read both members' HA state and fix the roles (the passive member goes first; the
//! roles are recorded so a resumed job does not re-derive them from a pair in mid-change);
//! readiness checks and snapshots on both; images downloaded on both at once; then the first member
//! is upgraded (suspended first when configured), returned to functional, and must be back in
//! a settled pair (one active, one passive, configuration synchronized) before the second
//! member is touched. With `failover`, the second (active) member is suspended so the
//! upgraded peer takes over gracefully; it is then upgraded and returned to functional. A
//! failure on the first member ends the job: the second is not touched.

use panos_client::model::{ConfigSync, HaStatus};
use panos_client::{PanosApi, Serial};

use crate::engine::{
    Prepared, device_index, expected_secs, finish_early, keep_prepared, outcome_from_stop,
    read_and_plan, verify_on_target,
};
use crate::error::UpgradeFailure;
use crate::event::{Action, DeviceState, HaCheckpoint, HaPhase, ProgressSink, Step};
use crate::ha_state::local_state;
use crate::job::{DeviceOutcome, DeviceReport};
use crate::path::UpgradePaths;
use crate::run::{Run, Stop};

/// Whether a member's HA view shows a settled pair: HA on, one active and one passive, peer
/// connected, configuration synchronized.
pub fn pair_settled(status: &HaStatus) -> bool {
    let (Some(local), Some(peer)) = (&status.local, &status.peer) else {
        return false;
    };
    let functional = |s: &panos_client::model::HaState| s.is_active() || s.is_passive();
    status.enabled
        && functional(&local.state)
        && functional(&peer.state)
        && local.state.is_active() != peer.state.is_active()
        && peer.conn_status.as_deref() != Some("down")
        && status.running_sync == Some(ConfigSync::Synchronized)
}

fn new_report(serial: &Serial) -> DeviceReport {
    DeviceReport {
        serial: serial.clone(),
        hostname: None,
        from_version: None,
        to_version: None,
        path: Vec::new(),
        outcome: DeviceOutcome::Upgraded,
        warnings: Vec::new(),
    }
}

/// Runs an HA pair job; returns both members' reports (in the order `a`, `b`).
pub(crate) async fn run_pair<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    paths: &UpgradePaths,
    a: &Serial,
    b: &Serial,
) -> Vec<DeviceReport> {
    let (ia, _) = device_index(run, a);
    let (ib, _) = device_index(run, b);
    let mut reports = vec![new_report(a), new_report(b)];
    for (r, i) in reports.iter_mut().zip([ia, ib]) {
        r.from_version = run.cp.devices[i].from_version.clone();
        r.path = run.cp.devices[i].path.clone();
    }

    if run.cp.ha.is_none() {
        match start_pair(run, paths, [ia, ib], &mut reports).await {
            Ok(true) => {}
            Ok(false) => return reports, // ended early (skipped, already on target, dry run)
            Err(stop) => return fail_both(run, [ia, ib], reports, 0, stop).await,
        }
    }

    let result = upgrade_pair_hops(run, [ia, ib], &mut reports).await;
    match result {
        Ok(()) => {
            for (k, i) in [ia, ib].into_iter().enumerate() {
                let serial = run.serial(i);
                let info = run
                    .read(i, Step::Done, "read the device's system info", || {
                        run.api.system_info(&serial)
                    })
                    .await;
                if let Ok(info) = info {
                    reports[k].hostname = Some(info.hostname.clone());
                    reports[k].to_version = Some(info.sw_version.clone());
                }
                if let Err(failure) = verify_on_target(run, i, reports[k].to_version.as_ref()) {
                    let report = std::mem::replace(&mut reports[k], new_report(&run.serial(i)));
                    reports[k] =
                        finish_early(run, i, report, None, DeviceOutcome::Failed { failure }).await;
                    continue;
                }
                run.dev(i).step = Step::Done;
                run.save().await;
                let version = reports[k].to_version.clone();
                let message = version
                    .as_ref()
                    .map(|v| format!("upgraded to {v}"))
                    .unwrap_or_else(|| "upgraded".to_owned());
                run.report_state(i, DeviceState::Done, version, message)
                    .await;
            }
            reports
        }
        Err((failed_member, stop)) => fail_both(run, [ia, ib], reports, failed_member, stop).await,
    }
}

/// Reads both members and decides the pair's path. `Ok(false)` when the job ends here.
async fn start_pair<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    paths: &UpgradePaths,
    members: [usize; 2],
    reports: &mut [DeviceReport],
) -> Result<bool, Stop> {
    let mut prepared: Vec<Option<Prepared>> = Vec::new();
    let mut ended: Vec<Option<DeviceOutcome>> = Vec::new();
    for &i in &members {
        run.enter(i, Step::Preflight, "reading the device").await;
    }
    // Both members are read at once.
    let (a, b) = tokio::join!(
        read_and_plan(run, members[0], paths),
        read_and_plan(run, members[1], paths)
    );
    for ((k, &i), mut read) in members.iter().enumerate().zip([a, b]) {
        keep_prepared(run, i, &mut read);
        match read {
            Ok(p) => {
                reports[k].hostname = Some(p.info.hostname.clone());
                reports[k].from_version = Some(p.info.sw_version.clone());
                prepared.push(Some(p));
                ended.push(None);
            }
            Err((info, outcome)) => {
                if let Some(info) = &info {
                    reports[k].hostname = Some(info.hostname.clone());
                    reports[k].from_version = Some(info.sw_version.clone());
                    reports[k].to_version = Some(info.sw_version.clone());
                }
                prepared.push(None);
                ended.push(Some(outcome));
            }
        }
    }
    // A member that cannot be upgraded for a reason other than "already there" ends the pair.
    let blocking = ended.iter().position(|o| {
        o.as_ref()
            .is_some_and(|o| !matches!(o, DeviceOutcome::AlreadyOnTarget))
    });
    if let Some(k) = blocking {
        let outcome = ended[k].clone().unwrap_or(DeviceOutcome::Upgraded);
        let other = 1 - k;
        let peer = run.serial(members[k]);
        let other_outcome = match &ended[other] {
            Some(o) => o.clone(),
            None => DeviceOutcome::Skipped {
                reason: format!(
                    "not touched: its HA peer {peer} cannot be upgraded ({})",
                    outcome.label()
                ),
            },
        };
        for (kk, o) in [(k, outcome), (other, other_outcome)] {
            let report = std::mem::replace(&mut reports[kk], new_report(&run.serial(members[kk])));
            reports[kk] = finish_early(run, members[kk], report, None, o).await;
        }
        return Ok(false);
    }
    // The pair's path: that of the member furthest behind.
    let Some(lead) = prepared
        .iter()
        .enumerate()
        .filter_map(|(k, p)| p.as_ref().map(|p| (k, p)))
        .min_by(|x, y| x.1.info.sw_version.cmp(&y.1.info.sw_version))
        .map(|(k, _)| k)
    else {
        for (k, &i) in members.iter().enumerate() {
            let report = std::mem::replace(&mut reports[k], new_report(&run.serial(i)));
            reports[k] = finish_early(run, i, report, None, DeviceOutcome::AlreadyOnTarget).await;
        }
        return Ok(false);
    };
    let lead_prepared = prepared[lead]
        .as_ref()
        .map(|p| (p.path.clone(), p.plans.clone()));
    let Some((path, plans)) = lead_prepared else {
        return Ok(false);
    };
    for (k, &i) in members.iter().enumerate() {
        let from = reports[k].from_version.clone();
        reports[k].path = path.hops.clone();
        let dev = run.dev(i);
        dev.from_version = from;
        dev.path = path.hops.clone();
    }
    if run.job.dry_run {
        for (k, &i) in members.iter().enumerate() {
            let plan = match run.hop_plan(i).await {
                Ok(plan) => plan,
                Err(_) => plans[0].clone(),
            };
            let outcome = match run.preflight(i, &plan, Some(members[1 - k])).await {
                Ok(warnings) => {
                    reports[k].warnings.extend(warnings);
                    DeviceOutcome::Planned {
                        hops: plans.clone(),
                        expected_secs: expected_secs(run.timing, &plans),
                    }
                }
                Err(stop) => outcome_from_stop(stop),
            };
            let message = format!("dry run: would upgrade the pair along {path}; nothing was sent");
            let state = if matches!(outcome, DeviceOutcome::Planned { .. }) {
                DeviceState::Done
            } else {
                DeviceState::Failed
            };
            run.report_state(i, state, reports[k].from_version.clone(), message)
                .await;
            reports[k].to_version = reports[k].from_version.clone();
            reports[k].outcome = outcome;
        }
        return Ok(false);
    }
    run.cp.ha = Some(HaCheckpoint {
        hop_index: 0,
        first: run.serial(members[0]),
        second: run.serial(members[1]),
        phase: HaPhase::Download,
    });
    run.save().await;
    Ok(true)
}

/// Every hop of the pair. `Err((k, stop))`: member `k` (0 or 1 in `members`) stopped.
async fn upgrade_pair_hops<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    members: [usize; 2],
    reports: &mut [DeviceReport],
) -> Result<(), (usize, Stop)> {
    let member_k = |run: &Run<'_, A, S>, serial: &Serial| {
        members
            .iter()
            .position(|&i| &run.cp.devices[i].serial == serial)
            .unwrap_or(0)
    };
    loop {
        let Some(ha) = run.cp.ha.clone() else {
            return Ok(());
        };
        let total = run.cp.devices[members[0]].path.len();
        if ha.hop_index >= total {
            return Ok(());
        }
        let fk = member_k(run, &ha.first);
        let sk = member_k(run, &ha.second);
        let (first, second) = (members[fk], members[sk]);
        match ha.phase {
            HaPhase::Download => {
                let (fk, sk) = decide_roles(run, members).await.map_err(|s| (0, s))?;
                let (first, second) = (members[fk], members[sk]);
                let mut downloads = Vec::with_capacity(2);
                for (k, i, peer) in [(fk, first, second), (sk, second, first)] {
                    if let Some(info) = run.already_on_hop(i).await.map_err(|s| (k, s))? {
                        // Ahead of the pair (a previous job stopped half-way): nothing to do
                        // on this member for this hop.
                        let _ = info;
                        run.dev(i).step = Step::Done;
                        continue;
                    }
                    let plan = run.hop_plan(i).await.map_err(|s| (k, s))?;
                    let warnings = run
                        .preflight(i, &plan, Some(peer))
                        .await
                        .map_err(|s| (k, s))?;
                    reports[k].warnings.extend(warnings);
                    downloads.push((k, i, plan));
                }
                // Both members download at once (a download changes nothing the device
                // runs); each is then waited for, the first member's first.
                for (k, i, plan) in &downloads {
                    run.start_download(*i, plan).await.map_err(|s| (*k, s))?;
                }
                for (k, i, plan) in &downloads {
                    run.download_hop(*i, plan).await.map_err(|s| (*k, s))?;
                }
                set_phase(run, HaPhase::First).await;
            }
            HaPhase::First => {
                upgrade_member(
                    run,
                    first,
                    run.job.options.suspend_passive_first,
                    &mut reports[fk].warnings,
                )
                .await
                .map_err(|s| (fk, s))?;
                set_phase(run, HaPhase::Failover).await;
            }
            HaPhase::Failover => {
                if run.job.options.failover && run.cp.devices[second].step != Step::Done {
                    run.check_cancel(second)
                        .map_err(|s| (sk, mixed_versions(run, first, second, s)))?;
                    // Progress only: the member's own step stays where its upgrade resumes.
                    run.progress(second, 0, "suspending so the upgraded peer takes over")
                        .await;
                    run.ha_request(second, Action::Suspend)
                        .await
                        .map_err(|s| (sk, s))?;
                    run.wait_ha(
                        first,
                        Step::Failover,
                        "the failover to the upgraded member",
                        |s| local_state(s).is_some_and(|st| st.is_active()),
                    )
                    .await
                    .map_err(|s| (sk, s))?;
                }
                set_phase(run, HaPhase::Second).await;
            }
            HaPhase::Second => {
                run.check_cancel(second)
                    .map_err(|s| (sk, mixed_versions(run, first, second, s)))?;
                upgrade_member(run, second, false, &mut reports[sk].warnings)
                    .await
                    .map_err(|s| (sk, s))?;
                set_phase(run, HaPhase::HopDone).await;
            }
            HaPhase::HopDone => {
                for &i in &members {
                    run.dev(i).next_hop();
                }
                if let Some(ha) = run.cp.ha.as_mut() {
                    ha.hop_index += 1;
                    ha.phase = HaPhase::Download;
                }
                run.save().await;
            }
        }
    }
}

async fn set_phase<A: PanosApi, S: ProgressSink>(run: &mut Run<'_, A, S>, phase: HaPhase) {
    if let Some(ha) = run.cp.ha.as_mut() {
        ha.phase = phase;
    }
    run.save().await;
}

/// Reads both members' HA state and records which goes first (the passive one).
async fn decide_roles<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    members: [usize; 2],
) -> Result<(usize, usize), Stop> {
    let read = |i: usize| {
        let serial = run.serial(i);
        let run = &*run;
        async move {
            run.read(i, Step::Preflight, "read the HA state", || {
                run.api.ha_state(&serial)
            })
            .await
        }
    };
    // Both at once.
    let (a, b) = tokio::join!(read(members[0]), read(members[1]));
    let states = [a?, b?];
    let describe = |s: &HaStatus| {
        local_state(s)
            .map(|st| format!("{st:?}"))
            .unwrap_or_else(|| "HA disabled".to_owned())
    };
    let passive = states
        .iter()
        .position(|s| s.enabled && local_state(s).is_some_and(|st| st.is_passive()));
    let active = states
        .iter()
        .position(|s| s.enabled && local_state(s).is_some_and(|st| st.is_active()));
    let (fk, sk) = match (passive, active) {
        (Some(p), Some(a)) if p != a => (p, a),
        _ => {
            let serial = run.serial(members[0]);
            return Err(UpgradeFailure::new(
                &serial,
                run.hop(members[0]).as_ref(),
                Step::Preflight,
                format!(
                    "the pair is not one active and one passive member ({}: {}, {}: {})",
                    run.serial(members[0]),
                    describe(&states[0]),
                    run.serial(members[1]),
                    describe(&states[1])
                ),
                "bring the pair to a healthy active/passive state (both functional, HA \
                 links up), then resubmit",
            )
            .into());
        }
    };
    let (first, second) = (run.serial(members[fk]), run.serial(members[sk]));
    if let Some(ha) = run.cp.ha.as_mut() {
        ha.first = first;
        ha.second = second;
    }
    run.save().await;
    Ok((fk, sk))
}

/// Upgrades one member of the pair through its hop, then waits for the pair to settle.
async fn upgrade_member<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    i: usize,
    suspend_first: bool,
    warnings: &mut Vec<String>,
) -> Result<(), Stop> {
    if run.cp.devices[i].step == Step::Done {
        return Ok(());
    }
    if suspend_first && run.cp.devices[i].step <= Step::Install && !run.cp.devices[i].installed {
        run.check_cancel(i)?;
        run.enter(i, Step::Suspend, "suspending HA before the upgrade")
            .await;
        run.ha_request(i, Action::Suspend).await?;
    }
    if run.cp.devices[i].step < Step::Functional {
        run.install_and_reboot(i).await?;
    }
    if run.cp.devices[i].suspended_by_us {
        run.enter(i, Step::Functional, "returning to HA functional")
            .await;
        run.ha_request(i, Action::Functional).await?;
    }
    if run.cp.devices[i].step <= Step::HaSync {
        run.enter(
            i,
            Step::HaSync,
            "waiting for the pair to settle and synchronize",
        )
        .await;
        run.wait_ha(
            i,
            Step::HaSync,
            "the HA pair settling (one active, one passive, synchronized)",
            pair_settled,
        )
        .await?;
    }
    warnings.extend(run.postflight(i).await?);
    run.dev(i).step = Step::Done;
    run.save().await;
    Ok(())
}

fn mixed_versions<A: PanosApi, S: ProgressSink>(
    run: &Run<'_, A, S>,
    first: usize,
    second: usize,
    stop: Stop,
) -> Stop {
    match stop {
        Stop::Cancelled { .. } if run.cp.devices[first].step == Step::Done => Stop::Cancelled {
            manual_action: Some(format!(
                "cancelled between the members: {} is upgraded, {} is not, so the pair runs \
                 different versions. Resubmit the job to upgrade {} as well",
                run.serial(first),
                run.serial(second),
                run.serial(second)
            )),
        },
        other => other,
    }
}

/// Ends the pair after member `k` stopped: its report carries the stop; the other member's
/// says whether it was touched.
async fn fail_both<A: PanosApi, S: ProgressSink>(
    run: &mut Run<'_, A, S>,
    members: [usize; 2],
    mut reports: Vec<DeviceReport>,
    k: usize,
    stop: Stop,
) -> Vec<DeviceReport> {
    let outcome = outcome_from_stop(stop);
    let failed_serial = run.serial(members[k]);
    let other = 1 - k;
    let other_i = members[other];
    let other_outcome = if run.cp.devices[other_i].step == Step::Done {
        DeviceOutcome::Upgraded
    } else if matches!(outcome, DeviceOutcome::Cancelled { .. }) {
        DeviceOutcome::Cancelled {
            manual_action: None,
        }
    } else {
        DeviceOutcome::Skipped {
            reason: format!(
                "not touched in this hop: the upgrade of its HA peer {failed_serial} stopped ({})",
                outcome.label()
            ),
        }
    };
    for (kk, o) in [(k, outcome), (other, other_outcome)] {
        let i = members[kk];
        let serial = run.serial(i);
        let info = run.api.system_info(&serial).await.ok();
        let report = std::mem::replace(&mut reports[kk], new_report(&serial));
        reports[kk] = finish_early(run, i, report, info, o).await;
    }
    reports
}

#[cfg(test)]
mod tests {
    use panos_client::model::{HaMemberInfo, HaState};

    use super::*;

    fn member(state: HaState, conn: Option<&str>) -> HaMemberInfo {
        HaMemberInfo {
            state,
            priority: None,
            preemptive: None,
            build_rel: None,
            mgmt_ip: None,
            state_duration_secs: None,
            conn_status: conn.map(str::to_owned),
            last_error_reason: None,
        }
    }

    fn status(local: HaState, peer: HaState, sync: ConfigSync) -> HaStatus {
        HaStatus {
            enabled: true,
            mode: Some("Active-Passive".into()),
            local: Some(member(local, None)),
            peer: Some(member(peer, Some("up"))),
            running_sync: Some(sync),
            running_sync_enabled: Some(true),
        }
    }

    #[test]
    fn settled_needs_one_active_one_passive_and_sync() {
        assert!(pair_settled(&status(
            HaState::Passive,
            HaState::Active,
            ConfigSync::Synchronized
        )));
        assert!(pair_settled(&status(
            HaState::Active,
            HaState::Passive,
            ConfigSync::Synchronized
        )));
        assert!(!pair_settled(&status(
            HaState::Passive,
            HaState::Active,
            ConfigSync::InProgress
        )));
        assert!(!pair_settled(&status(
            HaState::Suspended,
            HaState::Active,
            ConfigSync::Synchronized
        )));
        assert!(!pair_settled(&status(
            HaState::Active,
            HaState::Active,
            ConfigSync::Synchronized
        )));
        let mut down = status(HaState::Passive, HaState::Active, ConfigSync::Synchronized);
        if let Some(peer) = down.peer.as_mut() {
            peer.conn_status = Some("down".into());
        }
        assert!(!pair_settled(&down));
    }
}
