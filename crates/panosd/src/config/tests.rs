//! Tests of `config.json` loading, validation messages and dot-notation access.

use serde_json::json;

use super::*;

fn load(value: serde_json::Value) -> Result<Config, ConfigError> {
    Config::from_value(&value, Path::new("/s/config/config.json"))
}

#[test]
fn defaults_for_everything_but_the_url() {
    let config = load(json!({})).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.workers.max, 5);
    assert!(config.panorama.verify_tls);
    assert_eq!(config.timing.scale, 1.0);
    let err = config.panorama_url(Path::new("c.json")).unwrap_err();
    assert!(err.to_string().contains("panorama.url"), "{err}");
    assert!(err.to_string().contains("panosctl config set"), "{err}");
}

#[test]
fn the_documented_keys_exist() {
    let keys = known_keys();
    for key in [
        "panorama.url",
        "panorama.api_key",
        "panorama.username",
        "panorama.password",
        "panorama.verify_tls",
        "panorama.ca_file",
        "panorama.tls_fingerprint_sha256",
        "panorama.rate_limit_per_second",
        "panorama.max_in_flight",
        "workers.max",
        "timing.scale",
        "logging.level",
        "paths.upgrade_paths",
        "validation.postflight_failure",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
    }
}

#[test]
fn unknown_keys_are_named_with_a_suggestion() {
    let err = load(json!({"panorama": {"urll": "x"}})).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`panorama.urll`"), "{text}");
    assert!(text.contains("panorama.url"), "{text}");
    let err = load(json!({"worker": {"max": 3}})).unwrap_err();
    assert!(err.to_string().contains("unknown key `worker`"), "{err}");
    let err = load(json!({"validation": {"thresholds": {"bogus": 1}}})).unwrap_err();
    assert!(
        err.to_string().contains("validation.thresholds.bogus"),
        "{err}"
    );
}

#[test]
fn wrong_types_and_ranges_name_the_key() {
    let err = load(json!({"workers": {"max": "ten"}})).unwrap_err();
    assert!(err.to_string().contains("`workers.max`"), "{err}");
    assert!(err.to_string().contains("whole number"), "{err}");
    for bad in [0, 51] {
        let err = load(json!({"workers": {"max": bad}})).unwrap_err();
        assert!(err.to_string().contains("between 1 and 50"), "{err}");
    }
    let err = load(json!({"timing": {"scale": 0.0}})).unwrap_err();
    assert!(err.to_string().contains("timing.scale"), "{err}");
    let err = load(json!({"panorama": {"rate_limit_per_second": 0}})).unwrap_err();
    assert!(err.to_string().contains("rate_limit_per_second"), "{err}");
    let err = load(json!({"panorama": {"max_response_mb": 0}})).unwrap_err();
    assert!(
        err.to_string().contains("panorama.max_response_mb"),
        "{err}"
    );
    let err = load(json!({"logging": {"level": "loud=="}})).unwrap_err();
    assert!(err.to_string().contains("logging.level"), "{err}");
}

#[test]
fn a_plain_text_api_key_is_refused() {
    let err = load(json!({"panorama": {"api_key": "LUFRPT1secret"}})).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("panorama.api_key"), "{text}");
    assert!(!text.contains("LUFRPT1secret"), "{text}");
    let mut file = json!({});
    let err = set(&mut file, "panorama.api_key", "LUFRPT1secret").unwrap_err();
    assert!(matches!(err, ConfigError::PlainSecret { .. }));
    assert_eq!(file, json!({}));
}

#[test]
fn get_and_set_in_dot_notation() {
    let mut file = json!({"panorama": {"url": "https://p"}});
    assert_eq!(get(&file, "panorama.url").unwrap(), json!("https://p"));
    assert_eq!(get(&file, "workers.max").unwrap(), json!(5));
    assert_eq!(get(&file, "panorama").unwrap()["verify_tls"], json!(true));
    set(&mut file, "workers.max", "12").unwrap();
    set(&mut file, "timing.scale", "100").unwrap();
    assert!(set(&mut file, "panorama.tls_fingerprint_sha256", "AB:CD").is_err());
    let pin = vec!["AB"; 32].join(":");
    set(&mut file, "panorama.tls_fingerprint_sha256", &pin).unwrap();
    let err = set(&mut file, "panorama.url", "ftp://p").unwrap_err();
    assert!(err.to_string().contains("`panorama.url`"), "{err}");
    set(&mut file, "panorama.username", "12345").unwrap();
    assert_eq!(file["workers"]["max"], json!(12));
    assert_eq!(file["panorama"]["username"], json!("12345"));
    assert_eq!(get(&file, "timing.scale").unwrap(), json!(100));
    let config = load(file.clone()).unwrap();
    assert_eq!(config.workers.max, 12);
    assert_eq!(config.timing.scale, 100.0);

    let before = file.clone();
    assert!(set(&mut file, "workers.max", "99").is_err());
    assert!(set(&mut file, "workers.maxx", "3").is_err());
    assert_eq!(file, before, "a refused set leaves the file alone");
    set(&mut file, "workers.max", "null").unwrap();
    assert_eq!(get(&file, "workers.max").unwrap(), json!(5));
    assert!(get(&file, "nope.key").is_err());
}

#[test]
fn state_dir_comes_from_the_flag_then_the_environment() {
    assert_eq!(
        state_dir_from(Some("/a".into()), Some("/b".into())),
        PathBuf::from("/a")
    );
    assert_eq!(state_dir_from(None, Some("/b".into())), PathBuf::from("/b"));
    assert_eq!(state_dir_from(None, None), PathBuf::from(DEFAULT_STATE_DIR));
}

#[test]
fn files_are_written_only_when_valid() {
    let dir = tempfile::tempdir().unwrap();
    let path = default_config_file(dir.path());
    let mut json = read_file(&path).unwrap();
    assert_eq!(json, json!({}));
    set(&mut json, "panorama.url", "https://panorama.example.com").unwrap();
    crate::secrets::set_encrypted(
        dir.path(),
        &mut json,
        "panorama.api_key",
        &secrecy::SecretString::from("LUFRPT1key".to_owned()),
    )
    .unwrap();
    write_file(&path, &json).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("LUFRPT1key"));
    let config = Config::load(&path).unwrap();
    assert!(crate::secrets::is_encrypted(
        config.panorama.api_key.as_deref().unwrap()
    ));
    let err = write_file(&path, &json!({"workers": {"max": 0}})).unwrap_err();
    assert!(err.to_string().contains("workers.max"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "unchanged");
}

#[test]
fn a_rehearsal_configuration_validates_and_keeps_daemon_intervals_near_real_seconds() {
    let encrypted = "age:not-checked-here".to_owned();
    let config = Config::rehearsal("https://127.0.0.1:1", encrypted, 7, 1000.0);
    assert_eq!(config.workers.max, 7);
    assert_eq!(config.timing.scale, 1000.0);
    // Divided by the scale, the status interval is one real second.
    assert_eq!(
        config.daemon.status_interval_secs / config.timing.scale,
        1.0
    );
    let mut value = serde_json::to_value(&config).unwrap();
    value["panorama"]["api_key"] = serde_json::Value::Null;
    let back = Config::from_value(&value, Path::new("/s/config/config.json")).unwrap();
    assert_eq!(back.panorama.rate_limit_per_second, 5000);
    assert_eq!(back.daemon.rescan_interval_secs, 500.0);
}
