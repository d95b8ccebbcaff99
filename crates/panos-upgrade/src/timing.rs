//! Poll intervals, timeouts and expected durations ([`Timing`]), and the bounded, cancellable
//! poller every wait goes through ([`Poller`]).
//!
//! Every duration is divided by [`Timing::scale`] (1 in production; large against a simulator
//! with a scaled clock). Time is read from tokio's clock, so tests can pause and advance it.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Timing of polls and waits. Seconds, before scaling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timing {
    /// Divisor applied to every interval and timeout (rehearsals against a scaled simulator).
    pub scale: f64,
    /// First poll interval of a wait.
    pub poll_initial_secs: f64,
    /// Longest poll interval.
    pub poll_max_secs: f64,
    /// Growth of the poll interval after each poll.
    pub poll_factor: f64,
    /// Longest wait for a download job.
    pub download_timeout_secs: u64,
    /// Longest wait for an install job.
    pub install_timeout_secs: u64,
    /// Longest wait for a device to come back from a restart, on the new version.
    pub reboot_timeout_secs: u64,
    /// How long after a restart the device must stop answering (or change version); past it,
    /// the restart is taken as not having happened.
    pub go_away_grace_secs: u64,
    /// Longest wait for `show chassis-ready` to say yes once the device answers.
    pub chassis_ready_timeout_secs: u64,
    /// Longest wait for an HA state change or configuration sync.
    pub ha_timeout_secs: u64,
    /// Wait before retrying when the software manager is busy.
    pub busy_retry_secs: u64,
    /// How many times to retry a busy software manager before failing.
    pub busy_retries: u32,
    /// How long a read-only call may keep failing with transient errors (outside a reboot)
    /// before the step fails.
    pub read_retry_secs: u64,
    /// Before the readiness checks, how long to wait for jobs already running on the device
    /// (an auto-commit after a reboot, a content update) to finish; past it, the check blocks.
    pub jobs_idle_timeout_secs: u64,
    /// When a post-flight comparison fails, wait this long for routing and sessions to
    /// settle (dynamic routes can take minutes after a reboot), then compare again.
    pub postflight_settle_secs: u64,
    /// How many times a failing post-flight comparison is taken again before it counts.
    pub postflight_retries: u32,
    /// Expected duration of a download, for dry-run plans.
    pub expected_download_secs: u64,
    /// Expected duration of an install.
    pub expected_install_secs: u64,
    /// Expected duration of a reboot until chassis ready.
    pub expected_reboot_secs: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            scale: 1.0,
            poll_initial_secs: 5.0,
            poll_max_secs: 30.0,
            poll_factor: 1.5,
            download_timeout_secs: 3600,
            install_timeout_secs: 3600,
            reboot_timeout_secs: 3600,
            go_away_grace_secs: 600,
            chassis_ready_timeout_secs: 1800,
            ha_timeout_secs: 1800,
            busy_retry_secs: 60,
            busy_retries: 10,
            read_retry_secs: 300,
            jobs_idle_timeout_secs: 900,
            postflight_settle_secs: 120,
            postflight_retries: 2,
            expected_download_secs: 600,
            expected_install_secs: 900,
            expected_reboot_secs: 900,
        }
    }
}

impl Timing {
    /// The scale, or 1 when it is not a positive number.
    pub fn scale_or_one(&self) -> f64 {
        if self.scale.is_finite() && self.scale > 0.0 {
            self.scale
        } else {
            1.0
        }
    }

    /// A duration of `secs` seconds, divided by the scale.
    pub fn scaled(&self, secs: f64) -> Duration {
        Duration::from_secs_f64((secs / self.scale_or_one()).max(0.0))
    }

    /// A poller that gives up after `timeout_secs` (scaled).
    pub fn poller(&self, timeout_secs: u64) -> Poller {
        Poller {
            next: self.scaled(self.poll_initial_secs),
            min: self.scaled(self.poll_initial_secs),
            max: self.scaled(self.poll_max_secs),
            max_estimated: self.scaled(self.poll_max_secs * ESTIMATED_MAX_FACTOR),
            factor: self.poll_factor.max(1.0),
            deadline: Instant::now() + self.scaled(timeout_secs as f64),
        }
    }
}

/// The longest interval of a [`Timing::settle_poller`], in first poll intervals.
const SETTLE_MAX_FACTOR: f64 = 2.0;

