//! JSON Schemas of the files this crate defines (snapshots, reports, configuration), for
//! `cargo xtask schema` to write into `docs/schema/`.

use crate::compare::ComparisonReport;
use crate::config::ValidationConfig;
use crate::readiness::ReadinessReport;
use crate::snapshot::Snapshot;

/// `(name, schema)` for every file type: `snapshot`, `comparison_report`, `readiness_report`
/// and `validation_config`.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("snapshot", schemars::schema_for!(Snapshot).to_value()),
        (
            "comparison_report",
            schemars::schema_for!(ComparisonReport).to_value(),
        ),
        (
            "readiness_report",
            schemars::schema_for!(ReadinessReport).to_value(),
        ),
        (
            "validation_config",
            schemars::schema_for!(ValidationConfig).to_value(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_an_object_with_a_title() {
        let all = schemas();
        assert_eq!(all.len(), 4);
        for (name, schema) in all {
            assert!(schema.get("title").is_some(), "{name} has a title");
            assert!(schema.get("properties").is_some(), "{name} has properties");
        }
    }
}
