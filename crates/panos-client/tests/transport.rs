//! The client against a local Panorama stand-in over plain HTTP on 127.0.0.1: where the key
//! travels, the shared limits, retries only for read-only operations, error classification,
//! keygen by POST and cancellation.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{ENQUEUED, KEY, Reply, SYSTEM_INFO, client, config, serve, serve_with, wait_until};
use panos_client::model::RoutingEngine;
use panos_client::{
    ClientConfig, ClientError, Credentials, JobId, PanoramaClient, PanosApi, RetryPolicy, Serial,
};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

fn serial() -> Serial {
    "007951000123456".parse().unwrap()
}

#[tokio::test]
async fn the_key_travels_only_in_a_sensitive_header() {
    let server = serve(|_, _| Reply::ok(SYSTEM_INFO)).await;
    let client = client(&server.base);
    let info = client.system_info(&serial()).await.unwrap();
    assert_eq!(info.hostname, "fw1");
    let requests = server.shared.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.uri, "/api/");
    assert_eq!(request.headers["x-pan-key"], KEY);
    assert_eq!(
        request.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert!(!request.body.contains(KEY) && !request.uri.contains(KEY));
    assert!(!request.body.contains("key="));
    assert_eq!(request.field("type"), Some("op"));
    assert_eq!(
        request.field("cmd"),
        Some("<show><system><info/></system></show>")
    );
    assert_eq!(request.field("target"), Some("007951000123456"));
    // And never in Debug output.
    assert!(!format!("{client:?}").contains(KEY));
}

#[tokio::test]
async fn panorama_level_calls_have_no_target() {
    let server = serve(|_, _| Reply::ok(SYSTEM_INFO)).await;
    let client = client(&server.base);
    client.panorama_system_info().await.unwrap();
    assert_eq!(server.shared.requests()[0].field("target"), None);
}

#[tokio::test]
async fn commands_are_the_documented_ones() {
    let server = serve(|request, _| {
        let cmd = request.field("cmd").unwrap_or_default();
        if cmd.contains("advanced-routing") {
            Reply::ok("<response status='success'><result><json>{}</json></result></response>")
        } else if cmd.contains("<install>") {
            Reply::ok(ENQUEUED)
        } else {
            Reply::ok("<response status='success'><result/></response>")
        }
    })
    .await;
    let client = client(&server.base);
    let table = client
        .routes(&serial(), RoutingEngine::Advanced)
        .await
        .unwrap();
    assert!(table.routes.is_empty());
    let version = "11.1.2-h3".parse().unwrap();
    assert_eq!(
        client.software_install(&serial(), &version).await.unwrap(),
        JobId(77)
    );
    let cmds: Vec<String> = server
        .shared
        .requests()
        .iter()
        .map(|r| r.field("cmd").unwrap().to_owned())
        .collect();
    assert_eq!(
        cmds,
        [
            "<show><advanced-routing><route/></advanced-routing></show>",
            "<request><system><software><install><version>11.1.2-h3</version></install>\
             </software></system></request>"
        ]
    );
}

