//! The request limiter: a cap on requests in flight and on requests per second, and what the
//! simulator does to a request over the limit (wait, answer code 22, or an HTTP 429/503). Off by
//! default. Runs on `tokio::time::Instant`, so paused-time tests drive it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::time::Instant;

/// What happens to a request over the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OverLimit {
    /// The request waits until it fits.
    Delay,
    /// `<response status="error" code="22">` "Session timed out".
    SessionTimedOut,
    /// This HTTP status (429 or 503 are typical).
    HttpStatus {
        /// The status code.
        status: u16,
    },
}

/// Request limits; `None` means no limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests allowed in flight at once (Palo Alto advises 5).
    pub max_concurrent: Option<usize>,
    /// Requests allowed per second (bursts up to this many).
    pub max_per_second: Option<f64>,
    /// What a request over the limit gets.
    pub over_limit: OverLimit,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            max_concurrent: None,
            max_per_second: None,
            over_limit: OverLimit::SessionTimedOut,
        }
    }
}

#[derive(Debug)]
struct State {
    config: RateLimit,
    in_flight: usize,
    tokens: f64,
    last: Instant,
}

/// The limiter shared by every connection.
#[derive(Debug, Clone)]
pub struct Limiter {
    state: Arc<Mutex<State>>,
    freed: Arc<Notify>,
}

/// A request admitted; dropping it frees its slot.
#[derive(Debug)]
pub struct Permit {
    limiter: Limiter,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Ok(mut s) = self.limiter.state.lock() {
            s.in_flight = s.in_flight.saturating_sub(1);
        }
        self.limiter.freed.notify_one();
    }
}

impl Limiter {
    /// A limiter with `config`.
    pub fn new(config: RateLimit) -> Self {
        let tokens = config.max_per_second.unwrap_or(0.0).max(1.0);
        Limiter {
            state: Arc::new(Mutex::new(State {
                config,
                in_flight: 0,
                tokens,
                last: Instant::now(),
            })),
            freed: Arc::new(Notify::new()),
        }
    }

    /// Replaces the limits (requests in flight keep their slots).
    pub fn set(&self, config: RateLimit) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.tokens = config.max_per_second.unwrap_or(0.0).max(1.0);
        s.last = Instant::now();
        s.config = config;
        drop(s);
        self.freed.notify_waiters();
    }

    /// The current limits.
    pub fn config(&self) -> RateLimit {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .config
            .clone()
    }

    /// Admits a request, waiting if the limits say `Delay`; `Err` carries the refusal to send.
    pub async fn admit(&self) -> Result<Permit, OverLimit> {
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                if let Some(rate) = s.config.max_per_second.filter(|r| *r > 0.0) {
                    let elapsed = now.saturating_duration_since(s.last).as_secs_f64();
                    s.tokens = (s.tokens + elapsed * rate).min(rate.max(1.0));
                }
                s.last = now;
                let concurrency_ok = s.config.max_concurrent.is_none_or(|m| s.in_flight < m);
                let rate = s.config.max_per_second.filter(|r| *r > 0.0);
                let rate_ok = rate.is_none() || s.tokens >= 1.0;
                if concurrency_ok && rate_ok {
                    s.in_flight += 1;
                    if rate.is_some() {
                        s.tokens -= 1.0;
                    }
                    return Ok(Permit {
                        limiter: self.clone(),
                    });
                }
                if s.config.over_limit != OverLimit::Delay {
                    return Err(s.config.over_limit);
                }
                match rate {
                    Some(r) if !rate_ok => {
                        Duration::from_secs_f64(((1.0 - s.tokens) / r).max(0.001))
                    }
                    _ => Duration::from_millis(50),
                }
            };
            // Woken by a freed slot, or after the time a token needs.
            let _ = tokio::time::timeout(wait, self.freed.notified()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn concurrency_over_the_cap_is_refused_with_the_configured_answer() {
        let l = Limiter::new(RateLimit {
            max_concurrent: Some(2),
            max_per_second: None,
            over_limit: OverLimit::HttpStatus { status: 429 },
        });
        let a = l.admit().await.unwrap();
        let _b = l.admit().await.unwrap();
        assert_eq!(
            l.admit().await.unwrap_err(),
            OverLimit::HttpStatus { status: 429 }
        );
        drop(a);
        assert!(l.admit().await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_limit_delays_when_asked_to() {
        let l = Limiter::new(RateLimit {
            max_concurrent: None,
            max_per_second: Some(2.0),
            over_limit: OverLimit::Delay,
        });
        let start = Instant::now();
        for _ in 0..6 {
            drop(l.admit().await.unwrap());
        }
        // 2 from the initial burst, then 4 more at 2/s.
        assert!(Instant::now() - start >= Duration::from_millis(1900));
    }
}
