//! The restart of one device and the wait until it is back on the hop's version with the
//! chassis ready.
//!
//! A restart is the one changing command without a job to look up afterwards, so the device's
//! own behaviour is the evidence: it goes down (stops answering, or answers with a reset
//! uptime) or comes back on the new version. A restart that was not confirmed (its answer was
//! lost, or a resumed job recorded the intent but not the answer) is sent once more only when
//! the device shows it did not happen: still answering on its old version, uptime not reset,
//! past the go-away grace period. It is never sent a third time in one run.
//!
//! Cancellation is honoured only once the device is back: it is never left mid-reboot unwatched.

use panos_client::model::SystemInfo;
use panos_client::{PanosApi, SoftwareVersion};
use tokio::time::Instant;

use crate::error::UpgradeFailure;
use crate::event::{Action, Intent, ProgressSink, Step};
use crate::learned::{LearnedWait, Looks};
use crate::run::{Run, Stop};
use crate::steps::refused_for_now;
use crate::timing::WaitStop;

/// What is known of the restart while waiting for the device to go down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Restart {
    /// The device accepted it.
    Accepted,
    /// Sent (or maybe sent) without an answer: it may or may not have happened.
    Unconfirmed,
    /// Sent a second time, after the device showed the first had no effect; `answered` when
    /// the device accepted the second.
    Resent { answered: bool },
}

