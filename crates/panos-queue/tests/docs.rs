//! The documentation agrees with the code: `docs/schema/*.json` is what the types generate,
//! and every JSON example in `docs/protocol.md` validates against its schema and parses with
//! the Rust types.

use std::path::PathBuf;

use panos_queue::fsio::decode;
use panos_queue::schema::{all, render};
use panos_queue::{
    Command, CommandResult, DaemonStatus, DeviceStatus, HaPairStatus, Job, JobResult, Rejection,
    ValidationRecord, WorkersStatus,
};

fn docs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

#[test]
fn committed_schemas_match_the_code() {
    let mut stale = Vec::new();
    for (name, schema) in all() {
        let path = docs().join("schema").join(format!("{name}.json"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != render(&schema) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "docs/schema is out of date for {stale:?}: run `cargo xtask schema` and commit the result"
    );
}

/// `(kind, json)` for every ```json block, `kind` from the `<!-- example: kind -->` line above.
fn examples() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(docs().join("protocol.md")).unwrap();
    let mut out = Vec::new();
    let mut kind: Option<String> = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.trim().strip_prefix("<!-- example:") {
            kind = Some(rest.trim_end_matches("-->").trim().to_owned());
        } else if line.trim() == "```json" {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            let kind = kind
                .take()
                .expect("every json block in protocol.md has an <!-- example: kind --> line");
            out.push((kind, body.join("\n")));
        } else if !line.trim().is_empty() {
            // A marker applies only to the block right after it.
            kind = None;
        }
    }
    out
}

fn parse_with_types(kind: &str, text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    match kind {
        "job" => decode::<Job>(bytes).map(drop),
        "command" => decode::<Command>(bytes).map(drop),
        "rejection" => decode::<Rejection>(bytes).map(drop),
        "device-status" => decode::<DeviceStatus>(bytes).map(drop),
        "ha-pair-status" => decode::<HaPairStatus>(bytes).map(drop),
        "daemon-status" => decode::<DaemonStatus>(bytes).map(drop),
        "workers-status" => decode::<WorkersStatus>(bytes).map(drop),
        "validation-record" => decode::<ValidationRecord>(bytes).map(drop),
        "job-result" => serde_json::from_str::<JobResult>(text)
            .map(drop)
            .map_err(|e| e.to_string()),
        "command-result" => serde_json::from_str::<CommandResult>(text)
            .map(drop)
            .map_err(|e| e.to_string()),
        other => Err(format!("no Rust type for example kind {other:?}")),
    }
}

#[test]
fn every_protocol_example_validates_and_parses() {
    let examples = examples();
    assert!(
        examples.len() >= 15,
        "found only {} examples",
        examples.len()
    );
    let mut kinds: Vec<&str> = examples.iter().map(|(k, _)| k.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for needed in [
        "job",
        "command",
        "device-status",
        "ha-pair-status",
        "daemon-status",
        "workers-status",
        "validation-record",
        "rejection",
    ] {
        assert!(
            kinds.contains(&needed),
            "protocol.md has no {needed} example"
        );
    }
    for (i, (kind, text)) in examples.iter().enumerate() {
        let instance: serde_json::Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("example {i} ({kind}) is not JSON: {e}"));
        let schema_path = docs().join("schema").join(format!("{kind}.json"));
        let schema: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&schema_path).unwrap()).unwrap();
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{}: {e}", schema_path.display()));
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "example {i} ({kind}) vs schema: {errors:#?}"
        );
        if let Err(reason) = parse_with_types(kind, text) {
            panic!("example {i} ({kind}) does not parse with the Rust types: {reason}");
        }
    }
}

#[test]
fn the_schema_catches_what_the_types_catch() {
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(docs().join("schema/job.json")).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let good = serde_json::json!({
        "schema_version": 1,
        "job_id": "0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8e",
        "kind": "standalone",
        "devices": ["007951000123456"],
        "dry_run": false
    });
    assert!(validator.is_valid(&good));
    for (field, value) in [
        ("schema_version", serde_json::json!(2)),
        (
            "job_id",
            serde_json::json!("0192F0A4-8D4E-7C1A-9B2E-3F4A5B6C7D8E"),
        ),
        ("devices", serde_json::json!(["../etc"])),
        ("target_version", serde_json::json!("10.2")),
        ("dry-run", serde_json::json!(true)),
        ("devices", serde_json::json!(["0001", "0002"])),
        ("ha_pair_name", serde_json::json!("dc1")),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        assert!(
            !validator.is_valid(&bad),
            "{field} should be refused by the schema"
        );
        let text = serde_json::to_string(&bad).unwrap();
        assert!(
            decode::<Job>(text.as_bytes()).is_err(),
            "{field} refused by the types"
        );
    }
}

#[test]
fn the_command_schema_knows_which_targets_each_command_takes() {
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(docs().join("schema/command.json")).unwrap())
            .unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    let id = "3b9d6c1e-2f4a-4e5b-9c8d-7a6b5c4d3e2f";
    let job = "0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8e";
    let cases = [
        (
            serde_json::json!({"command": "cancel", "job_id": job}),
            true,
        ),
        (
            serde_json::json!({"command": "cancel", "serial": "0001"}),
            true,
        ),
        (serde_json::json!({"command": "cancel"}), false),
        (
            serde_json::json!({"command": "cancel", "job_id": job, "serial": "0001"}),
            false,
        ),
        (
            serde_json::json!({"command": "validate", "serial": "0001"}),
            true,
        ),
        (serde_json::json!({"command": "validate"}), false),
        (
            serde_json::json!({"command": "collect_metrics", "job_id": job, "serial": "0001"}),
            false,
        ),
        (serde_json::json!({"command": "refresh_inventory"}), true),
        (
            serde_json::json!({"command": "refresh_inventory", "job_id": job}),
            false,
        ),
        (serde_json::json!({"command": "pause"}), true),
        (
            serde_json::json!({"command": "resume", "serial": "0001"}),
            false,
        ),
    ];
    for (mut command, valid) in cases {
        command["schema_version"] = 1.into();
        command["command_id"] = id.into();
        assert_eq!(validator.is_valid(&command), valid, "schema on {command}");
        let parsed = decode::<Command>(command.to_string().as_bytes());
        assert_eq!(parsed.is_ok(), valid, "types on {command}: {parsed:?}");
    }
}
