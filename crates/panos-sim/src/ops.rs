//! What each operational command does to the world and what it answers: the firewall commands
//! (answered through Panorama with `target=`) and Panorama's own commands (no `target`).

use crate::command::{Command, Op};
use crate::faults::Fault;
use crate::fleet::secs;
use crate::ha;
use crate::jobs::{self, Job, JobKind, JobPlan};
use crate::model::Reboot;
use crate::record::ResponseKind;
use crate::render;
use crate::world::World;

/// A rendered answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: String,
    /// How it is recorded.
    pub kind: ResponseKind,
    /// A job id to record (created or shown).
    pub job_id: Option<u32>,
}

impl Reply {
    /// A 200 success.
    pub fn ok(body: String) -> Reply {
        Reply {
            status: 200,
            body,
            kind: ResponseKind::Ok,
            job_id: None,
        }
    }

    /// A 200 API error with an optional code.
    pub fn error(body: String, code: Option<u16>) -> Reply {
        Reply {
            status: 200,
            body,
            kind: ResponseKind::Error { code },
            job_id: None,
        }
    }

    fn with_job(mut self, id: u32) -> Reply {
        self.job_id = Some(id);
        self
    }
}

/// `<serial> not connected`.
pub fn not_connected(serial: &str) -> Reply {
    Reply {
        status: 200,
        body: render::error_line(&format!("{serial} not connected")),
        kind: ResponseKind::NotConnected,
        job_id: None,
    }
}

/// Runs `cmd` on firewall `idx` (already advanced to now and known to be connected).
pub fn firewall(world: &mut World, idx: usize, cmd: &Command) -> Reply {
    let now = world.now();
    let fw = &world.devices[idx];
    match cmd {
        Command::SystemInfo => Reply::ok(render::system::firewall_info(fw, now)),
        Command::HaState => {
            let peer = world
                .peer_of(idx)
                .map(|p| &world.devices[p])
                .filter(|p| p.connected(now));
            let sync = world.running_sync(idx).unwrap_or("not synchronized");
            Reply::ok(render::ha::firewall(fw, peer, sync, now))
        }
        Command::SoftwareCheck => {
            let fw = &mut world.devices[idx];
            if fw
                .faults
                .take(Op::SoftwareCheck, |f| {
                    matches!(f, Fault::UpdateServerUnreachable)
                })
                .is_some()
            {
                return Reply::error(render::software::check_unreachable(), None);
            }
            software_list(world, idx)
        }
        Command::SoftwareInfo => software_list(world, idx),
        Command::SoftwareDownload {
            version,
            sync_to_peer,
        } => {
            let reply = download(world, idx, version);
            let peer = world
                .peer_of(idx)
                .filter(|p| world.devices[*p].connected(now));
            if let Some(p) = peer.filter(|_| *sync_to_peer && reply.job_id.is_some()) {
                let _ = download(world, p, version);
            }
            reply
        }
        Command::SoftwareInstall { version } => install(world, idx, version),
        Command::ShowJob { id } => match id
            .parse::<u32>()
            .ok()
            .and_then(|n| fw.jobs.iter().find(|j| j.id == n))
        {
            Some(job) => Reply::ok(render::jobs::show_job(job, now)).with_job(job.id),
            None => Reply::error(render::jobs::not_found(id), None),
        },
        Command::ShowJobsAll => Reply::ok(render::jobs::show_all(fw.jobs.iter(), now)),
        Command::Restart => restart(world, idx),
        Command::ChassisReady => {
            Reply::ok(render::system::chassis_ready(now >= fw.chassis_ready_at))
        }
        Command::HaSuspend | Command::HaFunctional => ha_change(world, idx, cmd),
        Command::SessionInfo => Reply::ok(render::system::session_info(
            fw.platform.max_sessions,
            fw.sessions,
            fw.table_seed,
        )),
        Command::RoutingRoute if fw.advanced_routing => unexpected("show -> routing"),
        Command::RoutingRoute => Reply::ok(render::tables::legacy_routes(fw.table_seed, fw.routes)),
        Command::AdvancedRoutingRoute if !fw.advanced_routing => {
            unexpected("show -> advanced-routing")
        }
        Command::AdvancedRoutingRoute => {
            Reply::ok(render::tables::advanced_routes(fw.table_seed, fw.routes))
        }
        Command::Arp => Reply::ok(render::tables::arp(
            fw.table_seed,
            fw.arp,
            fw.platform.max_arp,
        )),
        Command::DiskSpace => Reply::ok(render::system::disk_space(
            fw.platform.panrepo_gb,
            fw.free_disk_mb,
        )),
        Command::DevicesAll | Command::DevicesConnected => unexpected("show -> devices"),
    }
}

