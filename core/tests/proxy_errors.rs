//! Proxy failures reported as proxy failures: a proxy that refuses the connection, and a
//! proxy that wants credentials (407), without ever showing the proxy's password.

use std::net::TcpListener;

use authgate::{Client, Endpoint, Error, ErrorCode, Provider, ProxyConfig, TrustRoots};

/// A host that does not resolve here: only a proxy could reach it (a loopback address
/// would bypass the proxy).
const PROVIDER: &str = "provider.invalid";

fn sign_in(base: &str, proxy: &str) -> Error {
    let err = Client::builder(Provider::Cuba)
        .base_url(base)
        .client_id("client")
        .client_secret("secret")
        .allow_insecure_http(true)
        .trust_roots(TrustRoots::Bundled)
        .proxy(ProxyConfig::Url(proxy.into()))
        .build()
        .unwrap()
        .password("admin", "admin")
        .send()
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("proxy-pass"), "{text}");
    assert_eq!(err.code(), ErrorCode::Proxy, "{err:?}");
    assert_eq!(err.endpoint(), Some(Endpoint::Token), "{err:?}");
    err
}

#[test]
fn a_proxy_that_refuses_the_connection_is_named() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = sign_in(
        &format!("https://{PROVIDER}"),
        &format!("http://proxy-user:proxy-pass@127.0.0.1:{port}"),
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "the proxy 127.0.0.1:{port} refused the connection"
        )),
        "{text}"
    );
    assert!(err.url().unwrap().contains(PROVIDER), "{err:?}");
}

#[test]
fn a_proxy_that_wants_credentials_says_so() {
    let port = authgate_emulator::proxy::answering_407();
    for scheme in ["https", "http"] {
        let base = format!("{scheme}://{PROVIDER}");
        let text = sign_in(&base, &format!("http://127.0.0.1:{port}")).to_string();
        assert!(
            text.contains(
                "the proxy needs credentials (give them in the proxy URL: \
                 http://user:pass@host:port)"
            ),
            "{scheme}: {text}"
        );
        let text = sign_in(
            &base,
            &format!("http://proxy-user:proxy-pass@127.0.0.1:{port}"),
        )
        .to_string();
        assert!(
            text.contains("refused the credentials in the proxy URL"),
            "{scheme}: {text}"
        );
    }
}
