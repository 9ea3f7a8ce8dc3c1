//! HTTPS and the trust roots: a local TLS server whose certificate comes from a private CA,
//! as behind a corporate TLS proxy or with a national root CA.

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
    authgate_emulator::tls::serve_json(config, "127.0.0.1", connections, body)
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
