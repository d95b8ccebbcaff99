//! Answers about asynchronous jobs: the enqueue answer of a job-starting command
//! (`code="19"`), `show jobs id N` and `show jobs all`.

use std::borrow::Cow;

use roxmltree::Node;

use super::device::result;
use super::envelope::open;
use super::{Ctx, child, children, number_of, text_of, text_ref, trimmed_text};
use crate::error::ClientError;
use crate::model::{JobOutcome, JobProgress, JobState, JobStatus};
use crate::types::JobId;

/// Parses the answer to a command that starts a job (download, install, commit): the job id,
/// from `<result><job>N</job>` or from `… jobid N` in the message.
///
/// # Errors
/// An envelope error, or [`ClientError::Api`] with the device's message when the answer is a
/// success without a job (`There are no changes to commit.`).
pub fn parse_job_enqueued(xml: &str) -> Result<JobId, ClientError> {
    job_enqueued(&Ctx::new("start a job"), xml)
}

pub(crate) fn job_enqueued(ctx: &Ctx<'_>, xml: &str) -> Result<JobId, ClientError> {
    let response = open(ctx, xml)?;
    let from_element = response
        .result()
        .and_then(|result| number_of::<JobId>(result, "job"));
    if let Some(job) = from_element.or_else(|| job_in_message(&response.envelope.message)) {
        return Ok(job);
    }
    let message = if response.envelope.message.is_empty() {
        "the device answered success without a job id".to_owned()
    } else {
        response.envelope.message.clone()
    };
    Err(ClientError::Api {
        operation: ctx.operation.to_owned(),
        code: response.envelope.code,
        message,
        http_status: None,
    })
}

/// The `N` of `… jobid N …` in a message.
fn job_in_message(message: &str) -> Option<JobId> {
    let (_, after) = message.split_once("jobid")?;
    let digits: String = after
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Parses the answer to `show jobs id N`.
///
/// # Errors
/// An envelope error (`job N not found` is a [`ClientError::Api`]), or [`ClientError::Decode`]
/// when there is no `<job>`.
pub fn parse_job_status(xml: &str) -> Result<JobStatus, ClientError> {
    job_status(&Ctx::new("show jobs id"), xml)
}

pub(crate) fn job_status(ctx: &Ctx<'_>, xml: &str) -> Result<JobStatus, ClientError> {
    let response = open(ctx, xml)?;
    let job = child(result(ctx, &response)?, "job")
        .ok_or_else(|| ctx.decode("the answer has no <result><job>", xml))?;
    Ok(job_of(job))
}

/// Parses the answer to `show jobs all`, in the device's order. A `<job>` without an `<id>`
/// (a job that failed before it got one) is kept with `id` `None`.
///
/// # Errors
/// An envelope error.
pub fn parse_jobs_all(xml: &str) -> Result<Vec<JobStatus>, ClientError> {
    jobs_all(&Ctx::new("show jobs all"), xml)
}

pub(crate) fn jobs_all(ctx: &Ctx<'_>, xml: &str) -> Result<Vec<JobStatus>, ClientError> {
    let response = open(ctx, xml)?;
    let Some(result) = response.result() else {
        return Ok(Vec::new());
    };
    Ok(children(result, "job").map(job_of).collect())
}

fn job_of(job: Node<'_, '_>) -> JobStatus {
    JobStatus {
        id: number_of(job, "id"),
        job_type: text_of(job, "type"),
        state: state_of(&text_ref(job, "status").unwrap_or_default()),
        outcome: outcome_of(&text_ref(job, "result").unwrap_or_default()),
        progress: progress_of(&text_ref(job, "progress").unwrap_or_default()),
        details: lines(child(job, "details")),
        warnings: lines(child(job, "warnings")),
        enqueued_at: text_of(job, "tenq"),
        finished_at: text_of(job, "tfin"),
        description: text_of(job, "description"),
    }
}

/// A job's `status`, in any case.
fn state_of(text: &str) -> JobState {
    let is = |word: &str| text.eq_ignore_ascii_case(word);
    if is("ACT") {
        JobState::Active
    } else if is("PEND") || is("QUEUED") {
        JobState::Pending
    } else if is("FIN") {
        JobState::Finished
    } else {
        JobState::Other(text.to_owned())
    }
}

/// A job's `result`, in any case.
fn outcome_of(text: &str) -> JobOutcome {
    let is = |word: &str| text.eq_ignore_ascii_case(word);
    if is("PEND") {
        JobOutcome::Pending
    } else if is("OK") {
        JobOutcome::Ok
    } else if is("FAIL") {
        JobOutcome::Fail
    } else {
        JobOutcome::Other(text.to_owned())
    }
}

/// A percentage while running; at FIN either `100` or a time stamp.
fn progress_of(text: &str) -> JobProgress {
    if text.is_empty() {
        return JobProgress::Unknown;
    }
    match text.parse::<u8>() {
        Ok(percent) if percent <= 100 => JobProgress::Percent(percent),
        _ => JobProgress::Time(text.to_owned()),
    }
}

/// The trimmed, non-blank `<line>` texts of a `details` or `warnings` element.
fn lines(node: Option<Node<'_, '_>>) -> Vec<String> {
    let Some(node) = node else {
        return Vec::new();
    };
    let lines: Vec<String> = children(node, "line")
        .map(trimmed_text)
        .filter(|line| !line.is_empty())
        .map(Cow::into_owned)
        .collect();
    if lines.is_empty() {
        // Some releases put the text straight into the element.
        let text = trimmed_text(node);
        if !text.is_empty() {
            return vec![text.into_owned()];
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_id_from_the_message_when_no_job_element() {
        let body = "<response status='success' code='19'><result><msg><line>Download job \
                    enqueued with jobid 42</line></msg></result></response>";
        assert_eq!(parse_job_enqueued(body).unwrap(), JobId(42));
        assert_eq!(job_in_message("jobid  7. Run"), Some(JobId(7)));
        assert_eq!(job_in_message("no job here"), None);
    }

    #[test]
    fn progress_is_a_percent_or_a_time() {
        assert_eq!(progress_of("0"), JobProgress::Percent(0));
        assert_eq!(progress_of("100"), JobProgress::Percent(100));
        assert_eq!(progress_of("101"), JobProgress::Time("101".into()));
        assert_eq!(
            progress_of("08:32:10"),
            JobProgress::Time("08:32:10".into())
        );
        assert_eq!(progress_of(""), JobProgress::Unknown);
    }

    #[test]
    fn states_and_outcomes_in_any_case() {
        assert_eq!(state_of("ACT"), JobState::Active);
        assert_eq!(state_of("act"), JobState::Active);
        assert_eq!(state_of("Pend"), JobState::Pending);
        assert_eq!(state_of("queued"), JobState::Pending);
        assert_eq!(state_of("FIN"), JobState::Finished);
        assert_eq!(state_of("Fin "), JobState::Other("Fin ".into()));
        assert_eq!(state_of(""), JobState::Other(String::new()));
        assert_eq!(outcome_of("pend"), JobOutcome::Pending);
        assert_eq!(outcome_of("Ok"), JobOutcome::Ok);
        assert_eq!(outcome_of("FAIL"), JobOutcome::Fail);
        assert_eq!(outcome_of("failed"), JobOutcome::Other("failed".into()));
    }

    #[test]
    fn empty_jobs_list() {
        assert!(
            parse_jobs_all("<response status='success'><result/></response>")
                .unwrap()
                .is_empty()
        );
        assert!(
            parse_jobs_all("<response status='success'/>")
                .unwrap()
                .is_empty()
        );
    }
}
