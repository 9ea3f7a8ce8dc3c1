//! The Redis store against a real `redis-server` (started on a free loopback port by each
//! test, stopped by its PID): the set under one key per client, the lock (exclusive, owned,
//! kept alive while held, freed when its holder dies), fencing of a holder that was paused
//! past the lock's expiry, outages, and the token manager on top.
//!
//! The "other process" is this test binary run again as a child, with an environment
//! variable telling the `child_*` helper test what to do (it passes at once when unset).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authgate::{
    Client, Error, ErrorCode, Provider, RedisStore, StoreLock, TokenManager, TokenSet, TokenStore,
};
use authgate_emulator::redis_server::RedisServer;
use common::*;

const CHILD: &str = "AUTHGATE_TEST_REDIS_CHILD";

fn redis() -> RedisServer {
    RedisServer::start().expect("redis-server starts (Debian package redis-server)")
}

/// A client that never goes on the network: only its token endpoint and id matter here.
fn offline_client(id: &str) -> Client {
    Client::builder(Provider::Generic)
        .token_endpoint("https://auth.example/token")
        .client_id(id)
        .auth_method(authgate::AuthMethod::None)
        .build()
        .unwrap()
}

fn set(access: &str, refresh: &str) -> TokenSet {
    TokenSet::parse(&format!(
        r#"{{"access_token":"{access}","refresh_token":"{refresh}","expires_in":600}}"#
    ))
    .unwrap()
}

fn stored_access(store: &RedisStore) -> Option<String> {
    store
        .load()
        .unwrap()
        .map(|s| s.access_token().secret().to_owned())
}

/// Runs `child_lock_holder` in a new process: it takes the lock of `url` (expiry
/// `expiry_ms`), says `LOCKED`, then obeys stdin: `save` (saves the set `stale`), `quit`.
fn spawn_holder(url: &str, expiry_ms: u64) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_lock_holder",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{url} {expiry_ms}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    expect_line(&mut out, "LOCKED");
    (child, out)
}

/// Reads lines until one starts with `prefix` (and is not empty); returns it.
fn expect_line(out: &mut impl BufRead, prefix: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the child died before {prefix}"
        );
        if line.starts_with(prefix) && !line.trim().is_empty() {
            return line.trim().to_owned();
        }
    }
}

/// Child: holds the lock and obeys its parent (see `spawn_holder`).
#[test]
fn child_lock_holder() {
    let Ok(args) = std::env::var(CHILD) else {
        return;
    };
    let (url, expiry) = args.split_once(' ').unwrap();
    let store = RedisStore::new(url, &offline_client("pos"))
        .unwrap()
        .lock_expiry(Duration::from_millis(expiry.parse().unwrap()));
    let lock = store.lock_within(Duration::from_secs(5)).unwrap();
    println!("\nLOCKED");
    std::io::stdout().flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        match line.unwrap().as_str() {
            "save" => match store.save(&set("stale", "rt-stale")) {
                Ok(()) => println!("SAVED"),
                Err(e) => println!("REFUSED {:?} {e}", e.code()),
            },
            _ => break,
        }
        std::io::stdout().flush().unwrap();
    }
    drop(lock);
    println!("RELEASED");
}

#[test]
fn a_set_per_client_round_trips_and_clears() {
    let server = redis();
    let a = RedisStore::new(&server.url(), &offline_client("till-a")).unwrap();
    let b = RedisStore::new(&server.url(), &offline_client("till-b")).unwrap();
    assert!(a.key().contains("https://auth.example/token") && a.key().contains("till-a"));
    assert_ne!(a.key(), b.key());
    assert!(a.load().unwrap().is_none());
    let t = set("at-a", "rt-a");
    a.save(&t).unwrap();
    let back = a.load().unwrap().unwrap();
    assert_eq!(back.refresh_token().unwrap().secret(), "rt-a");
    assert_eq!(back.expires_at_unix(), t.expires_at_unix());
    assert!(
        b.load().unwrap().is_none(),
        "another client's key was written"
    );
    // Another store object (another process) sees the same set.
    let a2 = RedisStore::new(&server.url(), &offline_client("till-a")).unwrap();
    assert_eq!(stored_access(&a2).as_deref(), Some("at-a"));
    a2.clear().unwrap();
    assert!(a.load().unwrap().is_none());
    // Not a token set under the key: a store error that does not repeat the content.
    server
        .command(&format!("HSET \"{}\" set secret-garbage", a.key()))
        .unwrap();
    let e = a.load().unwrap_err();
    assert!(matches!(e, Error::Store(_)), "{e:?}");
    assert!(!e.is_transient(), "bad data is not an outage: {e:?}");
    assert!(!e.to_string().contains("secret-garbage"), "{e}");
    // Debug shows the server and key, never the URL's password.
    let with_password = RedisStore::new(
        "redis://:pa55w0rd-secret@127.0.0.1:1/0",
        &offline_client("x"),
    )
    .unwrap();
    let shown = format!("{with_password:?}");
    assert!(!shown.contains("pa55w0rd"), "{shown}");
}

