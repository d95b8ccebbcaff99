//! Pickup latency benchmark (placeholder).
fn main() {}
