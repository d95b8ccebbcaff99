//! `cargo xtask chaos`: the reliability suite. Four phases against the in-process Panorama
//! simulator and the real `panosd` binary, each in its own temporary state directory:
//!
//! 1. the crash loop ([`crash`]): a fleet upgraded while the daemon is SIGKILLed at seeded
//!    random moments and restarted;
//! 2. the fault matrix ([`matrix`]): every fault kind of panos-sim on a standalone firewall,
//!    on the first (passive) and on the second (active) member of an HA pair;
//! 3. bad input ([`bad_input`]): malformed job and command files among valid jobs;
//! 4. secrets ([`secrets`]): the API key in no file and no log of the phases above.
//!
//! It prints one line per figure and the fault matrix as a table, and fails on any
//! violation. `--quick` is the size CI runs (as the test below); the default is the long run.
//! It never edits the crates it tests: a violation is a finding to fix there.

mod bad_input;
mod crash;
mod lab;
mod matrix;
mod observe;
mod process;
mod rng;
mod secrets;
mod sends;

use std::fmt::Display;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use observe::Schemas;

/// The size of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// SIGKILLs in the crash loop.
    pub kills: usize,
    /// Firewalls in the crash loop's fleet.
    pub devices: usize,
    /// HA pairs among them.
    pub ha_pairs: usize,
    /// Seeds the fleet, the kill moments and the bad files.
    pub seed: u64,
    /// Simulated seconds per real second (the daemon's `timing.scale` matches).
    pub scale: f64,
    /// `workers.max` of the crash loop's daemon.
    pub workers: u32,
    /// Real milliseconds a daemon lives before its SIGKILL: drawn from this range.
    pub kill_ms: (u64, u64),
    /// Malformed files in the bad-input phase.
    pub bad_files: usize,
    /// Run `panosd` from a release build.
    pub release: bool,
    /// Use this `panosd` binary instead of building one.
    pub panosd: Option<std::path::PathBuf>,
    /// Which phases run.
    pub phases: Vec<String>,
}

const PHASES: [&str; 3] = ["crash", "matrix", "bad-input"];

impl Options {
    /// The long run: `cargo xtask chaos`.
    pub fn long() -> Self {
        Options {
            kills: 30,
            devices: 300,
            ha_pairs: 30,
            seed: 7,
            scale: 1000.0,
            workers: 25,
            kill_ms: (300, 3000),
            bad_files: 3000,
            release: true,
            panosd: None,
            phases: PHASES.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// The CI run: `cargo xtask chaos --quick`, and the test below.
    pub fn quick() -> Self {
        Options {
            kills: 5,
            devices: 20,
            ha_pairs: 4,
            workers: 10,
            kill_ms: (200, 1500),
            bad_files: 300,
            release: false,
            ..Options::long()
        }
    }

    /// Reads the command line after `chaos`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = if args.iter().any(|a| a == "--quick") {
            Options::quick()
        } else {
            Options::long()
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = |what: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs {what}"))
            };
            let number = |text: String| {
                text.parse::<u64>()
                    .map_err(|_| format!("{flag}: {text:?} is not a whole number"))
            };
            match flag.as_str() {
                "--quick" => {}
                "--help" | "-h" => return Err(USAGE.into()),
                "--kills" => options.kills = number(value("a count")?)? as usize,
                "--devices" => options.devices = number(value("a count")?)? as usize,
                "--ha-pairs" => options.ha_pairs = number(value("a count")?)? as usize,
                "--seed" => options.seed = number(value("a number")?)?,
                "--workers" => options.workers = number(value("a count")?)?.clamp(1, 50) as u32,
                "--bad-files" => options.bad_files = number(value("a count")?)? as usize,
                "--time-scale" => {
                    let text = value("a factor")?;
                    options.scale = text
                        .parse::<f64>()
                        .ok()
                        .filter(|s| s.is_finite() && *s >= 1.0)
                        .ok_or_else(|| format!("--time-scale: {text:?} is not a factor >= 1"))?;
                }
                "--kill-ms" => {
                    let text = value("LO-HI")?;
                    let range = text
                        .split_once('-')
                        .and_then(|(lo, hi)| Some((lo.parse().ok()?, hi.parse().ok()?)))
                        .filter(|(lo, hi)| lo < hi);
                    options.kill_ms =
                        range.ok_or_else(|| format!("--kill-ms: {text:?} is not LO-HI"))?;
                }
                "--release" => options.release = true,
                "--debug" => options.release = false,
                "--panosd" => options.panosd = Some(value("a file")?.into()),
                "--only" => {
                    let list = value("phases")?;
                    options.phases = list.split(',').map(str::to_owned).collect();
                    if let Some(bad) = options
                        .phases
                        .iter()
                        .find(|p| !PHASES.contains(&p.as_str()))
                    {
                        return Err(format!("--only: no phase {bad:?} (one of {PHASES:?})"));
                    }
                }
                other => return Err(format!("chaos: unknown option {other:?}\n{USAGE}")),
            }
        }
        if options.devices < 2 {
            return Err("--devices must be at least 2".into());
        }
        Ok(options)
    }

    fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }
}