#[tokio::test]
async fn in_flight_never_exceeds_the_cap() {
    const CAP: usize = 5;
    let server = serve_with(|_, _| Reply::ok(SYSTEM_INFO), true).await;
    let client =
        PanoramaClient::new(config(&server.base).max_in_flight(CAP).build().unwrap()).unwrap();
    let mut calls = Vec::new();
    for _ in 0..20 {
        let client = client.clone();
        calls.push(tokio::spawn(
            async move { client.system_info(&serial()).await },
        ));
    }
    let shared = server.shared.clone();
    let gate = shared.gate.as_ref().unwrap();
    for done in 0..20 {
        let expected = CAP.min(20 - done);
        wait_until("the cap is reached", || {
            shared.current.load(Ordering::SeqCst) == expected
        })
        .await;
        assert!(client.stats().in_flight <= CAP);
        gate.add_permits(1);
        wait_until("one answer", || {
            shared.completed.load(Ordering::SeqCst) == done + 1
        })
        .await;
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(shared.max_current.load(Ordering::SeqCst), CAP);
    assert_eq!(client.stats().requests_sent, 20);
}

#[tokio::test]
async fn fifty_concurrent_callers_share_one_limiter() {
    let server = serve(|_, _| Reply::ok(SYSTEM_INFO)).await;
    // 100 requests/s after a burst of 5: the 50th request cannot be granted before 450 ms.
    let config = config(&server.base).rate_limit(100, 5).max_in_flight(3);
    let client = PanoramaClient::new(config.build().unwrap()).unwrap();
    let started = std::time::Instant::now();
    let mut calls = Vec::new();
    for _ in 0..50 {
        let clone = client.clone();
        calls.push(tokio::spawn(
            async move { clone.system_info(&serial()).await },
        ));
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }
    // A lower bound only: a slow machine cannot make this fail, a missing limit does.
    assert!(started.elapsed() >= Duration::from_millis(450));
    assert!(client.stats().limiter_wait >= Duration::from_millis(450));
    assert_eq!(server.shared.hits(), 50);
    assert!(server.shared.max_current.load(Ordering::SeqCst) <= 3);
    let stats = client.stats();
    assert_eq!(
        (stats.requests_sent, stats.errors, stats.in_flight),
        (50, 0, 0)
    );
}

#[tokio::test]
async fn server_errors_are_retried_for_reads_only() {
    let server = serve(|_, _| Reply::Body(503, "<html>busy</html>".into())).await;
    let client = client(&server.base);
    let err = client.system_info(&serial()).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Http { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(server.shared.hits(), 3, "read-only: 3 attempts");
    let version = "10.2.9".parse().unwrap();
    for (name, result) in [
        (
            "download",
            client
                .software_download(&serial(), &version)
                .await
                .map(drop),
        ),
        (
            "install",
            client.software_install(&serial(), &version).await.map(drop),
        ),
        ("restart", client.restart(&serial()).await),
        ("suspend", client.ha_suspend(&serial()).await),
        ("functional", client.ha_functional(&serial()).await),
    ] {
        assert!(result.is_err(), "{name}");
    }
    assert_eq!(
        server.shared.hits(),
        3 + 5,
        "job-starting operations are sent once"
    );
    let stats = client.stats();
    assert_eq!(
        (stats.requests_sent, stats.retries, stats.errors),
        (8, 2, 6)
    );
}

#[tokio::test]
async fn timeouts_are_retried_for_reads_and_not_for_changes() {
    let server = serve(|_, _| Reply::Hang).await;
    let client = PanoramaClient::new(
        config(&server.base)
            .request_timeout(Duration::from_millis(200))
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client.job_status(&serial(), JobId(5)).await.unwrap_err();
    assert!(matches!(err, ClientError::NoResponse { .. }), "{err:?}");
    assert!(err.may_have_been_applied());
    assert_eq!(server.shared.hits(), 3);
    let version = "10.2.9".parse().unwrap();
    let err = client
        .software_download(&serial(), &version)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::NoResponse { .. }), "{err:?}");
    assert!(
        err.may_have_been_applied(),
        "a download that timed out may be running"
    );
    assert_eq!(server.shared.hits(), 4, "sent once");
}

#[tokio::test]
async fn garbled_answers_are_retried() {
    let server = serve(|_, hit| {
        if hit == 1 {
            Reply::ok("<response status='success'><result/></response>junk after")
        } else {
            Reply::ok(SYSTEM_INFO)
        }
    })
    .await;
    let info = client(&server.base).system_info(&serial()).await.unwrap();
    assert_eq!(info.sw_version.to_string(), "10.2.9-h1");
    assert_eq!(server.shared.hits(), 2);
}

#[tokio::test]
async fn forbidden_keeps_its_xml_message_and_is_not_retried() {
    let server = serve(|_, _| {
        Reply::Body(
            403,
            "<response status = 'error' code = '403'><result><msg>Invalid Credential</msg>\
             </result></response>"
                .into(),
        )
    })
    .await;
    let err = client(&server.base).ha_state(&serial()).await.unwrap_err();
    match &err {
        ClientError::Auth { message, .. } => assert_eq!(message, "Invalid Credential"),
        other => panic!("expected auth, got {other:?}"),
    }
    assert_eq!(server.shared.hits(), 1);
    assert!(!err.to_string().contains(KEY));
}

#[tokio::test]
async fn not_connected_firewall() {
    let server = serve(|_, _| {
        Reply::ok(
            "<response status=\"error\"><msg><line>007951000123456 not connected</line></msg>\
             </response>",
        )
    })
    .await;
    let err = client(&server.base)
        .chassis_ready(&serial())
        .await
        .unwrap_err();
    match &err {
        ClientError::NotConnected { serial: s, .. } => assert_eq!(s, &serial()),
        other => panic!("expected not connected, got {other:?}"),
    }
    assert!(err.is_unreachable());
    assert_eq!(
        server.shared.hits(),
        1,
        "not connected is left to the caller's wait loop"
    );
}

#[tokio::test]
async fn connection_refused_is_connect_and_not_applied() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let version = "10.2.9".parse().unwrap();
    let err = client(&base)
        .software_install(&serial(), &version)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
    assert!(!err.may_have_been_applied());
    assert!(err.is_unreachable());
}

