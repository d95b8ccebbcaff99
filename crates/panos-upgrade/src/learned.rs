//! What the devices of each model have shown of their restarts ([`LearnedWaits`]), so the next
//! device of the model is first polled shortly before it can be back, not every 30 seconds
//! while it boots.
//!
//! Only the shortest time seen is kept: a device that comes back sooner than that is seen a
//! little late (at the first look), never missed, and what it took becomes the new shortest.
//! Nothing here decides what happened to a device; it only moves polls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// A wait whose length a model repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearnedWait {
    /// From a restart the device accepted to its first answer on the new version.
    Restart,
    /// From that answer to `show chassis-ready` saying yes.
    ChassisReady,
}

/// The first look comes at this share of the shortest wait seen, so a device quicker than
/// all before it still moves the figure down.
const EARLY_LOOK: f64 = 0.9;

/// The shortest [`LearnedWait`]s seen, by device model, in device seconds (unaffected by the
/// time scale). Clones share one record: the daemon hands the same one to every job.
#[derive(Debug, Clone, Default)]
pub struct LearnedWaits {
    shortest: Arc<Mutex<HashMap<String, [Option<f64>; 2]>>>,
}

impl LearnedWaits {
    /// The shortest `wait` seen for `model`, in device seconds.
    pub fn shortest(&self, model: &str, wait: LearnedWait) -> Option<f64> {
        let shortest = self.shortest.lock().unwrap_or_else(|p| p.into_inner());
        shortest.get(model).and_then(|waits| waits[wait as usize])
    }

    /// Records that `wait` took `secs` device seconds on a device of `model`; kept if it is
    /// the shortest yet. Nonsense (not finite, negative, an empty model) is ignored.
    pub fn record(&self, model: &str, wait: LearnedWait, secs: f64) {
        if model.is_empty() || !secs.is_finite() || secs < 0.0 {
            return;
        }
        let mut shortest = self.shortest.lock().unwrap_or_else(|p| p.into_inner());
        let slot = &mut shortest.entry(model.to_owned()).or_default()[wait as usize];
        if slot.is_none_or(|before| secs < before) {
            *slot = Some(secs);
        }
    }
}

/// When to look at a device during a wait whose length its model has shown: at nine tenths of
/// the shortest seen (`early`), then at the shortest itself (`due`); after that the wait polls
/// as usual. Both are real instants (scaled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Looks {
    early: Instant,
    due: Instant,
}

impl Looks {
    /// The looks of a wait that started at `start` and has taken at least `shortest` (real
    /// time) on the model's devices before.
    pub fn after(start: Instant, shortest: Duration) -> Self {
        Self {
            early: start + shortest.mul_f64(EARLY_LOOK),
            due: start + shortest,
        }
    }

    /// The next look still ahead of `now`, if any.
    pub fn next(&self, now: Instant) -> Option<Instant> {
        [self.early, self.due].into_iter().find(|at| *at > now)
    }

    /// When the first look is due.
    pub fn first(&self) -> Instant {
        self.early
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_shortest_per_model_and_wait() {
        let learned = LearnedWaits::default();
        assert_eq!(learned.shortest("PA-VM", LearnedWait::Restart), None);
        learned.record("PA-VM", LearnedWait::Restart, 480.0);
        learned.record("PA-VM", LearnedWait::Restart, 520.0);
        learned.record("PA-VM", LearnedWait::ChassisReady, 60.0);
        let shared = learned.clone();
        shared.record("PA-VM", LearnedWait::Restart, 470.0);
        shared.record("PA-3220", LearnedWait::Restart, 900.0);
        assert_eq!(learned.shortest("PA-VM", LearnedWait::Restart), Some(470.0));
        assert_eq!(
            learned.shortest("PA-VM", LearnedWait::ChassisReady),
            Some(60.0)
        );
        assert_eq!(
            learned.shortest("PA-3220", LearnedWait::Restart),
            Some(900.0)
        );
        assert_eq!(learned.shortest("PA-3220", LearnedWait::ChassisReady), None);
        assert_eq!(learned.shortest("PA-440", LearnedWait::Restart), None);
    }

    #[test]
    fn nonsense_is_not_learned() {
        let learned = LearnedWaits::default();
        learned.record("PA-VM", LearnedWait::Restart, f64::NAN);
        learned.record("PA-VM", LearnedWait::Restart, -1.0);
        learned.record("PA-VM", LearnedWait::Restart, f64::INFINITY);
        learned.record("", LearnedWait::Restart, 10.0);
        assert_eq!(learned.shortest("PA-VM", LearnedWait::Restart), None);
        assert_eq!(learned.shortest("", LearnedWait::Restart), None);
        learned.record("PA-VM", LearnedWait::ChassisReady, 0.0);
        assert_eq!(
            learned.shortest("PA-VM", LearnedWait::ChassisReady),
            Some(0.0)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn looks_come_early_then_when_due() {
        let start = Instant::now();
        let looks = Looks::after(start, Duration::from_secs(100));
        assert_eq!(looks.first(), start + Duration::from_secs(90));
        assert_eq!(looks.next(start), Some(start + Duration::from_secs(90)));
        assert_eq!(
            looks.next(start + Duration::from_secs(90)),
            Some(start + Duration::from_secs(100))
        );
        assert_eq!(looks.next(start + Duration::from_secs(100)), None);
    }
}
