//! Job answers: enqueue (code 19), `show jobs id`, `show jobs all`.

use super::*;

#[test]
fn job_enqueued_answers() {
    for (name, id) in [
        ("commit.job-enqueued-code19.xml", 2),
        ("content-av-download.job-enqueued-code19.fw-8.x.xml", 7708),
        (
            "request-system-software-download.via-panorama-target.code19.doc-9.1.xml",
            3448,
        ),
        (
            "request-system-software-install.via-panorama-target.code19.doc-9.1.xml",
            3453,
        ),
    ] {
        let Some(xml) = sample(name) else { return };
        assert_eq!(parse_job_enqueued(&xml).unwrap(), JobId(id), "{name}");
        let envelope = check_envelope("op", None, &xml).unwrap();
        assert_eq!(envelope.code, Some(19), "{name}");
        assert!(envelope.message.contains(&format!("jobid {id}")), "{name}");
    }
}

#[test]
fn commit_without_changes_has_no_job() {
    let Some(xml) = sample("commit.no-changes-code19.xml") else {
        return;
    };
    let envelope = check_envelope("commit", None, &xml).unwrap();
    assert_eq!(envelope.code, Some(19));
    assert_eq!(envelope.message, "There are no changes to commit.");
    let (code, message, _) = api_error(parse_job_enqueued(&xml));
    assert_eq!(
        (code, message.as_str()),
        (Some(19), "There are no changes to commit.")
    );
}

#[test]
fn job_download_fin_via_panorama_has_time_progress() {
    let Some(xml) = sample("show-jobs-id.downld-fin-ok.via-panorama-target.doc-9.1.xml") else {
        return;
    };
    let job = parse_job_status(&xml).unwrap();
    assert_eq!(job.id, Some(JobId(3448)));
    assert_eq!(job.job_type.as_deref(), Some("Downld"));
    assert_eq!(job.state, JobState::Finished);
    assert_eq!(job.outcome, JobOutcome::Ok);
    assert_eq!(job.progress, JobProgress::Time("08:32:10".into()));
    assert_eq!(job.enqueued_at.as_deref(), Some("2016/02/03 08:32:00"));
    assert_eq!(job.finished_at.as_deref(), Some("08:32:10"));
    assert_eq!(
        job.details,
        [
            "Successfully downloaded",
            "Preloading into software manager",
            "Successfully loaded into software manager"
        ]
    );
    assert!(job.warnings.is_empty());
    assert!(job.is_finished());
}

#[test]
fn job_download_still_active_with_admin_element() {
    let Some(xml) = sample("show-jobs-id.downld-act-pend-still-active.fw-8.x.xml") else {
        return;
    };
    let job = parse_job_status(&xml).unwrap();
    assert_eq!(job.id, Some(JobId(7712)));
    assert_eq!(job.state, JobState::Active);
    assert_eq!(job.outcome, JobOutcome::Pending);
    assert_eq!(job.progress, JobProgress::Percent(13));
    assert_eq!(job.finished_at.as_deref(), Some("Still Active"));
    assert_eq!(job.description, None);
    assert!(job.details.is_empty());
    assert!(!job.is_finished());
}

#[test]
fn job_download_fin_admin_element_trims_the_line() {
    let Some(xml) = sample("show-jobs-id.downld-fin-ok-admin-elem.fw-8.x.xml") else {
        return;
    };
    let job = parse_job_status(&xml).unwrap();
    assert_eq!(job.id, Some(JobId(7710)));
    assert_eq!(
        (job.state, job.outcome),
        (JobState::Finished, JobOutcome::Ok)
    );
    assert_eq!(job.progress, JobProgress::Time("14:02:21".into()));
    assert_eq!(job.details, ["File successfully downloaded"]);
}

#[test]
fn job_antivirus_install_running_then_done() {
    let Some(running) = sample("show-jobs-id.antivirus-install-act-pend.fw-8.x.xml") else {
        return;
    };
    let Some(done) = sample("show-jobs-id.antivirus-install-fin-ok.fw-8.x.xml") else {
        return;
    };
    let running = parse_job_status(&running).unwrap();
    assert_eq!(running.id, Some(JobId(7713)));
    assert_eq!(running.job_type.as_deref(), Some("Antivirus"));
    assert_eq!(running.state, JobState::Active);
    assert_eq!(running.progress, JobProgress::Percent(10));
    let done = parse_job_status(&done).unwrap();
    assert_eq!(done.id, Some(JobId(7713)));
    assert_eq!(
        (done.state, done.outcome),
        (JobState::Finished, JobOutcome::Ok)
    );
    assert_eq!(done.progress, JobProgress::Time("14:09:42".into()));
    assert_eq!(
        done.details,
        [
            "Configuration committed successfully",
            "Successfully committed last configuration"
        ]
    );
}

