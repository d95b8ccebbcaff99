//! `panosctl path show|validate`.

use predicates::prelude::*;

use crate::common::Lab;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const PATHS: &str = r#"{
  "10.1.14-h1": ["10.2.13-h1", "11.0.6", "11.1.6"],
  "10.2.13-h1": ["11.0.6", "11.1.6"],
  "11.1.6": []
}"#;

#[test]
fn show_lists_paths_with_the_devices_on_each_version() {
    let lab = Lab::with_inventory();
    lab.paths(PATHS);
    let out = lab.cmd().args(["path", "show"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    insta::assert_snapshot!("path_show", lab.scrub(&stdout(&out)));
    lab.cmd()
        .args(["path", "show", "10.2.13-h1", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"devices\": 3"));
    lab.cmd()
        .args(["path", "show", "10.2.4"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no path for 10.2.4"));
    lab.cmd().args(["path", "show", "ten"]).assert().code(2);
}

#[test]
fn validate_names_each_broken_rule_and_what_to_fix() {
    let lab = Lab::with_inventory();
    lab.paths(PATHS);
    lab.cmd()
        .args(["path", "validate"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no problems"));
    lab.paths(r#"{"10.1.14-h1": ["11.1.6"], "11.1.6": []}"#);
    let out = lab.cmd().args(["path", "validate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("path_validate_problems", lab.scrub(&stdout(&out)));
}

#[test]
fn a_missing_or_malformed_paths_file_is_reported() {
    let lab = Lab::with_inventory();
    lab.cmd()
        .args(["path", "show"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no upgrade paths file"));
    lab.paths(r#"{"10.1.14-h1": ["10.0.1"]}"#);
    lab.cmd()
        .args(["path", "validate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not newer than"));
}

/// A catalog response in the shape of `request system software check`.
fn catalog_xml(versions: &[&str]) -> String {
    let entries: String = versions
        .iter()
        .map(|v| {
            format!(
                "<entry><version>{v}</version><filename>PanOS_vm-{v}</filename>\
                 <size>500</size><size-kb>512000</size-kb>\
                 <released-on>2024/01/01 00:00:00</released-on><downloaded>no</downloaded>\
                 <current>no</current><latest>no</latest><uploaded>no</uploaded></entry>"
            )
        })
        .collect();
    format!(
        "<response status=\"success\"><result><sw-updates last-updated-at=\"2024/01/01 00:00:00\">\
         <msg/><versions>{entries}</versions></sw-updates></result></response>"
    )
}

#[test]
fn validate_against_a_saved_catalog_also_checks_images_and_base_images() {
    let lab = Lab::with_inventory();
    lab.paths(r#"{"10.2.13-h1": ["11.0.6"]}"#);
    let full = lab.tmp.path().join("full.xml");
    std::fs::write(&full, catalog_xml(&["11.0.0", "11.0.6", "10.2.13-h1"])).unwrap();
    lab.cmd()
        .args(["path", "validate", "--catalog"])
        .arg(&full)
        .assert()
        .success()
        .stdout(predicate::str::contains("no problems"));
    let thin = lab.tmp.path().join("thin.xml");
    std::fs::write(&thin, catalog_xml(&["10.2.13-h1"])).unwrap();
    lab.cmd()
        .args(["path", "validate", "--catalog"])
        .arg(&thin)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "11.0.6 is not in the device's software catalog",
        ))
        .stdout(predicate::str::contains("no base image for 11.0"));
    let junk = lab.tmp.path().join("junk.xml");
    std::fs::write(&junk, "<response status=\"success\"><result/></response>").unwrap();
    lab.cmd()
        .args(["path", "validate", "--catalog"])
        .arg(&junk)
        .assert()
        .code(2);
}
