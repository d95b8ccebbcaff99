//! `panosctl config show|set`.

use predicates::prelude::*;

use crate::common::Lab;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn show_fills_in_defaults_and_marks_what_the_file_sets() {
    let lab = Lab::new();
    lab.config(r#"{"panorama": {"url": "https://panorama.example.com"}, "workers": {"max": 12}}"#);
    let out = lab
        .cmd()
        .args(["config", "show", "workers"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    insta::assert_snapshot!("config_show_workers", lab.scrub(&stdout(&out)));
    lab.cmd()
        .args(["config", "show", "panorama.url"])
        .assert()
        .success()
        .stdout("https://panorama.example.com\n");
    let out = lab
        .cmd()
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all["workers"]["max"], 12);
    assert_eq!(all["panorama"]["rate_limit_per_second"], 10);
    lab.cmd()
        .args(["config", "show", "workers.maxx"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `workers.max`"));
}

#[test]
fn set_validates_before_writing() {
    let lab = Lab::new();
    lab.cmd()
        .args(["config", "set", "workers.max", "20"])
        .assert()
        .success()
        .stdout(predicate::str::contains("workers.max = 20"));
    lab.cmd()
        .args(["config", "set", "panorama.url", "https://pano.example.net"])
        .assert()
        .success();
    let file = lab.root().join("config/config.json");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["workers"]["max"], 20);
    assert_eq!(saved["panorama"]["url"], "https://pano.example.net");
    for (key, value, message) in [
        ("workers.max", "99", "workers.max"),
        ("workers.max", "lots", "workers.max"),
        ("workerz.max", "5", "unknown key"),
    ] {
        lab.cmd()
            .args(["config", "set", key, value])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(after, saved, "a refused value leaves the file as it was");
    lab.cmd()
        .args(["config", "set", "workers.max", "null"])
        .assert()
        .success()
        .stdout(predicate::str::contains("workers.max = 5"));
}

#[test]
fn a_malformed_config_is_a_configuration_error() {
    let lab = Lab::new();
    lab.config("{\"workers\": {\"max\": 3,}}");
    lab.cmd()
        .args(["config", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not valid JSON"));
    lab.config(r#"{"panorama": {"api_key": "plain-text-key"}}"#);
    lab.cmd()
        .args(["config", "set", "workers.max", "4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plain-text secret"));
    lab.cmd()
        .args(["path", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plain-text secret"));
}

#[test]
fn secrets_are_read_without_the_command_line_and_stored_encrypted() {
    let lab = Lab::new();
    lab.cmd()
        .args(["config", "set", "panorama.api_key", "LUFRPT1secret"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shell history"));
    lab.cmd()
        .args(["config", "set", "panorama.api_key"])
        .write_stdin("LUFRPT1secret\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("panorama.api_key = <encrypted>"));
    let text = std::fs::read_to_string(lab.root().join("config/config.json")).unwrap();
    assert!(
        !text.contains("LUFRPT1secret"),
        "the key is stored in plain text"
    );
    assert!(text.contains("BEGIN AGE ENCRYPTED FILE"));
    assert!(lab.root().join("config/identity.age").exists());
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    let stored = saved["panorama"]["api_key"].as_str().unwrap();
    let plain =
        panosd::secrets::decrypt_from_config(lab.root(), "panorama.api_key", stored).unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&plain),
        "LUFRPT1secret"
    );
    lab.cmd()
        .args(["config", "show", "panorama.api_key"])
        .assert()
        .success()
        .stdout("<encrypted>\n");
    lab.cmd()
        .args(["config", "set", "panorama.password"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no value given"));
}
