//! The same calls as examples/c/bench.c, in Rust against the core, to show what the C
//! ABI adds per call: `cargo run -p authgate-ffi --release --example bench_rust`.

use std::hint::black_box;
use std::time::Instant;

use authgate_core::{ClientBuilder, TokenManager, TokenSet};

/// The median over 7 rounds of `n` calls of `f`, in nanoseconds per call (as bench.c).
fn median_ns(n: u32, mut f: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(n)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[3]
}

fn main() -> Result<(), authgate_core::Error> {
    let client = ClientBuilder::from_json(
        r#"{"provider":"gearcode","base_url":"https://gc.example","client_id":"pos-42",
            "client_secret":"s3cret","redirect_uri":"https://pos.example/callback"}"#,
    )?
    .build()?;
    let tokens = TokenSet::parse(
        r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.abc","token_type":"bearer",
            "expires_in":899,"refresh_token":"r-1","scope":"read"}"#,
    )?;

    let url_ns = median_ns(20_000, || {
        let req = client
            .authorization_url()
            .build()
            .expect("authorization URL");
        black_box(&req.url);
    });

    let get_n = 5_000_000;
    let mut sink = 0u64;
    let t0 = Instant::now();
    for _ in 0..get_n {
        let t = black_box(&tokens);
        sink = sink.wrapping_add(u64::from(t.access_token().secret().as_bytes()[0]));
        sink = sink.wrapping_add(t.expires_at_unix().unwrap_or(0));
    }
    let get_ns = t0.elapsed().as_nanos() as f64 / f64::from(get_n);
    black_box(sink);

    let manager = TokenManager::builder(client.clone()).build()?;
    manager.set_tokens(tokens.clone())?;
    let mgr_n = 1_000_000;
    let t0 = Instant::now();
    for _ in 0..mgr_n {
        let token = manager.access_token()?;
        sink = sink.wrapping_add(u64::from(token.secret().as_bytes()[0]));
    }
    let mgr_ns = t0.elapsed().as_nanos() as f64 / f64::from(mgr_n);
    black_box(sink);

    println!("Rust   authorization_url (build):              {url_ns:8.0} ns/call");
    println!("Rust   token set access_token + expires_at:    {get_ns:8.1} ns/pair");
    println!("Rust   manager access_token, cached:           {mgr_ns:8.1} ns/call");
    Ok(())
}
