//! The JSON Schemas of every file type, generated from the Rust types with schemars, for
//! `cargo xtask schema` to write into `docs/schema/<name>.json`.

use schemars::{JsonSchema, generate::SchemaSettings};

use crate::quarantine::Rejection;
use crate::types::command::{Command, CommandResult};
use crate::types::job::{Job, JobResult};
use crate::types::status::{DaemonStatus, DeviceStatus, HaPairStatus, WorkersStatus};
use crate::types::validation::ValidationRecord;

fn schema_of<T: JsonSchema>() -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// `(file stem, schema)` for every file type, e.g. `("job", …)` for `docs/schema/job.json`.
pub fn all() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("job", schema_of::<Job>()),
        ("job-result", schema_of::<JobResult>()),
        ("command", schema_of::<Command>()),
        ("command-result", schema_of::<CommandResult>()),
        ("rejection", schema_of::<Rejection>()),
        ("device-status", schema_of::<DeviceStatus>()),
        ("ha-pair-status", schema_of::<HaPairStatus>()),
        ("daemon-status", schema_of::<DaemonStatus>()),
        ("workers-status", schema_of::<WorkersStatus>()),
        ("validation-record", schema_of::<ValidationRecord>()),
    ]
}

/// The text of `docs/schema/<name>.json` for a schema: pretty JSON, trailing newline.
pub fn render(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serializes");
    text.push('\n');
    text
}
