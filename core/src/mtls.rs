//! Mutual TLS (RFC 8705): the client certificate and key presented in every TLS
//! handshake, for `tls_client_auth` / `self_signed_tls_client_auth` and for
//! certificate-bound access tokens.

use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;

use crate::error::Error;

/// A client certificate (chain) and its private key, both PEM files, read when the
/// client is built. The key is a secret: it is never shown, only the paths are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientCert {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

impl ClientCert {
    /// The certificate and key of the two settings, both or neither.
    pub(crate) fn from_settings(
        cert_file: Option<&PathBuf>,
        key_file: Option<&PathBuf>,
    ) -> Result<Option<ClientCert>, Error> {
        match (cert_file, key_file) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(ClientCert {
                cert_file: cert.clone(),
                key_file: key.clone(),
            })),
            (Some(_), None) => Err(Error::Config(
                "tls_client_cert_file is set without tls_client_key_file: mutual TLS needs both"
                    .into(),
            )),
            (None, Some(_)) => Err(Error::Config(
                "tls_client_key_file is set without tls_client_cert_file: mutual TLS needs both"
                    .into(),
            )),
        }
    }

    /// The certificate chain and the key, read now.
    pub(crate) fn load(
        &self,
    ) -> Result<
        (
            Vec<rustls::pki_types::CertificateDer<'static>>,
            PrivateKeyDer<'static>,
        ),
        Error,
    > {
        let what = format!("the client certificate file {}", self.cert_file.display());
        let certs = crate::tls::read_pem(&self.cert_file, &what)?;
        Ok((certs, read_key(&self.key_file)?))
    }
}

impl crate::Client {
    /// The client certificate and key files (mutual TLS), when configured: give the same
    /// two files to the HTTP client that calls your APIs with a certificate-bound access
    /// token (RFC 8705 §3), e.g. `requests`' `cert=(cert, key)` or curl's `--cert` and
    /// `--key`.
    pub fn client_cert_files(&self) -> Option<(&Path, &Path)> {
        self.inner
            .http
            .client_cert
            .as_ref()
            .map(|c| (c.cert_file.as_path(), c.key_file.as_path()))
    }
}

/// The private key of a PEM file (PKCS#8, PKCS#1 or SEC1), with errors that name the
/// file but never show its content.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    let what = format!("the client key file {}", path.display());
    let pem = zeroize::Zeroizing::new(
        std::fs::read(path).map_err(|e| Error::Config(format!("cannot read {what}: {e}")))?,
    );
    PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
        Error::Config(format!(
            "{what} holds no readable PEM private key (BEGIN PRIVATE KEY, BEGIN EC PRIVATE \
             KEY or BEGIN RSA PRIVATE KEY; an encrypted key must be decrypted first)"
        ))
    })
}
