//! HTTPS and the trust roots: a local TLS server whose certificate comes from a private CA,
//! as behind a corporate TLS proxy or with a national root CA; TLS failures in plain words
//! (an untrusted issuer with the `ca_file` hint, a host name mismatch, a certificate outside
//! its validity with its dates and this computer's clock); and a self-signed certificate
//! given as `ca_file`, which is trusted as curl trusts it.

mod common;

use authgate::{Client, Endpoint, Error, ErrorCode, Provider, ProxyConfig, TrustRoots};
use authgate_emulator::tls::{file, serve_token_answers, server_config_for};

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
    common::https_client(base, roots).unwrap()
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

fn ca_file(name: &str) -> TrustRoots {
    TrustRoots::CaFile(file(name))
}

/// Signs in with the password grant; returns the error.
fn fails(base: &str, roots: TrustRoots) -> Error {
    let err = client(base, roots)
        .password("admin", "pa55word")
        .send()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Tls, "{err:?}");
    assert!(!err.to_string().contains("pa55word"), "{err}");
    assert_eq!(err.endpoint(), Some(Endpoint::Token), "{err:?}");
    assert!(err.url().unwrap().starts_with(base), "{err:?}");
    err
}

fn works(base: &str, roots: TrustRoots) {
    let tokens = client(base, roots.clone())
        .password("admin", "pa55word")
        .send()
        .unwrap_or_else(|e| panic!("{roots:?}: {e}"));
    assert_eq!(tokens.access_token().secret(), "tls-token");
}

#[test]
fn an_untrusted_issuer_is_explained_with_what_to_do() {
    let base = serve_token_answers(server_config_for("server"), "127.0.0.1");
    let text = fails(&base, TrustRoots::Bundled).to_string();
    assert!(
        text.contains("the server's certificate is not trusted by this computer"),
        "{text}"
    );
    assert!(
        text.contains("authgate test CA"),
        "names the issuer: {text}"
    );
    assert!(
        text.contains("ca_file") && text.contains("system store"),
        "{text}"
    );
    // Another CA file: the same words, naming the file.
    let text = fails(&base, ca_file("expired-ca.pem")).to_string();
    assert!(text.contains("not trusted by this computer"), "{text}");
    assert!(text.contains("expired-ca.pem"), "{text}");
}

#[test]
fn a_host_name_mismatch_is_named_as_such() {
    let base = serve_token_answers(server_config_for("server"), "127.0.0.2");
    let text = fails(&base, ca_file("ca.pem")).to_string();
    assert!(text.contains("host name"), "{text}");
    assert!(
        text.contains("127.0.0.2") && text.contains("127.0.0.1, localhost"),
        "{text}"
    );
}

#[test]
fn a_self_signed_certificate_given_as_ca_file_is_trusted() {
    for name in ["self-signed", "self-signed-leaf"] {
        let base = serve_token_answers(server_config_for(name), "127.0.0.1");
        works(&base, ca_file(&format!("{name}.pem")));
        // Pinned, but still checked: the host name must match.
        let elsewhere = serve_token_answers(server_config_for(name), "127.0.0.2");
        let text = fails(&elsewhere, ca_file(&format!("{name}.pem"))).to_string();
        assert!(text.contains("host name"), "{name}: {text}");
        // And only the certificate given is trusted.
        let text = fails(&base, ca_file("ca.pem")).to_string();
        assert!(text.contains("not trusted"), "{name}: {text}");
    }
}

#[test]
fn an_expired_certificate_shows_its_dates_and_the_clock() {
    let base = serve_token_answers(server_config_for("expired"), "127.0.0.1");
    // Through its CA, and pinned as a self-given certificate: the same words.
    for roots in [ca_file("expired-ca.pem"), ca_file("expired.pem")] {
        let err = fails(&base, roots.clone());
        let text = err.to_string();
        assert!(
            text.contains(
                "the certificate is valid from 2020-01-01 00:00:00 UTC to 2021-01-01 00:00:00 UTC \
                 but this computer's clock says 20"
            ),
            "{roots:?}: {text}"
        );
        assert!(!err.is_transient(), "{text}");
    }
}