#[test]
fn the_lock_is_exclusive_kept_alive_while_held_and_released_by_its_owner_only() {
    let server = redis();
    let expiry = Duration::from_millis(300);
    let a = RedisStore::new(&server.url(), &offline_client("pos"))
        .unwrap()
        .lock_expiry(expiry);
    let b = RedisStore::new(&server.url(), &offline_client("pos"))
        .unwrap()
        .lock_expiry(expiry);
    let held = a.lock_within(Duration::from_secs(1)).unwrap();
    let start = Instant::now();
    let e = b.lock_within(Duration::from_millis(200)).unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");
    assert!(
        e.to_string().contains("another process holds the lock"),
        "{e}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
    // Held for three expiries: its holder keeps extending it.
    std::thread::sleep(expiry * 3);
    assert!(matches!(
        b.lock_within(Duration::from_millis(100)),
        Err(Error::Timeout(_))
    ));
    drop(held);
    let start = Instant::now();
    let _held_by_b = b.lock_within(Duration::from_secs(1)).unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
}

#[cfg(unix)]
#[test]
fn a_holder_killed_while_holding_the_lock_frees_it_at_its_expiry() {
    let server = redis();
    let expiry = Duration::from_millis(1500);
    let (mut child, _out) = spawn_holder(&server.url(), expiry.as_millis() as u64);
    let other = RedisStore::new(&server.url(), &offline_client("pos")).unwrap();
    assert!(matches!(
        other.lock_within(Duration::from_millis(100)),
        Err(Error::Timeout(_))
    ));
    child.kill().unwrap(); // SIGKILL: no release, no more extensions
    let killed = Instant::now();
    child.wait().unwrap();
    let _lock = other.lock_within(Duration::from_secs(10)).unwrap();
    let waited = killed.elapsed();
    assert!(
        waited <= expiry + Duration::from_millis(700),
        "waited {waited:?} for a lock that expires after {expiry:?}"
    );
    other.save(&set("after-kill", "rt")).unwrap();
    assert_eq!(stored_access(&other).as_deref(), Some("after-kill"));
}

#[cfg(unix)]
#[test]
fn a_holder_paused_past_the_expiry_cannot_overwrite_the_newer_set() {
    let server = redis();
    let expiry = Duration::from_millis(500);
    let url = server.url();
    let first = RedisStore::new(&url, &offline_client("pos")).unwrap();
    first.save(&set("first", "rt-1")).unwrap();
    let (mut child, mut out) = spawn_holder(&url, expiry.as_millis() as u64);
    let pid = child.id().to_string();
    // A pause longer than the expiry (a frozen VM, a stop signal, a stalled network): the
    // holder cannot extend its lock, so it expires.
    assert!(Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap()
        .success());
    let other = RedisStore::new(&url, &offline_client("pos")).unwrap();
    let lock = other.lock_within(Duration::from_secs(5)).unwrap();
    other.save(&set("newer", "rt-2")).unwrap();
    // Its lock is still held by `other` when the paused one wakes up and writes.
    assert!(Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap()
        .success());
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "save").unwrap();
    let answer = expect_line(&mut out, "");
    assert!(answer.starts_with("REFUSED Store"), "{answer}");
    assert!(answer.contains("newer token set"), "{answer}");
    assert_eq!(stored_access(&other).as_deref(), Some("newer"));
    // Its release does not free the lock it no longer owns.
    writeln!(stdin, "quit").unwrap();
    expect_line(&mut out, "RELEASED");
    child.wait().unwrap();
    let third = RedisStore::new(&url, &offline_client("pos")).unwrap();
    assert!(matches!(
        third.lock_within(Duration::from_millis(200)),
        Err(Error::Timeout(_))
    ));
    drop(lock);
    // And after the newer holder is done, the stale set still never lands.
    assert_eq!(stored_access(&third).as_deref(), Some("newer"));
}