#[tokio::test]
async fn keygen_by_post_then_the_key_in_the_header() {
    let server = serve(|request, _| match request.field("type") {
        Some("keygen") => Reply::ok(
            "<response status = 'success'><result><key>GENERATED==</key></result></response>",
        ),
        _ => Reply::ok(SYSTEM_INFO),
    })
    .await;
    let credentials = Credentials::Password {
        username: "api-admin".into(),
        password: SecretString::from("p&ss w0rd"),
    };
    let client = PanoramaClient::new(
        ClientConfig::builder(&server.base, credentials)
            .build()
            .unwrap(),
    )
    .unwrap();
    client.system_info(&serial()).await.unwrap();
    client.system_info(&serial()).await.unwrap();
    let requests = server.shared.requests();
    assert_eq!(requests.len(), 3, "one keygen, then two calls");
    let keygen = &requests[0];
    assert_eq!(keygen.method, "POST");
    assert_eq!(keygen.uri, "/api/", "nothing in the query string");
    assert_eq!(keygen.field("type"), Some("keygen"));
    assert_eq!(keygen.field("user"), Some("api-admin"));
    assert_eq!(keygen.field("password"), Some("p&ss w0rd"));
    assert!(keygen.headers.get("x-pan-key").is_none());
    for call in &requests[1..] {
        assert_eq!(call.headers["x-pan-key"], "GENERATED==");
    }
    assert_eq!(
        client.api_key().await.unwrap().expose_secret(),
        "GENERATED=="
    );
}

