//! HA state changes of one pair member (suspend, functional) and the waits on HA state.
//!
//! A change is reconciled with the member's HA state: nothing is sent when the member is
//! already where it should be. When the answer to a change is lost, the state is read back
//! (after a short pause, so a change still on its way through Panorama lands first): if it
//! shows the change, the job carries on; if it shows the change did not happen, the command is
//! sent once more (safe: the state proves the first had no effect), never a third time. A
//! change that still fails says where the pair stands: which member runs which version, and
//! what state the member was left in.

use panos_client::model::{HaState, HaStatus};
use panos_client::{ClientError, PanosApi, SoftwareVersion};

use crate::error::UpgradeFailure;
use crate::event::{Action, Intent, ProgressSink, Step};
use crate::run::{Run, Stop};
use crate::steps::refused_for_now;

/// How many times one change may be sent in one call (the second only after the member's
/// state showed the first had no effect).
const MAX_SENDS: u32 = 2;

impl<A: PanosApi, S: ProgressSink> Run<'_, A, S> {
    /// Sends HA suspend or functional to device `i`, reconciled with its HA state.
    pub async fn ha_request(&mut self, i: usize, action: Action) -> Result<(), Stop> {
        let serial = self.serial(i);
        let step = if action == Action::Suspend {
            Step::Suspend
        } else {
            Step::Functional
        };
        let wanted_suspended = action == Action::Suspend;
        let status = self
            .read(i, step, "read the HA state", || self.api.ha_state(&serial))
            .await?;
        if is_suspended(&status) == wanted_suspended {
            return self.ha_reached(i, wanted_suspended).await;
        }
        self.dev(i).intent = Some(Intent {
            action,
            version: None,
            jobs_high_water: None,
        });
        self.save().await;
        let what = format!("set the HA state to {action}");
        let mut state = local_state(&status).cloned();
        let mut send = 0;
        loop {
            send += 1;
            let note = if send > 1 {
                " (sent again: the HA state showed the previous one had no effect)"
            } else {
                ""
            };
            let error = match self.send_ha(i, action, note).await? {
                Ok(()) => return self.ha_reached(i, wanted_suspended).await,
                Err(error) => error,
            };
            if !error.may_have_been_applied() {
                self.dev(i).intent = None;
                self.save().await;
                let manual = self.ha_manual_action(i, action, state.as_ref(), &error);
                return Err(self.ha_failure(i, step, &what, &error, manual));
            }
            // Maybe applied: the member's state decides.
            tokio::time::sleep(self.timing.scaled(self.timing.poll_initial_secs)).await;
            let status = self
                .read(i, step, "read the HA state", || self.api.ha_state(&serial))
                .await?;
            if is_suspended(&status) == wanted_suspended {
                tracing::info!(%serial, %action, "the HA change went through; its answer was lost");
                return self.ha_reached(i, wanted_suspended).await;
            }
            state = local_state(&status).cloned();
            if send >= MAX_SENDS {
                let manual = self.ha_manual_action(i, action, state.as_ref(), &error);
                let failure = UpgradeFailure::new(
                    &serial,
                    self.hop(i).as_ref(),
                    step,
                    format!(
                        "the {action} was sent twice without an answer and did not take effect \
                         ({serial} is {}): {error}",
                        state_text(state.as_ref())
                    ),
                    manual,
                );
                return Err(failure.into());
            }
            tracing::warn!(%serial, %action, "the HA change did not happen; sending it once more");
            self.progress(
                i,
                0,
                format!(
                    "the {action} got no answer and did not happen ({} is {}); sending it once \
                     more",
                    serial,
                    state_text(state.as_ref())
                ),
            )
            .await;
        }
    }

    /// One send of `action` to device `i`, waiting out refusals that were certainly not
    /// applied; audited, with `note` after the outcome.
    async fn send_ha(
        &mut self,
        i: usize,
        action: Action,
        note: &str,
    ) -> Result<Result<(), ClientError>, Stop> {
        let serial = self.serial(i);
        let mut refusals_left = self.timing.busy_retries;
        loop {
            let result = if action == Action::Suspend {
                self.api.ha_suspend(&serial).await
            } else {
                self.api.ha_functional(&serial).await
            };
            match result {
                Err(error) if refused_for_now(&error) && refusals_left > 0 => {
                    refusals_left -= 1;
                    self.audit(i, action, None, None, error.to_string()).await;
                    self.pause_busy(i).await?;
                }
                Ok(()) => {
                    self.audit(i, action, None, None, format!("accepted{note}"))
                        .await;
                    return Ok(Ok(()));
                }
                Err(error) => {
                    self.audit(i, action, None, None, format!("{error}{note}"))
                        .await;
                    return Ok(Err(error));
                }
            }
        }
    }

    /// Records that device `i` is (or is no longer) suspended by this job.
    async fn ha_reached(&mut self, i: usize, suspended: bool) -> Result<(), Stop> {
        self.dev(i).suspended_by_us = suspended;
        self.dev(i).intent = None;
        self.save().await;
        Ok(())
    }

    fn ha_failure(
        &self,
        i: usize,
        step: Step,
        what: &str,
        error: &ClientError,
        manual_action: String,
    ) -> Stop {
        UpgradeFailure::from_client(
            &self.serial(i),
            self.hop(i).as_ref(),
            step,
            what,
            error,
            manual_action,
        )
        .into()
    }

    /// What the operator must do when `action` on device `i` could not be made, starting
    /// with where the pair stands.
    fn ha_manual_action(
        &self,
        i: usize,
        action: Action,
        state: Option<&HaState>,
        error: &ClientError,
    ) -> String {
        let serial = self.serial(i);
        let standing = self
            .pair_standing()
            .map(|s| format!("{s}; "))
            .unwrap_or_default();
        let reach = match error {
            ClientError::Api { .. } | ClientError::Auth { .. } => {
                "read the device's message above and fix the cause"
            }
            _ => "check that Panorama is reachable and the device connected to it",
        };
        let state = state_text(state);
        match action {
            Action::Suspend => format!(
                "{standing}{serial} was not suspended and is {state}. {reach}; check both \
                 members' HA state (show high-availability state), then suspend {serial} by \
                 hand (request high-availability state suspend) or resubmit the job"
            ),
            _ => format!(
                "{standing}{serial} is {state}, not back in service. {reach}; make it \
                 functional by hand (request high-availability state functional) and wait for \
                 the pair to synchronize, then resubmit the job if a member is still on its \
                 old version"
            ),
        }
    }

    /// Which version each member of the pair runs, as far as the job knows: "the pair runs
    /// two versions: A is on X, B on Y" or "both members run X". `None` outside a pair job.
    fn pair_standing(&self) -> Option<String> {
        let ha = self.cp.ha.as_ref()?;
        let index = |serial| self.cp.devices.iter().position(|d| &d.serial == serial);
        let (first, second) = (index(&ha.first)?, index(&ha.second)?);
        let (v1, v2) = (self.running_version(first)?, self.running_version(second)?);
        Some(if v1 == v2 {
            format!("both members run {v1}")
        } else {
            format!(
                "the pair runs two versions: {} is on {v1}, {} on {v2}",
                ha.first, ha.second
            )
        })
    }

    /// The version device `i` runs: the hop once it is back from the hop's restart, the
    /// version before the hop until then.
    fn running_version(&self, i: usize) -> Option<SoftwareVersion> {
        if self.cp.devices[i].step >= Step::WaitReady {
            self.hop(i)
        } else {
            self.version_before_hop(i)
        }
    }

    /// Polls device `i`'s HA state until `settled` holds (bounded by `ha_timeout_secs`).
    pub async fn wait_ha(
        &mut self,
        i: usize,
        step: Step,
        what: &str,
        settled: impl Fn(&HaStatus) -> bool,
    ) -> Result<HaStatus, Stop> {
        let serial = self.serial(i);
        let mut poller = self.timing.settle_poller(self.timing.ha_timeout_secs);
        loop {
            if let Ok(status) = self.api.ha_state(&serial).await
                && settled(&status)
            {
                return Ok(status);
            }
            if let Err(stop) = poller.tick(&self.cancel).await {
                return Err(self.stop_from_wait(
                    i,
                    stop,
                    step,
                    what,
                    self.timing.ha_timeout_secs,
                    "check the pair's HA state on both members (show high-availability \
                     state); sync the configuration if needed, then resubmit",
                ));
            }
        }
    }
}

/// The local member's HA state.
pub(crate) fn local_state(status: &HaStatus) -> Option<&HaState> {
    status.local.as_ref().map(|m| &m.state)
}

fn is_suspended(status: &HaStatus) -> bool {
    local_state(status) == Some(&HaState::Suspended)
}

/// A member's HA state as the device writes it (`active`, `suspended`, …).
fn state_text(state: Option<&HaState>) -> String {
    let text = match state {
        None => return "without a local HA state".to_owned(),
        Some(HaState::Other(text)) => return text.clone(),
        Some(HaState::Initial) => "initial",
        Some(HaState::Active) => "active",
        Some(HaState::Passive) => "passive",
        Some(HaState::ActivePrimary) => "active-primary",
        Some(HaState::ActiveSecondary) => "active-secondary",
        Some(HaState::Tentative) => "tentative",
        Some(HaState::NonFunctional) => "non-functional",
        Some(HaState::Suspended) => "suspended",
    };
    text.to_owned()
}
