//! The command line: every subcommand and option of `panosctl`, as clap derive types. Nothing
//! here does anything; `lib.rs` dispatches to the module of each command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Drive panos-upgrade: submit and follow firewall upgrade jobs, ask the daemon to validate
/// devices, edit its configuration and upgrade paths, or run the demo.
///
/// Exit codes: 0 ok; 1 the operation failed (or what you named does not exist); 2 usage or
/// configuration error; 3 the daemon is not running.
#[derive(Debug, Parser)]
#[command(name = "panosctl", version, propagate_version = true)]
pub struct Cli {
    /// The state directory shared with panosd [default: /var/lib/panos-upgrade].
    #[arg(long, global = true, value_name = "DIR", env = "PANOS_UPGRADE_HOME")]
    pub state_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start, stop, restart the daemon, or show its status.
    #[command(subcommand)]
    Daemon(DaemonCommand),
    /// Submit, list, inspect, cancel and watch upgrade jobs.
    #[command(subcommand)]
    Job(JobCommand),
    /// The firewalls the daemon knows: list, status, readiness checks, metrics.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Show or change the daemon's configuration (config/config.json).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Show and check the upgrade paths (config/upgrade_paths.json).
    #[command(subcommand)]
    Path(PathCommand),
    /// Upgrade a simulated fleet end to end: simulator, daemon, jobs, live progress, summary.
    Demo(DemoArgs),
}

/// `--json` for read commands.
#[derive(Debug, Clone, Copy, Args)]
pub struct Output {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `panosctl daemon …`.
#[derive(Debug, Subcommand)]
pub enum DaemonCommand {
    /// Start panosd in the background (not under systemd: use systemctl there).
    Start {
        /// The panosd binary [default: next to panosctl, else on PATH].
        #[arg(long, value_name = "FILE")]
        panosd: Option<PathBuf>,
    },
    /// Stop the running daemon (SIGTERM to the pid in the lock file) and wait for it.
    Stop {
        /// Seconds to wait for it to exit.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Stop the daemon, then start it again.
    Restart {
        /// The panosd binary [default: next to panosctl, else on PATH].
        #[arg(long, value_name = "FILE")]
        panosd: Option<PathBuf>,
        /// Seconds to wait for it to exit.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Whether the daemon runs (lock held, pid alive) and what status/daemon.json says.
    Status(Output),
}

/// A job's folder, for `job list --state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JobState {
    /// Waiting in queue/pending/.
    Pending,
    /// Running (queue/active/).
    Active,
    /// Ended well.
    Completed,
    /// Failed, or refused as malformed.
    Failed,
    /// Cancelled.
    Cancelled,
}

/// What a failed post-upgrade comparison does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Postflight {
    /// Fail the device.
    Fail,
    /// Record a warning and go on.
    Warn,
}

/// `panosctl job submit` options.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// One standalone firewall.
    #[arg(long, value_name = "SERIAL", conflicts_with_all = ["ha_pair", "all", "from_file"])]
    pub device: Option<String>,
    /// The two members of an HA pair (one job; passive first).
    #[arg(long, num_args = 2, value_names = ["SERIAL_A", "SERIAL_B"], conflicts_with_all = ["all", "from_file"])]
    pub ha_pair: Option<Vec<String>>,
    /// Every device in the inventory (status/devices/), HA pairs as pair jobs.
    #[arg(long, conflicts_with = "from_file")]
    pub all: bool,
    /// Serials from a file: one per line, or two on a line for an HA pair; `#` comments.
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// With --all or --from-file: only devices running this version.
    #[arg(long, value_name = "VERSION")]
    pub current_version: Option<String>,
    /// With --all or --from-file: only devices of this model (e.g. PA-3220).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Read and check everything, plan, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The version to end on [default: the upgrade path of each device's version].
    #[arg(long, value_name = "VERSION")]
    pub target_version: Option<String>,
    /// Higher runs first.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub priority: i32,
    /// HA pairs: suspend the passive member before upgrading it.
    #[arg(long)]
    pub suspend_passive_first: bool,
    /// What a failed post-upgrade comparison does [default: the daemon's
    /// `validation.postflight_failure`].
    #[arg(long, value_enum)]
    pub postflight: Option<Postflight>,
    /// Print the job ids as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `panosctl job …`.
#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Submit upgrade jobs; prints their ids.
    Submit(SubmitArgs),
    /// Jobs in every queue folder, newest first.
    List {
        /// Only jobs in these states (repeatable).
        #[arg(long, value_enum)]
        state: Vec<JobState>,
        #[command(flatten)]
        output: Output,
    },
    /// One job in detail: each device, errors and manual actions.
    Status {
        /// The job id (a unique prefix is enough).
        job_id: String,
        #[command(flatten)]
        output: Output,
    },
    /// Ask the daemon to cancel a job.
    Cancel {
        /// The job id (a unique prefix is enough).
        job_id: String,
        /// Seconds to wait for the daemon's answer.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Follow jobs live until they end (every pending and active job without an id).
    Watch {
        /// The job id (a unique prefix is enough).
        job_id: Option<String>,
    },
}

/// `panosctl device …`.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// The firewalls in the inventory (status/devices/).
    List(Output),
    /// One firewall's status file.
    Status {
        /// The serial.
        serial: String,
        #[command(flatten)]
        output: Output,
    },
    /// Ask the daemon to run the readiness checks on a firewall.
    Validate {
        /// The serial.
        serial: String,
        /// Seconds to wait for the daemon's answer.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
        #[command(flatten)]
        output: Output,
    },
    /// Ask the daemon for a metrics snapshot of a firewall.
    Metrics {
        /// The serial.
        serial: String,
        /// Seconds to wait for the daemon's answer.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
        #[command(flatten)]
        output: Output,
    },
}

/// `panosctl config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// The configuration with defaults filled in (one key or section with KEY).
    Show {
        /// A key or section in dot notation (e.g. `panorama` or `workers.max`).
        key: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Set one key (dot notation), validated; secrets are prompted for and stored encrypted.
    Set {
        /// The key, e.g. `panorama.url`, `workers.max`, `panorama.api_key`.
        key: String,
        /// The value; `null` resets it to the default. Omit it for secrets (prompted).
        value: Option<String>,
    },
}

/// `panosctl path …`.
#[derive(Debug, Subcommand)]
pub enum PathCommand {
    /// The upgrade paths, or the one for VERSION.
    Show {
        /// A running version, e.g. 10.1.9-h1.
        #[arg(value_name = "VERSION")]
        from: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Check every path against PAN-OS rules; exits 1 when one has a problem.
    Validate {
        /// A device's software catalog, saved from `request system software check` (the XML
        /// response): also checks that every hop and base image is in it.
        #[arg(long, value_name = "FILE")]
        catalog: Option<std::path::PathBuf>,
        #[command(flatten)]
        output: Output,
    },
}

/// `panosctl demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Firewalls in the simulated fleet.
    #[arg(long, default_value_t = 230)]
    pub devices: usize,
    /// How many of them form HA pairs.
    #[arg(long, default_value_t = 20)]
    pub ha_pairs: usize,
    /// Simulated seconds per real second (the daemon's timing.scale matches it).
    #[arg(long, default_value_t = 1000.0)]
    pub time_scale: f64,
    /// The fleet generator's seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Keep the state directory at the end.
    #[arg(long)]
    pub keep: bool,
    /// Concurrent upgrade jobs (workers.max, 1–50).
    #[arg(long, default_value_t = 50)]
    pub workers: u32,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
