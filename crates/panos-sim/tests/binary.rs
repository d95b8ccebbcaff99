//! The `panos-sim` binary: prints its URLs, writes the certificate and fingerprint files, serves
//! a generated fleet, and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn the_binary_serves_a_generated_fleet_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("panos-sim-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, fp) = (dir.join("cert.pem"), dir.join("fingerprint"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_panos-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--tls-listen",
            "127.0.0.1:0",
            "--devices",
            "12",
            "--ha-pairs",
            "3",
            "--seed",
            "9",
            "--time-scale",
            "60",
            "--admin",
            "ops:s3cret",
        ])
        .arg("--cert-out")
        .arg(&cert)
        .arg("--fingerprint-out")
        .arg(&fp)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    let tls_url = lines.next().unwrap().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(tls_url.starts_with("https://127.0.0.1:"), "{tls_url}");
    assert!(
        std::fs::read_to_string(&cert)
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    assert_eq!(std::fs::read_to_string(&fp).unwrap().trim().len(), 64);

    let http = reqwest::Client::new();
    let body = http
        .post(format!("{url}/api/"))
        .form(&[("type", "keygen"), ("user", "ops"), ("password", "s3cret")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = roxmltree::Document::parse(&body).unwrap();
    let key = doc
        .descendants()
        .find(|n| n.has_tag_name("key"))
        .unwrap()
        .text()
        .unwrap()
        .to_string();
    let body = http
        .post(format!("{url}/api/"))
        .header("X-PAN-KEY", &key)
        .form(&[
            ("type", "op"),
            ("cmd", "<show><devices><connected/></devices></show>"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("Total Connected Devices: 12"), "{body}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
