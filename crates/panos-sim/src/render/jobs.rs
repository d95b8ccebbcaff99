//! `show jobs id N` and `show jobs all`: the `<job>` element with `tenq`, `tdeq`, `id`, `user`,
//! `type`, `status`, `queued`, `stoppable`, `result`, `tfin`, `description`, `positionInQ`,
//! `progress` (a time at FIN for downloads, as real devices show), `details/line*` (CDATA for
//! failure lines) and `warnings`.

use std::fmt::Write as _;

use super::{escape, success};
use crate::clock::{SimInstant, hms, ymd_hms};
use crate::jobs::{Job, JobKind, JobResult, JobStatus};

/// One `<job>` element at `now`, indented for a `<result>`.
pub fn job_element(job: &Job, now: SimInstant) -> String {
    let v = job.view(now);
    let mut s = String::with_capacity(800);
    let (status, result) = match (v.status, v.result) {
        (JobStatus::Act, _) => ("ACT", "PEND"),
        (JobStatus::Fin, JobResult::Fail) => ("FIN", "FAIL"),
        (JobStatus::Fin, _) => ("FIN", "OK"),
    };
    let tfin = v
        .finished_at
        .map(hms)
        .unwrap_or_else(|| "Still Active".into());
    let progress = match (v.finished_at, job.kind) {
        (Some(t), JobKind::Download) => hms(t),
        (Some(_), JobKind::Install) => "100".into(),
        (None, _) => v.progress.to_string(),
    };
    let stoppable = if v.status == JobStatus::Act && job.kind == JobKind::Download {
        "yes"
    } else {
        "no"
    };
    let _ = write!(
        s,
        "        <job>\n            <tenq>{}</tenq>\n            <tdeq>{}</tdeq>\n            <id>{}</id>\n            <user/>\n            <type>{}</type>\n            <status>{status}</status>\n            <queued>NO</queued>\n            <stoppable>{stoppable}</stoppable>\n            <result>{result}</result>\n            <tfin>{tfin}</tfin>\n            <description/>\n            <positionInQ>0</positionInQ>\n            <progress>{progress}</progress>\n",
        ymd_hms(job.enqueued),
        hms(job.enqueued),
        job.id,
        job.kind.type_name(),
    );
    if v.lines.is_empty() {
        s.push_str("            <details/>\n");
    } else {
        s.push_str("            <details>\n");
        for line in &v.lines {
            if v.result == JobResult::Fail {
                let _ = writeln!(
                    s,
                    "                <line><![CDATA[{}]]></line>",
                    line.replace("]]>", "")
                );
            } else {
                let _ = writeln!(s, "                <line>{}</line>", escape(line));
            }
        }
        s.push_str("            </details>\n");
    }
    s.push_str("            <warnings/>\n        </job>\n");
    s
}

/// `show jobs id N`.
pub fn show_job(job: &Job, now: SimInstant) -> String {
    success(&job_element(job, now))
}

/// `show jobs all`, newest first.
pub fn show_all<'a>(jobs: impl DoubleEndedIterator<Item = &'a Job>, now: SimInstant) -> String {
    let mut s = String::new();
    for job in jobs.rev() {
        s.push_str(&job_element(job, now));
    }
    success(&s)
}

/// `job N not found`.
pub fn not_found(id: &str) -> String {
    format!(
        "<response status=\"error\">\n  <msg>\n    <line>job {} not found</line>\n  </msg>\n</response>\n",
        escape(id)
    )
}
