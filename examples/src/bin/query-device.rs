//! Example: read a firewall's state through Panorama with `panos_client::PanoramaClient`:
//! Panorama's managed devices, then the firewall's system info, HA state and software catalog.
//! Read-only: nothing here changes a device.
//!
//! ```sh
//! cargo run -p panos-examples --bin query-device [SERIAL]
//! ```
//!
//! Without `PANORAMA_URL` it starts the lab simulator (HTTPS with a self-signed certificate,
//! pinned by its SHA-256 as you would pin a real Panorama's). To ask a real Panorama, set
//! `PANORAMA_URL` (`https://panorama.example.com`), `PANOS_API_KEY`, and, for a self-signed
//! certificate, `PANORAMA_FINGERPRINT` (the certificate's SHA-256 in hex).

use std::error::Error;

use panos_client::{ClientConfig, Credentials, PanoramaClient, PanosApi, Serial};
use secrecy::SecretString;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // Keeps the simulator running until the end of `main`, when there is one.
    let mut simulator = None;
    let config = match std::env::var("PANORAMA_URL") {
        Ok(url) => {
            let key = SecretString::from(std::env::var("PANOS_API_KEY")?);
            let mut builder = ClientConfig::builder(url, Credentials::ApiKey(key));
            if let Ok(pin) = std::env::var("PANORAMA_FINGERPRINT") {
                builder = builder.tls_fingerprint_sha256(pin);
            }
            builder.build()?
        }
        Err(_) => {
            let sim = panos_examples::start_simulator(1.0).await?;
            let url = sim
                .tls_url()
                .ok_or("the simulator serves no HTTPS")?
                .to_owned();
            let pin = sim.fingerprint_sha256().ok_or("no certificate")?.to_owned();
            println!("simulator: {url} (certificate SHA-256 {pin})");
            let key = SecretString::from(sim.api_key());
            simulator = Some(sim);
            ClientConfig::builder(url, Credentials::ApiKey(key))
                .tls_fingerprint_sha256(pin)
                .build()?
        }
    };
    // One client for the whole program: every call shares its rate limit (10 requests/s by
    // default) and its cap of 5 requests in flight. Clones share them too.
    let client = PanoramaClient::new(config)?;

    let panorama = client.panorama_system_info().await?;
    let devices = client.managed_devices(false).await?;
    let connected = devices.iter().filter(|d| d.connected).count();
    println!(
        "Panorama {} runs {}; it manages {} firewalls, {connected} connected",
        panorama.hostname,
        panorama.sw_version,
        devices.len()
    );
    for device in &devices {
        println!(
            "  {} {:<12} {:<8} {}",
            device.serial,
            device.hostname.as_deref().unwrap_or("?"),
            device.model.as_deref().unwrap_or("?"),
            device
                .sw_version
                .as_ref()
                .map_or_else(|| "?".to_owned(), ToString::to_string),
        );
    }

    // Serials are parsed (validated) once, at the edge; everything after takes the newtype.
    let serial: Serial = match std::env::args().nth(1) {
        Some(text) => text.parse()?,
        None => panos_examples::HA_ACTIVE.parse()?,
    };

    let info = client.system_info(&serial).await?;
    println!(
        "firewall {}: hostname {}, model {}, PAN-OS {}, uptime {}",
        info.serial,
        info.hostname,
        info.model,
        info.sw_version,
        info.uptime.as_deref().unwrap_or("?")
    );

    let ha = client.ha_state(&serial).await?;
    match (&ha.local, &ha.peer) {
        (Some(local), peer) if ha.enabled => println!(
            "HA: {}, this member {:?}, peer {}, configuration {}",
            ha.mode.as_deref().unwrap_or("enabled"),
            local.state,
            peer.as_ref()
                .map_or_else(|| "unknown".to_owned(), |p| format!("{:?}", p.state)),
            ha.running_sync
                .as_ref()
                .map_or_else(|| "sync unknown".to_owned(), |s| format!("{s:?}")),
        ),
        _ => println!("HA: not enabled"),
    }

    // `software_info` is the catalog the device already knows; `software_check` would ask
    // the update server first.
    let catalog = client.software_info(&serial).await?;
    let downloaded: Vec<String> = catalog
        .images
        .iter()
        .filter(|image| image.downloaded)
        .map(|image| image.version.to_string())
        .collect();
    println!(
        "catalog: {} versions, running {}, downloaded [{}], newest {}",
        catalog.images.len(),
        catalog
            .current()
            .map_or_else(|| "?".to_owned(), |image| image.version.to_string()),
        downloaded.join(", "),
        catalog
            .images
            .last()
            .map_or_else(|| "?".to_owned(), |image| image.version.to_string()),
    );

    let stats = client.stats();
    println!(
        "API: {} requests, {} errors, {:.1} s waiting for the rate limit",
        stats.requests_sent,
        stats.errors,
        stats.limiter_wait.as_secs_f64()
    );
    if let Some(sim) = simulator {
        sim.shutdown().await;
    }
    Ok(())
}
