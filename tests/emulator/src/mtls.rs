//! Mutual TLS (RFC 8705): an HTTPS listener that asks for a client certificate and hands
//! each request on to the emulator with the certificate's thumbprint, a provider whose
//! token endpoint authenticates clients by certificate (`tls_client_auth`), with
//! `mtls_endpoint_aliases` in its discovery document, and access tokens bound to the
//! certificate (`cnf.x5t#S256`), checked at the protected resource.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use ring::digest::{digest, SHA256};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use serde_json::json;

use crate::crypto::b64url;
use crate::fixtures::{
    MTLS_CLIENT_ID, MTLS_DISCOVERY_PATH, MTLS_ISSUER_PATH, MTLS_TOKEN_PATH, RESOURCE_PATH,
};
use crate::http::{Request, Response};
use crate::providers::{method_not_allowed, OAuthError, Params};
use crate::state::{AccessDetails, Shared};
use crate::Dialect;

/// The header the listener adds to every request it passes on: the SHA-256 thumbprint of
/// the client certificate (base64url), or `none`. Stripped from what clients send.
const CERT_HEADER: &str = "x-emulator-client-cert";

/// `x5t#S256` (RFC 8705 §3.1): the base64url SHA-256 of the certificate's DER.
pub(crate) fn thumbprint(der: &[u8]) -> String {
    b64url(digest(&SHA256, der).as_ref())
}

/// The thumbprint of the certificate registered for [`MTLS_CLIENT_ID`] (`tls/client.pem`).
fn registered() -> String {
    let cert =
        CertificateDer::from_pem_file(crate::tls::file("client.pem")).expect("tls/client.pem");
    thumbprint(&cert)
}

/// Starts the HTTPS listener (server certificate `tls/server.pem`, client certificates
/// signed by `tls/client-ca.pem` accepted, none required) that forwards to `backend`.
/// Returns its base URL, `https://127.0.0.1:PORT`.
pub(crate) fn start(backend: SocketAddr) -> io::Result<String> {
    let certs = CertificateDer::pem_file_iter(crate::tls::file("server.pem"))
        .map_err(io::Error::other)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io::Error::other)?;
    let key =
        PrivateKeyDer::from_pem_file(crate::tls::file("server.key")).map_err(io::Error::other)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(crate::tls::file("client-ca.pem"))
        .map_err(io::Error::other)?
    {
        roots
            .add(ca.map_err(io::Error::other)?)
            .map_err(io::Error::other)?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(io::Error::other)?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(io::Error::other)?;
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("https://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let config = config.clone();
            std::thread::spawn(move || {
                let _ = forward(config, tcp, backend);
            });
        }
    });
    Ok(base)
}

