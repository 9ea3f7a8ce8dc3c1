//! A private CA for the HTTPS tests: a server certificate for 127.0.0.1 / localhost signed
//! by a CA that no trust store holds, as behind a corporate TLS proxy or with a national
//! root CA. The files are in `tests/emulator/tls/` (see its README).
//!
//! ```no_run
//! let config = authgate_emulator::tls::server_config(); // for a rustls server
//! let ca = authgate_emulator::tls::ca_file();            // for the client's ca_file
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The path of a file of the test TLS material.
fn file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tls")
        .join(name)
}

/// The CA certificate (PEM) that signed the server certificate: what a client trusts.
pub fn ca_file() -> PathBuf {
    file("ca.pem")
}

/// A rustls server configuration with the CA-signed certificate for 127.0.0.1.
pub fn server_config() -> Arc<rustls::ServerConfig> {
    let certs = CertificateDer::pem_file_iter(file("server.pem"))
        .expect("tests/emulator/tls/server.pem")
        .collect::<Result<Vec<_>, _>>()
        .expect("a PEM certificate");
    let key =
        PrivateKeyDer::from_pem_file(file("server.key")).expect("tests/emulator/tls/server.key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("the certificate and its key");
    Arc::new(config)
}
