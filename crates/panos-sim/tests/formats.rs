//! The simulator's responses have the shapes and quoting of the real samples in
//! `../shared/panos-xml/` (read through panos-samples; never copied here).

mod common;

use common::*;

const SYSTEM_INFO: &str = "<show><system><info></info></system></show>";

#[tokio::test]
async fn keygen_answers_spaced_single_quoted_xml_and_bad_credentials_get_403() {
    let (sim, api) = start(example_fleet()).await;
    let r = api
        .get(&[("type", "keygen"), ("user", "admin"), ("password", "admin")])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(root_tag(&r.body), "<response status = 'success'>");
    assert_eq!(
        r.text("result/key").as_deref(),
        Some(sim.api_key().as_str())
    );
    assert_shape("keygen.success-oneline.fw-10.2.11.xml", &r.body, &[]);

    let bad = api
        .get(&[("type", "keygen"), ("user", "admin"), ("password", "nope")])
        .await;
    assert_eq!(bad.status, 403);
    assert_eq!(
        root_tag(&bad.body),
        "<response status = 'error' code = '403'>"
    );
    assert_eq!(
        bad.text("result/msg").as_deref(),
        Some("Invalid Credential")
    );
    assert_shape(
        "error.code-403-invalid-credential-after-password-change.xml",
        &bad.body,
        &[],
    );

    let wrong_key = Api::for_base(
        sim.url(),
        "LUFRPTbogus==".into(),
        reqwest::Client::builder(),
    );
    let r = wrong_key.system_info(BRANCH).await;
    assert_eq!(r.status, 403);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_key_works_as_query_parameter_header_and_basic_auth_over_get_and_post() {
    let (sim, api) = start(example_fleet()).await;
    let key = sim.api_key();
    let r = api
        .get(&[
            ("type", "op"),
            ("cmd", SYSTEM_INFO),
            ("key", &key),
            ("target", BRANCH),
        ])
        .await;
    assert_eq!(r.text("result/system/serial").as_deref(), Some(BRANCH));
    let r = api
        .http
        .get(format!("{}/api", sim.url()))
        .basic_auth("admin", Some("admin"))
        .query(&[("type", "op"), ("cmd", SYSTEM_INFO)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("<model>Panorama</model>"), "{body}");
    // A password change invalidates the old key.
    sim.set_admin(panos_sim::Credentials::new("admin", "changed"));
    assert_eq!(api.system_info(BRANCH).await.status, 403);
    sim.shutdown().await;
}

#[tokio::test]
async fn system_info_of_a_firewall_and_of_panorama() {
    let (sim, api) = start(example_fleet()).await;
    let fw = api.system_info(BRANCH).await;
    assert_eq!(
        fw.text("result/system/sw-version").as_deref(),
        Some("10.2.9-h1")
    );
    assert_eq!(fw.text("result/system/model").as_deref(), Some("PA-440"));
    assert_shape(
        "show-system-info.fw-10.2.11-h12-redacted.xml",
        &fw.body,
        &[],
    );
    assert_shape(
        "show-system-info.fw-9.1.12-h3-pa7050.xml",
        &fw.body,
        &[
            "high-speed-log-forwarding-mode",
            "global-protect-clientless-vpn-release-date",
            "global-protect-datafile-release-date",
        ],
    );
    let pano = api.op(None, "<show><system><info/></system></show>").await;
    assert_eq!(
        pano.text("result/system/model").as_deref(),
        Some("Panorama")
    );
    assert_shape(
        "show-system-info.panorama-10.0.9.xml",
        &pano.body,
        &["vm-uuid", "vm-cpuid"],
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn ha_state_of_a_pair_member_a_standalone_firewall_and_panorama() {
    let (sim, api) = start(example_fleet()).await;
    let r = api
        .op(
            Some(DC_B),
            "<show><high-availability><state></state></high-availability></show>",
        )
        .await;
    assert_eq!(
        r.text("result/group/local-info/state").as_deref(),
        Some("passive")
    );
    assert_eq!(
        r.text("result/group/peer-info/state").as_deref(),
        Some("active")
    );
    assert_eq!(
        r.text("result/group/running-sync").as_deref(),
        Some("synchronized")
    );
    assert_shape(
        "show-high-availability-state.fw-10.0.9-passive.xml",
        &r.body,
        &[
            "vm-license",
            "vm-license-compat",
            "vm-license-type",
            "DLP",
            "VMS",
            "iot-version",
            "iot-compat",
            "active-passive/passive-link-state",
            "active-passive/monitor-fail-holddown",
            "local-info/active-passive",
            "last-error-state",
            "last-error-reason",
        ],
    );
    let r = api
        .op(
            Some(BRANCH),
            "<show><high-availability><state/></high-availability></show>",
        )
        .await;
    assert_shape("show-high-availability-state.ha-disabled.xml", &r.body, &[]);
    assert_eq!(r.text("result/enabled").as_deref(), Some("no"));
    let r = api
        .op(
            None,
            "<show><high-availability><state/></high-availability></show>",
        )
        .await;
    assert_eq!(r.text("result/enabled").as_deref(), Some("no"));
    sim.shutdown().await;

    let mut fleet = example_fleet();
    fleet.panorama.ha = Some(panos_sim::PanoramaHaSpec {
        local_state: "primary-active".into(),
        peer_state: "secondary-passive".into(),
        running_sync: "synchronized".into(),
    });
    let (sim, api) = start(fleet).await;
    let r = api
        .op(
            None,
            "<show><high-availability><state/></high-availability></show>",
        )
        .await;
    assert_eq!(
        r.text("result/local-info/state").as_deref(),
        Some("primary-active")
    );
    assert!(r.text("result/group").is_none());
    assert_shape(
        "show-high-availability-state.panorama-11.0.1-primary-active-pathmon.xml",
        &r.body,
        &[
            "url-version",
            "iot-version",
            "av-version",
            "cloudconnector",
            "VMS",
            "url-compat",
            "iot-compat",
            "av-compat",
            "mgmt-macaddr",
            "last-error-reason",
            "last-error-state",
            "groups/entry",
            "entry/name",
            "entry/failure-condition",
            "entry/enabled",
            "entry/ping-interval",
            "entry/ping-count",
            "entry/destination-groups",
            "dest-ip",
            "dest-ip/entry",
            "entry/addr",
            "entry/status",
        ],
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn software_check_lists_versions_with_cdata_release_notes() {
    let (sim, api) = start(example_fleet()).await;
    let r = api
        .op(
            Some(BRANCH),
            "<request><system><software><check></check></software></system></request>",
        )
        .await;
    assert_shape("request-system-software-check.fw-vm-11.0.xml", &r.body, &[]);
    assert!(
        r.body.contains("<release-notes><![CDATA["),
        "release notes in CDATA"
    );
    let doc = r.doc();
    let current: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .filter(|e| {
            e.children()
                .any(|c| c.has_tag_name("current") && c.text() == Some("yes"))
        })
        .map(|e| {
            e.children()
                .find(|c| c.has_tag_name("version"))
                .unwrap()
                .text()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(current, vec!["10.2.9-h1".to_string()]);
    assert!(r.body.contains("<filename>PanOS_400-12.1.2</filename>"));
    let info = api
        .op(
            Some(BRANCH),
            "<request><system><software><info/></software></system></request>",
        )
        .await;
    assert_shape(
        "request-system-software-check.fw-vm-11.0.xml",
        &info.body,
        &[],
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn download_install_and_job_responses_have_the_real_shapes() {
    let (sim, api) = start(example_fleet()).await;
    let r = api
        .op(Some(BRANCH), "<request><system><software><download><version>10.2.13</version></download></software></system></request>")
        .await;
    assert_shape(
        "request-system-software-download.via-panorama-target.code19.doc-9.1.xml",
        &r.body,
        &[],
    );
    let id = r.text("result/job").unwrap();
    assert_eq!(
        r.text("result/msg/line").unwrap(),
        format!("Download job enqueued with jobid {id}")
    );
    let running = api.job(BRANCH, &id).await;
    assert_shape(
        "show-jobs-id.downld-act-pend-still-active.fw-8.x.xml",
        &running.body,
        &["admin"],
    );
    assert_eq!(
        running.text("result/job/tfin").as_deref(),
        Some("Still Active")
    );
    assert_eq!(running.text("result/job/type").as_deref(), Some("Downld"));
    let all = api
        .op(Some(BRANCH), "<show><jobs><all/></jobs></show>")
        .await;
    assert_shape("show-jobs-all.refreshlic-fin.xml", &all.body, &[]);
    let missing = api.job(BRANCH, "99999").await;
    assert_shape(
        "show-jobs-id.error-job-not-found.fw-6.x.xml",
        &missing.body,
        &[],
    );
    assert_eq!(missing.msg(), "job 99999 not found");
    sim.shutdown().await;
}

#[tokio::test]
async fn tables_session_and_disk_space_have_the_real_shapes() {
    let (sim, api) = start(example_fleet()).await;
    let r = api
        .op(
            Some(BRANCH),
            "<show><session><info></info></session></show>",
        )
        .await;
    assert_shape(
        "show-session-info.fw-vm.xml",
        &r.body,
        &[
            "num-gtpu-active",
            "num-gtpu-pending",
            "num-imsi",
            "num-pfcpc",
            "tcp-cong-ctrl",
            "tcp-diff-syn-rej",
            "tcp-no-refresh-fin-rst",
            "tcp-reject-siw-enable",
            "tcp-reject-siw-thresh",
            "tcp-strict-rst",
            "tmo-5gcdelete",
            "tmo-sctp",
            "tmo-sctpcookie",
            "tmo-sctpinit",
            "tmo-sctpshutdown",
            "tmo-tcp-delayed-ack",
            "tmo-tcp-unverif-rst",
            "tunnel-accel",
        ],
    );
    assert_eq!(r.text("result/num-active").as_deref(), Some("1830"));
    let r = api
        .op(
            Some(BRANCH),
            "<show><routing><route></route></routing></show>",
        )
        .await;
    assert_shape("show-routing-route.fw-demisto.xml", &r.body, &[]);
    assert_eq!(
        r.doc()
            .descendants()
            .filter(|n| n.has_tag_name("entry"))
            .count(),
        14
    );
    let r = api
        .op(
            Some(DC_A),
            "<show><advanced-routing><route/></advanced-routing></show>",
        )
        .await;
    assert_shape("show-advanced-routing-route.fw-json.xml", &r.body, &[]);
    let json: serde_json::Value = serde_json::from_str(&r.text("result/json").unwrap()).unwrap();
    assert!(json["default"]["0.0.0.0/0"][0]["nexthops"].is_array());
    let r = api
        .op(Some(BRANCH), "<show><arp><entry name='all'/></arp></show>")
        .await;
    assert_shape("show-arp-entry-all.fw.xml", &r.body, &[]);
    assert_eq!(r.text("result/total").as_deref(), Some("22"));
    assert!(r.body.contains("<status>  c  </status>"));
    let r = api
        .op(
            Some(BRANCH),
            "<show><system><disk-space></disk-space></system></show>",
        )
        .await;
    assert_shape("show-system-disk-space.fw-cdata.xml", &r.body, &[]);
    assert!(r.body.contains("<![CDATA["));
    assert!(
        r.doc()
            .root_element()
            .descendants()
            .any(|n| n.text().is_some_and(|t| t.contains("/opt/panrepo")))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn show_devices_all_and_connected_with_the_stray_total_text() {
    let (sim, api) = start(example_fleet()).await;
    let all = api
        .op(None, "<show><devices><all></all></devices></show>")
        .await;
    assert_shape(
        "show-devices-all.panorama-10.0.9.xml",
        &all.body,
        &["ha/state", "ha/peer", "ha/peer/serial", "entry/ha"],
    );
    assert_eq!(
        all.doc()
            .descendants()
            .filter(
                |n| n.has_tag_name("serial") && n.parent().is_some_and(|p| p.has_tag_name("entry"))
            )
            .count(),
        4
    );
    let conn = api
        .op(None, "<show><devices><connected/></devices></show>")
        .await;
    assert_shape(
        "show-devices-connected.panorama-10.1-fws-with-trailing-text.xml",
        &conn.body,
        &[],
    );
    let doc = conn.doc();
    let devices = doc
        .descendants()
        .find(|n| n.has_tag_name("devices"))
        .unwrap();
    let stray: String = devices
        .children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect();
    assert_eq!(stray.trim(), "Total Connected Devices: 4");
    // HA members carry <ha>, standalone ones do not.
    let entry = |serial: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("entry") && n.attribute("name") == Some(serial))
            .unwrap()
    };
    assert!(entry(DC_A).children().any(|c| c.has_tag_name("ha")));
    assert!(!entry(BRANCH).children().any(|c| c.has_tag_name("ha")));
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_malformed_and_incomplete_commands_get_the_real_errors() {
    let (sim, api) = start(example_fleet()).await;
    let r = api.op(Some(BRANCH), "<show><bogus></bogus></show>").await;
    assert_eq!(r.status_attr(), "error");
    assert_eq!(r.doc().root_element().attribute("code"), Some("17"));
    assert_eq!(r.msg().trim(), "show -> bogus is unexpected");
    assert_shape("error.code-17-empty-line.xml", &r.body, &[]);
    let r = api.op(Some(BRANCH), "<show><system>").await;
    assert_eq!(root_tag(&r.body), "<response status='error' code='18'>");
    assert_shape("error.code-18-malformed-request.xml", &r.body, &[]);
    let r = api
        .op(
            Some(BRANCH),
            "<request><system><software><install/></software></system></request>",
        )
        .await;
    assert_eq!(r.doc().root_element().attribute("code"), Some("17"));
    let r = api.get(&[("type", "op"), ("key", &sim.api_key())]).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        root_tag(&r.body),
        "<response status = 'error' code = '400'>"
    );
    assert_shape("error.code-400-spaced-attr-result-msg.xml", &r.body, &[]);
    sim.shutdown().await;
}

#[tokio::test]
async fn ha_suspend_and_functional_answer_plain_text_results() {
    let (sim, api) = start(example_fleet()).await;
    let r = api
        .op(
            Some(DC_B),
            "<request><high-availability><state><suspend/></state></high-availability></request>",
        )
        .await;
    assert_shape(
        "request-high-availability-state-suspend.via-panorama-target.doc-9.1.xml",
        &r.body,
        &[],
    );
    assert_eq!(
        r.text("result").as_deref(),
        Some("Successfully changed HA state to suspended")
    );
    let r = api.op(Some(DC_B), "<request><high-availability><state><functional></functional></state></high-availability></request>").await;
    assert_shape(
        "request-high-availability-state-functional.via-panorama-target.doc-9.1.xml",
        &r.body,
        &[],
    );
    assert_eq!(
        r.text("result").as_deref(),
        Some("Successfully changed HA state to functional")
    );
    let r = api.restart(BRANCH).await;
    assert_eq!(r.status_attr(), "success");
    assert_eq!(
        r.text("result").as_deref(),
        Some("Command succeeded with no output")
    );
    sim.shutdown().await;
}
