//! HTTPS trust, and certificate failures in words a person can act on.
//!
//! - Which certificates are trusted ([`TrustRoots`]); with the bundled roots, the
//!   `SSL_CERT_FILE` / `SSL_CERT_DIR` variables take their place when set, as for
//!   OpenSSL-based clients (curl, Python, git).
//! - A certificate given in the CA file (or `SSL_CERT_FILE`) that the server presents
//!   itself is trusted as it is, as curl trusts it: a self-signed server certificate works
//!   as `ca_file` even when webpki refuses it as an anchor (`CaUsedAsEndEntity`). Its host
//!   name and validity are still checked, and the handshake still proves the server holds
//!   its key.
//! - A refused certificate is explained: who issued it and where that issuer was looked
//!   for, which names it holds when the host name does not match, its validity dates next
//!   to this computer's clock. The words travel inside the rustls error
//!   ([`CertificateError::Other`]) to [`words`], which the transport error shows.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, OtherError, RootCertStore};

use crate::error::Error;
use crate::http::TrustRoots;
use crate::time::{days_from_civil, utc};

/// A TLS client configuration for these trust roots (presenting this client certificate,
/// for mutual TLS), and the trust source in words ("the CA file /etc/ca.pem", "the
/// bundled Mozilla roots", …).
pub(crate) fn client_config(
    roots: &TrustRoots,
    client_cert: Option<&crate::mtls::ClientCert>,
) -> Result<(Arc<ClientConfig>, String), Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let source = describe(roots);
    let (inner, pinned): (Arc<dyn ServerCertVerifier>, _) = match roots {
        TrustRoots::System => {
            let v = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| {
                Error::Config(format!("the system's trust store cannot be used: {e}"))
            })?;
            (Arc::new(v), Vec::new())
        }
        TrustRoots::CaFile(path) => {
            let certs = read_pem(path, &source)?;
            (anchored(&certs, &provider, &source)?, certs)
        }
        TrustRoots::Bundled => match from_env()? {
            Some(certs) => (anchored(&certs, &provider, &source)?, certs),
            None => {
                let store = RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                (verifier(store, &provider, &source)?, Vec::new())
            }
        },
    };
    let verifier = Verifier {
        inner,
        pinned,
        source: source.clone(),
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS cannot be set up: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let config = match client_cert {
        None => builder.with_no_client_auth(),
        Some(c) => {
            let (certs, key) = c.load()?;
            builder.with_client_auth_cert(certs, key).map_err(|e| {
                Error::Config(format!(
                    "the client key {} cannot be used with the certificate {}: {}",
                    c.key_file.display(),
                    c.cert_file.display(),
                    words(&e)
                ))
            })?
        }
    };
    Ok((Arc::new(config), source))
}

/// The trust source in words, as errors, the trace and `authgate doctor` name it.
pub(crate) fn describe(roots: &TrustRoots) -> String {
    match roots {
        TrustRoots::System => "the system store".to_owned(),
        TrustRoots::CaFile(path) => format!("the CA file {}", path.display()),
        TrustRoots::Bundled => {
            let vars: Vec<String> = env_vars().into_iter().map(|(what, _, _)| what).collect();
            if vars.is_empty() {
                "the bundled Mozilla roots".to_owned()
            } else {
                vars.join(" and ")
            }
        }
    }
}

/// `SSL_CERT_FILE` and `SSL_CERT_DIR`, those that are set: their description, whether
/// it is the directory variable, and the value.
fn env_vars() -> Vec<(String, bool, std::ffi::OsString)> {
    ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .into_iter()
        .filter_map(|name| {
            let value = std::env::var_os(name).filter(|v| !v.is_empty())?;
            let what = format!("{name} ({})", Path::new(&value).display());
            Some((what, name == "SSL_CERT_DIR", value))
        })
        .collect()
}

