//! Benchmark: authgate's costs as ratios to floors measured in the same run.
//!
//! - Refresh over keep-alive against the minimal token server
//!   ([`authgate_emulator::wire`]), next to a raw socket (one connection, a prebuilt request
//!   in one write, read until `Content-Length`), to plain ureq 3 + serde_json, and to the
//!   Rust `oauth2` crate on ureq 2.
//! - A cached `TokenManager::access_token()`, next to a `Mutex` + `Instant` + `String` clone.
//! - The token stores: a manager's whole refresh (store lock, re-read, token request, save,
//!   unlock) and its cached token with a `FileStore` and a `RedisStore` (a `redis-server`
//!   started on loopback; the rows are skipped without one), next to a `MemoryStore`.
//! - Building an authorization URL (state + PKCE S256 from the OS random source), next to
//!   the `oauth2` crate's.
//!
//! Each refresh and store row is the median of several rounds; the cached-token and
//! authorization-URL rows (nanoseconds to a microsecond, easily blurred by other processes)
//! are the fastest of many short rounds alternating with their floor. Run on demand (never as a timed test):
//! `cargo run --release --manifest-path benches/rust/Cargo.toml` (optionally
//! `-- ITERATIONS [GROUPS]`, GROUPS a comma-separated choice of `refresh`, `cached`, `url`,
//! `stores`, e.g. `-- 2000 cached,url` to profile one path), or `bash scripts/bench.sh` for
//! every language.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authgate::{
    Client, FileStore, MemoryStore, Provider, ProxyConfig, RedisStore, RefreshToken, TokenManager,
    TokenSet, TokenStore,
};
use authgate_emulator::redis_server::RedisServer;
use authgate_emulator::wire::{WireServer, ANSWER};

const ROUNDS: usize = 7;

/// The `oauth2` crate's client with the endpoints the rows use.
type PeerClient = oauth2::basic::BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

/// The median over [`ROUNDS`] rounds of `n` calls of `f`, in nanoseconds per call.
fn median_ns(n: u32, mut f: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(n)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[ROUNDS / 2]
}

/// `n` calls of `f`, in nanoseconds per call.
fn round_ns(n: u32, f: &mut impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() * 1e9 / f64::from(n)
}

/// For rows of nanoseconds, which other processes on the machine blur more than they blur
/// a refresh: `rounds` short rounds of `n` calls of `floor` and of `f` in alternation, and
/// the fastest round of each (the least disturbed), in nanoseconds per call.
fn fastest_ns(rounds: u32, n: u32, mut floor: impl FnMut(), mut f: impl FnMut()) -> (f64, f64) {
    (0..rounds).fold((f64::MAX, f64::MAX), |(a, b), _| {
        (a.min(round_ns(n, &mut floor)), b.min(round_ns(n, &mut f)))
    })
}

/// One kept-alive connection that writes a prebuilt request and reads the answer.
struct RawClient {
    stream: TcpStream,
    request: Vec<u8>,
    buf: Vec<u8>,
}

impl RawClient {
    fn new(server: &WireServer, body: &str) -> RawClient {
        let stream = TcpStream::connect(server.addr()).expect("connect");
        stream.set_nodelay(true).unwrap();
        let request = format!(
            "POST /token HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic Y2xpZW50OnNlY3JldA==\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            server.addr(),
            body.len()
        );
        RawClient {
            stream,
            request: request.into_bytes(),
            buf: vec![0; 4096],
        }
    }

    fn call(&mut self) -> usize {
        self.stream.write_all(&self.request).unwrap();
        let mut filled = 0;
        loop {
            let n = self.stream.read(&mut self.buf[filled..]).unwrap();
            assert!(n > 0, "the server closed the connection");
            filled += n;
            let head = &self.buf[..filled];
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                if filled >= end + 4 + ANSWER.len() {
                    return filled;
                }
            }
        }
    }
}

