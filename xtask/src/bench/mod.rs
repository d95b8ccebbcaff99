//! `cargo xtask bench [--quick] [--only PART,…]`: the project's performance figures (issue
//! #10), one line per figure (`name: value unit`, with its target) and a JSON file
//! (`target/bench/results.json`, or `results-quick.json`).
//!
//! `cargo xtask` is a debug build, so this first builds `panosd`, `panosctl` and xtask itself
//! in release (`cargo build --release --locked`) and runs the release xtask: the simulator then
//! runs optimized in this process (its request counters are read directly), and the daemon runs
//! as the real release `panosd` process, so its memory and CPU time are its own.
//!
//! Parts, cheapest first: `validation` (compare of 200k routes + 100k ARP per side), `cli`
//! (`panosctl job list` over 10,000 job files), `pickup` (rename into `pending/` → claimed),
//! `api` (calls per standalone and per HA pair upgrade), `fleet` (makespan of 230 firewalls
//! against its lower bound), `scale` (10,000 devices: the daemon's peak RSS and CPU per
//! device). `--quick` shrinks each to finish in about two minutes after the build. Nothing here
//! asserts a speed: the figures are reported, with whether each meets its target.

mod bound;
mod cli;
mod figures;
mod fleet;
mod lab;
mod phases;
mod pickup;
mod scale;
mod validation;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use figures::{Figure, Machine, Results};
use tokio::runtime::Runtime;

/// What every part gets: the runtime of the in-process simulator, the release binaries, the
/// size of the run, and where figures go.
pub struct Bench {
    runtime: Runtime,
    panosd: PathBuf,
    panosctl: PathBuf,
    quick: bool,
    figures: Vec<Figure>,
    details: serde_json::Map<String, serde_json::Value>,
}

impl Bench {
    /// Prints a figure's line and keeps it for the results file.
    fn report(&mut self, figure: Figure) {
        println!("{}", figure.line());
        self.figures.push(figure);
    }

    /// Keeps a part's parameters and raw numbers for the results file.
    fn detail(&mut self, part: &str, value: serde_json::Value) {
        self.details.insert(part.to_owned(), value);
    }
}

type Part = fn(&mut Bench) -> Result<(), String>;

const PARTS: [(&str, Part); 6] = [
    ("validation", validation::run),
    ("cli", cli::run),
    ("pickup", pickup::run),
    ("api", fleet::api_calls),
    ("fleet", fleet::makespan),
    ("scale", scale::run),
];

/// The command line of `cargo xtask bench`.
#[derive(Debug, Default, PartialEq)]
struct Args {
    quick: bool,
    only: Vec<String>,
    out: Option<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => parsed.quick = true,
            "--only" => {
                let list = it.next().ok_or("--only needs a list of parts")?;
                for part in list.split(',').filter(|p| !p.is_empty()) {
                    if !PARTS.iter().any(|(name, _)| *name == part) {
                        return Err(format!(
                            "unknown part {part:?} (parts: {})",
                            PARTS.map(|(name, _)| name).join(", ")
                        ));
                    }
                    parsed.only.push(part.to_owned());
                }
            }
            "--out" => parsed.out = Some(it.next().ok_or("--out needs a file")?.into()),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: cargo xtask bench [--quick] \
                     [--only PART,…] [--out FILE]"
                ));
            }
        }
    }
    Ok(parsed)
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// `cargo xtask bench ARGS`.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let parsed = parse_args(args)?;
    let release = target_dir(root).join("release");
    if cfg!(debug_assertions) {
        build(root)?;
        let status = Command::new(release.join("xtask"))
            .arg("bench")
            .args(args)
            .current_dir(root)
            .status()
            .map_err(|e| format!("cannot run the release xtask: {e}"))?;
        return if status.success() {
            Ok(())
        } else {
            Err(format!("the benchmark failed ({status})"))
        };
    }
    measure(root, &release, parsed)
}