impl<A: PanosApi, S: ProgressSink> Run<'_, A, S> {
    /// Restarts device `i` and waits until it is back on the hop's version with the chassis
    /// ready.
    pub async fn restart_and_wait(&mut self, i: usize) -> Result<SystemInfo, Stop> {
        let serial = self.serial(i);
        let Some(version) = self.hop(i) else {
            return Err(UpgradeFailure::new(
                &serial,
                None,
                Step::Restart,
                "no hop to restart into",
                "report this as a bug",
            )
            .into());
        };
        let mut restart = Restart::Accepted;
        // When this run's restart was accepted: the start of a wait the model may have shown.
        let mut accepted_at = None;
        if !self.cp.devices[i].restart_sent {
            let resumed_intent = self.cp.devices[i]
                .intent
                .as_ref()
                .is_some_and(|t| t.action == Action::Restart);
            if resumed_intent {
                restart = Restart::Unconfirmed;
            } else {
                self.enter(i, Step::Restart, format!("restarting into {version}"))
                    .await;
                self.dev(i).intent = Some(Intent {
                    action: Action::Restart,
                    version: Some(version.clone()),
                    jobs_high_water: None,
                });
                self.dev(i).restart_at = Some(chrono::Utc::now());
                self.save().await;
                if self.send_restart(i, &version, false).await? {
                    accepted_at = Some(Instant::now());
                } else {
                    restart = Restart::Unconfirmed;
                }
            }
        }
        let looks = accepted_at.and_then(|at| self.looks(i, LearnedWait::Restart, at));
        let said = looks.as_ref().map_or("", |(_, said)| said.as_str());
        let message = format!("waiting for the device to come back on {version}{said}");
        self.enter(i, Step::WaitReboot, message).await;
        let info = self
            .wait_back_on(i, &version, restart, looks.map(|(looks, _)| looks))
            .await?;
        let back_at = Instant::now();
        if let Some(at) = accepted_at {
            self.learn(&info.model, LearnedWait::Restart, at);
        }
        self.models.insert(i, info.model.clone());
        let looks = self.looks(i, LearnedWait::ChassisReady, back_at);
        let said = looks.as_ref().map_or("", |(_, said)| said.as_str());
        self.enter(
            i,
            Step::WaitReady,
            format!("waiting for chassis ready{said}"),
        )
        .await;
        self.wait_chassis_ready(i, looks.map(|(looks, _)| looks))
            .await?;
        self.learn(&info.model, LearnedWait::ChassisReady, back_at);
        if self.cancel.is_cancelled() {
            return Err(Stop::Cancelled {
                manual_action: Some(format!(
                    "cancelled during the reboot; the device came back on {} and is ready",
                    info.sw_version
                )),
            });
        }
        Ok(info)
    }

    /// When to look at device `i` during a `wait` that began at `start`, if its model has
    /// shown the wait takes longer than the first poll interval; with the words that tell the
    /// operator why the device is left alone until then.
    fn looks(&self, i: usize, wait: LearnedWait, start: Instant) -> Option<(Looks, String)> {
        let model = self.models.get(&i)?;
        let secs = self.learned.shortest(model, wait)?;
        let looks = Looks::after(start, self.timing.scaled(secs));
        let first = looks.first().saturating_duration_since(start);
        if first < self.timing.scaled(self.timing.poll_initial_secs) {
            // Sooner than the first poll anyway (a device ready as soon as it answers): the
            // wait asks at once and polls as usual.
            return None;
        }
        let what = match wait {
            LearnedWait::Restart => "to come back",
            LearnedWait::ChassisReady => "to be ready",
        };
        tracing::debug!(
            model,
            ?wait,
            secs,
            "polls planned from the shortest wait seen"
        );
        // The scaled wait back in device seconds, as the operator reads them.
        let first_secs = first.as_secs_f64() * self.timing.scale_or_one();
        Some((
            looks,
            format!(
                " ({model} devices took {} at the shortest {what}; first look in {})",
                device_time(secs),
                device_time(first_secs)
            ),
        ))
    }

    /// Records what a `wait` begun at `start` took on a device of `model`.
    fn learn(&self, model: &str, wait: LearnedWait, start: Instant) {
        let secs = start.elapsed().as_secs_f64() * self.timing.scale_or_one();
        self.learned.record(model, wait, secs);
    }

    /// Sends the restart (the intent is already recorded). `Ok(true)`: accepted, recorded as
    /// sent. `Ok(false)`: no readable answer, so it may or may not have been applied; the
    /// intent stays, and the wait decides. `again`: a second send, said so in the audit.
    async fn send_restart(
        &mut self,
        i: usize,
        version: &SoftwareVersion,
        again: bool,
    ) -> Result<bool, Stop> {
        let serial = self.serial(i);
        let note = if again {
            " (sent again: the device showed the previous restart had no effect)"
        } else {
            ""
        };
        let mut refusals_left = self.timing.busy_retries;
        let result = loop {
            match self.api.restart(&serial).await {
                Err(error) if refused_for_now(&error) && refusals_left > 0 => {
                    // Certainly not applied (throttled, busy): wait and ask again.
                    refusals_left -= 1;
                    self.audit(i, Action::Restart, Some(version), None, error.to_string())
                        .await;
                    self.pause_busy(i).await?;
                }
                other => break other,
            }
        };
        match result {
            Ok(()) => {
                self.audit(
                    i,
                    Action::Restart,
                    Some(version),
                    None,
                    format!("accepted{note}"),
                )
                .await;
                self.dev(i).restart_sent = true;
                self.dev(i).intent = None;
                self.save().await;
                Ok(true)
            }
            Err(error) if error.may_have_been_applied() => {
                // The device may have dropped the connection as it went down, or never got
                // the command: keep the intent, so a resumed job reconciles it too.
                self.audit(
                    i,
                    Action::Restart,
                    Some(version),
                    None,
                    format!("{error}{note}"),
                )
                .await;
                Ok(false)
            }
            Err(error) => {
                self.audit(i, Action::Restart, Some(version), None, error.to_string())
                    .await;
                self.dev(i).intent = None;
                self.save().await;
                Err(self.client_failure(i, Step::Restart, "restart the device", &error))
            }
        }
    }

    /// Waits until device `i` answers on `version`, having seen it go down (or its version
    /// change). An unconfirmed `restart` is sent once more if the device shows, past the
    /// grace period, that it did not restart.
    async fn wait_back_on(
        &mut self,
        i: usize,
        version: &SoftwareVersion,
        mut restart: Restart,
        looks: Option<Looks>,
    ) -> Result<SystemInfo, Stop> {
        let serial = self.serial(i);
        let never = tokio_util::sync::CancellationToken::new();
        let mut poller = self.timing.poller(self.timing.reboot_timeout_secs);
        let mut go_away_by =
            Instant::now() + self.timing.scaled(self.timing.go_away_grace_secs as f64);
        // Whether the device restarted: it stopped answering (when its uptime cannot tell),
        // or its uptime went back.
        let mut restarted = false;
        // Errors since the last answer; an answer whose uptime carries on from the one before
        // them shows they were not a restart.
        let mut silent = false;
        let mut last_uptime: Option<u64> = None;
        let waiting = Instant::now();
        loop {
            // Cancellation is deliberately not honoured here: see restart_and_wait.
            let planned = looks.and_then(|looks| looks.next(Instant::now()));
            if let Err(stop) = poller.tick_planned(planned, &never).await {
                debug_assert_eq!(stop, WaitStop::TimedOut);
                return Err(UpgradeFailure::new(
                    &serial,
                    Some(version),
                    Step::WaitReboot,
                    format!(
                        "the device did not come back on {version} within {} minutes of the \
                         restart",
                        self.timing.reboot_timeout_secs / 60
                    ),
                    "check the device on its console: it may be stuck booting or in \
                     maintenance mode; once it is back, resubmit the job",
                )
                .into());
            }
            let info = match self.api.system_info(&serial).await {
                Err(error) => {
                    tracing::debug!(%serial, "rebooting: {error}");
                    silent = true;
                    continue;
                }
                Ok(info) => info,
            };
            let uptime = info.uptime.as_deref().and_then(uptime_secs);
            match (uptime, last_uptime) {
                (Some(now), Some(before)) => restarted |= now < before,
                // The first uptime seen: younger than the wait means it restarted since; an
                // error before it (a busy Panorama, a timeout) proves nothing by itself.
                (Some(now), None) => restarted |= (now as f64) <= self.since_restart(i, waiting),
                (None, _) => restarted |= silent,
            }
            silent = false;
            last_uptime = uptime.or(last_uptime);

            if &info.sw_version == version {
                if self.cp.devices[i].intent.is_some() || !self.cp.devices[i].restart_sent {
                    // Whichever send it was, the restart happened.
                    self.dev(i).restart_sent = true;
                    self.dev(i).intent = None;
                    self.save().await;
                }
                return Ok(info);
            }
            if restarted {
                return Err(UpgradeFailure::new(
                    &serial,
                    Some(version),
                    Step::WaitReboot,
                    format!(
                        "the device came back on {} instead of {version}",
                        info.sw_version
                    ),
                    "check the install on the device (show system software status, the \
                     system log); it runs its old version, so traffic is safe. Resubmit \
                     after fixing the cause",
                )
                .into());
            }
            if Instant::now() < go_away_by {
                continue;
            }
            // Past the grace period, still up on the old version, uptime not reset: the
            // restart did not happen.
            let still_on = &info.sw_version;
            let message = match restart {
                Restart::Unconfirmed => {
                    tracing::warn!(%serial, "the unconfirmed restart did not happen; sending it once more");
                    self.progress(
                        i,
                        0,
                        format!(
                            "the device did not restart (still on {still_on}, uptime not \
                             reset); sending the restart once more"
                        ),
                    )
                    .await;
                    let answered = self.send_restart(i, version, true).await?;
                    restart = Restart::Resent { answered };
                    go_away_by =
                        Instant::now() + self.timing.scaled(self.timing.go_away_grace_secs as f64);
                    continue;
                }
                Restart::Accepted => format!(
                    "the restart was accepted but the device never went down (still on \
                     {still_on})"
                ),
                Restart::Resent { answered: true } => format!(
                    "the first restart went unanswered and did not happen; the second was \
                     accepted, but the device never went down either (still on {still_on})"
                ),
                Restart::Resent { answered: false } => format!(
                    "the restart was sent twice, neither got an answer, and the device never \
                     went down (still on {still_on}): neither took effect"
                ),
            };
            let manual_action = match restart {
                Restart::Resent { answered: false } => {
                    "check that Panorama is reachable and the device connected to it \
                     (Panorama > Managed Devices); then restart the device by hand (request \
                     restart system), watch it come back, and resubmit"
                }
                _ => {
                    "restart the device by hand (request restart system) and watch it come \
                     back; then resubmit"
                }
            };
            return Err(UpgradeFailure::new(
                &serial,
                Some(version),
                Step::WaitReboot,
                message,
                manual_action,
            )
            .into());
        }
    }

    /// Device seconds since device `i`'s restart was first sent (as recorded in the
    /// checkpoint, so a resumed job counts the time no daemon watched), or at least since
    /// `waiting` began: real time multiplied by the time scale (1 in production), plus a
    /// second of slack for the device's clock.
    fn since_restart(&self, i: usize, waiting: Instant) -> f64 {
        let scale = self.timing.scale_or_one();
        let recorded = self.cp.devices[i]
            .restart_at
            .and_then(|at| (chrono::Utc::now() - at).to_std().ok())
            .unwrap_or_default();
        waiting.elapsed().max(recorded).as_secs_f64() * scale + 1.0
    }

    /// Waits for `show chassis-ready` to say yes: asked at once, or at the `looks` the model
    /// has shown, then every few seconds.
    async fn wait_chassis_ready(&mut self, i: usize, looks: Option<Looks>) -> Result<(), Stop> {
        let serial = self.serial(i);
        let never = tokio_util::sync::CancellationToken::new();
        let mut poller = self
            .timing
            .settle_poller(self.timing.chassis_ready_timeout_secs);
        let mut asked = false;
        loop {
            // The first question goes at once, unless the model has shown it takes a while.
            if asked || looks.is_some() {
                let planned = looks.and_then(|looks| looks.next(Instant::now()));
                if let Err(stop) = poller.tick_planned(planned, &never).await {
                    return Err(self.stop_from_wait(
                        i,
                        stop,
                        Step::WaitReady,
                        "chassis ready",
                        self.timing.chassis_ready_timeout_secs,
                        "the device answers but its data plane is not ready: check `show \
                         chassis-ready` and the system log on the device",
                    ));
                }
            }
            asked = true;
            if let Ok(true) = self.api.chassis_ready(&serial).await {
                return Ok(());
            }
        }
    }
}

