//! The one limiter every call of a client (and of all its clones) goes through: a governor
//! rate limit (requests per second with a burst) and a cap on requests in flight, plus the
//! counters exposed as [`ClientStats`].
//!
//! The rate limiter runs on Tokio's clock, so paused-time tests see exact timings. Waiting is
//! cancellable; nothing here sends anything. Both limits can change while calls run
//! ([`Limiter::set_limits`]): a lower in-flight cap takes effect as requests end, never by
//! cutting one short, and a new rate starts with its burst already spent, so a reload never
//! lets a burst through on top of the requests just sent.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
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
    /// Requests that had to wait for the rate limit (a full bucket lets a request through
    /// at once; these found it empty).
    pub rate_limited: u64,
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
    rate: RwLock<Arc<Governor>>,
    clock: TokioClock,
    in_flight: Arc<Semaphore>,
    max_in_flight: AtomicUsize,
    /// Slots still to take out of circulation after the cap was lowered: each one is
    /// forgotten when its request ends instead of going back to the semaphore.
    in_flight_debt: Mutex<usize>,
    rate_limited: AtomicU64,
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
            rate: RwLock::new(Arc::new(RateLimiter::direct_with_clock(
                quota,
                clock.clone(),
            ))),
            clock,
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight: AtomicUsize::new(max_in_flight),
            in_flight_debt: Mutex::new(0),
            rate_limited: AtomicU64::new(0),
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
        let slot = loop {
            let slot = until_cancelled(cancel, self.in_flight.clone().acquire_owned())
                .await?
                .map_err(|_| Cancelled)?;
            if self.take_debt() {
                slot.forget();
                continue;
            }
            break slot;
        };
        let mut limited = false;
        loop {
            let rate = Arc::clone(&self.rate.read().unwrap_or_else(|p| p.into_inner()));
            match rate.check() {
                Ok(()) => return Ok(Permit { _slot: slot }),
                Err(not_until) => {
                    if !limited {
                        limited = true;
                        self.rate_limited.fetch_add(1, Ordering::Relaxed);
                    }
                    let wait = not_until.wait_time_from(self.clock.now());
                    until_cancelled(cancel, tokio::time::sleep(wait)).await?;
                }
            }
        }
    }

    /// Takes one slot of debt, if any is owed.
    fn take_debt(&self) -> bool {
        let mut debt = self
            .in_flight_debt
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if *debt > 0 {
            *debt -= 1;
            true
        } else {
            false
        }
    }

    /// Changes the rate, the burst and the in-flight cap of every clone at once. Requests in
    /// flight finish; a lower cap is reached as they end.
    pub(crate) fn set_limits(
        &self,
        per_second: NonZeroU32,
        burst: NonZeroU32,
        max_in_flight: usize,
    ) {
        let quota = Quota::per_second(per_second).allow_burst(burst);
        let rate = RateLimiter::direct_with_clock(quota, self.clock.clone());
        // Start with the burst spent: the old limiter may have just let one through.
        let _ = rate.check_n(burst);
        *self.rate.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rate);

        let max = max_in_flight.clamp(1, Semaphore::MAX_PERMITS);
        let old = self.max_in_flight.swap(max, Ordering::Relaxed);
        let mut debt = self
            .in_flight_debt
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if max > old {
            let grow = max - old;
            let repaid = grow.min(*debt);
            *debt -= repaid;
            self.in_flight.add_permits(grow - repaid);
        } else {
            *debt += old - max;
            let forgotten = self.in_flight.forget_permits(*debt);
            *debt -= forgotten;
        }
    }

    /// The in-flight cap now.
    pub(crate) fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::Relaxed)
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
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            in_flight: {
                let debt = *self
                    .in_flight_debt
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                (self.max_in_flight() + debt).saturating_sub(self.in_flight.available_permits())
            },
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
    async fn the_in_flight_cap_shrinks_as_requests_end_and_grows_at_once() {
        let limiter = Limiter::new(nz(1000), nz(1000), 3);
        let a = limiter.acquire(None).await.unwrap();
        let b = limiter.acquire(None).await.unwrap();
        let c = limiter.acquire(None).await.unwrap();
        limiter.set_limits(nz(1000), nz(1000), 1);
        assert_eq!(limiter.stats().in_flight, 3, "nothing is cut short");
        drop(a);
        drop(b);
        assert_eq!(limiter.stats().in_flight, 1);
        let blocked = tokio::time::timeout(Duration::from_secs(5), limiter.acquire(None)).await;
        assert!(
            blocked.is_err(),
            "at the new cap of 1, a second request waits"
        );
        drop(c);
        let d = limiter.acquire(None).await.unwrap();
        assert_eq!(limiter.stats().in_flight, 1);
        limiter.set_limits(nz(1000), nz(1000), 3);
        let e = limiter.acquire(None).await.unwrap();
        let f = limiter.acquire(None).await.unwrap();
        assert_eq!(limiter.stats().in_flight, 3);
        assert!(
            tokio::time::timeout(Duration::from_secs(5), limiter.acquire(None))
                .await
                .is_err()
        );
        drop((d, e, f));
    }

    /// A new rate applies to the next request and starts with its burst spent.
    #[tokio::test(start_paused = true)]
    async fn a_new_rate_applies_at_once_without_a_fresh_burst() {
        let limiter = Limiter::new(nz(100), nz(100), 10);
        let start = tokio::time::Instant::now();
        drop(limiter.acquire(None).await.unwrap());
        assert_eq!(limiter.stats().rate_limited, 0);
        limiter.set_limits(nz(2), nz(1), 10);
        drop(limiter.acquire(None).await.unwrap());
        drop(limiter.acquire(None).await.unwrap());
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(1),
            "two at 2/s after the change"
        );
        assert_eq!(limiter.stats().rate_limited, 2);
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