/// A manager's refresh through `store` (invalidate, then `access_token`: lock, re-read,
/// client credentials request, save, unlock) and its cached token, in ns per call.
fn through_store(client: &Client, store: Arc<dyn TokenStore>, n: u32) -> (f64, f64) {
    let manager = TokenManager::builder(client.clone())
        .store(store)
        .allow_client_credentials(true)
        .build()
        .unwrap();
    manager
        .set_tokens(TokenSet::parse(ANSWER).unwrap())
        .unwrap();
    let refresh = || {
        manager.invalidate();
        std::hint::black_box(manager.access_token().unwrap());
    };
    for _ in 0..20 {
        refresh();
    }
    let refresh_ns = median_ns(n, refresh);
    let cached_ns = median_ns(n * 50, || {
        std::hint::black_box(manager.access_token().unwrap());
    });
    (refresh_ns, cached_ns)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let groups = args.next().unwrap_or_else(|| "refresh,cached,url,stores".into());
    let run = |group: &str| groups.split(',').any(|g| g == group);
    let server = WireServer::start().expect("start the wire server");
    let token_url = server.url("/token");
    let refresh_token = "rt-0123456789abcdef0123456789abcdef";
    let client = Client::builder(Provider::Generic)
        .token_endpoint(&token_url)
        .client_id("client")
        .client_secret("secret")
        .proxy(ProxyConfig::Disabled)
        .build()
        .unwrap();
    let peer = oauth2::basic::BasicClient::new(oauth2::ClientId::new("client".into()))
        .set_client_secret(oauth2::ClientSecret::new("secret".into()))
        .set_auth_uri(oauth2::AuthUrl::new("https://auth.example/authorize".into()).unwrap())
        .set_redirect_uri(
            oauth2::RedirectUrl::new("https://pos.example/callback".into()).unwrap(),
        )
        .set_token_uri(oauth2::TokenUrl::new(token_url.clone()).unwrap());

    println!(
        "authgate Rust benchmark (median of {ROUNDS} rounds, fastest of short alternating rounds \
         for cached/URL; ratios to floors of this run)"
    );
    println!("row                                   per call    ratio");
    if run("refresh") {
        refresh_rows(&server, &client, &peer, refresh_token, n);
    }
    if run("cached") {
        cached_rows(&client, n);
    }
    if run("url") {
        url_rows(&peer, n);
    }
    if run("stores") {
        store_rows(&client, n);
    }
}

/// One row: `ns` per call and its ratio to `floor`.
fn row(name: &str, ns: f64, floor: f64) {
    println!("{name:<36} {:>8.2} µs  {:>6.2}×", ns / 1e3, ns / floor);
}

/// Refresh over keep-alive: a raw socket (the floor), plain ureq 3 + serde_json, the
/// `oauth2` crate on ureq 2 and authgate.
fn refresh_rows(
    server: &WireServer,
    client: &Client,
    peer: &PeerClient,
    refresh_token: &str,
    n: u32,
) {
    let token_url = server.url("/token");
    let body = format!("grant_type=refresh_token&refresh_token={refresh_token}");

    // Raw socket floor.
    let mut raw = RawClient::new(server, &body);
    for _ in 0..200 {
        raw.call();
    }
    let raw_ns = median_ns(n, || {
        std::hint::black_box(raw.call());
    });

    // Plain ureq 3 + serde_json, as an application would write it by hand.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(30)))
        .proxy(None)
        .build()
        .into();
    let plain = || {
        let mut resp = agent
            .post(&token_url)
            .header("Authorization", "Basic Y2xpZW50OnNlY3JldA==")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body.as_str())
            .unwrap();
        let text = resp.body_mut().read_to_string().unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        std::hint::black_box(json["access_token"].as_str().map(str::len));
    };
    for _ in 0..200 {
        plain();
    }
    let ureq_ns = median_ns(n, plain);

    // The Rust `oauth2` crate on its ureq 2 client.
    let peer_http = oauth2::ureq::AgentBuilder::new()
        .redirects(0)
        .timeout_connect(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build();
    let peer_rt = oauth2::RefreshToken::new(refresh_token.into());
    let peer_refresh = || {
        let t = peer
            .exchange_refresh_token(&peer_rt)
            .request(&peer_http)
            .unwrap();
        std::hint::black_box(oauth2::TokenResponse::access_token(&t).secret().len());
    };
    for _ in 0..200 {
        peer_refresh();
    }
    let peer_ns = median_ns(n, peer_refresh);

    // authgate.
    let rt = RefreshToken::new(refresh_token);
    for _ in 0..200 {
        client.refresh(&rt).send().unwrap();
    }
    let refresh_ns = median_ns(n, || {
        std::hint::black_box(client.refresh(&rt).send().unwrap());
    });

    row("refresh: raw socket (floor)", raw_ns, raw_ns);
    row("refresh: plain ureq 3 + serde_json", ureq_ns, raw_ns);
    row("refresh: oauth2 crate 5 on ureq 2", peer_ns, raw_ns);
    row("refresh: authgate", refresh_ns, raw_ns);
}