/// The certificates named by `SSL_CERT_FILE` and `SSL_CERT_DIR` (either or both), when
/// either is set.
fn from_env() -> Result<Option<Vec<CertificateDer<'static>>>, Error> {
    let vars = env_vars();
    let mut certs = Vec::new();
    for (what, is_dir, value) in &vars {
        if !is_dir {
            certs.extend(read_pem(Path::new(value), what)?);
            continue;
        }
        let before = certs.len();
        for dir in std::env::split_paths(value) {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            // OpenSSL's hashed names are links to the same files: each certificate once.
            for cert in files.iter().filter_map(|f| read_pem(f, "").ok()).flatten() {
                if !certs.contains(&cert) {
                    certs.push(cert);
                }
            }
        }
        if certs.len() == before {
            return Err(Error::Config(format!(
                "{what} holds no readable PEM certificate: fix or unset the variable"
            )));
        }
    }
    Ok((!vars.is_empty()).then_some(certs))
}

/// The certificates of a PEM file; `what` names it in errors.
pub(crate) fn read_pem(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let pem = std::fs::read(path).map_err(|e| Error::Config(format!("cannot read {what}: {e}")))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => {
                certs.push(CertificateDer::from(c.der().to_vec()));
            }
            Ok(_) => {}
            Err(e) => return Err(Error::Config(format!("{what} is not valid PEM: {e}"))),
        }
    }
    if certs.is_empty() {
        return Err(Error::Config(format!("{what} holds no certificate")));
    }
    Ok(certs)
}

/// A webpki verifier anchored in `certs`.
fn anchored(
    certs: &[CertificateDer<'static>],
    provider: &Arc<rustls::crypto::CryptoProvider>,
    what: &str,
) -> Result<Arc<dyn ServerCertVerifier>, Error> {
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(certs.iter().cloned());
    verifier(store, provider, what)
}

fn verifier(
    store: RootCertStore,
    provider: &Arc<rustls::crypto::CryptoProvider>,
    what: &str,
) -> Result<Arc<dyn ServerCertVerifier>, Error> {
    let v = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
        .build()
        .map_err(|e| Error::Config(format!("{what} holds no usable certificate: {e}")))?;
    Ok(v)
}

/// The webpki (or platform) verifier, plus the certificates trusted as they are, and the
/// words for a refusal.
#[derive(Debug)]
struct Verifier {
    inner: Arc<dyn ServerCertVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    source: String,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return self.check_pinned(end_entity, server_name, now);
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| self.explain(e, end_entity, server_name, now))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

impl Verifier {
    /// A certificate the user gave: trusted as it is, if it names the host and is valid now.
    fn check_pinned(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)
            .map_err(|e| self.explain(e, end_entity, server_name, now))?;
        let info = CertInfo::parse(end_entity.as_ref()).ok_or(
            rustls::Error::InvalidCertificate(CertificateError::BadEncoding),
        )?;
        let now = now.as_secs();
        if now < info.not_before || now > info.not_after {
            return Err(in_words(validity_words(&info, now)));
        }
        Ok(ServerCertVerified::assertion())
    }

    /// The refusal `e` of `end_entity`, in words (other errors are returned as they are).
    fn explain(
        &self,
        e: rustls::Error,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> rustls::Error {
        use CertificateError as C;
        let rustls::Error::InvalidCertificate(cert_error) = &e else {
            return e;
        };
        let Some(info) = CertInfo::parse(end_entity.as_ref()) else {
            return e;
        };
        let source = &self.source;
        let words = match cert_error {
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => validity_words(&info, now.as_secs()),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                let host = server_name.to_str();
                format!(
                    "the server's certificate is for {} but the address asks for {host} (host name \
                     mismatch): use an address the certificate names, or ask the server's owner for \
                     a certificate that names {host}",
                    info.names()
                )
            }
            C::Revoked => "the server's certificate has been revoked by its issuer: the server's \
                           owner must replace it"
                .to_owned(),
            _ if info.self_signed => format!(
                "the server's certificate is not trusted by this computer: it is self-signed \
                 (\"{}\") and not in {source}; if this is the right server, give that certificate \
                 itself (PEM) with ca_file, or install it in the system store and use the system \
                 trust roots",
                info.subject
            ),
            C::UnknownIssuer | C::BadSignature => format!(
                "the server's certificate is not trusted by this computer: it was issued by \
                 \"{}\", which is not in {source}; give the issuing CA (PEM) with ca_file, or \
                 install it in the system store and use the system trust roots",
                info.issuer
            ),
            C::Other(_) => format!(
                "the server's certificate (\"{}\", issued by \"{}\") was refused ({e}): the \
                 server's owner must fix its certificate chain",
                info.subject, info.issuer
            ),
            _ => return e,
        };
        in_words(words)
    }
}

