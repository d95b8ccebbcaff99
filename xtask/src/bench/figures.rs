//! The figures a benchmark run reports: one line per figure (`name: value unit`, with its
//! target and whether it is met), the JSON results file, and the percentile helper. Pure
//! formatting and arithmetic; measuring is done elsewhere.

use std::time::Duration;

use serde::Serialize;

/// What a figure should be.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// At most this value.
    AtMost(f64),
}

impl Target {
    /// Whether `value` meets the target.
    pub fn met(self, value: f64) -> bool {
        match self {
            Target::AtMost(limit) => value <= limit,
        }
    }
}

/// One measured figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// Dotted name, e.g. `pickup.p99`.
    pub name: String,
    /// The value, in `unit`.
    pub value: f64,
    /// `s`, `ms`, `MB`, `calls`, or empty for a ratio or a count.
    pub unit: &'static str,
    /// The target, when it sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// Whether the target is met (absent without a target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
}

impl Figure {
    /// A figure without a target.
    pub fn new(name: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Figure {
            name: name.into(),
            value,
            unit,
            target: None,
            met: None,
        }
    }

    /// A figure with a target.
    pub fn with_target(mut self, target: Target) -> Self {
        self.met = Some(target.met(self.value));
        self.target = Some(target);
        self
    }

    /// `name: value unit`, then the target and whether it is met.
    pub fn line(&self) -> String {
        let mut line = format!("{}: {}", self.name, number(self.value));
        if !self.unit.is_empty() {
            line.push(' ');
            line.push_str(self.unit);
        }
        if let Some(Target::AtMost(limit)) = self.target {
            let unit = if self.unit.is_empty() {
                String::new()
            } else {
                format!(" {}", self.unit)
            };
            let verdict = if self.met == Some(true) {
                "met"
            } else {
                "NOT met"
            };
            line.push_str(&format!("  (target ≤ {}{unit}: {verdict})", number(limit)));
        }
        line
    }
}

/// A value with as many decimals as it deserves: three significant digits below 100,
/// whole numbers above.
pub fn number(value: f64) -> String {
    let magnitude = value.abs();
    let decimals = if magnitude >= 100.0 || value.fract() == 0.0 {
        0
    } else if magnitude >= 10.0 {
        1
    } else if magnitude >= 1.0 {
        2
    } else {
        3
    };
    format!("{value:.decimals$}")
}

/// Milliseconds of a duration, as a float.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p` quantile (0.0–1.0) of sorted values, by the nearest rank; `None` when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The median of unsorted samples.
pub fn median(samples: &[Duration]) -> Option<Duration> {
    let mut sorted = samples.to_vec();
    sorted.sort();
    percentile(&sorted, 0.5)
}

/// The results file: the figures, the run's parameters and the details behind them.
#[derive(Debug, Serialize)]
pub struct Results {
    /// When the run started (RFC 3339).
    pub started_at: String,
    /// `--quick`.
    pub quick: bool,
    /// Online CPUs and the load average at the start, for reading the figures.
    pub machine: Machine,
    /// Every figure, in the order printed.
    pub figures: Vec<Figure>,
    /// Per part: its parameters and the numbers behind its figures.
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// What the machine was like.
#[derive(Debug, Serialize)]
pub struct Machine {
    /// `std::thread::available_parallelism`.
    pub cpus: usize,
    /// `/proc/loadavg`'s first three fields, when readable.
    pub load_average: Option<String>,
}

impl Machine {
    /// This machine, now.
    pub fn now() -> Self {
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            load_average: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_the_value_unit_and_target() {
        let fig = Figure::new("pickup.p99", 12.14, "ms").with_target(Target::AtMost(50.0));
        assert_eq!(fig.line(), "pickup.p99: 12.1 ms  (target ≤ 50 ms: met)");
        let ratio =
            Figure::new("fleet.makespan_ratio", 1.0823, "").with_target(Target::AtMost(1.05));
        assert_eq!(
            ratio.line(),
            "fleet.makespan_ratio: 1.08  (target ≤ 1.05: NOT met)"
        );
        assert_eq!(
            Figure::new("fleet.api_calls", 14210.0, "calls").line(),
            "fleet.api_calls: 14210 calls"
        );
        assert_eq!(Figure::new("x", 0.01234, "s").line(), "x: 0.012 s");
    }

    #[test]
    fn the_json_of_a_figure_has_its_target_and_verdict() {
        let fig = Figure::new("scale.rss_peak", 160.0, "MB").with_target(Target::AtMost(150.0));
        let json = serde_json::to_value(&fig).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "name": "scale.rss_peak", "value": 160.0, "unit": "MB",
                "target": {"kind": "at_most", "value": 150.0}, "met": false
            })
        );
        let plain = serde_json::to_value(Figure::new("a", 1.0, "")).unwrap();
        assert_eq!(
            plain,
            serde_json::json!({"name": "a", "value": 1.0, "unit": ""})
        );
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 0.5), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&sorted, 0.99), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&sorted, 1.0), Some(Duration::from_millis(100)));
        assert_eq!(percentile(&sorted, 0.0), Some(Duration::from_millis(1)));
        assert_eq!(
            percentile(&sorted[..1], 0.99),
            Some(Duration::from_millis(1))
        );
        assert_eq!(percentile(&[], 0.5), None);
        let samples = [30, 10, 20].map(Duration::from_millis);
        assert_eq!(median(&samples), Some(Duration::from_millis(20)));
    }
}
