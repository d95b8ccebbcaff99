//! TLS against a local HTTPS server with certificates made by rcgen: refused when untrusted,
//! accepted with the issuing CA as `ca_file`, accepted with the right SHA-256 pin (even for a
//! self-signed, CA-flagged certificate like Panorama's), refused with a wrong pin.

mod common;

use std::path::PathBuf;

use common::{Reply, SYSTEM_INFO, config, serve_tls};
use panos_client::{ClientError, PanoramaClient, PanosApi, Serial};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

fn serial() -> Serial {
    "007951000123456".parse().unwrap()
}

struct Pki {
    ca_pem: String,
    leaf: CertificateDer<'static>,
    leaf_key: PrivatePkcs8KeyDer<'static>,
}

/// A private CA and a leaf for 127.0.0.1 signed by it.
fn private_ca() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "panos-client test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        leaf: leaf.der().clone(),
        leaf_key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
    }
}

/// A self-signed certificate with the CA flag set, as Panorama ships.
fn panorama_like() -> (CertificateDer<'static>, PrivatePkcs8KeyDer<'static>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["panorama.local".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "panorama");
    let cert = params.self_signed(&key).unwrap();
    (
        cert.der().clone(),
        PrivatePkcs8KeyDer::from(key.serialize_der()),
    )
}

fn sha256_hex(der: &[u8], colons: bool) -> String {
    let digest = Sha256::digest(der);
    let parts: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    parts.join(if colons { ":" } else { "" })
}

/// A PEM file in the temp folder, removed on drop.
struct TempPem(PathBuf);

impl TempPem {
    fn new(pem: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "panos-client-ca-{}-{nanos}.pem",
            std::process::id()
        ));
        std::fs::write(&path, pem).unwrap();
        Self(path)
    }
}

impl Drop for TempPem {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn untrusted_certificate_is_refused_before_anything_is_sent() {
    let pki = private_ca();
    let server = serve_tls(vec![pki.leaf], pki.leaf_key, |_, _| Reply::ok(SYSTEM_INFO)).await;
    let client = PanoramaClient::new(config(&server.base).build().unwrap()).unwrap();
    let err = client.system_info(&serial()).await.unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
    assert!(!err.may_have_been_applied());
    assert_eq!(server.shared.hits(), 0);
}

#[tokio::test]
async fn private_ca_file_is_trusted() {
    let pki = private_ca();
    let pem = TempPem::new(&pki.ca_pem);
    let server = serve_tls(vec![pki.leaf], pki.leaf_key, |_, _| Reply::ok(SYSTEM_INFO)).await;
    let client =
        PanoramaClient::new(config(&server.base).ca_file(&pem.0).build().unwrap()).unwrap();
    let info = client.system_info(&serial()).await.unwrap();
    assert_eq!(info.hostname, "fw1");
    assert_eq!(server.shared.hits(), 1);
}

#[tokio::test]
async fn fingerprint_pin_accepts_a_self_signed_ca_flagged_certificate() {
    let (cert, key) = panorama_like();
    let pin = sha256_hex(cert.as_ref(), true);
    let server = serve_tls(vec![cert], key, |_, _| Reply::ok(SYSTEM_INFO)).await;
    // Name (panorama.local vs 127.0.0.1) and CA flag would both fail normal verification.
    let pinned = config(&server.base)
        .tls_fingerprint_sha256(pin)
        .build()
        .unwrap();
    let info = PanoramaClient::new(pinned)
        .unwrap()
        .system_info(&serial())
        .await
        .unwrap();
    assert_eq!(info.model, "PA-VM");
    assert_eq!(server.shared.hits(), 1);
}

#[tokio::test]
async fn fingerprint_pin_without_colons_on_a_ca_signed_leaf() {
    let pki = private_ca();
    let pin = sha256_hex(pki.leaf.as_ref(), false).to_lowercase();
    let server = serve_tls(vec![pki.leaf], pki.leaf_key, |_, _| Reply::ok(SYSTEM_INFO)).await;
    let pinned = config(&server.base)
        .tls_fingerprint_sha256(pin)
        .build()
        .unwrap();
    assert!(
        PanoramaClient::new(pinned)
            .unwrap()
            .system_info(&serial())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn wrong_pin_is_refused() {
    let (cert, key) = panorama_like();
    let (other, _) = panorama_like();
    let server = serve_tls(vec![cert], key, |_, _| Reply::ok(SYSTEM_INFO)).await;
    let pinned = config(&server.base)
        .tls_fingerprint_sha256(sha256_hex(other.as_ref(), true))
        .build()
        .unwrap();
    let err = PanoramaClient::new(pinned)
        .unwrap()
        .system_info(&serial())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
    assert_eq!(server.shared.hits(), 0);
}

#[tokio::test]
async fn insecure_skip_verify_is_an_explicit_opt_in() {
    let (cert, key) = panorama_like();
    let server = serve_tls(vec![cert], key, |_, _| Reply::ok(SYSTEM_INFO)).await;
    let default = PanoramaClient::new(config(&server.base).build().unwrap()).unwrap();
    assert!(default.system_info(&serial()).await.is_err());
    let insecure = config(&server.base)
        .insecure_skip_verify(true)
        .build()
        .unwrap();
    let client = PanoramaClient::new(insecure).unwrap();
    assert!(client.system_info(&serial()).await.is_ok());
    assert_eq!(server.shared.hits(), 1);
}
