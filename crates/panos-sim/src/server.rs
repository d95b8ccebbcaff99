//! Starting and stopping the simulator: [`SimConfig`], [`start`], the HTTP/HTTPS accept loops
//! (hyper over tokio, rustls for TLS) and the connection tasks, all tracked and cancellable.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{self, Outcome, Shared};
use crate::auth::Credentials;
use crate::error::SimError;
use crate::fleet::{FleetSpec, Timings};
use crate::handle::SimHandle;
use crate::limit::{Limiter, RateLimit};
use crate::record::RequestLog;
use crate::tls::{self, TlsOptions};
use crate::world::World;

/// Everything [`start`] needs.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// HTTP address; `127.0.0.1:0` (an ephemeral loopback port) by default.
    pub listen: SocketAddr,
    /// HTTPS address, when HTTPS is wanted.
    pub tls_listen: Option<SocketAddr>,
    /// How the HTTPS certificate is made.
    pub tls: TlsOptions,
    /// The Panorama and its fleet.
    pub fleet: FleetSpec,
    /// Durations; overrides the fleet file's when set.
    pub timings: Option<Timings>,
    /// Simulated seconds per real second (60 makes a 20-minute upgrade take 20 s).
    pub time_scale: f64,
    /// Panorama admin credentials (admin/admin by default).
    pub admin: Credentials,
    /// Request limits (none by default).
    pub rate_limit: RateLimit,
    /// How many request records the log keeps (counters are always exact).
    pub log_capacity: usize,
    /// Cancelling this token stops the simulator (as does [`SimHandle::shutdown`]).
    pub shutdown: CancellationToken,
}

impl SimConfig {
    /// A configuration serving `fleet` over HTTP on an ephemeral loopback port, real time.
    pub fn new(fleet: FleetSpec) -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls_listen: None,
            tls: TlsOptions::default(),
            fleet,
            timings: None,
            time_scale: 1.0,
            admin: Credentials::default(),
            rate_limit: RateLimit::default(),
            log_capacity: 100_000,
            shutdown: CancellationToken::new(),
        }
    }

    /// Also serve HTTPS on an ephemeral loopback port.
    pub fn with_tls(mut self) -> Self {
        self.tls_listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        self
    }

    /// Sets the time scale.
    pub fn with_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    /// Sets the durations.
    pub fn with_timings(mut self, timings: Timings) -> Self {
        self.timings = Some(timings);
        self
    }
}

/// Starts the simulator: binds its listeners and serves until shut down.
pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    config.fleet.validate()?;
    let mut world = World::new(&config.fleet, config.time_scale);
    if let Some(t) = &config.timings {
        world.timings = t.clone();
    }
    let shared = Arc::new(Shared {
        world: Mutex::new(world),
        log: Mutex::new(RequestLog::new(config.log_capacity)),
        limiter: Limiter::new(config.rate_limit.clone()),
        credentials: Mutex::new(config.admin.clone()),
        started: tokio::time::Instant::now(),
    });
    let token = config.shutdown.child_token();
    let tracker = TaskTracker::new();

    let http = bind(config.listen).await?;
    let http_addr = local_addr(&http)?;
    tracker.spawn(accept_loop(
        http,
        None,
        shared.clone(),
        token.clone(),
        tracker.clone(),
    ));

    let mut tls_parts = None;
    if let Some(addr) = config.tls_listen {
        let material = tls::generate(&config.tls)?;
        let listener = bind(addr).await?;
        let tls_addr = local_addr(&listener)?;
        tracker.spawn(accept_loop(
            listener,
            Some(material.acceptor.clone()),
            shared.clone(),
            token.clone(),
            tracker.clone(),
        ));
        tls_parts = Some((format!("https://{tls_addr}"), material));
    }
    tracing::info!(%http_addr, devices = config.fleet.devices.len(), "panos-sim listening");
    Ok(SimHandle::new(
        shared,
        format!("http://{http_addr}"),
        tls_parts,
        token,
        tracker,
    ))
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, SimError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Io {
            what: format!("listen on {addr}"),
            source,
        })
}

fn local_addr(l: &TcpListener) -> Result<SocketAddr, SimError> {
    l.local_addr().map_err(|source| SimError::Io {
        what: "read the listening address".into(),
        source,
    })
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    token: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            _ = token.cancelled() => break,
            a = listener.accept() => a,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (shared, token) = (shared.clone(), token.clone());
        match tls.clone() {
            None => {
                tracker.spawn(serve_connection(stream, shared, token));
            }
            Some(acceptor) => {
                tracker.spawn(async move {
                    let handshake = tokio::select! {
                        _ = token.cancelled() => return,
                        h = acceptor.accept(stream) => h,
                    };
                    match handshake {
                        Ok(tls_stream) => serve_connection(tls_stream, shared, token).await,
                        Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
                    }
                });
            }
        }
    }
}

async fn serve_connection<I>(io: I, shared: Arc<Shared>, token: CancellationToken)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        async move {
            match api::handle(shared, req).await {
                Outcome::Respond(r) => Ok(r),
                // An error from the service makes hyper close the connection unanswered.
                Outcome::Drop => Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "connection dropped by an injected fault",
                )),
            }
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = token.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
        }
    }
}
