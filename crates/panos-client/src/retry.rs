//! [`RetryPolicy`]: exponential backoff with jitter for **read-only** operations, bounded in
//! attempts and in total delay. Operations that start something are never retried here; the
//! caller reconciles with the device's state instead.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::error::ClientError;

/// How read-only operations are retried after a retryable error
/// ([`ClientError::is_retryable`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 turns retries off).
    pub max_attempts: usize,
    /// Delay before the first retry.
    pub min_delay: Duration,
    /// Longest delay between two attempts.
    pub max_delay: Duration,
    /// Longest total delay spent between attempts of one call.
    pub max_total_delay: Duration,
    /// Whether delays are randomised (recommended: many devices poll at once).
    pub jitter: bool,
    /// Whether `<serial> not connected` is retried. Off by default: a firewall that is
    /// rebooting stays disconnected for minutes, and the caller's own wait loop handles that.
    pub retry_not_connected: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            max_total_delay: Duration::from_secs(60),
            jitter: true,
            retry_not_connected: false,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The same policy with `max_attempts` attempts in all.
    pub fn with_max_attempts(mut self, max_attempts: usize) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// The same policy with these delays (first retry, longest wait, total budget).
    pub fn with_delays(mut self, min: Duration, max: Duration, total: Duration) -> Self {
        self.min_delay = min;
        self.max_delay = max;
        self.max_total_delay = total;
        self
    }

    /// The same policy, with or without jitter.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Whether this policy retries `error`.
    pub fn should_retry(&self, error: &ClientError) -> bool {
        match error {
            ClientError::NotConnected { .. } => self.retry_not_connected,
            other => other.is_retryable(),
        }
    }

    fn backoff(&self) -> ExponentialBuilder {
        let builder = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay.max(self.min_delay))
            .with_max_times(self.max_attempts.saturating_sub(1))
            .with_total_delay(Some(self.max_total_delay));
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }

    /// Runs `attempt` until it succeeds, fails with an error this policy does not retry, or
    /// the attempts or delay budget run out. `on_retry` is told about each retry.
    pub(crate) async fn run<T, Fut>(
        &self,
        attempt: impl FnMut() -> Fut,
        mut on_retry: impl FnMut(&ClientError, Duration),
    ) -> Result<T, ClientError>
    where
        Fut: Future<Output = Result<T, ClientError>>,
    {
        attempt
            .retry(self.backoff())
            .sleep(tokio::time::sleep)
            .when(|err| self.should_retry(err))
            .notify(|err, delay| on_retry(err, delay))
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn transient() -> ClientError {
        ClientError::Http {
            operation: "op".into(),
            status: 503,
            excerpt: String::new(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_errors_up_to_the_limit() {
        let policy = RetryPolicy::default()
            .with_max_attempts(3)
            .with_jitter(false);
        let tries = AtomicUsize::new(0);
        let mut notified = Vec::new();
        let result: Result<(), _> = policy
            .run(
                || async {
                    tries.fetch_add(1, Ordering::SeqCst);
                    Err(transient())
                },
                |_, delay| notified.push(delay),
            )
            .await;
        assert!(matches!(result, Err(ClientError::Http { status: 503, .. })));
        assert_eq!(tries.load(Ordering::SeqCst), 3);
        assert_eq!(
            notified,
            [Duration::from_millis(500), Duration::from_secs(1)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn does_not_retry_what_is_not_transient() {
        let tries = AtomicUsize::new(0);
        let result: Result<(), _> = RetryPolicy::default()
            .run(
                || async {
                    tries.fetch_add(1, Ordering::SeqCst);
                    Err(ClientError::Auth {
                        operation: "op".into(),
                        message: "Invalid Credential".into(),
                    })
                },
                |_, _| {},
            )
            .await;
        assert!(result.is_err());
        assert_eq!(tries.load(Ordering::SeqCst), 1);
        let not_connected = ClientError::NotConnected {
            operation: "op".into(),
            serial: "0001".parse().unwrap(),
        };
        assert!(!RetryPolicy::default().should_retry(&not_connected));
        assert!(!RetryPolicy::never().should_retry(&ClientError::Config("x".into())));
    }

    #[tokio::test(start_paused = true)]
    async fn succeeds_after_a_transient_error() {
        let tries = AtomicUsize::new(0);
        let result = RetryPolicy::default()
            .run(
                || async {
                    if tries.fetch_add(1, Ordering::SeqCst) == 0 {
                        Err(transient())
                    } else {
                        Ok(7)
                    }
                },
                |_, _| {},
            )
            .await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(tries.load(Ordering::SeqCst), 2);
    }
}