impl Timing {
    /// A poller for the short waits that follow a reboot on the job's critical path (chassis
    /// ready, an HA member settling or synchronizing): like [`Timing::poller`], but its
    /// interval stops growing at twice the first one (10 s by default), since what it waits
    /// for usually comes within a minute or two, and seeing it 30 s late delays every later
    /// step of the job.
    pub fn settle_poller(&self, timeout_secs: u64) -> Poller {
        let mut poller = self.poller(timeout_secs);
        poller.max = poller
            .max
            .min(self.scaled(self.poll_initial_secs * SETTLE_MAX_FACTOR));
        poller
    }
}

/// Why a wait ended without its condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStop {
    /// The cancellation token fired.
    Cancelled,
    /// The deadline passed.
    TimedOut,
}

/// With an estimate of the time left (a device job's progress), a poll may wait up to this
/// many times `poll_max_secs`: a 10-minute install is then read about 7 times, not 24.
const ESTIMATED_MAX_FACTOR: f64 = 4.0;

/// Polls with growing intervals until a deadline; or, told how long the awaited thing still
/// needs ([`Poller::tick_expecting`]), right when it should be done.
#[derive(Debug, Clone)]
pub struct Poller {
    next: Duration,
    min: Duration,
    max: Duration,
    max_estimated: Duration,
    factor: f64,
    deadline: Instant,
}

