//! Readiness checks, snapshots and comparison (work in progress).