/// One connection: the handshake, one request passed on with the certificate's
/// thumbprint, its answer passed back, then the connection is closed.
fn forward(
    config: Arc<rustls::ServerConfig>,
    tcp: TcpStream,
    backend: SocketAddr,
) -> io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // A handshake refused (a certificate from another CA) ends here.
    let mut data = crate::proxy::read_head(&mut tls);
    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(());
    };
    let cert = tls
        .conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map_or_else(|| "none".to_owned(), |c| thumbprint(c));
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut out = format!("{}\r\n", lines.next().unwrap_or(""));
    let mut length = 0usize;
    for line in lines {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if name == "content-length" {
            length = line[line.find(':').map_or(0, |i| i + 1)..]
                .trim()
                .parse()
                .unwrap_or(0);
        }
        if name != CERT_HEADER && name != "connection" {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!(
        "{CERT_HEADER}: {cert}\r\nConnection: close\r\n\r\n"
    ));
    let mut body = data.split_off(end + 4);
    let mut buf = [0u8; 4096];
    while body.len() < length {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    let mut upstream = TcpStream::connect(backend)?;
    upstream.write_all(out.as_bytes())?;
    upstream.write_all(&body)?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    tls.write_all(&answer)?;
    tls.conn.send_close_notify();
    tls.flush()
}

/// The client certificate's thumbprint of a request that came through the listener.
pub(crate) fn client_cert(request: &Request) -> Option<&str> {
    request.header(CERT_HEADER).filter(|c| *c != "none")
}

/// The discovery document of the mTLS provider (issuer `{base}/mtls`): its plain token
/// endpoint, and the one behind the listener as `mtls_endpoint_aliases`, once started.
pub(crate) fn discovery(shared: &Shared, request: &Request) -> Response {
    if request.method != "GET" {
        return method_not_allowed("GET");
    }
    let base = &shared.base_url;
    let mut doc = json!({
        "issuer": format!("{base}{MTLS_ISSUER_PATH}"),
        "token_endpoint": format!("{base}{MTLS_TOKEN_PATH}"),
        "token_endpoint_auth_methods_supported": ["tls_client_auth"],
        "tls_client_certificate_bound_access_tokens": true,
        "grant_types_supported": ["client_credentials"],
    });
    if let Some(front) = shared.lock().mtls_base.clone() {
        doc["mtls_endpoint_aliases"] =
            json!({"token_endpoint": format!("{front}{MTLS_TOKEN_PATH}")});
    }
    Response::json(200, &doc)
}

/// `POST /mtls/token`: the client credentials grant for [`MTLS_CLIENT_ID`], authenticated
/// by its registered certificate (`tls_client_auth`); the access token is bound to it.
pub(crate) fn token(shared: &Shared, request: &Request) -> Response {
    if request.method != "POST" {
        return method_not_allowed("POST");
    }
    let params = Params::parse(&request.body);
    let unauthorized = |why: &str| {
        let mut e = OAuthError::new("invalid_client", why);
        e.status = 401;
        e.response()
    };
    let Some(cert) = client_cert(request) else {
        return unauthorized("this endpoint authenticates clients by TLS certificate (tls_client_auth): none was presented");
    };
    if params.get("client_id") != Some(MTLS_CLIENT_ID) {
        return unauthorized("unknown client_id");
    }
    if cert != registered() {
        return unauthorized("the client certificate is not the one registered for this client");
    }
    if params.get("grant_type") != Some("client_credentials") {
        return OAuthError::new("unsupported_grant_type", "Supported: client_credentials")
            .response();
    }
    let access = shared.random.token::<32>();
    let mut state = shared.lock();
    let expires_in = state.issue_access_with(
        &access,
        Dialect::GearCode,
        MTLS_CLIENT_ID,
        AccessDetails {
            client_id: MTLS_CLIENT_ID,
            scope: "",
            family: None,
        },
    );
    state.cert_bound.insert(access.clone(), cert.to_owned());
    Response::json(
        200,
        &json!({"access_token": access, "token_type": "Bearer", "expires_in": expires_in}),
    )
}

/// A certificate-bound token at the protected resource: good only through the listener
/// with the same certificate (RFC 8705 §3). `None` lets the resource answer as usual.
pub(crate) fn resource(shared: &Shared, request: &Request) -> Option<Response> {
    if request.path != RESOURCE_PATH {
        return None;
    }
    let token = crate::providers::bearer_token(request)?;
    let state = shared.lock();
    let bound = state.cert_bound.get(token)?;
    if client_cert(request) == Some(bound.as_str()) {
        return None;
    }
    Some(
        Response::json(
            401,
            &json!({
                "error": "invalid_token",
                "error_description": "the access token is bound to a client certificate this request did not present",
            }),
        )
        .header("WWW-Authenticate", "Bearer error=\"invalid_token\""),
    )
}

/// Routes the provider's own paths; `None` for others.
pub(crate) fn route(shared: &Shared, request: &Request) -> Option<Response> {
    match request.path.as_str() {
        MTLS_DISCOVERY_PATH => Some(discovery(shared, request)),
        MTLS_TOKEN_PATH => Some(token(shared, request)),
        _ => None,
    }
}
