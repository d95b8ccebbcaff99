//! The daemon's metrics in the Prometheus text format (version 0.0.4), for node_exporter's
//! textfile collector: [`render`] turns a [`DaemonStatus`] into the file's text, so the
//! metrics file and `status/daemon.json` always carry the same numbers.
//!
//! Every series of a labelled family is written even at zero (every job folder, every
//! daemon and device state), so a dashboard's series do not appear and vanish.

use std::fmt::Write as _;

use panos_queue::{DaemonState, DaemonStatus, DeviceState};

/// Every daemon state, in the order written.
const DAEMON_STATES: [DaemonState; 4] = [
    DaemonState::Starting,
    DaemonState::Running,
    DaemonState::Paused,
    DaemonState::Stopping,
];

/// Every device state, in the order written.
const DEVICE_STATES: [DeviceState; 13] = [
    DeviceState::Idle,
    DeviceState::Unknown,
    DeviceState::Queued,
    DeviceState::Preflight,
    DeviceState::Downloading,
    DeviceState::Installing,
    DeviceState::Rebooting,
    DeviceState::WaitingReady,
    DeviceState::Postflight,
    DeviceState::Done,
    DeviceState::Failed,
    DeviceState::Cancelled,
    DeviceState::Skipped,
];

/// The wire name of a unit enum value (`running`, `waiting_ready`, …).
fn name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "unknown".to_owned(),
    }
}

/// Escapes a label value (backslash, double quote, line feed).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A number as Prometheus reads it.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{value}")
    }
}

struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.0, "{{{}}}", labels.join(","));
        }
        let _ = writeln!(self.0, " {}", number(value));
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// The metrics file for `status`.
#[allow(clippy::cast_precision_loss)] // counters far below 2^53
pub fn render(status: &DaemonStatus) -> String {
    let mut out = Out(String::new());
    let c = &status.counters;

    out.family("panosd_info", "gauge", "The daemon's version; always 1.");
    out.sample("panosd_info", &[("version", &status.version)], 1.0);
    out.single(
        "panosd_start_time_seconds",
        "gauge",
        "When the daemon started, in Unix time.",
        status.started_at.timestamp_millis() as f64 / 1000.0,
    );
    out.family(
        "panosd_state",
        "gauge",
        "What the daemon is doing: 1 for the current state.",
    );
    for state in DAEMON_STATES {
        let value = if state == status.state { 1.0 } else { 0.0 };
        out.sample("panosd_state", &[("state", &name(&state))], value);
    }
    out.single(
        "panosd_workers_configured",
        "gauge",
        "Job slots (workers.max).",
        f64::from(status.workers.configured),
    );
    out.single(
        "panosd_workers_busy",
        "gauge",
        "Job slots running a job.",
        f64::from(status.workers.busy),
    );

    out.family(
        "panosd_queue_jobs",
        "gauge",
        "Job files in each folder of queue/.",
    );
    let q = &status.queue;
    for (folder, n) in [
        ("pending", q.pending),
        ("active", q.active),
        ("completed", q.completed),
        ("failed", q.failed),
        ("cancelled", q.cancelled),
    ] {
        out.sample("panosd_queue_jobs", &[("folder", folder)], n as f64);
    }
    out.family(
        "panosd_jobs_finished_total",
        "counter",
        "Jobs finished since the daemon started, by outcome.",
    );
    for (outcome, n) in [
        ("completed", c.jobs_completed),
        ("failed", c.jobs_failed),
        ("cancelled", c.jobs_cancelled),
    ] {
        out.sample(
            "panosd_jobs_finished_total",
            &[("outcome", outcome)],
            n as f64,
        );
    }

    out.family(
        "panosd_devices",
        "gauge",
        "Known firewalls by state, from their status files.",
    );
    for state in DEVICE_STATES {
        let n = status.devices.get(&state).copied().unwrap_or(0);
        out.sample("panosd_devices", &[("state", &name(&state))], n as f64);
    }
    out.single(
        "panosd_devices_upgraded_total",
        "counter",
        "Firewalls upgraded by jobs finished since the daemon started (dry runs not counted).",
        c.devices_upgraded as f64,
    );
    out.single(
        "panosd_devices_failed_total",
        "counter",
        "Firewalls failed in jobs finished since the daemon started.",
        c.devices_failed as f64,
    );

    out.single(
        "panosd_api_calls_total",
        "counter",
        "Panorama API calls.",
        c.api_calls as f64,
    );
    out.single(
        "panosd_api_errors_total",
        "counter",
        "Panorama API calls that failed (not counting 'device not connected').",
        c.api_errors as f64,
    );
    out.single(
        "panosd_api_device_not_connected_total",
        "counter",
        "Panorama's 'device not connected' answers (expected while a firewall restarts).",
        c.api_device_not_connected as f64,
    );
    out.single(
        "panosd_rate_limited_requests_total",
        "counter",
        "API requests that waited for the rate limit.",
        c.rate_limited_requests as f64,
    );
    out.single(
        "panosd_rate_limit_wait_seconds_total",
        "counter",
        "Time API requests waited for the rate limit and the in-flight cap.",
        c.rate_limit_wait_ms as f64 / 1000.0,
    );
    out.single(
        "panosd_files_rejected_total",
        "counter",
        "Malformed job and command files moved aside.",
        c.files_rejected as f64,
    );
    out.single(
        "panosd_commands_processed_total",
        "counter",
        "Commands processed.",
        c.commands_processed as f64,
    );
    if let Some(at) = status.last_panorama_contact {
        out.single(
            "panosd_last_panorama_contact_seconds",
            "gauge",
            "The last answer from Panorama, in Unix time.",
            at.timestamp_millis() as f64 / 1000.0,
        );
    }

    let h = &status.job_durations;
    let family = "panosd_job_duration_seconds";
    out.family(
        family,
        "histogram",
        "How long completed upgrade jobs took, claim to result.",
    );
    for bucket in &h.buckets {
        let le = number(bucket.le_secs);
        out.sample(
            &format!("{family}_bucket"),
            &[("le", &le)],
            bucket.count as f64,
        );
    }
    out.sample(
        &format!("{family}_bucket"),
        &[("le", "+Inf")],
        h.count as f64,
    );
    out.sample(&format!("{family}_sum"), &[], h.sum_secs);
    out.sample(&format!("{family}_count"), &[], h.count as f64);

    out.single(
        "panosd_status_updated_seconds",
        "gauge",
        "When these figures were taken, in Unix time.",
        status.updated_at.timestamp_millis() as f64 / 1000.0,
    );
    out.0
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{TimeZone, Utc};
    use panos_queue::{
        DaemonCounters, DurationHistogram, QueueDepths, SchemaVersion, WorkerCounts,
    };

    use super::*;

    fn status() -> DaemonStatus {
        let mut job_durations = DurationHistogram::with_bounds(&[300.0, 3600.0]);
        job_durations.observe(120.0);
        job_durations.observe(900.0);
        job_durations.observe(7200.0);
        DaemonStatus {
            schema_version: SchemaVersion,
            pid: 42,
            version: "0.1.0-rc.1".to_owned(),
            started_at: Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap(),
            state: DaemonState::Paused,
            workers: WorkerCounts {
                configured: 10,
                busy: 3,
            },
            queue: QueueDepths {
                pending: 12,
                active: 3,
                completed: 140,
                failed: 2,
                cancelled: 1,
            },
            counters: DaemonCounters {
                jobs_completed: 140,
                jobs_failed: 2,
                api_calls: 48_210,
                api_errors: 12,
                api_device_not_connected: 30,
                rate_limited_requests: 900,
                rate_limit_wait_ms: 61_500,
                devices_upgraded: 150,
                devices_failed: 2,
                ..DaemonCounters::default()
            },
            devices: BTreeMap::from([(DeviceState::Done, 150), (DeviceState::Installing, 3)]),
            job_durations,
            last_panorama_contact: Some(Utc.with_ymd_and_hms(2026, 11, 24, 19, 50, 1).unwrap()),
            updated_at: Utc.with_ymd_and_hms(2026, 11, 24, 19, 50, 3).unwrap(),
        }
    }

    /// Checks the text format line by line: `# HELP`/`# TYPE` before a family's samples, each
    /// family typed once, metric and label names valid, values numbers.
    fn check_text_format(text: &str) {
        let valid_name = |n: &str| {
            !n.is_empty()
                && !n.starts_with(|c: char| c.is_ascii_digit())
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        };
        let mut typed: BTreeMap<String, String> = BTreeMap::new();
        assert!(text.ends_with('\n'), "the file ends with a line feed");
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# ") {
                let mut parts = rest.splitn(3, ' ');
                let (keyword, name) = (parts.next().unwrap(), parts.next().unwrap());
                assert!(valid_name(name), "{line}");
                if keyword == "TYPE" {
                    let kind = parts.next().unwrap();
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                        "{line}"
                    );
                    assert!(
                        typed.insert(name.to_owned(), kind.to_owned()).is_none(),
                        "{line}"
                    );
                } else {
                    assert_eq!(keyword, "HELP", "{line}");
                }
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            assert!(
                value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value),
                "{line}"
            );
            let name = series.split('{').next().unwrap();
            assert!(valid_name(name), "{line}");
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| {
                    name.strip_suffix(s)
                        .filter(|f| typed.get(*f).is_some_and(|k| k == "histogram"))
                })
                .unwrap_or(name);
            assert!(typed.contains_key(family), "{line}: no # TYPE before it");
            let labels = &series[name.len()..];
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
    }

    #[test]
    fn the_file_parses_and_carries_the_status_numbers() {
        let status = status();
        let text = render(&status);
        check_text_format(&text);
        let lines = text.lines().map(|l| Ok(l.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
        let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
            let sample = scrape
                .samples
                .iter()
                .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
                .unwrap_or_else(|| panic!("{name} {label:?} missing from\n{text}"));
            match &sample.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => *v,
                other => panic!("{name}: {other:?}"),
            }
        };
        assert_eq!(value("panosd_state", Some(("state", "paused"))), 1.0);
        assert_eq!(value("panosd_state", Some(("state", "running"))), 0.0);
        assert_eq!(value("panosd_workers_busy", None), 3.0);
        assert_eq!(
            value("panosd_queue_jobs", Some(("folder", "pending"))),
            12.0
        );
        assert_eq!(
            value("panosd_jobs_finished_total", Some(("outcome", "failed"))),
            2.0
        );
        assert_eq!(value("panosd_devices", Some(("state", "done"))), 150.0);
        assert_eq!(
            value("panosd_devices", Some(("state", "waiting_ready"))),
            0.0
        );
        assert_eq!(value("panosd_api_calls_total", None), 48_210.0);
        assert_eq!(value("panosd_api_device_not_connected_total", None), 30.0);
        assert_eq!(value("panosd_rate_limit_wait_seconds_total", None), 61.5);
        assert_eq!(value("panosd_devices_upgraded_total", None), 150.0);
        assert_eq!(
            value("panosd_last_panorama_contact_seconds", None),
            status.last_panorama_contact.unwrap().timestamp() as f64
        );
        assert_eq!(
            scrape
                .docs
                .get("panosd_api_errors_total")
                .map(String::as_str),
            Some("Panorama API calls that failed (not counting 'device not connected').")
        );
        let info = scrape
            .samples
            .iter()
            .find(|s| s.metric == "panosd_info")
            .unwrap();
        assert_eq!(info.labels.get("version"), Some("0.1.0-rc.1"));
        // The histogram: cumulative buckets, +Inf equal to the count.
        let histogram = scrape
            .samples
            .iter()
            .find(|s| s.metric == "panosd_job_duration_seconds")
            .expect("the histogram");
        let prometheus_parse::Value::Histogram(buckets) = &histogram.value else {
            panic!("{:?}", histogram.value);
        };
        let counts: Vec<(f64, f64)> = buckets.iter().map(|b| (b.less_than, b.count)).collect();
        assert_eq!(counts, [(300.0, 1.0), (3600.0, 2.0), (f64::INFINITY, 3.0)]);
        assert!(
            text.contains("panosd_job_duration_seconds_sum 8220\n"),
            "{text}"
        );
        assert!(
            text.contains("panosd_job_duration_seconds_count 3\n"),
            "{text}"
        );
    }

    #[test]
    fn numbers_and_label_values_are_written_as_the_format_wants() {
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    }
}