/// Runs `cmd` on Panorama itself.
pub fn panorama(world: &mut World, cmd: &Command) -> Reply {
    let now = world.now();
    match cmd {
        Command::SystemInfo => Reply::ok(render::system::panorama_info(
            &world.panorama,
            world.devices.len(),
            now,
        )),
        Command::HaState => match &world.panorama.spec.ha {
            Some(ha) => Reply::ok(render::ha::panorama(
                ha,
                &world.panorama.spec.sw_version,
                &world.panorama.spec.ip_address,
            )),
            None => Reply::ok(render::ha::disabled()),
        },
        Command::DevicesAll | Command::DevicesConnected => {
            world.advance_all();
            let only = matches!(cmd, Command::DevicesConnected);
            Reply::ok(render::devices::show_devices(
                world.devices.iter(),
                now,
                only,
            ))
        }
        Command::SoftwareCheck | Command::SoftwareInfo => {
            let current = world.panorama.spec.sw_version.clone();
            Reply::ok(render::software::sw_updates(
                &world.catalog,
                "Panorama_pc",
                &current,
                std::slice::from_ref(&current),
                now,
            ))
        }
        Command::ShowJobsAll => Reply::ok(render::success("")),
        Command::ShowJob { id } => Reply::error(render::jobs::not_found(id), None),
        Command::ChassisReady => Reply::ok(render::system::chassis_ready(true)),
        Command::DiskSpace => Reply::ok(render::system::disk_space(100, 61_000)),
        Command::Restart
        | Command::SoftwareDownload { .. }
        | Command::SoftwareInstall { .. }
        | Command::HaSuspend
        | Command::HaFunctional => Reply::error(
            render::error_code_line(
                15,
                "Operation denied: the simulated Panorama only manages its firewalls",
            ),
            Some(15),
        ),
        Command::SessionInfo => unexpected("show -> session"),
        Command::RoutingRoute => unexpected("show -> routing"),
        Command::AdvancedRoutingRoute => unexpected("show -> advanced-routing"),
        Command::Arp => unexpected("show -> arp"),
    }
}

fn unexpected(path: &str) -> Reply {
    Reply::error(render::unexpected(path), Some(17))
}

fn software_list(world: &World, idx: usize) -> Reply {
    let fw = &world.devices[idx];
    Reply::ok(render::software::sw_updates(
        &world.catalog,
        fw.platform.image_prefix,
        &fw.sw_version,
        &fw.downloaded,
        world.now(),
    ))
}

fn download(world: &mut World, idx: usize, version: &str) -> Reply {
    let now = world.now();
    let Some(entry) = world.catalog.get(version).cloned() else {
        return Reply::error(
            render::error_line(&format!(
                "Software version {version} is not available. Run 'request system software check' to refresh the list."
            )),
            None,
        );
    };
    let duration = secs(world.timings.download_secs);
    let fail_after = secs(world.timings.busy_fail_secs);
    let fw = &mut world.devices[idx];
    if fw.running_job(JobKind::Download, now).is_some() {
        return Reply::error(render::error_line("Another download is in progress"), None);
    }
    let filename = format!("{}-{version}", fw.platform.image_prefix);
    let size = u64::from(entry.size_mb);
    let already = fw.has_image(version);
    let (plan, reserved) = if !already && fw.free_disk_mb < size {
        (
            JobPlan::Fail {
                after: fail_after,
                lines: jobs::disk_full_lines(&filename, size, fw.free_disk_mb),
            },
            0,
        )
    } else {
        let reserved = if already { 0 } else { size };
        let fault = fw.faults.take(Op::SoftwareDownload, |f| {
            matches!(f, Fault::JobFail | Fault::DownloadStall { .. })
        });
        let plan = match fault {
            Some(Fault::JobFail) => JobPlan::Fail {
                after: duration / 2,
                lines: jobs::download_fail_lines(&filename),
            },
            Some(Fault::DownloadStall { at_percent }) => JobPlan::Stall { at_percent },
            _ => JobPlan::Succeed,
        };
        (plan, reserved)
    };
    fw.free_disk_mb -= reserved;
    let id = fw.take_job_id();
    fw.push_job(Job {
        id,
        kind: JobKind::Download,
        version: version.to_string(),
        enqueued: now,
        duration,
        plan,
        applied: false,
        reserved_mb: reserved,
    });
    Reply::ok(render::enqueued(
        &format!("Download job enqueued with jobid {id}"),
        id,
    ))
    .with_job(id)
}