/// How a violation that is a recorded engine finding starts (see [`matrix`]).
pub const KNOWN_FINDING: &str = "known finding: ";

/// The command's usage.
pub const USAGE: &str = "usage: cargo xtask chaos [--quick] [--kills N] [--devices N] \
[--ha-pairs N] [--seed N] [--kill-ms LO-HI] [--time-scale X] [--workers N] [--bad-files N] \
[--release|--debug] \
[--panosd FILE] [--only crash,matrix,bad-input]";

/// One phase's results.
#[derive(Debug, Default)]
pub struct Phase {
    /// Its name.
    pub name: &'static str,
    /// (what, value) lines.
    pub figures: Vec<(String, String)>,
    /// A table to print after the figures.
    pub table: Option<String>,
    /// Things worth a look that break no invariant.
    pub notes: Vec<String>,
    /// Everything that must not have happened.
    pub violations: Vec<String>,
}

impl Phase {
    fn new(name: &'static str) -> Self {
        Phase {
            name,
            ..Phase::default()
        }
    }

    fn figure(&mut self, what: &str, value: impl Display) {
        self.figures.push((what.to_owned(), value.to_string()));
    }

    /// The figures, the table and the violations as text.
    pub fn render(&self) -> String {
        let mut out = format!("== {} ==\n", self.name);
        let width = self.figures.iter().map(|(w, _)| w.len()).max().unwrap_or(0);
        for (what, value) in &self.figures {
            out.push_str(&format!("{what:<width$}  {value}\n"));
        }
        out.push_str(&format!(
            "{:<width$}  {}\n",
            "violations",
            self.violations.len()
        ));
        if let Some(table) = &self.table {
            out.push_str(table);
        }
        for note in &self.notes {
            out.push_str(&format!("  note: {note}\n"));
        }
        const SHOWN: usize = 40;
        for v in self.violations.iter().take(SHOWN) {
            out.push_str(&format!("  VIOLATION: {v}\n"));
        }
        if self.violations.len() > SHOWN {
            out.push_str(&format!("  … and {} more\n", self.violations.len() - SHOWN));
        }
        out
    }
}