#[test]
fn an_outage_is_a_store_error_and_the_store_reconnects_after_a_restart() {
    let mut server = redis();
    let url = server.url();
    let store = RedisStore::new(&url, &offline_client("pos"))
        .unwrap()
        .timeout(Duration::from_millis(300));
    store.save(&set("before", "rt")).unwrap();
    server.kill();
    let e = store.load().unwrap_err();
    assert!(matches!(e, Error::Store(ref s) if s.is_outage()), "{e:?}");
    assert!(e.is_transient(), "an outage is transient: {e:?}");
    assert_eq!(e.code(), ErrorCode::Store);
    let msg = e.to_string();
    assert!(
        msg.contains("127.0.0.1") && msg.contains("try again"),
        "{msg}"
    );
    let start = Instant::now();
    let e = store.lock_within(Duration::from_secs(30)).unwrap_err();
    assert!(matches!(e, Error::Store(_)), "{e:?}");
    assert!(e.is_transient(), "{e:?}");
    assert!(
        start.elapsed() < RedisStore::OUTAGE_WAIT + Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    server.start_again().unwrap();
    // The append-only file kept the set; the old connection is replaced.
    assert_eq!(stored_access(&store).as_deref(), Some("before"));
    let _lock = store.lock_within(Duration::from_secs(1)).unwrap();
    // A password in the URL never shows in an error.
    let e = RedisStore::new(
        "redis://:pa55w0rd-secret@127.0.0.1:1/0",
        &offline_client("pos"),
    )
    .unwrap()
    .load()
    .unwrap_err();
    assert_no_secret(&e, &["pa55w0rd"]);
    // A URL that cannot be used is a configuration error.
    let e = RedisStore::new("http://:pa55w0rd-secret@x/", &offline_client("pos")).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert_no_secret(&e, &["pa55w0rd"]);
}

#[test]
fn the_manager_serves_a_valid_cached_token_while_redis_is_down_and_refreshes_after() {
    let emu = emulator();
    emu.set_expires_in(Dialect::GearCode, 3);
    let mut server = redis();
    let client = client(&emu, Provider::GearCode);
    let store = RedisStore::new(&server.url(), &client)
        .unwrap()
        .timeout(Duration::from_millis(300));
    let manager = TokenManager::builder(client.clone())
        .store(Arc::new(store.clone()))
        .leeway(Duration::from_secs(1))
        .wait_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    manager.set_tokens(sign_in(&client)).unwrap();
    let first = manager.access_token().unwrap();
    let requests = emu.count(fx::GEARCODE_TOKEN_PATH);

    server.kill();
    // Still valid for longer than the leeway: served from memory, no I/O.
    assert_eq!(manager.access_token().unwrap().secret(), first.secret());
    // Past the leeway, the refresh needs the store's lock: a store error, and the rotating
    // refresh token is not spent (no request reached the provider).
    std::thread::sleep(Duration::from_millis(2100));
    let e = manager.access_token().unwrap_err();
    assert_eq!(e.code(), ErrorCode::Store, "{e}");
    assert_eq!(emu.count(fx::GEARCODE_TOKEN_PATH), requests);

    server.start_again().unwrap();
    let second = manager.access_token().unwrap();
    assert_ne!(second.secret(), first.secret());
    assert_eq!(emu.count(fx::GEARCODE_TOKEN_PATH), requests + 1);
    // Stored before it was handed out, and its refresh token is the live one.
    assert_stored_and_live(&store, &client, &second);
}

/// A Redis store whose server dies just as a save begins, once armed: Redis going down
/// between the refresh (under the lock) and the save of its rotated set.
struct DiesOnSave {
    store: RedisStore,
    server: Arc<Mutex<RedisServer>>,
    armed: AtomicBool,
}

impl TokenStore for DiesOnSave {
    fn load(&self) -> authgate::Result<Option<TokenSet>> {
        self.store.load()
    }
    fn save(&self, tokens: &TokenSet) -> authgate::Result<()> {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.server.lock().unwrap().kill();
        }
        self.store.save(tokens)
    }
    fn clear(&self) -> authgate::Result<()> {
        self.store.clear()
    }
    fn lock_within(&self, timeout: Duration) -> authgate::Result<StoreLock> {
        self.store.lock_within(timeout)
    }
}

