//! The rustls configuration (ring provider) for each [`TlsTrust`]: public roots, a private CA
//! bundle, a SHA-256 pin of Panorama's certificate, or no verification at all (explicit opt-in).
//!
//! Whatever the trust, handshake signatures are always verified with the provider's algorithms.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::config::TlsTrust;
use crate::error::ClientError;

/// Builds the rustls client configuration for `trust`.
pub(crate) fn rustls_config(trust: &TlsTrust) -> Result<rustls::ClientConfig, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|err| ClientError::Config(format!("TLS setup failed: {err}")))?;
    let config = match trust {
        TlsTrust::WebPkiRoots => {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        TlsTrust::CaFile(path) => {
            let pem = std::fs::read(path).map_err(|err| {
                ClientError::Config(format!("cannot read ca_file {}: {err}", path.display()))
            })?;
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|err| {
                    ClientError::Config(format!("ca_file {} is not PEM: {err}", path.display()))
                })?;
                roots.add(cert).map_err(|err| {
                    ClientError::Config(format!(
                        "ca_file {} holds an unusable certificate: {err}",
                        path.display()
                    ))
                })?;
            }
            if roots.is_empty() {
                return Err(ClientError::Config(format!(
                    "ca_file {} holds no certificate",
                    path.display()
                )));
            }
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|err| ClientError::Config(format!("TLS setup failed: {err}")))?;
            builder.with_webpki_verifier(verifier).with_no_client_auth()
        }
        TlsTrust::Fingerprint(pin) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier::new(Some(*pin), &provider)))
            .with_no_client_auth(),
        TlsTrust::InsecureSkipVerify => {
            tracing::warn!(
                "TLS certificate verification is OFF (insecure_skip_verify): anyone on the \
                 network path can impersonate Panorama and capture the API key"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinnedVerifier::new(None, &provider)))
                .with_no_client_auth()
        }
    };
    Ok(config)
}

/// The SHA-256 of a certificate's DER.
pub(crate) fn fingerprint(cert: &[u8]) -> [u8; 32] {
    Sha256::digest(cert).into()
}

/// Accepts the leaf certificate whose SHA-256 matches the pin (any leaf when there is no pin),
/// and verifies handshake signatures with the provider's algorithms.
#[derive(Debug)]
struct PinnedVerifier {
    pin: Option<[u8; 32]>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedVerifier {
    fn new(pin: Option<[u8; 32]>, provider: &CryptoProvider) -> Self {
        Self {
            pin,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.pin {
            None => Ok(ServerCertVerified::assertion()),
            Some(pin) if fingerprint(end_entity.as_ref()) == pin => {
                Ok(ServerCertVerified::assertion())
            }
            Some(_) => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_trust_builds_and_a_bad_ca_file_is_a_config_error() {
        assert!(rustls_config(&TlsTrust::WebPkiRoots).is_ok());
        assert!(rustls_config(&TlsTrust::Fingerprint([1; 32])).is_ok());
        assert!(rustls_config(&TlsTrust::InsecureSkipVerify).is_ok());
        let missing = rustls_config(&TlsTrust::CaFile("/nonexistent/ca.pem".into()));
        assert!(matches!(missing, Err(ClientError::Config(_))));
    }

    #[test]
    fn the_pin_decides() {
        let provider = rustls::crypto::ring::default_provider();
        let cert = CertificateDer::from(vec![1u8, 2, 3]);
        let name = ServerName::try_from("panorama").unwrap();
        let now = UnixTime::now();
        let good = PinnedVerifier::new(Some(fingerprint(&[1, 2, 3])), &provider);
        assert!(good.verify_server_cert(&cert, &[], &name, &[], now).is_ok());
        let bad = PinnedVerifier::new(Some([0; 32]), &provider);
        assert!(bad.verify_server_cert(&cert, &[], &name, &[], now).is_err());
        assert!(!good.supported_verify_schemes().is_empty());
    }
}
