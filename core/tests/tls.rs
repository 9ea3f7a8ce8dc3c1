//! HTTPS and the trust roots: a local TLS server whose certificate comes from a private CA,
//! as behind a corporate TLS proxy or with a national root CA.

use std::io::{Read, Write};
use std::net::TcpListener;

use authgate::{Client, ErrorCode, Provider, ProxyConfig, TrustRoots};

/// Serves one HTTPS token answer per connection, for `connections` connections.
fn start_tls_server(connections: usize) -> String {
    serve_tls(connections, |_| {
        r#"{"access_token":"tls-token","token_type":"bearer","expires_in":60}"#.into()
    })
}

/// Serves `body(base URL)` as a JSON answer over HTTPS, once per connection, for
/// `connections` connections; returns the base URL.
fn serve_tls(connections: usize, body: impl Fn(&str) -> String + Send + 'static) -> String {
    let config = authgate_emulator::tls::server_config();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("https://127.0.0.1:{port}");
    let body = body(&base);
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(connections) {
            let Ok(tcp) = tcp else { return };
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            // A handshake refused by the client ends here with an error: next connection.
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
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

fn client(base: &str, roots: TrustRoots) -> Client {
    Client::builder(Provider::Cuba)
        .base_url(base)
        .client_id("client")
        .client_secret("secret")
        .trust_roots(roots)
        .proxy(ProxyConfig::Disabled)
        .build()
        .unwrap()
}

#[test]
fn a_private_ca_is_trusted_only_through_ca_file() {
    let base = start_tls_server(3);
    let tokens = client(&base, TrustRoots::CaFile(authgate_emulator::tls::ca_file()))
        .password("admin", "admin")
        .send()
        .unwrap();
    assert_eq!(tokens.access_token().secret(), "tls-token");

    for roots in [TrustRoots::Bundled, TrustRoots::System] {
        let err = client(&base, roots.clone())
            .password("admin", "admin")
            .send()
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Tls, "{roots:?}: {err:?}");
        assert!(
            !err.is_transient(),
            "an untrusted certificate will not fix itself"
        );
        assert!(!err.to_string().contains("admin"));
    }
}

/// The process-wide discovery cache is keyed on the HTTP settings too: metadata fetched
/// through a private CA must not serve a client whose trust roots refuse that server.
#[test]
fn discovery_is_not_shared_across_trust_roots() {
    let base = serve_tls(3, |base| {
        format!(r#"{{"issuer":"{base}","token_endpoint":"{base}/token"}}"#)
    });
    let builder = |roots: TrustRoots| {
        Client::builder(Provider::Generic)
            .client_id("client")
            .client_secret("secret")
            .trust_roots(roots)
            .proxy(ProxyConfig::Disabled)
    };
    let ca = || TrustRoots::CaFile(authgate_emulator::tls::ca_file());
    let client = builder(ca()).discover(&base).unwrap().build().unwrap();
    assert_eq!(client.token_endpoint(), format!("{base}/token"));
    for roots in [TrustRoots::Bundled, TrustRoots::System] {
        let err = builder(roots.clone()).discover(&base).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Tls, "{roots:?}: {err:?}");
    }
    // The same settings do share it: the server takes no more connections.
    builder(ca()).discover(&base).unwrap();
}
