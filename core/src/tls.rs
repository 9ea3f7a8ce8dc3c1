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

use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ring::digest::{digest, SHA256};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::{PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, OtherError, RootCertStore};

use crate::error::Error;
use crate::http::TrustRoots;
use crate::mtls::ClientCert;
use crate::time::{days_from_civil, utc};

/// The TLS client configuration of one HTTP client, made on its first `https://`
/// connection and kept: a client that only talks plain http (a LAN token server) never
/// pays for the trust roots, the crypto provider or the verifier.
///
/// What can fail is still checked when the client is built, with the errors the full
/// load gives, but nothing of it is kept: a configured CA file and the files named by
/// `SSL_CERT_FILE` / `SSL_CERT_DIR` are read (in pieces: a large bundle is never held
/// whole) and must hold certificates. With a client certificate (mutual TLS) the whole
/// configuration is made at once, as the key must match the certificate.
pub(crate) struct LazyConfig {
    roots: TrustRoots,
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` as they were when the client was built.
    env: Vec<EnvVar>,
    client_cert: Option<ClientCert>,
    made: OnceLock<Arc<ClientConfig>>,
}

impl fmt::Debug for LazyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyConfig")
            .field("roots", &self.roots)
            .field("made", &self.made.get().is_some())
            .finish_non_exhaustive()
    }
}

impl LazyConfig {
    /// Checks the trust settings (see the type) without loading them.
    pub(crate) fn new(
        roots: &TrustRoots,
        client_cert: Option<&ClientCert>,
    ) -> Result<LazyConfig, Error> {
        let lazy = LazyConfig {
            roots: roots.clone(),
            env: env_vars(),
            client_cert: client_cert.cloned(),
            made: OnceLock::new(),
        };
        if lazy.client_cert.is_some() {
            lazy.get()?;
        } else {
            lazy.trusted_files(None)?;
        }
        Ok(lazy)
    }

    /// The configuration, made now if this is the first time.
    pub(crate) fn get(&self) -> Result<Arc<ClientConfig>, Error> {
        if let Some(config) = self.made.get() {
            return Ok(config.clone());
        }
        let config = self.make()?;
        log::debug!(target: "authgate::wire", "HTTPS trusts {}", self.source());
        Ok(self.made.get_or_init(|| config).clone())
    }

    fn source(&self) -> String {
        describe_with(&self.roots, &self.env)
    }

    /// Calls `each` with every certificate of the configured CA file, or of the files
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` name in place of the bundled roots, once each;
    /// returns their SHA-256 digests. Nothing for the bundled roots alone and the system
    /// store. Without `each`, only checks them (no digest): a directory is read up to its
    /// first certificate.
    fn trusted_files(
        &self,
        mut each: Option<&mut dyn FnMut(CertificateDer<'static>)>,
    ) -> Result<HashSet<Digest>, Error> {
        let checking = each.is_none();
        let mut seen = HashSet::new();
        let mut once = |cert: CertificateDer<'static>| {
            // A check only reads the files: nothing is kept, so nothing is hashed.
            if let Some(each) = each.as_mut() {
                if seen.insert(sha256(&cert)) {
                    each(cert);
                }
            }
        };
        match &self.roots {
            TrustRoots::System => {}
            TrustRoots::CaFile(path) => {
                for_each_cert(path, &self.source(), &mut once)?;
            }
            TrustRoots::Bundled => {
                for (what, is_dir, value) in &self.env {
                    if !is_dir {
                        for_each_cert(Path::new(value), what, &mut once)?;
                        continue;
                    }
                    let mut found = false;
                    for dir in std::env::split_paths(value) {
                        let Ok(entries) = std::fs::read_dir(&dir) else {
                            continue;
                        };
                        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
                        files.sort();
                        // OpenSSL's hashed names are links to the same files: each
                        // certificate once. A file that is not all PEM is skipped.
                        // A directory whose certificates all repeat SSL_CERT_FILE's is
                        // still usable: any certificate counts, new or not.
                        for certs in files.iter().filter_map(|f| read_pem(f, "").ok()) {
                            for cert in certs {
                                once(cert);
                                found = true;
                            }
                            if found && checking {
                                break;
                            }
                        }
                    }
                    if !found {
                        return Err(Error::Config(format!(
                            "{what} holds no readable PEM certificate: fix or unset the variable"
                        )));
                    }
                }
            }
        }
        Ok(seen)
    }

