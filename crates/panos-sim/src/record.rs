//! The request log and counters: every request the simulator answers is counted exactly (total,
//! per operation, per target, per kind of response) and recorded in a bounded log (oldest
//! records dropped past the cap), so tests can assert order and benchmarks can count calls.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use serde::Serialize;

use crate::command::Op;

/// How a request was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum ResponseKind {
    /// A success response.
    Ok,
    /// An API error in the XML (`status="error"`, or success with a failure code).
    Error {
        /// The `code` attribute, when present.
        code: Option<u16>,
    },
    /// `<serial> not connected` (the device is rebooting or offline).
    NotConnected,
    /// HTTP 403 for a bad key or bad credentials.
    Forbidden,
    /// A non-200 HTTP status from a fault or the rate limiter (500, 502, 503, 429…).
    HttpStatus {
        /// The status code.
        status: u16,
    },
    /// The connection was closed without a response.
    Dropped,
    /// The body was made malformed on purpose.
    Malformed,
    /// Refused by the rate/concurrency limiter (with code 22 or an HTTP status).
    RateLimited,
}

/// One answered request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    /// Order of arrival since start (from 0; `reset_requests` does not restart it).
    pub seq: u64,
    /// Real (tokio) time since the simulator started.
    pub at: Duration,
    /// Simulated time when it was answered.
    pub sim_at: Duration,
    /// The operation.
    pub op: Op,
    /// `target=` serial; `None` for Panorama itself.
    pub target: Option<String>,
    /// The version parameter of a download or install.
    pub version: Option<String>,
    /// The job id of a `show jobs id`, or the job a download/install created.
    pub job_id: Option<u32>,
    /// How it was answered.
    pub response: ResponseKind,
}

/// Exact counts of every request since start (or the last reset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RequestCounters {
    /// All requests.
    pub total: u64,
    /// Per operation.
    pub by_op: BTreeMap<Op, u64>,
    /// Per target serial (`"panorama"` for requests without a target).
    pub by_target: HashMap<String, u64>,
    /// Per kind of response.
    pub by_response: BTreeMap<ResponseKind, u64>,
    /// Per (target, operation).
    pub by_target_op: HashMap<(String, Op), u64>,
}

impl RequestCounters {
    /// Requests of `op`.
    pub fn op(&self, op: Op) -> u64 {
        self.by_op.get(&op).copied().unwrap_or(0)
    }

    /// Requests aimed at `target` (`"panorama"` for none).
    pub fn target(&self, target: &str) -> u64 {
        self.by_target.get(target).copied().unwrap_or(0)
    }

    /// Requests of `op` aimed at `target`.
    pub fn target_op(&self, target: &str, op: Op) -> u64 {
        self.by_target_op
            .get(&(target.to_string(), op))
            .copied()
            .unwrap_or(0)
    }
}

/// The log and counters.
#[derive(Debug)]
pub struct RequestLog {
    cap: usize,
    next_seq: u64,
    records: VecDeque<RequestRecord>,
    counters: RequestCounters,
}

impl RequestLog {
    /// A log keeping at most `cap` records.
    pub fn new(cap: usize) -> Self {
        RequestLog {
            cap,
            next_seq: 0,
            records: VecDeque::new(),
            counters: RequestCounters::default(),
        }
    }

    /// Records one request (its `seq` is assigned here).
    pub fn push(&mut self, mut record: RequestRecord) {
        record.seq = self.next_seq;
        self.next_seq += 1;
        let c = &mut self.counters;
        c.total += 1;
        *c.by_op.entry(record.op).or_default() += 1;
        let target = record.target.clone().unwrap_or_else(|| "panorama".into());
        *c.by_target_op
            .entry((target.clone(), record.op))
            .or_default() += 1;
        *c.by_target.entry(target).or_default() += 1;
        *c.by_response.entry(record.response).or_default() += 1;
        if self.cap == 0 {
            return;
        }
        if self.records.len() == self.cap {
            self.records.pop_front();
        }
        self.records.push_back(record);
    }

    /// The records kept, oldest first.
    pub fn records(&self) -> Vec<RequestRecord> {
        self.records.iter().cloned().collect()
    }

    /// The counters.
    pub fn counters(&self) -> RequestCounters {
        self.counters.clone()
    }

    /// Forgets every record and zeroes the counters.
    pub fn reset(&mut self) {
        self.records.clear();
        self.counters = RequestCounters::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(op: Op, target: Option<&str>) -> RequestRecord {
        RequestRecord {
            seq: 0,
            at: Duration::ZERO,
            sim_at: Duration::ZERO,
            op,
            target: target.map(str::to_string),
            version: None,
            job_id: None,
            response: ResponseKind::Ok,
        }
    }

    #[test]
    fn the_log_is_capped_but_the_counters_stay_exact() {
        let mut log = RequestLog::new(3);
        for i in 0..10 {
            log.push(rec(
                Op::ShowSystemInfo,
                if i % 2 == 0 { Some("A") } else { None },
            ));
        }
        let records = log.records();
        assert_eq!(records.len(), 3);
        assert_eq!(records.first().unwrap().seq, 7);
        let c = log.counters();
        assert_eq!(c.total, 10);
        assert_eq!(c.op(Op::ShowSystemInfo), 10);
        assert_eq!(c.target("A"), 5);
        assert_eq!(c.target("panorama"), 5);
        assert_eq!(c.target_op("A", Op::ShowSystemInfo), 5);
    }
}