fn install(world: &mut World, idx: usize, version: &str) -> Reply {
    let now = world.now();
    let base = world.catalog.base_image_of(version);
    let duration = secs(world.timings.install_secs);
    let busy_after = secs(world.timings.busy_fail_secs);
    let fw = &mut world.devices[idx];
    if world.catalog.get(version).is_none() || !fw.has_image(version) {
        return Reply::error(
            render::error_line(&format!(
                "Failed to install {version}: software image {version} is not downloaded."
            )),
            None,
        );
    }
    let feature = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    let new_feature = feature(version) != feature(&fw.sw_version);
    if let Some(base) = base.filter(|b| new_feature && b != version && !fw.has_image(b)) {
        return Reply::error(
            render::error_line(&format!(
                "Failed to install {version}: the base image {base} must be downloaded before installing {version}."
            )),
            None,
        );
    }
    let busy = fw.running_job(JobKind::Install, now).is_some()
        || fw
            .faults
            .take(Op::SoftwareInstall, |f| {
                matches!(f, Fault::SoftwareManagerBusy)
            })
            .is_some();
    let plan = if busy {
        JobPlan::Fail {
            after: busy_after,
            lines: jobs::busy_lines(version),
        }
    } else if fw
        .faults
        .take(Op::SoftwareInstall, |f| matches!(f, Fault::JobFail))
        .is_some()
    {
        JobPlan::Fail {
            after: duration / 2,
            lines: jobs::install_fail_lines(version),
        }
    } else {
        JobPlan::Succeed
    };
    let id = fw.take_job_id();
    fw.push_job(Job {
        id,
        kind: JobKind::Install,
        version: version.to_string(),
        enqueued: now,
        duration,
        plan,
        applied: false,
        reserved_mb: 0,
    });
    let line = format!(
        "Software install job enqueued with jobid {id}. Run 'show jobs id {id}' to monitor its status. Please reboot the device after the installation is done."
    );
    Reply::ok(render::enqueued(&line, id)).with_job(id)
}

fn restart(world: &mut World, idx: usize) -> Reply {
    let now = world.now();
    let gone_at = now.after(secs(world.timings.shutdown_delay_secs));
    let reboot = secs(world.timings.reboot_secs);
    let fw = &mut world.devices[idx];
    let never = fw
        .faults
        .take(Op::Restart, |f| matches!(f, Fault::RebootNeverReturns))
        .is_some();
    let old = fw
        .faults
        .take(Op::Restart, |f| matches!(f, Fault::ReturnsOnOldVersion))
        .is_some();
    fw.reboot = Some(Reboot {
        gone_at,
        back_at: (!never).then(|| gone_at.after(reboot)),
        keep_old_version: old,
        went_down: false,
    });
    Reply::ok(render::text_result("Command succeeded with no output"))
}

fn ha_change(world: &mut World, idx: usize, cmd: &Command) -> Reply {
    let now = world.now();
    let sync = secs(world.timings.ha_sync_secs);
    let Some(p) = world.peer_of(idx) else {
        return Reply::error(render::error_line("HA is not enabled on this device"), None);
    };
    let peer_up = world.devices[p].connected(now);
    let (me, other) = world.pair_mut(idx, p);
    let (Some(a), Some(b)) = (me.ha.as_mut(), other.ha.as_mut()) else {
        return Reply::error(render::error_line("HA is not enabled on this device"), None);
    };
    let text = if matches!(cmd, Command::HaSuspend) {
        ha::suspend(a, b, peer_up, now);
        "Successfully changed HA state to suspended"
    } else {
        ha::functional(a, b, peer_up, now, sync);
        "Successfully changed HA state to functional"
    };
    Reply::ok(render::text_result_pretty(text))
}
