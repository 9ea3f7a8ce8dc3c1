//! Benchmark: microseconds per authorization-URL build and per refresh against the
//! emulator over keep-alive, and nanoseconds per cached `TokenManager::access_token()`. Run on demand:
//! `cargo run --release --example bench` (optionally `-- ITERATIONS`).

use std::time::Instant;

use authgate::{Client, Provider, ProxyConfig, TokenManager};
use authgate_emulator::{fixtures as fx, Emulator};

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let emu = Emulator::start().expect("start the emulator");
    let client = Client::builder(Provider::Cuba)
        .base_url(emu.base_url())
        .client_id(fx::CUBA_CLIENT_ID)
        .client_secret(fx::CUBA_CLIENT_SECRET)
        .proxy(ProxyConfig::Disabled)
        .build()
        .unwrap();
    let gearcode = Client::builder(Provider::GearCode)
        .base_url(emu.base_url())
        .client_id(fx::GEARCODE_CLIENT_ID)
        .client_secret(fx::GEARCODE_CLIENT_SECRET)
        .redirect_uri(fx::REDIRECT_URI)
        .build()
        .unwrap();

    // Authorization URL: state + PKCE verifier from the OS random source, SHA-256, encoding.
    let start = Instant::now();
    let mut len = 0;
    for _ in 0..n {
        len += gearcode.authorization_url().build().unwrap().url.len();
    }
    let url_us = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    std::hint::black_box(len);

    // Refresh over one kept-alive connection (CUBA: the refresh token stays the same).
    let tokens = client
        .password(fx::CUBA_ADMIN_USERNAME, fx::CUBA_ADMIN_PASSWORD)
        .send()
        .unwrap();
    let rt = tokens.refresh_token().unwrap().clone();
    let refreshes = (n / 10).max(100);
    for _ in 0..50 {
        client.refresh(&rt).send().unwrap(); // warm-up
    }
    let start = Instant::now();
    for _ in 0..refreshes {
        client.refresh(&rt).send().unwrap();
    }
    let refresh_us = start.elapsed().as_secs_f64() * 1e6 / f64::from(refreshes);

    // A cached access token from the token manager: what a till asks for all day.
    let manager = TokenManager::builder(client.clone()).build();
    manager.set_tokens(tokens).unwrap();
    let cached = n * 50;
    let start = Instant::now();
    for _ in 0..cached {
        std::hint::black_box(manager.access_token().unwrap());
    }
    let cached_ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(cached);

    println!("authorization URL build: {url_us:8.2} µs/call ({n} calls)");
    println!("cached access_token():   {cached_ns:8.1} ns/call ({cached} calls)");
    println!("refresh over keep-alive: {refresh_us:8.2} µs/call ({refreshes} calls, emulator in-process)");
}
