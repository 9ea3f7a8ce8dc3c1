//! A client pays for its trust roots on its first `https://` connection, not when it is
//! built: a client of a plain-http LAN token server (the usual POS set-up) never loads a
//! CA bundle, yet a bad one is still refused at `build()`. Counted with an allocator that
//! records the peak of live heap bytes.
//!
//! This binary changes the process environment, so it holds one test only.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use authgate::{Client, ErrorCode, Provider, ProxyConfig, TrustRoots};
use authgate_emulator::tls::{file, serve_token_answers, server_config_for};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most heap `f` held at once beyond what was live before it.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let out = f();
    (out, PEAK.load(Relaxed) - before)
}

fn http_client() -> authgate::Result<Client> {
    Client::builder(Provider::Generic)
        .client_id("client")
        .client_secret("secret")
        .token_endpoint("http://127.0.0.1:9/token")
        .proxy(ProxyConfig::Disabled)
        .build()
}

#[test]
fn a_client_loads_its_trust_roots_on_its_first_https_connection() {
    let dir = std::env::temp_dir().join(format!("authgate-tls-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A CA bundle the size of a system one (~140 roots, 200 KB), the test CA among them.
    let ca = std::fs::read_to_string(file("ca.pem")).unwrap();
    let bundle = dir.join("bundle.pem");
    std::fs::write(&bundle, ca.repeat(160)).unwrap();
    std::env::remove_var("SSL_CERT_DIR");
    std::env::set_var("SSL_CERT_FILE", &bundle);

    let (client, bytes) = peak_heap(http_client);
    client.unwrap();
    assert!(
        bytes < 48 * 1024,
        "building a plain-http client held {bytes} bytes of heap at once"
    );

    // The bundle is still checked at build(), with the same errors.
    let broken = dir.join("broken.pem");
    std::fs::write(&broken, format!("{ca}-----BEGIN CERTIFICATE-----\nAAAA")).unwrap();
    std::env::set_var("SSL_CERT_FILE", &broken);
    let err = http_client().unwrap_err();
    assert_eq!(err.code(), ErrorCode::Config, "{err}");
    assert!(
        err.to_string().contains("SSL_CERT_FILE") && err.to_string().contains("not valid PEM"),
        "{err}"
    );
    std::env::set_var("SSL_CERT_FILE", dir.join("missing.pem"));
    let err = http_client().unwrap_err();
    assert!(
        err.to_string().contains("cannot read SSL_CERT_FILE"),
        "{err}"
    );

    // And used on the first https:// connection.
    std::env::set_var("SSL_CERT_FILE", &bundle);
    let base = serve_token_answers(server_config_for("server"), "127.0.0.1");
    common::https_client(&base, TrustRoots::Bundled)
        .unwrap()
        .password("admin", "admin")
        .send()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