/// A cached access token: the floor is a mutex, a clock read and a string copy.
fn cached_rows(client: &Client, n: u32) {
    let floor = Mutex::new((
        Instant::now() + Duration::from_secs(3600),
        "wire-access-token-0123456789abcdef".to_owned(),
    ));
    let manager = TokenManager::builder(client.clone()).build().unwrap();
    manager
        .set_tokens(TokenSet::parse(ANSWER).unwrap())
        .unwrap();
    let (floor_ns, cached_ns) = fastest_ns(
        n / 2,
        1000,
        || {
            let g = floor.lock().unwrap();
            let valid = Instant::now() + Duration::from_secs(60) < g.0;
            std::hint::black_box(valid.then(|| g.1.clone()));
        },
        || {
            std::hint::black_box(manager.access_token().unwrap());
        },
    );
    println!(
        "{:<36} {:>8.1} ns  {:>6.2}×",
        "cached: Mutex+Instant+String (floor)", floor_ns, 1.0
    );
    println!(
        "{:<36} {:>8.1} ns  {:>6.2}×",
        "cached: TokenManager::access_token",
        cached_ns,
        cached_ns / floor_ns
    );
}

/// An authorization URL (state + PKCE S256), next to the `oauth2` crate's.
fn url_rows(peer: &PeerClient, n: u32) {
    let auth = Client::builder(Provider::Generic)
        .base_url("https://auth.example")
        .client_id("pos-42")
        .auth_method(authgate::AuthMethod::None)
        .redirect_uri("https://pos.example/callback")
        .build()
        .unwrap();
    let (peer_url_ns, url_ns) = fastest_ns(
        n / 5,
        50,
        || {
            let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
            let (url, state) = peer
                .authorize_url(oauth2::CsrfToken::new_random)
                .set_pkce_challenge(challenge)
                .url();
            let _ = std::hint::black_box((url.as_str().len(), state, verifier));
        },
        || {
            std::hint::black_box(auth.authorization_url().build().unwrap().url.len());
        },
    );
    row("authorization URL: oauth2 crate", peer_url_ns, peer_url_ns);
    row("authorization URL: authgate", url_ns, peer_url_ns);
}

/// Token stores: refreshes per second through the manager, and the cached token.
fn store_rows(client: &Client, n: u32) {
    let store_n = (n / 10).max(20);
    let dir = std::env::temp_dir().join(format!("authgate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut stores: Vec<(&str, Arc<dyn TokenStore>)> = vec![
        ("MemoryStore", Arc::new(MemoryStore::new())),
        ("FileStore", Arc::new(FileStore::new(dir.join("tokens.json")))),
    ];
    let redis = RedisServer::start();
    match &redis {
        Ok(server) => stores.push((
            "RedisStore",
            Arc::new(RedisStore::new(&server.url(), client).unwrap()),
        )),
        Err(e) => println!("(no RedisStore rows: {e})"),
    }
    let measured: Vec<(&str, f64, f64)> = stores
        .into_iter()
        .map(|(name, store)| {
            let (refresh, cached) = through_store(client, store, store_n);
            (name, refresh, cached)
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    let (memory_refresh, memory_cached) = (measured[0].1, measured[0].2);
    for (name, refresh, _) in &measured {
        println!(
            "{:<36} {:>8.2} µs  {:>6.2}×  ({:.0} refreshes/s)",
            format!("manager refresh: {name}"),
            refresh / 1e3,
            refresh / memory_refresh,
            1e9 / refresh
        );
    }
    for (name, _, cached) in &measured {
        println!(
            "{:<36} {:>8.1} ns  {:>6.2}×",
            format!("manager cached: {name}"),
            cached,
            cached / memory_cached
        );
    }
}