/// `cargo build --release --locked -p panosd -p panosctl -p xtask`.
fn build(root: &Path) -> Result<(), String> {
    let args = [
        "build",
        "--release",
        "--locked",
        "-p",
        "panosd",
        "-p",
        "panosctl",
        "-p",
        "xtask",
    ];
    eprintln!("xtask bench: cargo {}", args.join(" "));
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the release build failed ({status})"))
    }
}

/// Runs the parts in this (release) process and writes the results file.
fn measure(root: &Path, release: &Path, args: Args) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut bench = Bench {
        runtime,
        panosd: release.join("panosd"),
        panosctl: release.join("panosctl"),
        quick: args.quick,
        figures: Vec::new(),
        details: serde_json::Map::new(),
    };
    for binary in [&bench.panosd, &bench.panosctl] {
        if !binary.is_file() {
            return Err(format!(
                "{} is missing: run `cargo xtask bench` (it builds it)",
                binary.display()
            ));
        }
    }
    let machine = Machine::now();
    println!(
        "xtask bench{}: {} CPUs, load average {}",
        if args.quick { " --quick" } else { "" },
        machine.cpus,
        machine.load_average.as_deref().unwrap_or("unknown")
    );
    let started_at = chrono::Utc::now().to_rfc3339();
    let mut failures = Vec::new();
    let mut durations = serde_json::Map::new();
    for (name, part) in PARTS {
        if !args.only.is_empty() && !args.only.iter().any(|o| o == name) {
            continue;
        }
        let start = Instant::now();
        if let Err(err) = part(&mut bench) {
            eprintln!("xtask bench: {name}: {err}");
            failures.push(format!("{name}: {err}"));
        }
        durations.insert(name.to_owned(), start.elapsed().as_secs_f64().into());
    }
    bench.detail("part_secs", serde_json::Value::Object(durations));
    bench.detail("failures", failures.clone().into());
    let results = Results {
        started_at,
        quick: args.quick,
        machine,
        figures: std::mem::take(&mut bench.figures),
        details: std::mem::take(&mut bench.details),
    };
    let out = args.out.unwrap_or_else(|| {
        let name = if args.quick {
            "results-quick.json"
        } else {
            "results.json"
        };
        target_dir(root).join("bench").join(name)
    });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let text = serde_json::to_string_pretty(&results)
        .map_err(|e| format!("cannot encode the results: {e}"))?;
    std::fs::write(&out, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("results: {}", out.display());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} part(s) failed: {}",
            failures.len(),
            failures.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn arguments() {
        assert_eq!(args(&[]).unwrap(), Args::default());
        let parsed = args(&["--quick", "--only", "cli,pickup", "--out", "x.json"]).unwrap();
        assert!(parsed.quick);
        assert_eq!(parsed.only, ["cli", "pickup"]);
        assert_eq!(parsed.out, Some(PathBuf::from("x.json")));
        assert!(
            args(&["--only", "nope"])
                .unwrap_err()
                .contains("unknown part")
        );
        assert!(args(&["--fast"]).is_err());
        assert!(args(&["--only"]).is_err());
    }

    #[test]
    fn the_results_file_lists_figures_and_details() {
        let mut details = serde_json::Map::new();
        details.insert("cli".into(), serde_json::json!({"job_files": 10}));
        let results = Results {
            started_at: "2026-11-24T22:00:00+00:00".into(),
            quick: true,
            machine: Machine {
                cpus: 2,
                load_average: Some("1.00 0.50 0.25".into()),
            },
            figures: vec![
                Figure::new("cli.job_list_1k", 12.0, "ms")
                    .with_target(figures::Target::AtMost(150.0)),
            ],
            details,
        };
        let json = serde_json::to_value(&results).unwrap();
        assert_eq!(json["quick"], true);
        assert_eq!(json["machine"]["cpus"], 2);
        assert_eq!(json["figures"][0]["name"], "cli.job_list_1k");
        assert_eq!(json["figures"][0]["met"], true);
        assert_eq!(json["details"]["cli"]["job_files"], 10);
    }
}