/// A certificate refusal carrying its explanation (see [`words`]).
#[derive(Debug)]
struct Words(String);

impl fmt::Display for Words {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Words {}

fn in_words(words: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(Words(words)))))
}

/// What a TLS failure means, for the transport error: the explanation of a refused
/// certificate, else the rustls error.
pub(crate) fn words(e: &rustls::Error) -> String {
    if let rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) = e {
        if let Some(w) = inner.downcast_ref::<Words>() {
            return w.0.clone();
        }
    }
    e.to_string()
}

fn validity_words(info: &CertInfo, now: u64) -> String {
    let what_then = if now > info.not_after {
        "if it is right, the certificate has expired and the server's owner must renew it"
    } else {
        "if it is right, the certificate is not valid yet: ask the server's owner"
    };
    format!(
        "the certificate is valid from {} to {} but this computer's clock says {}: if the clock \
         is wrong, set it (turn on time synchronisation); {what_then}",
        utc(info.not_before),
        utc(info.not_after),
        utc(now)
    )
}

/// What the explanations need from a certificate, read from its DER.
#[derive(Debug, PartialEq)]
struct CertInfo {
    /// The issuer's and the subject's common names (or the whole name when it has none).
    issuer: String,
    subject: String,
    self_signed: bool,
    /// Seconds since the Unix epoch.
    not_before: u64,
    not_after: u64,
    /// The DNS names and IP addresses of the subjectAltName extension.
    alt_names: Vec<String>,
}

impl CertInfo {
    /// Reads an X.509 certificate (RFC 5280 §4.1): `tbsCertificate`'s issuer, validity,
    /// subject and subjectAltName. `None` when it is not one.
    fn parse(der: &[u8]) -> Option<CertInfo> {
        let (_, cert, _) = tlv(der)?;
        let (_, mut tbs, _) = tlv(cert)?;
        let mut next = || -> Option<(u8, &[u8])> {
            let (tag, value, rest) = tlv(tbs)?;
            tbs = rest;
            Some((tag, value))
        };
        let (mut tag, _) = next()?;
        if tag == 0xA0 {
            (tag, _) = next()?; // the version came first: this is the serial number
        }
        if tag != 0x02 {
            return None;
        }
        next()?; // signature algorithm
        let (_, issuer) = next()?;
        let (_, validity) = next()?;
        let (_, subject) = next()?;
        next()?; // subjectPublicKeyInfo
        let mut alt_names = Vec::new();
        while let Some((tag, value)) = next() {
            if tag == 0xA3 {
                alt_names = subject_alt_names(value).unwrap_or_default();
            }
        }
        let (_, not_before, rest) = time(validity)?;
        let (_, not_after, _) = time(rest)?;
        Some(CertInfo {
            issuer: common_name(issuer).unwrap_or_else(|| "an unnamed issuer".into()),
            subject: common_name(subject).unwrap_or_else(|| "an unnamed subject".into()),
            self_signed: issuer == subject,
            not_before,
            not_after,
            alt_names,
        })
    }

    /// The names the certificate is for: its subjectAltNames, else its subject.
    fn names(&self) -> String {
        if self.alt_names.is_empty() {
            self.subject.clone()
        } else {
            self.alt_names.join(", ")
        }
    }
}