#[test]
fn job_commit_progress_percentages() {
    for (name, state, outcome, progress) in [
        (
            "show-jobs-id.commit-act-pend-progress0.xml",
            JobState::Active,
            JobOutcome::Pending,
            0,
        ),
        (
            "show-jobs-id.commit-act-pend-progress75.xml",
            JobState::Active,
            JobOutcome::Pending,
            75,
        ),
        (
            "show-jobs-id.commit-fin-ok.xml",
            JobState::Finished,
            JobOutcome::Ok,
            100,
        ),
    ] {
        let Some(xml) = sample(name) else { return };
        let job = parse_job_status(&xml).unwrap();
        assert_eq!(job.id, Some(JobId(2)), "{name}");
        assert_eq!(job.job_type.as_deref(), Some("Commit"), "{name}");
        assert_eq!(job.state, state, "{name}");
        assert_eq!(job.outcome, outcome, "{name}");
        assert_eq!(job.progress, JobProgress::Percent(progress), "{name}");
        assert_eq!(job.enqueued_at.as_deref(), Some("2018/06/12 04:36:45"));
    }
    let Some(xml) = sample("show-jobs-id.commit-fin-ok.xml") else {
        return;
    };
    let job = parse_job_status(&xml).unwrap();
    assert_eq!(job.details, ["Configuration committed successfully"]);
    assert_eq!(job.finished_at.as_deref(), Some("04:36:57"));
}

#[test]
fn job_validate_fail_keeps_cdata_lines() {
    let Some(xml) = sample("show-jobs-id.validate-fin-fail-cdata-lines.xml") else {
        return;
    };
    let job = parse_job_status(&xml).unwrap();
    assert_eq!(job.id, Some(JobId(8)));
    assert_eq!(job.job_type.as_deref(), Some("Validate"));
    assert_eq!(
        (job.state, job.outcome),
        (JobState::Finished, JobOutcome::Fail)
    );
    assert_eq!(job.details.len(), 6);
    assert_eq!(job.details[0], "Validation Error:");
    assert_eq!(
        job.details[1],
        "address -> address-3 Node ip-netmask(line 30226) and ip-range(line 30227) are mutually exclusive"
    );
    assert_eq!(job.details[5], "devices is invalid");
}

#[test]
fn job_not_found_is_an_api_error() {
    let Some(xml) = sample("show-jobs-id.error-job-not-found.fw-6.x.xml") else {
        return;
    };
    let (code, message, _) = api_error(parse_job_status(&xml));
    assert_eq!((code, message.as_str()), (None, "job 4 not found"));
}

#[test]
fn jobs_all_autocom_and_wildfire() {
    let Some(xml) = sample("show-jobs-all.fw-autocom-wildfire-fin.xml") else {
        return;
    };
    let jobs = parse_jobs_all(&xml).unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].id, Some(JobId(4)));
    assert_eq!(jobs[0].job_type.as_deref(), Some("WildFire"));
    assert_eq!(
        jobs[0].progress,
        JobProgress::Time("2023/08/07 04:00:45".into())
    );
    assert_eq!(jobs[1].id, Some(JobId(1)));
    assert_eq!(jobs[1].job_type.as_deref(), Some("AutoCom"));
    assert_eq!(jobs[1].progress, JobProgress::Percent(100));
    assert!(
        jobs.iter()
            .all(|job| job.is_finished() && job.outcome == JobOutcome::Ok)
    );
}

#[test]
fn jobs_all_refreshlic() {
    let Some(xml) = sample("show-jobs-all.refreshlic-fin.xml") else {
        return;
    };
    let jobs = parse_jobs_all(&xml).unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id, Some(JobId(385)));
    assert_eq!(jobs[0].job_type.as_deref(), Some("RefreshLic"));
    assert_eq!(jobs[0].finished_at.as_deref(), Some("01:39:18"));
    assert!(jobs[0].details.is_empty());
}

#[test]
fn jobs_all_keeps_the_idless_job() {
    let Some(xml) = sample("show-jobs-all.with-idless-failed-job.xml") else {
        return;
    };
    let jobs = parse_jobs_all(&xml).unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].id, None);
    assert_eq!(jobs[0].job_type.as_deref(), Some("Failed-Job"));
    assert_eq!(jobs[0].details, ["job failed because of configd restart"]);
    assert!(!jobs[0].is_finished());
    assert_eq!(jobs[1].id, Some(JobId(7)));
    assert_eq!(jobs[1].description.as_deref(), Some("description"));
    assert_eq!(jobs[1].details, ["line 1", "line 2"]);
    assert_eq!(jobs[1].finished_at.as_deref(), Some("2024/08/25 22:09:00"));
}