impl Poller {
    /// Sleeps until the next poll (never past the deadline). Returns why it cannot poll again.
    pub async fn tick(&mut self, cancel: &CancellationToken) -> Result<(), WaitStop> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(WaitStop::TimedOut);
        }
        let wake = (now + self.next).min(self.deadline);
        self.next = self.next.mul_f64(self.factor).min(self.max);
        tokio::select! {
            () = cancel.cancelled() => Err(WaitStop::Cancelled),
            () = tokio::time::sleep_until(wake) => Ok(()),
        }
    }

    /// Like [`Poller::tick`], but when `remaining` (an estimate of the time the awaited
    /// thing still needs) is known, sleeps that long instead: at least the first poll
    /// interval, at most four times the longest one, never past the deadline. An estimate
    /// that proves short costs one more poll at the first interval; a long one is capped.
    pub async fn tick_expecting(
        &mut self,
        remaining: Option<Duration>,
        cancel: &CancellationToken,
    ) -> Result<(), WaitStop> {
        let Some(remaining) = remaining else {
            return self.tick(cancel).await;
        };
        let now = Instant::now();
        if now >= self.deadline {
            return Err(WaitStop::TimedOut);
        }
        let wait = remaining.clamp(self.min, self.max_estimated.max(self.min));
        let wake = (now + wait).min(self.deadline);
        tokio::select! {
            () = cancel.cancelled() => Err(WaitStop::Cancelled),
            () = tokio::time::sleep_until(wake) => Ok(()),
        }
    }

    /// Like [`Poller::tick`], but when a poll is planned at a known moment (`planned`), sleeps
    /// until then instead (never past the deadline), leaving the growing interval where it
    /// was.
    pub async fn tick_planned(
        &mut self,
        planned: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<(), WaitStop> {
        let Some(at) = planned else {
            return self.tick(cancel).await;
        };
        if Instant::now() >= self.deadline {
            return Err(WaitStop::TimedOut);
        }
        tokio::select! {
            () = cancel.cancelled() => Err(WaitStop::Cancelled),
            () = tokio::time::sleep_until(at.min(self.deadline)) => Ok(()),
        }
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

/// Estimates a job's time left from its progress: the rate between the first reading seen
/// and the latest. `None` until the progress has moved.
#[derive(Debug, Clone, Default)]
pub struct ProgressRate {
    first: Option<(Instant, u8)>,
    last: Option<(Instant, u8)>,
}

impl ProgressRate {
    /// Records a reading of `percent` now.
    pub fn observe(&mut self, percent: u8) {
        let now = Instant::now();
        let percent = percent.min(100);
        if self.first.is_none() {
            self.first = Some((now, percent));
        }
        self.last = Some((now, percent));
    }

    /// The time left at the observed rate.
    pub fn remaining(&self) -> Option<Duration> {
        let ((t0, p0), (t1, p1)) = (self.first?, self.last?);
        if p1 <= p0 {
            return None;
        }
        let per_percent = t1.duration_since(t0).as_secs_f64() / f64::from(p1 - p0);
        Some(Duration::from_secs_f64(per_percent * f64::from(100 - p1)))
    }
}

/// Sleeps `duration`, or stops early when cancelled.
pub async fn sleep_or_cancel(
    duration: Duration,
    cancel: &CancellationToken,
) -> Result<(), WaitStop> {
    tokio::select! {
        () = cancel.cancelled() => Err(WaitStop::Cancelled),
        () = tokio::time::sleep(duration) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn poller_backs_off_and_stops_at_the_deadline() {
        let timing = Timing {
            poll_initial_secs: 2.0,
            poll_max_secs: 8.0,
            poll_factor: 2.0,
            ..Timing::default()
        };
        let cancel = CancellationToken::new();
        let start = Instant::now();
        let mut poller = timing.poller(30);
        let mut at = Vec::new();
        while poller.tick(&cancel).await.is_ok() {
            at.push(start.elapsed().as_secs());
        }
        // 2, 2+4, 6+8, 14+8, 22+8 = 30 (capped at the deadline).
        assert_eq!(at, vec![2, 6, 14, 22, 30]);
        assert!(poller.expired());
    }

    /// The settle poller grows like the others but stops at twice the first interval.
    #[tokio::test(start_paused = true)]
    async fn settle_poller_stays_short() {
        let timing = Timing::default();
        let cancel = CancellationToken::new();
        let start = Instant::now();
        let mut poller = timing.settle_poller(60);
        let mut at = Vec::new();
        while poller.tick(&cancel).await.is_ok() {
            at.push(start.elapsed().as_secs_f64());
        }
        // 5, +7.5, then every 10 s up to the deadline.
        assert_eq!(at, vec![5.0, 12.5, 22.5, 32.5, 42.5, 52.5, 60.0]);
        // A longest interval below twice the first one is kept.
        let tight = Timing {
            poll_max_secs: 6.0,
            ..Timing::default()
        };
        let mut poller = tight.settle_poller(20);
        let start = Instant::now();
        let mut at = Vec::new();
        while poller.tick(&cancel).await.is_ok() {
            at.push(start.elapsed().as_secs_f64());
        }
        assert_eq!(at, vec![5.0, 11.0, 17.0, 20.0]);
    }

    #[tokio::test(start_paused = true)]
    async fn scale_divides_every_wait() {
        let timing = Timing {
            scale: 100.0,
            ..Timing::default()
        };
        assert_eq!(timing.scaled(600.0), Duration::from_secs(6));
        let start = Instant::now();
        let mut poller = timing.poller(3600);
        let cancel = CancellationToken::new();
        while poller.tick(&cancel).await.is_ok() {}
        assert_eq!(start.elapsed(), Duration::from_secs(36));
    }

    /// A job at a steady 1 % every 6 s: after two readings the estimate is the time to
    /// 100 %, and a poll waits for it, capped at four times the longest interval.
    #[tokio::test(start_paused = true)]
    async fn progress_sets_the_next_poll() {
        let timing = Timing::default();
        let cancel = CancellationToken::new();
        let mut rate = ProgressRate::default();
        assert_eq!(rate.remaining(), None);
        rate.observe(10);
        assert_eq!(rate.remaining(), None, "one reading gives no rate");
        tokio::time::advance(Duration::from_secs(60)).await;
        rate.observe(20);
        assert_eq!(rate.remaining(), Some(Duration::from_secs(480)));

        let mut poller = timing.poller(3600);
        let start = Instant::now();
        poller
            .tick_expecting(rate.remaining(), &cancel)
            .await
            .unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(120),
            "capped at 4 × 30 s"
        );
        poller
            .tick_expecting(Some(Duration::from_secs(42)), &cancel)
            .await
            .unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(162),
            "the estimate itself"
        );
        poller
            .tick_expecting(Some(Duration::from_millis(10)), &cancel)
            .await
            .unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(167),
            "at least the first interval"
        );
        // Without an estimate: the usual growing interval.
        poller.tick_expecting(None, &cancel).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(172));
    }

    /// A planned poll comes at its moment, never past the deadline, and leaves the growing
    /// interval where it was; without a plan it is an ordinary tick.
    #[tokio::test(start_paused = true)]
    async fn a_planned_poll_comes_at_its_moment() {
        let timing = Timing::default();
        let cancel = CancellationToken::new();
        let start = Instant::now();
        let mut poller = timing.poller(600);
        let planned = Some(start + Duration::from_secs(400));
        poller.tick_planned(planned, &cancel).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(400));
        poller.tick_planned(None, &cancel).await.unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(405),
            "the first interval"
        );
        let late = Some(start + Duration::from_secs(900));
        poller.tick_planned(late, &cancel).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(600), "the deadline");
        assert_eq!(
            poller.tick_planned(late, &cancel).await,
            Err(WaitStop::TimedOut)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_stops_a_wait() {
        let timing = Timing::default();
        let cancel = CancellationToken::new();
        let mut poller = timing.poller(3600);
        cancel.cancel();
        assert_eq!(poller.tick(&cancel).await, Err(WaitStop::Cancelled));
        assert_eq!(
            sleep_or_cancel(Duration::from_secs(10), &cancel).await,
            Err(WaitStop::Cancelled)
        );
    }
}
