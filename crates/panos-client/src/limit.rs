//! The one limiter every call of a client (and of all its clones) goes through: a governor
//! rate limit (requests per second with a burst) and a cap on requests in flight, plus the
//! counters exposed as [`ClientStats`].
//!
//! The rate limiter runs on Tokio's clock, so paused-time tests see exact timings. Waiting is
//! cancellable; nothing here sends anything.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// Counters of a client since it was built, shared by all its clones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// HTTP requests sent (each attempt of a retried call counts).
    pub requests_sent: u64,
    /// Calls that ended in an error (after retries).
    pub errors: u64,
    /// Attempts repeated after a retryable error.
    pub retries: u64,
    /// Total time calls spent waiting for the rate limiter and the in-flight cap.
    pub limiter_wait: Duration,
    /// Requests in flight right now.
    pub in_flight: usize,
}

/// Governor's view of Tokio's clock: the time elapsed since the limiter was built.
#[derive(Debug, Clone)]
struct TokioClock {
    start: tokio::time::Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

type Governor = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

/// The shared rate limit, in-flight cap and counters.
#[derive(Debug)]
pub(crate) struct Limiter {
    rate: Governor,
    clock: TokioClock,
    in_flight: Arc<Semaphore>,
    max_in_flight: usize,
    requests_sent: AtomicU64,
    errors: AtomicU64,
    retries: AtomicU64,
    wait_nanos: AtomicU64,
}

/// Leave to send one request; dropping it frees the in-flight slot.
#[derive(Debug)]
pub(crate) struct Permit {
    _slot: OwnedSemaphorePermit,
}

/// The wait for a permit was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cancelled;

impl Limiter {
    /// A limiter allowing `per_second` requests per second, bursts of `burst`, and
    /// `max_in_flight` requests at once.
    pub(crate) fn new(per_second: NonZeroU32, burst: NonZeroU32, max_in_flight: usize) -> Self {
        let clock = TokioClock {
            start: tokio::time::Instant::now(),
        };
        let quota = Quota::per_second(per_second).allow_burst(burst);
        let max_in_flight = max_in_flight.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            rate: RateLimiter::direct_with_clock(quota, clock.clone()),
            clock,
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
            requests_sent: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            wait_nanos: AtomicU64::new(0),
        }
    }

    /// Waits for an in-flight slot, then for the rate limit; `Err` when `cancel` fires first.
    pub(crate) async fn acquire(
        &self,
        cancel: Option<&CancellationToken>,
    ) -> Result<Permit, Cancelled> {
        let started = tokio::time::Instant::now();
        let result = self.wait(cancel).await;
        let waited = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.wait_nanos.fetch_add(waited, Ordering::Relaxed);
        result
    }

    async fn wait(&self, cancel: Option<&CancellationToken>) -> Result<Permit, Cancelled> {
        let slot = until_cancelled(cancel, self.in_flight.clone().acquire_owned())
            .await?
            .map_err(|_| Cancelled)?;
        loop {
            match self.rate.check() {
                Ok(()) => return Ok(Permit { _slot: slot }),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.clock.now());
                    until_cancelled(cancel, tokio::time::sleep(wait)).await?;
                }
            }
        }
    }

    pub(crate) fn count_sent(&self) {
        self.requests_sent.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> ClientStats {
        ClientStats {
            requests_sent: self.requests_sent.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            limiter_wait: Duration::from_nanos(self.wait_nanos.load(Ordering::Relaxed)),
            in_flight: self
                .max_in_flight
                .saturating_sub(self.in_flight.available_permits()),
        }
    }
}

/// Runs `future` unless `cancel` fires first.
pub(crate) async fn until_cancelled<F: Future>(
    cancel: Option<&CancellationToken>,
    future: F,
) -> Result<F::Output, Cancelled> {
    match cancel {
        None => Ok(future.await),
        Some(token) => tokio::select! {
            biased;
            () = token.cancelled() => Err(Cancelled),
            output = future => Ok(output),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    /// 50 concurrent callers on one limiter (10/s, burst 5): on paused time, the grants are
    /// exactly the burst at once and then one every 100 ms.
    #[tokio::test(start_paused = true)]
    async fn rate_holds_under_50_concurrent_callers() {
        let limiter = Arc::new(Limiter::new(nz(10), nz(5), 50));
        let start = tokio::time::Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let limiter = limiter.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = limiter.acquire(None).await.unwrap();
                start.elapsed()
            }));
        }
        let mut grants = Vec::new();
        for task in tasks {
            grants.push(task.await.unwrap());
        }
        grants.sort();
        // In any window of one second, at most burst + rate grants.
        for (i, first) in grants.iter().enumerate() {
            let in_window = grants[i..]
                .iter()
                .take_while(|t| **t < *first + Duration::from_secs(1))
                .count();
            assert!(
                in_window <= 15,
                "{in_window} grants within 1 s of {first:?}"
            );
        }
        assert_eq!(
            grants.iter().filter(|t| t.is_zero()).count(),
            5,
            "the burst"
        );
        // 45 more at 10/s: the last one 4.5 s in.
        assert_eq!(*grants.last().unwrap(), Duration::from_millis(4500));
        assert!(limiter.stats().limiter_wait >= Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_cap_and_cancellation() {
        let limiter = Limiter::new(nz(1000), nz(1000), 2);
        let a = limiter.acquire(None).await.unwrap();
        let _b = limiter.acquire(None).await.unwrap();
        assert_eq!(limiter.stats().in_flight, 2);
        let token = CancellationToken::new();
        let waiting = limiter.acquire(Some(&token));
        tokio::pin!(waiting);
        // The third caller waits for a slot...
        assert!(
            tokio::time::timeout(Duration::from_secs(5), &mut waiting)
                .await
                .is_err()
        );
        // ...until cancelled.
        token.cancel();
        assert_eq!(waiting.await.unwrap_err(), Cancelled);
        drop(a);
        assert_eq!(limiter.stats().in_flight, 1);
        assert!(limiter.acquire(None).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_the_rate_is_cancellable() {
        let limiter = Limiter::new(nz(1), nz(1), 5);
        let _first = limiter.acquire(None).await.unwrap();
        let token = CancellationToken::new();
        let child = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            child.cancel();
        });
        let started = tokio::time::Instant::now();
        assert_eq!(limiter.acquire(Some(&token)).await.unwrap_err(), Cancelled);
        assert_eq!(started.elapsed(), Duration::from_millis(100));
    }
}
