//! Loopback traffic never goes through a proxy: with `HTTP_PROXY` / `HTTPS_PROXY` set (and
//! no `NO_PROXY`), as on a till behind a corporate proxy, a provider or emulator on
//! 127.0.0.1 is still reached directly, with the proxy taken from the environment or
//! configured explicitly.
//!
//! This binary changes the process environment, so it holds one test only: no other test
//! can race with it.

mod common;

use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use authgate::{Client, Provider, ProxyConfig};
use common::*;

/// A "proxy" that counts the connections it gets and answers none of them.
fn counting_proxy() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&hits);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (
        format!("http://proxy-user:proxy-pass@127.0.0.1:{port}"),
        hits,
    )
}

#[test]
fn loopback_requests_bypass_the_environment_and_configured_proxies() {
    let (proxy, hits) = counting_proxy();
    for var in ["ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"] {
        std::env::remove_var(var);
    }
    for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"] {
        std::env::set_var(var, &proxy);
    }
    let emu = emulator();
    let cuba = |proxy: ProxyConfig| {
        Client::builder(Provider::Cuba)
            .base_url(emu.base_url())
            .client_id(fx::CUBA_CLIENT_ID)
            .client_secret(fx::CUBA_CLIENT_SECRET)
            .proxy(proxy)
            .build()
            .unwrap()
    };
    for config in [ProxyConfig::FromEnv, ProxyConfig::Url(proxy.clone())] {
        let tokens = cuba(config.clone())
            .password(fx::CUBA_ADMIN_USERNAME, fx::CUBA_ADMIN_PASSWORD)
            .send()
            .unwrap_or_else(|e| panic!("{config:?}: {e}"));
        assert!(!tokens.access_token().secret().is_empty());
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "loopback went through the proxy"
    );
}