#[tokio::test]
async fn refused_keygen_is_auth() {
    let server = serve(|_, _| {
        Reply::Body(
            403,
            "<response status = 'error' code = '403'><result><msg>Invalid Credential</msg>\
             </result></response>"
                .into(),
        )
    })
    .await;
    let credentials = Credentials::Password {
        username: "admin".into(),
        password: SecretString::from("wrong-password"),
    };
    let client = PanoramaClient::new(
        ClientConfig::builder(&server.base, credentials)
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client.system_info(&serial()).await.unwrap_err();
    assert!(matches!(err, ClientError::Auth { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("wrong-password"));
    assert_eq!(
        server.shared.hits(),
        1,
        "refused credentials are not retried"
    );
    assert_eq!(client.stats().errors, 1);
}

#[tokio::test]
async fn waiting_calls_are_cancellable() {
    let server = serve_with(|_, _| Reply::ok(SYSTEM_INFO), true).await;
    let client =
        PanoramaClient::new(config(&server.base).max_in_flight(1).build().unwrap()).unwrap();
    let token = CancellationToken::new();
    let cancellable = client.with_cancellation(token.clone());
    let first = tokio::spawn({
        let cancellable = cancellable.clone();
        async move { cancellable.system_info(&serial()).await }
    });
    let shared = server.shared.clone();
    wait_until("the first call is in flight", || {
        shared.current.load(Ordering::SeqCst) == 1
    })
    .await;
    let second = tokio::spawn({
        let cancellable = cancellable.clone();
        async move { cancellable.system_info(&serial()).await }
    });
    token.cancel();
    for call in [first, second] {
        let err = call.await.unwrap().unwrap_err();
        assert!(matches!(err, ClientError::Cancelled { .. }), "{err:?}");
    }
    assert_eq!(server.shared.hits(), 1, "the second call never got a slot");
    // The client without the token still works once the server answers.
    server.shared.gate.as_ref().unwrap().add_permits(10);
    client.system_info(&serial()).await.unwrap();
}

#[tokio::test]
async fn raw_op_checks_the_xml_and_the_envelope() {
    let server = serve(|request, _| match request.field("cmd") {
        Some("<show><clock/></show>") => Reply::ok(
            "<response status=\"success\"><result>Tue Nov 24 19:00:00 UTC 2026\n</result></response>",
        ),
        _ => Reply::ok("<response status='error' code='17'><msg><line>invalid</line></msg></response>"),
    })
    .await;
    let client = client(&server.base);
    let body = client.op(None, "<show><clock/></show>").await.unwrap();
    assert!(body.contains("Tue Nov 24"));
    let err = client
        .op(Some(&serial()), "<show><clock>")
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::InvalidInput(_)), "{err:?}");
    let err = client.op(None, "<show><bogus/></show>").await.unwrap_err();
    assert_eq!(err.api_code(), Some(17));
    assert_eq!(
        server.shared.hits(),
        2,
        "malformed XML is never sent; raw ops are not retried"
    );
}

/// Every typed operation end to end: the stand-in answers each command with the real sample
/// for it, and the client returns the parsed values.
#[tokio::test]
async fn every_operation_with_real_answers() {
    let answers: Vec<(&str, &str)> = vec![
        (
            "<show><system><info/></system></show>",
            "show-system-info.fw-9.1.12-h3-pa7050.xml",
        ),
        (
            "<show><high-availability><state/></high-availability></show>",
            "show-high-availability-state.fw-10.0.9-passive.xml",
        ),
        (
            "<request><system><software><check/></software></system></request>",
            "request-system-software-check.fw-vm-11.0.xml",
        ),
        (
            "<request><system><software><info/></software></system></request>",
            "request-system-software-check.fw-vm-8.0.3-current.xml",
        ),
        (
            "<request><system><software><download>",
            "request-system-software-download.via-panorama-target.code19.doc-9.1.xml",
        ),
        (
            "<request><system><software><install>",
            "request-system-software-install.via-panorama-target.code19.doc-9.1.xml",
        ),
        (
            "<show><jobs><id>",
            "show-jobs-id.downld-fin-ok.via-panorama-target.doc-9.1.xml",
        ),
        (
            "<show><jobs><all/></jobs></show>",
            "show-jobs-all.with-idless-failed-job.xml",
        ),
        (
            "<request><high-availability><state><suspend/>",
            "request-high-availability-state-suspend.via-panorama-target.doc-9.1.xml",
        ),
        (
            "<request><high-availability><state><functional/>",
            "request-high-availability-state-functional.via-panorama-target.doc-9.1.xml",
        ),
        (
            "<show><session><info/></session></show>",
            "show-session-info.fw-busy-102k-active.xml",
        ),
        (
            "<show><routing><route/></routing></show>",
            "show-routing-route.fw-ecmp-two-nexthops.xml",
        ),
        (
            "<show><advanced-routing><route/></advanced-routing></show>",
            "show-advanced-routing-route.fw-json.xml",
        ),
        (
            "<show><arp><entry name='all'/></arp></show>",
            "show-arp-entry-all.fw.xml",
        ),
        (
            "<show><system><disk-space/></system></show>",
            "show-system-disk-space.fw-cdata.xml",
        ),
        (
            "<show><devices><all/></devices></show>",
            "show-devices-all.panorama-10.0.9.xml",
        ),
        (
            "<show><devices><connected/></devices></show>",
            "show-devices-connected.panorama-10.1-fws-with-trailing-text.xml",
        ),
    ];
    let mut table = Vec::new();
    for (prefix, name) in answers {
        let Some(xml) = panos_samples::sample(name) else {
            return;
        };
        table.push((prefix.to_owned(), xml));
    }
    let server = serve(move |request, _| {
        let cmd = request.field("cmd").unwrap_or_default();
        if cmd == "<request><restart><system/></restart></request>" {
            return Reply::ok(
                "<response status=\"success\"><result>Command succeeded with no output</result></response>",
            );
        }
        if cmd == "<show><chassis-ready/></show>" {
            return Reply::ok("<response status=\"success\"><result>yes</result></response>");
        }
        match table.iter().find(|(prefix, _)| cmd.starts_with(prefix.as_str())) {
            Some((_, xml)) => Reply::ok(xml.clone()),
            None => Reply::ok("<response status='error' code='1'><msg>unknown</msg></response>"),
        }
    })
    .await;
    let client = client(&server.base);
    let fw = serial();
    let version = "10.2.9".parse().unwrap();
    assert_eq!(client.system_info(&fw).await.unwrap().hostname, "testfw");
    assert!(
        client
            .ha_state(&fw)
            .await
            .unwrap()
            .local
            .unwrap()
            .state
            .is_passive()
    );
    assert_eq!(client.software_check(&fw).await.unwrap().images.len(), 2);
    assert_eq!(
        client
            .software_info(&fw)
            .await
            .unwrap()
            .current()
            .unwrap()
            .version
            .to_string(),
        "8.0.3"
    );
    assert_eq!(
        client.software_download(&fw, &version).await.unwrap(),
        JobId(3448)
    );
    assert_eq!(
        client.software_install(&fw, &version).await.unwrap(),
        JobId(3453)
    );
    assert_eq!(
        client
            .job_status(&fw, JobId(3448))
            .await
            .unwrap()
            .details
            .len(),
        3
    );
    assert_eq!(client.jobs_all(&fw).await.unwrap().len(), 2);
    client.restart(&fw).await.unwrap();
    assert!(client.chassis_ready(&fw).await.unwrap());
    client.ha_suspend(&fw).await.unwrap();
    client.ha_functional(&fw).await.unwrap();
    assert_eq!(client.session_info(&fw).await.unwrap().num_active, 102_448);
    assert_eq!(
        client
            .routes(&fw, RoutingEngine::Legacy)
            .await
            .unwrap()
            .routes
            .len(),
        2
    );
    let advanced = client.routes(&fw, RoutingEngine::Advanced).await.unwrap();
    assert_eq!(advanced.routes[0].router, "public-lr");
    assert_eq!(client.arp(&fw).await.unwrap().entries.len(), 2);
    assert!(
        client
            .disk_space(&fw)
            .await
            .unwrap()
            .panrepo_free_bytes()
            .is_some()
    );
    assert_eq!(client.managed_devices(false).await.unwrap().len(), 3);
    assert_eq!(client.managed_devices(true).await.unwrap().len(), 7);
    let requests = server.shared.requests();
    assert_eq!(requests.len(), 19);
    let targeted = requests
        .iter()
        .filter(|r| r.field("target") == Some("007951000123456"));
    assert_eq!(
        targeted.count(),
        17,
        "all but the two Panorama-level calls carry the target"
    );
    assert_eq!(client.stats().errors, 0);
}

#[tokio::test]
async fn cancellation_ends_a_retry_delay() {
    let server = serve(|_, _| Reply::Body(503, String::new())).await;
    let slow_retries = RetryPolicy::default().with_max_attempts(5).with_delays(
        Duration::from_secs(3600),
        Duration::from_secs(3600),
        Duration::from_secs(7200),
    );
    let client =
        PanoramaClient::new(config(&server.base).retry(slow_retries).build().unwrap()).unwrap();
    let token = CancellationToken::new();
    let call = tokio::spawn({
        let client = client.with_cancellation(token.clone());
        async move { client.session_info(&serial()).await }
    });
    let shared = server.shared.clone();
    wait_until("the first attempt failed", || {
        shared.completed.load(Ordering::SeqCst) == 1
    })
    .await;
    token.cancel();
    let err = call.await.unwrap().unwrap_err();
    assert!(matches!(err, ClientError::Cancelled { .. }), "{err:?}");
    assert_eq!(server.shared.hits(), 1);
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let big = format!(
        "<response status='success'><result>{}</result></response>",
        "x".repeat(8192)
    );
    let server = serve(move |_, _| Reply::ok(big.clone())).await;
    let client = PanoramaClient::new(
        config(&server.base)
            .max_response_bytes(2048)
            .retry(RetryPolicy::never())
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client.disk_space(&serial()).await.unwrap_err();
    match err {
        ClientError::Decode { reason, .. } => assert!(reason.contains("larger than"), "{reason}"),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn too_many_requests_is_retried() {
    let server = serve(|_, hit| {
        if hit == 1 {
            Reply::Body(429, String::new())
        } else {
            Reply::ok(SYSTEM_INFO)
        }
    })
    .await;
    client(&server.base).system_info(&serial()).await.unwrap();
    assert_eq!(server.shared.hits(), 2);
}