/// Runs the suite with `options`, printing each phase as it ends; the phases' reports.
pub fn run_with(options: &Options, panosd: &Path) -> Result<Vec<Phase>, String> {
    let root = crate::tidy::workspace_root();
    let schemas = Arc::new(Schemas::load(&root)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let started = Instant::now();
    let mut phases = Vec::new();
    let mut labs = Vec::new();
    if options.runs("crash") {
        let (phase, lab) = crash::run(&runtime, options, Arc::clone(&schemas), panosd)?;
        print!("{}", phase.render());
        phases.push(phase);
        labs.push(lab);
    }
    if options.runs("matrix") {
        let (phase, lab) = matrix::run(&runtime, options, Arc::clone(&schemas), panosd)?;
        print!("{}", phase.render());
        phases.push(phase);
        labs.push(lab);
    }
    if options.runs("bad-input") {
        let (phase, lab) = bad_input::run(&runtime, options, Arc::clone(&schemas), panosd)?;
        print!("{}", phase.render());
        phases.push(phase);
        labs.push(lab);
    }
    let mut phase = Phase::new("secrets");
    let (mut files, mut bytes) = (0, 0);
    for lab in &labs {
        let found = secrets::scan(&[lab.root(), lab.scratch.path()], &lab.api_key);
        files += found.files;
        bytes += found.bytes;
        phase.violations.extend(
            found
                .leaks
                .iter()
                .map(|p| format!("the API key is in {}", p.display())),
        );
    }
    phase.figure("files scanned (state dirs, daemons' stderr)", files);
    phase.figure("bytes scanned", bytes);
    phase.figure(
        "total time",
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    print!("{}", phase.render());
    phases.push(phase);
    drop(labs);
    Ok(phases)
}

/// `cargo xtask chaos [...]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let options = Options::parse(args)?;
    let root = crate::tidy::workspace_root();
    let panosd = match &options.panosd {
        Some(file) => file.clone(),
        None => {
            eprintln!(
                "xtask chaos: building panosd ({})",
                if options.release { "release" } else { "debug" }
            );
            process::build_panosd(&root, options.release)?
        }
    };
    println!(
        "chaos: seed {}, {} kills, {} devices ({} HA pairs), clock x{}, {} bad files, panosd {}",
        options.seed,
        options.kills,
        options.devices,
        options.ha_pairs,
        options.scale,
        options.bad_files,
        panosd.display()
    );
    let phases = run_with(&options, &panosd)?;
    let violations: usize = phases.iter().map(|p| p.violations.len()).sum();
    let known = phases
        .iter()
        .flat_map(|p| &p.violations)
        .filter(|v| v.contains(KNOWN_FINDING))
        .count();
    println!("chaos: violations = {violations} (of which known engine findings: {known})");
    if violations > 0 {
        return Err(format!("{violations} violation(s)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CI size of the suite: 5 kills over 20 devices, the full fault matrix, 300 bad
    /// files, the secrets scan. No timing is asserted; the limits inside are hang guards.
    #[test]
    fn chaos_quick_run_finds_no_violation() {
        let root = crate::tidy::workspace_root();
        let panosd = process::panosd_for_tests(&root).expect("panosd is built");
        let phases = run_with(&Options::quick(), &panosd).expect("the suite runs");
        let (known, violations): (Vec<String>, Vec<String>) = phases
            .iter()
            .flat_map(|p| p.violations.iter().map(|v| format!("{}: {v}", p.name)))
            .partition(|v| v.contains(KNOWN_FINDING));
        // Engine findings recorded in docs/reliability.md: shown, not failed on.
        for finding in &known {
            eprintln!("{finding}");
        }
        assert!(violations.is_empty(), "{violations:#?}");
        assert_eq!(phases.len(), 4);
    }

    #[test]
    fn options_parse_and_refuse() {
        let args = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let o = Options::parse(&args(
            "--quick --kills 9 --seed 3 --kill-ms 5-50 --only crash",
        ))
        .unwrap();
        assert_eq!((o.kills, o.seed, o.devices, o.kill_ms), (9, 3, 20, (5, 50)));
        assert!(Options::parse(&args("--kill-ms 50-5")).is_err());
        assert_eq!(o.phases, ["crash"]);
        assert_eq!(Options::parse(&[]).unwrap().kills, 30);
        assert!(Options::parse(&args("--kills")).is_err());
        assert!(Options::parse(&args("--only nothing")).is_err());
        assert!(Options::parse(&args("--time-scale 0")).is_err());
    }
}
