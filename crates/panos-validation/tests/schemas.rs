//! The JSON Schemas from `schemas()` accept what the types serialise (snapshots with missing
//! parts, reports with every kind of difference, the default configuration) and refuse what
//! the types refuse, so the web application can rely on them.

mod support;

use panos_validation::readiness::{self, ReadinessConfig, ReadinessInput};
use panos_validation::{Part, Snapshot, Thresholds, ValidationConfig, compare, schemas};
use serde_json::Value;

fn validator(name: &str) -> jsonschema::Validator {
    let schema = schemas()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no schema named {name}"))
        .1;
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn assert_valid(name: &str, instance: &Value) {
    let errors: Vec<String> = validator(name)
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}");
}

#[test]
fn snapshots_and_comparison_reports_match_their_schemas() {
    let pre = support::snapshot(
        0,
        support::routes(40),
        support::arp(30),
        support::sessions(900, 600, 200),
    );
    let mut after = support::routes(38);
    after[4].nexthop = "198.51.100.7".into();
    let post = Snapshot::builder(support::serial(), support::at(30))
        .routes(Ok::<_, String>(support::route_table(after)))
        .arp(Ok::<_, String>(support::arp_table(support::arp(31))))
        .missing(Part::Sessions, "007951000123456 not connected")
        .build();
    assert_valid("snapshot", &serde_json::to_value(&pre).unwrap());
    assert_valid("snapshot", &serde_json::to_value(&post).unwrap());
    let report = compare(&pre, &post, &Thresholds::default());
    assert!(!report.routes.as_ref().unwrap().changed.is_empty());
    assert_valid("comparison_report", &serde_json::to_value(&report).unwrap());
}

#[test]
fn readiness_reports_and_configuration_match_their_schemas() {
    let input = ReadinessInput::new(support::serial(), "11.1.2".parse().unwrap());
    let report = readiness::check(&input, &ReadinessConfig::default());
    assert_valid("readiness_report", &serde_json::to_value(&report).unwrap());
    assert_valid(
        "validation_config",
        &serde_json::to_value(ValidationConfig::default()).unwrap(),
    );
    assert_valid("validation_config", &serde_json::json!({}));
}

#[test]
fn schemas_refuse_what_the_types_refuse() {
    let config = validator("validation_config");
    for bad in [
        serde_json::json!({"threshold": {}}),
        serde_json::json!({"postflight_failure": "ignore"}),
        serde_json::json!({"thresholds": {"routes": {"removed": {"max": 3}}}}),
    ] {
        assert!(!config.is_valid(&bad), "schema accepts {bad}");
        assert!(
            serde_json::from_value::<ValidationConfig>(bad.clone()).is_err(),
            "types accept {bad}"
        );
    }
    let snapshot = validator("snapshot");
    assert!(
        !snapshot.is_valid(&serde_json::json!({"schema_version": 1})),
        "serial and taken_at are required"
    );
}
