//! A Panorama stand-in for transport tests: an HTTP (or HTTPS) server on 127.0.0.1 with an
//! ephemeral port that records every request, counts hits and concurrency, and answers with
//! whatever the test's reply function says.

#![allow(dead_code)] // each test file uses part of it

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use panos_client::{ClientConfig, Credentials, PanoramaClient, RetryPolicy};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The API key the tests configure.
pub const KEY: &str = "LUFRPT-test-key-0123456789==";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: String,
    pub form: HashMap<String, String>,
}

impl Recorded {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form.get(name).map(String::as_str)
    }
}

/// What the server answers.
pub enum Reply {
    /// An HTTP status and a body.
    Body(u16, String),
    /// Never answers (the client's timeout must fire).
    Hang,
}

impl Reply {
    pub fn ok(body: impl Into<String>) -> Self {
        Self::Body(200, body.into())
    }
}

type ReplyFn = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

/// Shared server state.
pub struct Shared {
    reply: Box<ReplyFn>,
    pub hits: AtomicUsize,
    pub current: AtomicUsize,
    pub max_current: AtomicUsize,
    pub completed: AtomicUsize,
    pub requests: Mutex<Vec<Recorded>>,
    /// When set, each request waits for a permit here before answering.
    pub gate: Option<Semaphore>,
}

impl Shared {
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

pub struct TestServer {
    pub base: String,
    pub shared: Arc<Shared>,
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let hit = shared.hits.fetch_add(1, Ordering::SeqCst) + 1;
    let now = shared.current.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_current.fetch_max(now, Ordering::SeqCst);
    let form = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let recorded = Recorded {
        method,
        uri: uri.to_string(),
        headers,
        body,
        form,
    };
    shared.requests.lock().unwrap().push(recorded.clone());
    if let Some(gate) = &shared.gate {
        gate.acquire().await.unwrap().forget();
    }
    let reply = (shared.reply)(&recorded, hit);
    shared.current.fetch_sub(1, Ordering::SeqCst);
    shared.completed.fetch_add(1, Ordering::SeqCst);
    match reply {
        Reply::Body(status, body) => (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/xml")],
            body,
        )
            .into_response(),
        Reply::Hang => std::future::pending().await,
    }
}

fn shared(
    reply: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    gate: bool,
) -> Arc<Shared> {
    Arc::new(Shared {
        reply: Box::new(reply),
        hits: AtomicUsize::new(0),
        current: AtomicUsize::new(0),
        max_current: AtomicUsize::new(0),
        completed: AtomicUsize::new(0),
        requests: Mutex::new(Vec::new()),
        gate: gate.then(|| Semaphore::new(0)),
    })
}

/// Starts a plain-HTTP server on 127.0.0.1.
pub async fn serve(
    reply: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
) -> TestServer {
    serve_with(reply, false).await
}

/// Starts a plain-HTTP server; with `gate`, answers wait for permits on `shared.gate`.
pub async fn serve_with(
    reply: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    gate: bool,
) -> TestServer {
    let shared = shared(reply, gate);
    let app = Router::new().fallback(handle).with_state(shared.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestServer {
        base: format!("http://{addr}"),
        shared,
    }
}

/// Starts an HTTPS server presenting `chain` (leaf first) with `key`.
pub async fn serve_tls(
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
    reply: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
) -> TestServer {
    let shared = shared(reply, false);
    let app = Router::new().fallback(handle).with_state(shared.clone());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, PrivateKeyDer::Pkcs8(key))
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let app = app.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    TestServer {
        base: format!("https://{addr}"),
        shared,
    }
}

/// A config builder for `base` with the test key, short timeouts and fast retries without
/// jitter (3 attempts).
pub fn config(base: &str) -> panos_client::ClientConfigBuilder {
    ClientConfig::builder(base, Credentials::ApiKey(SecretString::from(KEY)))
        .connect_timeout(Duration::from_secs(5))
        .request_timeout(Duration::from_secs(5))
        .rate_limit(1000, 100)
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_delays(
                    Duration::from_millis(1),
                    Duration::from_millis(5),
                    Duration::from_secs(1),
                )
                .with_jitter(false),
        )
}

pub fn client(base: &str) -> PanoramaClient {
    PanoramaClient::new(config(base).build().unwrap()).unwrap()
}

/// Waits (bounded) until `check` holds.
pub async fn wait_until(what: &str, check: impl Fn() -> bool) {
    for _ in 0..1000 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting until {what}");
}

pub const SYSTEM_INFO: &str = "<response status=\"success\"><result><system>\
    <hostname>fw1</hostname><serial>007951000123456</serial><model>PA-VM</model>\
    <sw-version>10.2.9-h1</sw-version></system></result></response>";

pub const ENQUEUED: &str = "<response status=\"success\" code=\"19\"><result><msg><line>\
    Download job enqueued with jobid 77</line></msg><job>77</job></result></response>";
