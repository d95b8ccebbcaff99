//! Faults on the wire and the request limiter: delays, dropped connections, HTTP 5xx, malformed
//! XML, API error codes, a device taken offline, and code 22 / 429 / waiting over the limits.

mod common;

use std::time::Duration;

use common::*;
use panos_sim::{Fault, FaultRule, Op, OverLimit, RateLimit, ResponseKind};

async fn advance(secs: u64) {
    tokio::time::advance(Duration::from_secs(secs)).await;
}

#[tokio::test(start_paused = true)]
async fn response_faults_delay_drop_5xx_malformed_and_api_errors() {
    let (sim, api) = start(example_fleet()).await;
    // Delay (only on the chosen operation).
    sim.inject_fault(
        BRANCH,
        FaultRule::times(Fault::Delay { ms: 1500 }, 1).on(Op::ShowSystemInfo),
    )
    .unwrap();
    let t0 = tokio::time::Instant::now();
    api.op(Some(BRANCH), "<show><chassis-ready/></show>").await;
    assert!(
        t0.elapsed() < Duration::from_millis(1500),
        "other operations are not delayed"
    );
    let r = api.system_info(BRANCH).await;
    assert!(t0.elapsed() >= Duration::from_millis(1500));
    assert_eq!(r.status_attr(), "success");

    // Dropped connection: no HTTP response at all.
    sim.inject_fault(BRANCH, FaultRule::times(Fault::DropConnection, 1))
        .unwrap();
    let err = api
        .http
        .post(format!("{}/api/", sim.url()))
        .header("X-PAN-KEY", sim.api_key())
        .form(&[
            ("type", "op"),
            ("cmd", "<show><system><info/></system></show>"),
            ("target", BRANCH),
        ])
        .send()
        .await;
    assert!(err.is_err(), "the connection closes unanswered: {err:?}");

    // HTTP 5xx.
    sim.inject_fault(
        BRANCH,
        FaultRule::times(Fault::HttpStatus { status: 502 }, 1),
    )
    .unwrap();
    assert_eq!(api.system_info(BRANCH).await.status, 502);

    // Junk after the document element.
    sim.inject_fault(BRANCH, FaultRule::times(Fault::MalformedXml, 1))
        .unwrap();
    let r = api.system_info(BRANCH).await;
    assert_eq!(r.status, 200);
    assert!(roxmltree::Document::parse(&r.body).is_err());
    assert!(r.body.contains("<sw-version>"));

    // An empty body, and a transient 403 with its XML.
    sim.inject_fault(BRANCH, FaultRule::times(Fault::EmptyBody, 1))
        .unwrap();
    let r = api.system_info(BRANCH).await;
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    sim.inject_fault(
        BRANCH,
        FaultRule::times(Fault::HttpStatus { status: 403 }, 1),
    )
    .unwrap();
    let r = api.system_info(BRANCH).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.text("result/msg").as_deref(), Some("Invalid Credential"));

    // An API error code (22, session timed out).
    sim.inject_fault(
        BRANCH,
        FaultRule::times(
            Fault::ApiError {
                code: 22,
                message: "Session timed out".into(),
            },
            1,
        ),
    )
    .unwrap();
    let r = api.system_info(BRANCH).await;
    assert_eq!(
        (r.status_attr(), r.doc().root_element().attribute("code")),
        ("error".into(), Some("22"))
    );
    assert_eq!(r.msg(), "Session timed out");

    // All used up: normal again. Panorama-level faults hit requests without a target.
    assert_eq!(api.system_info(BRANCH).await.status_attr(), "success");
    sim.inject_fault(
        "panorama",
        FaultRule::times(Fault::HttpStatus { status: 503 }, 1),
    )
    .unwrap();
    assert_eq!(
        api.op(None, "<show><devices><all/></devices></show>")
            .await
            .status,
        503
    );
    assert_eq!(api.system_info(BRANCH).await.status, 200);

    let c = sim.counters();
    assert_eq!(c.by_response.get(&ResponseKind::Dropped), Some(&1));
    assert_eq!(c.by_response.get(&ResponseKind::Malformed), Some(&2));
    assert_eq!(
        c.by_response.get(&ResponseKind::HttpStatus { status: 502 }),
        Some(&1)
    );
    assert_eq!(
        c.by_response.get(&ResponseKind::Error { code: Some(22) }),
        Some(&1)
    );
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_rate_limiter_answers_code_22_or_429_or_makes_requests_wait() {
    let (sim, api) = start(example_fleet()).await;
    let busy = |over| RateLimit {
        max_concurrent: Some(1),
        max_per_second: None,
        over_limit: over,
    };
    for (over, check) in [
        (OverLimit::SessionTimedOut, 0u16),
        (OverLimit::HttpStatus { status: 429 }, 429),
        (OverLimit::Delay, 200),
    ] {
        sim.set_rate_limit(busy(over));
        sim.inject_fault(BRANCH, FaultRule::times(Fault::Delay { ms: 2000 }, 1))
            .unwrap();
        let slow = api.system_info(BRANCH);
        let fast = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            api.op(None, "<show><system><info/></system></show>").await
        };
        let (slow, fast) = tokio::join!(slow, fast);
        assert_eq!(slow.status_attr(), "success");
        match check {
            0 => {
                assert_eq!(fast.doc().root_element().attribute("code"), Some("22"));
                assert_eq!(fast.msg(), "Session timed out");
            }
            200 => assert_eq!(fast.status_attr(), "success", "waited for the slot"),
            status => assert_eq!(fast.status, status),
        }
    }
    assert_eq!(
        sim.counters().by_response.get(&ResponseKind::RateLimited),
        Some(&2)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_device_taken_offline_answers_not_connected() {
    let (sim, api) = start(example_fleet()).await;
    sim.edit_device(BRANCH, |d| d.set_offline(true)).unwrap();
    assert_eq!(
        api.system_info(BRANCH).await.msg(),
        format!("{BRANCH} not connected")
    );
    assert!(
        api.op(None, "<show><devices><connected/></devices></show>")
            .await
            .body
            .contains("Total Connected Devices: 3")
    );
    sim.edit_device(BRANCH, |d| d.set_offline(false)).unwrap();
    assert_eq!(api.system_info(BRANCH).await.status_attr(), "success");
    assert!(
        sim.inject_fault("nope", FaultRule::always(Fault::JobFail))
            .is_err()
    );
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_client_over_the_request_rate_gets_code_22() {
    let (sim, api) = start(example_fleet()).await;
    sim.set_rate_limit(RateLimit {
        max_concurrent: None,
        max_per_second: Some(2.0),
        over_limit: OverLimit::SessionTimedOut,
    });
    let mut codes = Vec::new();
    for _ in 0..3 {
        let r = api.system_info(BRANCH).await;
        codes.push(r.doc().root_element().attribute("code").map(str::to_string));
    }
    assert_eq!(
        codes,
        [None, None, Some("22".to_string())],
        "a burst of 2, then refused"
    );
    advance(1).await;
    assert_eq!(
        api.system_info(BRANCH).await.status_attr(),
        "success",
        "the bucket refills"
    );
    assert_eq!(sim.rate_limit().max_per_second, Some(2.0));
    sim.shutdown().await;
}