#[test]
fn a_rotated_set_redis_could_not_save_is_served_while_valid_and_saved_once_redis_is_back() {
    let emu = emulator();
    let server = Arc::new(Mutex::new(redis()));
    let client = client(&emu, Provider::GearCode);
    let url = server.lock().unwrap().url();
    let store = Arc::new(DiesOnSave {
        store: RedisStore::new(&url, &client)
            .unwrap()
            .timeout(Duration::from_millis(300))
            .lock_expiry(Duration::from_secs(1)),
        server: server.clone(),
        armed: AtomicBool::new(false),
    });
    let manager = TokenManager::builder(client.clone())
        .store(store.clone())
        .wait_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    manager.set_tokens(sign_in(&client)).unwrap();
    let first = manager.access_token().unwrap();
    // A 401: the refresh rotates the set, and Redis dies before it is saved. The call that
    // obtained it reports the failed save (a transient store error).
    store.armed.store(true, Ordering::SeqCst);
    manager.invalidate();
    let e = manager.access_token().unwrap_err();
    assert!(matches!(e, Error::Store(_)) && e.is_transient(), "{e:?}");
    let requests = emu.count(fx::GEARCODE_TOKEN_PATH);
    // Redis still down, the lock cannot be taken: the new set is still valid, so it is
    // served (from memory), and nothing is spent again.
    let second = manager.access_token().unwrap();
    assert_ne!(second.secret(), first.secret());
    assert_eq!(manager.access_token().unwrap().secret(), second.secret());
    assert_eq!(emu.count(fx::GEARCODE_TOKEN_PATH), requests);
    // Redis back (the lock the refresh held, which could not be released, expires): the
    // next call saves it, and the stored refresh token is the live one.
    server.lock().unwrap().start_again().unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(manager.access_token().unwrap().secret(), second.secret());
    assert_stored_and_live(&*store, &client, &second);
}

/// The store holds the set of `access`, and its refresh token is the live one.
fn assert_stored_and_live(store: &dyn TokenStore, client: &Client, access: &authgate::AccessToken) {
    let stored = store.load().unwrap().unwrap();
    assert_eq!(stored.access_token().secret(), access.secret());
    client
        .refresh(stored.refresh_token().unwrap())
        .send()
        .unwrap();
}

#[test]
fn a_sealed_set_hides_the_tokens_in_redis_and_needs_its_key() {
    let server = redis();
    let client = offline_client("sealed");
    let store = RedisStore::new(&server.url(), &client)
        .unwrap()
        .encrypted([7; 32]);
    assert!(store.is_encrypted());
    store.save(&set("at-sealed", "rt-very-secret")).unwrap();
    assert_eq!(stored_access(&store).as_deref(), Some("at-sealed"));
    // The raw value in Redis holds neither token.
    let raw = server
        .command(&format!("HGET \"{}\" set", store.key()))
        .unwrap();
    assert!(raw.contains("chacha20-poly1305/1"), "{raw}");
    assert!(
        !raw.contains("rt-very-secret") && !raw.contains("at-sealed"),
        "{raw}"
    );
    // Another key, or none, cannot read it: a store error that is not an outage.
    let other = RedisStore::new(&server.url(), &client)
        .unwrap()
        .encrypted([8; 32]);
    let e = other.load().unwrap_err();
    assert!(matches!(e, Error::Store(_)) && !e.is_transient(), "{e:?}");
    assert!(e.to_string().contains("the key does not match"), "{e}");
    let plain = RedisStore::new(&server.url(), &client).unwrap();
    let e = plain.load().unwrap_err();
    assert!(e.to_string().contains("is encrypted"), "{e}");
    // A key of the wrong length is refused; a plain set is read and sealed on the next save.
    assert!(RedisStore::new(&server.url(), &client)
        .unwrap()
        .encrypted_with(&[1; 31])
        .is_err());
    plain.clear().unwrap();
    plain.save(&set("at-plain", "rt-plain")).unwrap();
    assert_eq!(stored_access(&store).as_deref(), Some("at-plain"));
    store.save(&set("at-plain", "rt-plain")).unwrap();
    let raw = server
        .command(&format!("HGET \"{}\" set", store.key()))
        .unwrap();
    assert!(!raw.contains("rt-plain"), "{raw}");
}