/// Device seconds as an operator reads them: `45 s`, `8 min 5 s`, `1 h 2 min`.
fn device_time(secs: f64) -> String {
    let secs = secs.max(0.0).round() as u64;
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

/// Seconds of an uptime as `show system info` prints it (`12 days, 3:04:05`, or `3:04:05`).
fn uptime_secs(text: &str) -> Option<u64> {
    let text = text.trim();
    let (days, clock) = match text.split_once(',') {
        Some((days, clock)) => {
            let days = days.trim();
            let days = days
                .strip_suffix("days")
                .or_else(|| days.strip_suffix("day"))?;
            (days.trim().parse::<u64>().ok()?, clock.trim())
        }
        None => (0, text),
    };
    let mut parts = clock.split(':').map(|p| p.trim().parse::<u64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || m >= 60 || s >= 60 {
        return None;
    }
    Some(((days * 24 + h) * 60 + m) * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::{device_time, uptime_secs};

    #[test]
    fn device_times_read_like_a_clock() {
        assert_eq!(device_time(0.4), "0 s");
        assert_eq!(device_time(45.0), "45 s");
        assert_eq!(device_time(480.0), "8 min");
        assert_eq!(device_time(485.4), "8 min 5 s");
        assert_eq!(device_time(3720.0), "1 h 2 min");
        assert_eq!(device_time(-3.0), "0 s");
    }

    #[test]
    fn uptimes_as_devices_print_them() {
        assert_eq!(uptime_secs("0 days, 0:07:11"), Some(431));
        assert_eq!(
            uptime_secs("179 days, 5:07:34"),
            Some(((179 * 24 + 5) * 60 + 7) * 60 + 34)
        );
        assert_eq!(uptime_secs("1 day, 0:00:01"), Some(86_401));
        assert_eq!(uptime_secs("3:04:05"), Some(11_045));
    }

    #[test]
    fn anything_else_is_unknown() {
        for text in [
            "",
            "soon",
            "2 days",
            "1:2",
            "0 days, 0:61:00",
            "x days, 1:00:00",
        ] {
            assert_eq!(uptime_secs(text), None, "{text}");
        }
    }
}