/// One DER element: its tag, its contents and what follows it.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |l, &b| (l << 8) | usize::from(b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// A UTCTime or GeneralizedTime (`Z` form, as RFC 5280 requires) as Unix seconds.
fn time(input: &[u8]) -> Option<(u8, u64, &[u8])> {
    let (tag, value, rest) = tlv(input)?;
    let text = std::str::from_utf8(value).ok()?.strip_suffix('Z')?;
    let (year, rest_text) = match tag {
        0x17 => {
            let yy: i64 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        0x18 => (text.get(..4)?.parse().ok()?, &text[4..]),
        _ => return None,
    };
    let field = |i: usize| -> Option<i64> { rest_text.get(i..i + 2)?.parse().ok() };
    let days = days_from_civil(year, field(0)?, field(2)?);
    let secs = days * 86_400 + field(4)? * 3600 + field(6)? * 60 + field(8)?;
    Some((tag, u64::try_from(secs).ok()?, rest))
}

/// The commonName of an X.501 Name, if it has one.
fn common_name(mut name: &[u8]) -> Option<String> {
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    while let Some((_, set, rest)) = tlv(name) {
        name = rest;
        let (_, pair, _) = tlv(set)?;
        let (_, oid, value) = tlv(pair)?;
        if oid == CN {
            let (_, text, _) = tlv(value)?;
            return Some(String::from_utf8_lossy(text).into_owned());
        }
    }
    None
}

/// The DNS names and IP addresses of the subjectAltName extension, from `[3] Extensions`.
fn subject_alt_names(extensions: &[u8]) -> Option<Vec<String>> {
    const SAN: &[u8] = &[0x55, 0x1D, 0x11];
    let (_, mut list, _) = tlv(extensions)?;
    while let Some((_, ext, rest)) = tlv(list) {
        list = rest;
        let (_, oid, mut fields) = tlv(ext)?;
        if oid != SAN {
            continue;
        }
        let (mut tag, mut value, _) = tlv(fields)?;
        if tag == 0x01 {
            // `critical`
            (_, _, fields) = tlv(fields)?;
            (tag, value, _) = tlv(fields)?;
        }
        if tag != 0x04 {
            return None;
        }
        let (_, mut names, _) = tlv(value)?;
        let mut out = Vec::new();
        while let Some((tag, name, rest)) = tlv(names) {
            names = rest;
            match (tag, name.len()) {
                (0x82, _) => out.push(String::from_utf8_lossy(name).into_owned()),
                (0x87, 4) => out
                    .push(std::net::Ipv4Addr::new(name[0], name[1], name[2], name[3]).to_string()),
                (0x87, 16) => {
                    let octets: [u8; 16] = name.try_into().ok()?;
                    out.push(std::net::Ipv6Addr::from(octets).to_string());
                }
                _ => {}
            }
        }
        return Some(out);
    }
    Some(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_read_and_garbage_is_not() {
        let pem = include_bytes!("../../tests/emulator/tls/expired.pem");
        let der = match ureq::tls::parse_pem(pem).next() {
            Some(Ok(ureq::tls::PemItem::Certificate(c))) => c.der().to_vec(),
            _ => panic!("a certificate"),
        };
        let info = CertInfo::parse(&der).unwrap();
        assert_eq!(
            info,
            CertInfo {
                issuer: "authgate test CA for an expired certificate".into(),
                subject: "127.0.0.1".into(),
                self_signed: false,
                not_before: 1_577_836_800,
                not_after: 1_609_459_200,
                alt_names: vec!["127.0.0.1".into(), "localhost".into()],
            }
        );
        for cut in [0, 1, 10, der.len() / 2, der.len() - 1] {
            assert_eq!(CertInfo::parse(&der[..cut]), None, "cut at {cut}");
        }
        assert_eq!(CertInfo::parse(b"\x30\x84\xff\xff\xff\xff"), None);
    }
}
