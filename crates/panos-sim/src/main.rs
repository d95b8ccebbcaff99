//! `panos-sim`: runs the Panorama simulator until SIGTERM/SIGINT. Prints the HTTP URL on the
//! first stdout line (then the HTTPS URL, if any). Argument parsing and wiring only; the
//! simulator is the library.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use panos_sim::{
    Credentials, FleetShape, FleetSpec, OverLimit, RateLimit, SimConfig, generate_fleet,
};

/// A Panorama simulator with a managed firewall fleet.
#[derive(Debug, Parser)]
#[command(name = "panos-sim", version)]
struct Args {
    /// HTTP listen address.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// HTTPS listen address (self-signed certificate generated at start).
    #[arg(long)]
    tls_listen: Option<SocketAddr>,
    /// Write the HTTPS certificate (PEM) to this file.
    #[arg(long, requires = "tls_listen")]
    cert_out: Option<PathBuf>,
    /// Write the certificate's SHA-256 fingerprint (hex) to this file.
    #[arg(long, requires = "tls_listen")]
    fingerprint_out: Option<PathBuf>,
    /// Fleet description file (JSON).
    #[arg(long, conflicts_with_all = ["devices", "ha_pairs"])]
    fleet: Option<PathBuf>,
    /// Generate a fleet of this many firewalls.
    #[arg(long, default_value_t = 10)]
    devices: usize,
    /// How many HA pairs in the generated fleet.
    #[arg(long, default_value_t = 2)]
    ha_pairs: usize,
    /// Seed of the generated fleet.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Panorama admin credentials, USER:PASS.
    #[arg(long, default_value = "admin:admin", value_parser = parse_admin)]
    admin: Credentials,
    /// Cap on requests in flight.
    #[arg(long)]
    max_concurrent: Option<usize>,
    /// Cap on requests per second.
    #[arg(long)]
    max_rate: Option<f64>,
    /// What a request over a cap gets: `delay`, `code22`, or an HTTP status such as `429`.
    #[arg(long, default_value = "code22", value_parser = parse_over_limit)]
    over_limit: OverLimit,
}

fn parse_over_limit(s: &str) -> Result<OverLimit, String> {
    match s {
        "delay" => Ok(OverLimit::Delay),
        "code22" => Ok(OverLimit::SessionTimedOut),
        status => status
            .parse::<u16>()
            .ok()
            .filter(|s| (400..600).contains(s))
            .map(|status| OverLimit::HttpStatus { status })
            .ok_or_else(|| "expected delay, code22 or an HTTP status 400-599".to_string()),
    }
}

fn parse_admin(s: &str) -> Result<Credentials, String> {
    Credentials::parse(s).ok_or_else(|| "expected USER:PASS".to_string())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("panos-sim: {e}");
            let mut source = std::error::Error::source(e.as_ref());
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let fleet = match &args.fleet {
        Some(path) => FleetSpec::load(path)?,
        None => generate_fleet(&FleetShape {
            devices: args.devices,
            ha_pairs: args.ha_pairs,
            seed: args.seed,
        }),
    };
    let mut config = SimConfig::new(fleet).with_time_scale(args.time_scale);
    config.listen = args.listen;
    config.tls_listen = args.tls_listen;
    config.admin = args.admin;
    config.rate_limit = RateLimit {
        max_concurrent: args.max_concurrent,
        max_per_second: args.max_rate,
        over_limit: args.over_limit,
    };
    let sim = panos_sim::start(config).await?;
    if let (Some(path), Some(pem)) = (&args.cert_out, sim.cert_pem()) {
        std::fs::write(path, pem)?;
    }
    if let (Some(path), Some(fp)) = (&args.fingerprint_out, sim.fingerprint_sha256()) {
        std::fs::write(path, format!("{fp}\n"))?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", sim.url())?;
    if let Some(url) = sim.tls_url() {
        writeln!(out, "{url}")?;
    }
    out.flush()?;
    drop(out);
    wait_for_signal().await?;
    sim.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}
