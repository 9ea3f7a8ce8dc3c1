//! A private CA for the HTTPS tests: a server certificate for 127.0.0.1 / localhost signed
//! by a CA that no trust store holds, as behind a corporate TLS proxy or with a national
//! root CA. The files are in `tests/emulator/tls/` (see its README).
//!
//! ```no_run
//! let config = authgate_emulator::tls::server_config(); // for a rustls server
//! let ca = authgate_emulator::tls::ca_file();            // for the client's ca_file
//! ```

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The path of a file of the test TLS material, e.g. `"self-signed.pem"` (see the README).
pub fn file(name: &str) -> PathBuf {
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
    server_config_for("server")
}

/// A rustls server configuration with the certificate `{name}.pem` and its key
/// `{name}.key`: `"server"` (signed by `ca.pem`), `"self-signed"` (CA:TRUE, as
/// `openssl req -x509` makes it), `"self-signed-leaf"` (CA:FALSE) or `"expired"` (signed
/// by `expired-ca.pem`, valid in 2020 only).
pub fn server_config_for(name: &str) -> Arc<rustls::ServerConfig> {
    let certs = CertificateDer::pem_file_iter(file(&format!("{name}.pem")))
        .expect("a certificate file in tests/emulator/tls/")
        .collect::<Result<Vec<_>, _>>()
        .expect("a PEM certificate");
    let key = PrivateKeyDer::from_pem_file(file(&format!("{name}.key")))
        .expect("a key file in tests/emulator/tls/");
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

/// Serves HTTPS on `ip` (a free port) with `config`, on a thread of its own: each
/// connection gets one token answer (`access_token` `tls-token`), then is closed. A
/// handshake the client refuses just ends that connection. Returns `https://ip:port`.
pub fn serve_token_answers(config: Arc<rustls::ServerConfig>, ip: &str) -> String {
    serve_json(config, ip, usize::MAX, |_| {
        r#"{"access_token":"tls-token","token_type":"bearer","expires_in":60}"#.into()
    })
}

/// Serves `body(base URL)` as a JSON answer over HTTPS on `ip` (a free port) with
/// `config`, once per connection, for `connections` connections (handshakes the client
/// refuses included), on a thread of its own. Returns the base URL, `https://ip:port`.
pub fn serve_json(
    config: Arc<rustls::ServerConfig>,
    ip: &str,
    connections: usize,
    body: impl Fn(&str) -> String + Send + 'static,
) -> String {
    let listener = TcpListener::bind((ip, 0)).expect("a free port");
    let port = listener.local_addr().expect("the bound address").port();
    let base = format!("https://{ip}:{port}");
    let body = body(&base);
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(connections) {
            let Ok(tcp) = tcp else { return };
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            // A handshake refused by the client ends here with an error: next connection.
            let head = crate::proxy::read_head(&mut tls);
            if head.is_empty() {
                continue;
            }
            // Read the form body too: closing with unread data would reset the connection
            // before the client reads the answer.
            let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
            let header_end = text.find("\r\n\r\n").map_or(text.len(), |i| i + 4);
            let length: usize = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            let mut buf = [0u8; 4096];
            let mut have = head.len() - header_end;
            while have < length {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => have += n,
                }
            }
            let _ = write!(
                tls,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    base
}
