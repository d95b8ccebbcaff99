//! The daemon's command line, as a clap derive type: `panosd` parses it, and `cargo xtask
//! dist` turns [`command`] into shell completions and a man page. Nothing here reads the
//! environment or the configuration; `main.rs` does that with the parsed [`Args`].

use std::path::PathBuf;

use clap::{CommandFactory, Parser};

/// The panos-upgrade daemon: upgrades PAN-OS firewalls through Panorama, driven by JSON files
/// in the state directory.
#[derive(Debug, Parser)]
#[command(name = "panosd", version)]
pub struct Args {
    /// The state directory [default: $PANOS_UPGRADE_HOME, else /var/lib/panos-upgrade].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// The configuration file [default: config/config.json in the state directory].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log to the console too (the default when standard error is a terminal).
    #[arg(long)]
    pub foreground: bool,
}

/// The `panosd` command line as a [`clap::Command`], for shell completions and man pages.
pub fn command() -> clap::Command {
    Args::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn parses_the_options_the_unit_passes() {
        let args = Args::try_parse_from(["panosd", "--state-dir", "/var/lib/panos-upgrade"])
            .expect("the unit's ExecStart parses");
        assert_eq!(
            args.state_dir.as_deref(),
            Some(std::path::Path::new("/var/lib/panos-upgrade"))
        );
        assert!(!args.foreground);
        assert!(Args::try_parse_from(["panosd", "--no-such-option"]).is_err());
    }
}