    /// The certificates given in place of the built-in roots (the CA file, or the files
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` name), once each; `None` for the bundled roots
    /// alone and the system store. For the Redis store's `rediss://` connections.
    #[cfg(feature = "redis")]
    pub(crate) fn given_certs(
        roots: &TrustRoots,
    ) -> Result<Option<Vec<CertificateDer<'static>>>, Error> {
        let lazy = LazyConfig {
            roots: roots.clone(),
            env: env_vars(),
            client_cert: None,
            made: OnceLock::new(),
        };
        let given = match roots {
            TrustRoots::CaFile(_) => true,
            TrustRoots::Bundled => !lazy.env.is_empty(),
            TrustRoots::System => false,
        };
        if !given {
            return Ok(None);
        }
        let mut certs = Vec::new();
        lazy.trusted_files(Some(&mut |c| certs.push(c)))?;
        Ok(Some(certs))
    }

    /// Loads the trust roots and makes the configuration (presenting the client
    /// certificate, for mutual TLS).
    fn make(&self) -> Result<Arc<ClientConfig>, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let source = self.source();
        let mut store = RootCertStore::empty();
        let pinned = self.trusted_files(Some(&mut |cert| {
            store.add_parsable_certificates([cert]);
        }))?;
        let inner: Arc<dyn ServerCertVerifier> = match &self.roots {
            TrustRoots::System => {
                let v = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| {
                    Error::Config(format!("the system's trust store cannot be used: {e}"))
                })?;
                Arc::new(v)
            }
            TrustRoots::Bundled if self.env.is_empty() => {
                let store = RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                verifier(store, &provider, &source)?
            }
            _ => verifier(store, &provider, &source)?,
        };
        let verifier = Verifier {
            inner,
            pinned,
            source,
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Config(format!("TLS cannot be set up: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier));
        let config = match &self.client_cert {
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
        Ok(Arc::new(config))
    }
}

/// A certificate's SHA-256 digest.
type Digest = [u8; 32];

fn sha256(cert: &[u8]) -> Digest {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, cert).as_ref());
    out
}

/// The trust source in words, as errors, the trace and `authgate doctor` name it.
pub(crate) fn describe(roots: &TrustRoots) -> String {
    describe_with(roots, &env_vars())
}

fn describe_with(roots: &TrustRoots, env: &[EnvVar]) -> String {
    match roots {
        TrustRoots::System => "the system store".to_owned(),
        TrustRoots::CaFile(path) => format!("the CA file {}", path.display()),
        TrustRoots::Bundled if env.is_empty() => "the bundled Mozilla roots".to_owned(),
        TrustRoots::Bundled => {
            let vars: Vec<&str> = env.iter().map(|(what, _, _)| what.as_str()).collect();
            vars.join(" and ")
        }
    }
}

/// One of `SSL_CERT_FILE` and `SSL_CERT_DIR`: its description, whether it is the
/// directory variable, and the value.
type EnvVar = (String, bool, OsString);

/// `SSL_CERT_FILE` and `SSL_CERT_DIR`, those that are set.
fn env_vars() -> Vec<EnvVar> {
    ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .into_iter()
        .filter_map(|name| {
            let value = std::env::var_os(name).filter(|v| !v.is_empty())?;
            let what = format!("{name} ({})", Path::new(&value).display());
            Some((what, name == "SSL_CERT_DIR", value))
        })
        .collect()
}

/// The certificates of a PEM file; `what` names it in errors.
pub(crate) fn read_pem(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let mut certs = Vec::new();
    for_each_cert(path, what, &mut |c| certs.push(c))?;
    Ok(certs)
}

/// Calls `each` with the certificates of a PEM file, read in pieces; fails when it cannot
/// be read, is not PEM or holds no certificate. `what` names it in errors.
fn for_each_cert(
    path: &Path,
    what: &str,
    each: &mut dyn FnMut(CertificateDer<'static>),
) -> Result<(), Error> {
    let cannot_read = |e: std::io::Error| Error::Config(format!("cannot read {what}: {e}"));
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    let mut any = false;
    for item in <(SectionKind, Vec<u8>)>::pem_reader_iter(file) {
        match item {
            Ok((SectionKind::Certificate, der)) => {
                any = true;
                each(CertificateDer::from(der));
            }
            Ok(_) => {}
            Err(rustls::pki_types::pem::Error::Io(e)) => return Err(cannot_read(e)),
            // In ureq's words, as before this file was read in pieces.
            Err(e) => {
                let e = ureq::Error::Pem(e);
                return Err(Error::Config(format!("{what} is not valid PEM: {e}")));
            }
        }
    }
    if !any {
        return Err(Error::Config(format!("{what} holds no certificate")));
    }
    Ok(())
}

/// A webpki verifier anchored in `store`; `what` names the trust source in errors.
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
    /// The SHA-256 digests of the certificates the user gave (CA file, `SSL_CERT_FILE`,
    /// `SSL_CERT_DIR`): a server presenting one of them is trusted as curl trusts it.
    pinned: HashSet<Digest>,
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
        if !self.pinned.is_empty() && self.pinned.contains(&sha256(end_entity)) {
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
