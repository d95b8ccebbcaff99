//! The HTTPS certificate: generated at start with rcgen, self-signed and, by default,
//! CA-flagged like Panorama's own; its PEM and SHA-256 fingerprint are exposed for clients that
//! pin or trust it.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use tokio_rustls::TlsAcceptor;

use crate::error::SimError;

/// How the certificate is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// Mark the certificate as a CA (`basicConstraints CA:TRUE`), as Panorama's self-signed
    /// certificate is. WebPKI verifiers refuse a CA certificate as a server certificate even
    /// when it is trusted, so such clients pin its fingerprint instead; set `false` for a plain
    /// self-signed server certificate that can be added as a trust root.
    pub ca_flagged: bool,
    /// Subject alternative names (DNS names or IP addresses).
    pub names: Vec<String>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            ca_flagged: true,
            names: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        }
    }
}

/// A generated certificate and the acceptor serving it.
#[derive(Clone)]
pub struct TlsMaterial {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// SHA-256 of the certificate DER, lowercase hex without separators.
    pub fingerprint_sha256: String,
    /// The acceptor.
    pub acceptor: TlsAcceptor,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("fingerprint_sha256", &self.fingerprint_sha256)
            .finish_non_exhaustive()
    }
}

/// Generates a certificate and a rustls acceptor for it.
pub fn generate(options: &TlsOptions) -> Result<TlsMaterial, SimError> {
    let tls = |e: &dyn std::fmt::Display| SimError::Tls(e.to_string());
    let mut params = CertificateParams::new(options.names.clone()).map_err(|e| tls(&e))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "panos-sim");
    dn.push(DnType::OrganizationName, "panos-upgrade simulator");
    params.distinguished_name = dn;
    if options.ca_flagged {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
    }
    let key = KeyPair::generate().map_err(|e| tls(&e))?;
    let cert = params.self_signed(&key).map_err(|e| tls(&e))?;
    let der: CertificateDer<'static> = cert.der().clone();
    let fingerprint_sha256 = hex::encode(Sha256::digest(der.as_ref()));
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_no_client_auth()
        .with_single_cert(vec![der], private)
        .map_err(|e| tls(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        cert_pem: cert.pem(),
        fingerprint_sha256,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_is_pem_and_its_fingerprint_is_sha256_hex() {
        let m = generate(&TlsOptions::default()).unwrap();
        assert!(m.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(m.fingerprint_sha256.len(), 64);
        assert!(m.fingerprint_sha256.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