fn redis_tls() -> RedisServer {
    RedisServer::start_tls().expect("redis-server starts with TLS (Debian's is built with it)")
}

#[test]
fn rediss_round_trips_trusting_a_private_ca() {
    let server = redis_tls();
    let url = server.tls_url("127.0.0.1");
    // The store's own CA file.
    let store = RedisStore::new(&url, &offline_client("till-tls"))
        .unwrap()
        .ca_file(authgate_emulator::tls::ca_file())
        .unwrap();
    assert!(store.load().unwrap().is_none());
    store.save(&set("at-tls", "rt-tls")).unwrap();
    drop(store.lock_within(Duration::from_secs(2)).unwrap());
    // The same key as over the plain port.
    let plain = RedisStore::new(&server.url(), &offline_client("till-tls")).unwrap();
    assert_eq!(stored_access(&plain).as_deref(), Some("at-tls"));
    // The client's trust roots when the store is given none.
    let client = Client::builder(Provider::Generic)
        .token_endpoint("https://auth.example/token")
        .client_id("till-tls")
        .auth_method(authgate::AuthMethod::None)
        .ca_file(authgate_emulator::tls::ca_file())
        .build()
        .unwrap();
    let via_client = RedisStore::new(&server.tls_url("localhost"), &client).unwrap();
    assert_eq!(stored_access(&via_client).as_deref(), Some("at-tls"));
    // A CA file means nothing without TLS: said at once.
    let e = RedisStore::new(&server.url(), &client)
        .unwrap()
        .ca_file(authgate_emulator::tls::ca_file())
        .unwrap_err();
    assert!(
        matches!(e, Error::Config(_)) && e.to_string().contains("rediss://"),
        "{e}"
    );
}

/// A TLS failure of `url` (with a password in it): a store error that is not an outage,
/// names the server and never the password. Returns its message.
fn tls_failure(url: &str, ca_file: Option<&str>) -> String {
    let url = url.replacen("://", "://:hunter2-redis-pw@", 1);
    let mut store = RedisStore::new(&url, &offline_client("till-tls")).unwrap();
    if let Some(name) = ca_file {
        store = store.ca_file(authgate_emulator::tls::file(name)).unwrap();
    }
    let e = store.load().unwrap_err();
    assert!(matches!(e, Error::Store(ref s) if !s.is_outage()), "{e:?}");
    assert!(!e.is_transient(), "{e:?}");
    let message = e.to_string();
    assert!(
        !message.contains("hunter2") && !format!("{e:?}").contains("hunter2"),
        "{message}"
    );
    let e = store.lock_within(Duration::from_secs(10)).unwrap_err();
    assert!(
        matches!(e, Error::Store(_)),
        "not retried as an outage: {e:?}"
    );
    message
}

#[test]
fn rediss_refuses_an_untrusted_certificate_in_words() {
    let server = redis_tls();
    let url = server.tls_url("127.0.0.1");
    let port = url.rsplit(':').next().unwrap().trim_end_matches("/0");
    let m = tls_failure(&url, Some("expired-ca.pem"));
    assert!(m.contains(&format!("127.0.0.1:{port}")), "{m}");
    assert!(
        m.contains("not signed by") && m.contains("expired-ca.pem"),
        "{m}"
    );
    assert!(m.contains("ca_file"), "says what to do: {m}");
}

#[test]
fn rediss_refuses_a_certificate_for_another_name_in_words() {
    let server = redis_tls();
    let m = tls_failure(&server.tls_url("127.0.0.2"), Some("ca.pem"));
    assert!(m.contains("127.0.0.2:"), "{m}");
    assert!(m.contains("not issued for the name 127.0.0.2"), "{m}");
}

#[test]
fn rediss_to_a_plain_text_port_says_what_to_check() {
    // A plain-text Redis waits for a command and never answers the TLS hello: it times
    // out like a server out of reach (an outage), and the message says what to check.
    let server = redis();
    let plain = server
        .url()
        .replacen("redis://", "rediss://:hunter2-redis-pw@", 1);
    let store = RedisStore::new(&plain, &offline_client("till-tls"))
        .unwrap()
        .timeout(Duration::from_millis(300));
    let e = store.load().unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("does not speak TLS") && m.contains("redis://"),
        "{m}"
    );
    assert!(!m.contains("hunter2"), "{m}");
}
