//! `cargo xtask schema`: writes `docs/schema/<name>.json` for every file type of the shared
//! directory protocol, from the Rust types (`panos_queue::schema::all`), and
//! `docs/schema/validation-<name>.json` for the payloads of validation records (snapshots,
//! readiness and comparison reports) and the `validation` config section
//! (`panos_validation::schemas`). With `--check` it only reports files that differ, for CI.

use std::path::Path;

/// Writes (or with `check`, compares) every schema under `root/docs/schema/`.
pub fn run(root: &Path, check: bool) -> Result<(), String> {
    let dir = root.join("docs").join("schema");
    std::fs::create_dir_all(&dir).map_err(|err| format!("create {}: {err}", dir.display()))?;
    let mut stale = Vec::new();
    let protocol = panos_queue::schema::all()
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema));
    let validation = panos_validation::schemas()
        .into_iter()
        .map(|(name, schema)| {
            let name = name.strip_prefix("validation_").unwrap_or(name);
            (format!("validation-{}", name.replace('_', "-")), schema)
        });
    for (name, schema) in protocol.chain(validation) {
        let path = dir.join(format!("{name}.json"));
        let text = panos_queue::schema::render(&schema);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
        } else {
            std::fs::write(&path, text)
                .map_err(|err| format!("write {}: {err}", path.display()))?;
            eprintln!("xtask schema: wrote {}", path.display());
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "schemas out of date (run `cargo xtask schema`): {}",
            stale.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_schemas_match_the_code() {
        let root = crate::tidy::workspace_root();
        if let Err(err) = super::run(&root, true) {
            panic!("{err}");
        }
    }
}
