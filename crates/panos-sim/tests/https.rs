//! HTTPS: the generated certificate is served, a client pinning its SHA-256 fingerprint (the way
//! Panorama's CA-flagged self-signed certificate is trusted) gets the same API as over HTTP, and
//! a non-CA certificate can be trusted as a root.

mod common;

use std::sync::Arc;

use common::*;
use panos_sim::{SimConfig, TlsOptions};
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

/// Accepts exactly the certificate whose SHA-256 is `fingerprint`.
#[derive(Debug)]
struct Pinned {
    fingerprint: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if hex::encode(Sha256::digest(end_entity.as_ref())) == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("fingerprint mismatch".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn pinned_client(fingerprint: &str) -> reqwest::ClientBuilder {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned {
            fingerprint: fingerprint.to_string(),
            provider,
        }))
        .with_no_client_auth();
    reqwest::Client::builder().use_preconfigured_tls(config)
}

#[tokio::test]
async fn a_fingerprint_pinning_client_uses_the_api_over_https() {
    let sim = panos_sim::start(SimConfig::new(example_fleet()).with_tls())
        .await
        .unwrap();
    let tls_url = sim.tls_url().unwrap().to_string();
    assert!(tls_url.starts_with("https://127.0.0.1:"));
    let pem = sim.cert_pem().unwrap();
    assert!(pem.contains("BEGIN CERTIFICATE"));
    let fp = sim.fingerprint_sha256().unwrap().to_string();

    let api = Api::for_base(&tls_url, sim.api_key(), pinned_client(&fp));
    let r = api
        .get(&[("type", "keygen"), ("user", "admin"), ("password", "admin")])
        .await;
    assert_eq!(r.text("result/key"), Some(sim.api_key()));
    let r = api.system_info(DC_A).await;
    assert_eq!(r.text("result/system/hostname").as_deref(), Some("dc-fw-a"));

    // A wrong pin is refused.
    let wrong = Api::for_base(&tls_url, sim.api_key(), pinned_client(&"0".repeat(64)));
    assert!(
        wrong
            .http
            .get(format!("{tls_url}/api/"))
            .send()
            .await
            .is_err()
    );

    // WebPKI refuses a CA-flagged certificate as a server certificate even when trusted:
    // this is why clients pin Panorama's certificate.
    let cert = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
    let webpki = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .build()
        .unwrap();
    assert!(webpki.get(format!("{tls_url}/api/")).send().await.is_err());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_plain_self_signed_certificate_can_be_trusted_as_a_root() {
    let mut config = SimConfig::new(example_fleet()).with_tls();
    config.tls = TlsOptions {
        ca_flagged: false,
        ..TlsOptions::default()
    };
    let sim = panos_sim::start(config).await.unwrap();
    let cert = reqwest::Certificate::from_pem(sim.cert_pem().unwrap().as_bytes()).unwrap();
    let builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert);
    let api = Api::for_base(sim.tls_url().unwrap(), sim.api_key(), builder);
    let r = api
        .op(None, "<show><devices><connected/></devices></show>")
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Total Connected Devices: 4"));
    // Plain HTTP keeps working beside HTTPS.
    assert_eq!(
        Api::new(&sim).system_info(BRANCH).await.status_attr(),
        "success"
    );
    sim.shutdown().await;
}
