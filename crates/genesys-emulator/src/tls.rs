//! HTTPS for the emulator (`sandbox serve --tls`): a throwaway CA and a server certificate
//! made at start, so that dactl's trust settings (`SSL_CERT_FILE`, `--ca-file`), its
//! certificate errors and its handshakes can be exercised without touching the internet.
//!
//! The CA's private key lives only in this process's memory: once it ends, nobody can sign
//! anything with that CA again, so trusting its PEM (the only file written) for a test is
//! harmless. The server certificate names loopback (`localhost`, `127.0.0.1`, `::1`) and the
//! `api.` and `login.` hosts of every official region, so that a test can reach the emulator
//! by a region's real host names through a proxy that maps them to loopback. HTTP/2 is offered
//! by ALPN next to HTTP/1.1, as the platform does.

use std::sync::Arc;

/// Domains of the official regions (the emulator keeps its own copy: it never uses the client
/// crate, see the crate docs).
pub const REGION_DOMAINS: &[&str] = &[
    "mypurecloud.com",
    "use2.us-gov-pure.cloud",
    "usw2.pure.cloud",
    "cac1.pure.cloud",
    "sae1.pure.cloud",
    "mxc1.pure.cloud",
    "mypurecloud.ie",
    "euw2.pure.cloud",
    "mypurecloud.de",
    "euc2.pure.cloud",
    "mec1.pure.cloud",
    "aps1.pure.cloud",
    "apse1.pure.cloud",
    "mypurecloud.com.au",
    "mypurecloud.jp",
    "apne2.pure.cloud",
    "apne3.pure.cloud",
];

/// A throwaway CA and the server identity it signed.
#[derive(Clone)]
pub struct TlsIdentity {
    /// The CA certificate in PEM: what a client must trust.
    pub ca_pem: String,
    /// The host names and addresses the server certificate is valid for.
    pub names: Vec<String>,
    pub(crate) acceptor: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("names", &self.names.len())
            .finish_non_exhaustive()
    }
}

/// The names of the default server certificate: loopback and every region's API and login
/// hosts.
pub fn default_names() -> Vec<String> {
    let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for d in REGION_DOMAINS {
        names.push(format!("api.{d}"));
        names.push(format!("login.{d}"));
    }
    names
}

fn err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("cannot make the throwaway TLS certificate: {e}"))
}

impl TlsIdentity {
    /// A new CA and a server certificate for `names` (host names or IP addresses).
    pub fn generate(names: Vec<String>) -> std::io::Result<TlsIdentity> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "dactl sandbox throwaway CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
        let issuer = Issuer::from_params(&ca, &ca_key);

        let leaf_key = KeyPair::generate().map_err(err)?;
        let mut leaf = CertificateParams::new(names.clone()).map_err(err)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "dactl sandbox emulator");
        leaf.is_ca = IsCa::NoCa;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(err)?;

        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(err)?
            .with_no_client_auth()
            .with_single_cert(vec![leaf_cert.der().clone(), ca_cert.der().clone()], key)
            .map_err(err)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsIdentity {
            ca_pem: ca_cert.pem(),
            names,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_loopback_and_regions() {
        let names = default_names();
        assert!(names.iter().any(|n| n == "127.0.0.1"));
        assert!(names.iter().any(|n| n == "api.mypurecloud.ie"));
        assert!(names.iter().any(|n| n == "login.apne3.pure.cloud"));
        assert_eq!(names.len(), 3 + 2 * 17);
        let id = TlsIdentity::generate(vec!["localhost".into()]).expect("identity");
        assert!(id.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }
}
