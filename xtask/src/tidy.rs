//! The tidy check: the internal dependency rules of DESIGN.md section 1, and a `//!` doc at the
//! top of every source file of every crate.
//!
//! The rules are data ([`RULES`]): an edge between panos crates that is not listed there fails
//! the check. Changing the design means changing this table on purpose.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One crate's allowed internal dependencies.
struct Rule {
    krate: &'static str,
    /// Internal crates it may use as normal (and build) dependencies.
    uses: &'static [&'static str],
    /// Internal crates it may use only in tests, examples and benches.
    dev_uses: &'static [&'static str],
}

/// The crate graph of DESIGN.md section 1.
const RULES: &[Rule] = &[
    Rule {
        krate: "panos-client",
        uses: &[],
        dev_uses: &["panos-samples"],
    },
    Rule {
        krate: "panos-queue",
        uses: &[],
        dev_uses: &["panos-samples"],
    },
    Rule {
        krate: "panos-samples",
        uses: &[],
        dev_uses: &[],
    },
    Rule {
        krate: "panos-validation",
        uses: &["panos-client"],
        dev_uses: &["panos-samples"],
    },
    Rule {
        krate: "panos-upgrade",
        uses: &["panos-client", "panos-validation"],
        dev_uses: &["panos-samples", "panos-sim"],
    },
    Rule {
        krate: "panos-sim",
        uses: &[],
        dev_uses: &["panos-samples", "panos-client"],
    },
    Rule {
        krate: "panosd",
        uses: &[
            "panos-client",
            "panos-queue",
            "panos-validation",
            "panos-upgrade",
            "panos-sim",
        ],
        dev_uses: &["panos-samples"],
    },
    // The demo embeds the simulator and runs the daemon in-process, so panosctl also uses
    // panosd (the library; panosd never uses panosctl) and panos-sim, and panos-client for
    // its newtypes.
    Rule {
        krate: "panosctl",
        uses: &[
            "panos-client",
            "panos-queue",
            "panos-upgrade",
            "panos-validation",
            "panosd",
            "panos-sim",
        ],
        dev_uses: &["panos-samples"],
    },
    // Examples of library reuse: any library crate, never a dependency of anything.
    Rule {
        krate: "panos-examples",
        uses: &[
            "panos-client",
            "panos-queue",
            "panos-sim",
            "panos-upgrade",
            "panos-validation",
            "panosd",
        ],
        dev_uses: &[],
    },
    Rule {
        krate: "xtask",
        uses: &[
            "panos-client",
            "panos-queue",
            "panos-sim",
            "panos-validation",
            "panos-upgrade",
            "panosd",
            "panosctl",
        ],
        dev_uses: &[],
    },
];

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// Runs every tidy rule; returns every problem found.
pub fn check(root: &Path) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    match metadata(root) {
        Ok(meta) => check_dependencies(&meta, &mut problems),
        Err(err) => problems.push(err),
    }
    check_module_docs(root, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn metadata(root: &Path) -> Result<serde_json::Value, String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .map_err(|err| format!("cannot run cargo metadata: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|err| format!("cargo metadata output: {err}"))
}

fn check_dependencies(meta: &serde_json::Value, problems: &mut Vec<String>) {
    let packages = meta["packages"].as_array().cloned().unwrap_or_default();
    let members: Vec<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    for package in &packages {
        let Some(name) = package["name"].as_str() else {
            continue;
        };
        let Some(rule) = RULES.iter().find(|r| r.krate == name) else {
            if name.starts_with("panos") {
                problems.push(format!(
                    "crate {name} has no dependency rule: add it to xtask/src/tidy.rs RULES"
                ));
            }
            continue;
        };
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let Some(dep_name) = dep["name"].as_str() else {
                continue;
            };
            if !members.iter().any(|m| m == dep_name) {
                continue;
            }
            let is_dev = dep["kind"].as_str() == Some("dev");
            let allowed =
                rule.uses.contains(&dep_name) || (is_dev && rule.dev_uses.contains(&dep_name));
            if !allowed {
                let kind = if is_dev {
                    "dev-dependency"
                } else {
                    "dependency"
                };
                problems.push(format!(
                    "{name} has a {kind} on {dep_name}, which DESIGN.md does not allow"
                ));
            }
        }
    }
}

fn check_module_docs(root: &Path, problems: &mut Vec<String>) {
    let mut files = Vec::new();
    for dir in ["crates", "examples", "xtask"] {
        collect_sources(&root.join(dir), &mut files);
    }
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let first = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with("#!["));
        let in_src = file.components().any(|c| c.as_os_str() == "src");
        if in_src && !first.is_some_and(|line| line.starts_with("//!")) {
            problems.push(format!(
                "{} does not start with a `//!` doc saying what it owns",
                file.strip_prefix(root).unwrap_or(&file).display()
            ));
        }
    }
}

fn collect_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        if path.is_dir() {
            collect_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_follows_the_design_rules() {
        if let Err(problems) = check(&workspace_root()) {
            panic!("tidy problems:\n{}", problems.join("\n"));
        }
    }

    #[test]
    fn a_forbidden_edge_is_reported() {
        let meta = serde_json::json!({
            "packages": [
                {"name": "panos-client", "dependencies": [{"name": "panos-queue", "kind": null}]},
                {"name": "panos-queue", "dependencies": []}
            ]
        });
        let mut problems = Vec::new();
        check_dependencies(&meta, &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("panos-client has a dependency on panos-queue"));
    }

    #[test]
    fn a_dev_only_edge_used_as_normal_dependency_is_reported() {
        let meta = serde_json::json!({
            "packages": [
                {"name": "panos-upgrade", "dependencies": [{"name": "panos-sim", "kind": null}]},
                {"name": "panos-sim", "dependencies": []}
            ]
        });
        let mut problems = Vec::new();
        check_dependencies(&meta, &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
