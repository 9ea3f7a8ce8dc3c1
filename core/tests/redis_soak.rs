//! The fleet soak: several processes × threads share one GearCode registration (rotating
//! refresh tokens, short-lived access tokens) through one real `redis-server`, while Redis
//! is killed and restarted mid-run and a process is SIGKILLed while it holds the lock. Passes when no call
//! ever met `invalid_grant`, the fleet made one refresh per expiry (counted at the
//! emulator), and the stored refresh token is still the live one.
//!
//! Runs for 8 s in the test command; longer on demand:
//! `AUTHGATE_REDIS_SOAK_SECS=600 cargo test -p authgate --features redis --test redis_soak`.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authgate::{Client, ErrorCode, Provider, RedisStore, TokenManager, TokenStore};
use authgate_emulator::redis_server::RedisServer;
use common::*;

const CHILD: &str = "AUTHGATE_TEST_SOAK_CHILD";
/// Token lifetime and leeway: a refresh is due every LIFETIME - LEEWAY = 1 s.
const LIFETIME_SECS: u64 = 2;
const LEEWAY: Duration = Duration::from_secs(1);
const PROCESSES: usize = 3;
const THREADS: usize = 4;
/// The lock's expiry in the soak: a killed member holding it delays the others this long.
const LOCK_EXPIRY: Duration = Duration::from_secs(1);

fn soak_secs() -> u64 {
    std::env::var("AUTHGATE_REDIS_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8)
}

fn digest(token: &str) -> u64 {
    let mut h = DefaultHasher::new();
    token.hash(&mut h);
    h.finish()
}

fn fleet_client(emu_url: &str) -> Client {
    Client::builder(Provider::GearCode)
        .base_url(emu_url)
        .client_id(fx::GEARCODE_CLIENT_ID)
        .client_secret(fx::GEARCODE_CLIENT_SECRET)
        .proxy(authgate::ProxyConfig::Disabled)
        .build()
        .unwrap()
}

/// Child: one fleet member, `THREADS` threads asking for a token until the time is up.
/// Prints `MEMBER refreshes=N ok=N errors=CODE:N,… tokens=D,D,…` (token digests).
#[test]
fn child_fleet_member() {
    let Ok(args) = std::env::var(CHILD) else {
        return;
    };
    let mut args = args.split(' ');
    let (emu_url, redis_url) = (args.next().unwrap(), args.next().unwrap());
    let secs = args.next().unwrap();
    let client = fleet_client(emu_url);
    let store = RedisStore::new(redis_url, &client)
        .unwrap()
        .lock_expiry(LOCK_EXPIRY)
        .timeout(Duration::from_millis(500));
    if secs == "hog" {
        // Takes the fleet's lock and keeps it until it is killed.
        let _lock = store.lock_within(Duration::from_secs(30)).unwrap();
        println!("\nLOCKED");
        std::io::Write::flush(&mut std::io::stdout()).unwrap();
        std::thread::sleep(Duration::from_secs(3600));
        return;
    }
    let secs: u64 = secs.parse().unwrap();
    let manager = TokenManager::builder(client)
        .store(Arc::new(store))
        .leeway(LEEWAY)
        .build()
        .unwrap();
    let errors = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let ok = Arc::new(Mutex::new(0u64));
    let until = Instant::now() + Duration::from_secs(secs);
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (m, errors, seen, ok) = (manager.clone(), errors.clone(), seen.clone(), ok.clone());
            std::thread::spawn(move || {
                while Instant::now() < until {
                    match m.access_token() {
                        Ok(t) => {
                            seen.lock().unwrap().insert(digest(t.secret()));
                            *ok.lock().unwrap() += 1;
                        }
                        Err(e) => {
                            eprintln!("fleet member {}: {e}", std::process::id());
                            *errors
                                .lock()
                                .unwrap()
                                .entry(e.code().name().to_owned())
                                .or_default() += 1;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                    std::thread::sleep(Duration::from_millis(3));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let errors: Vec<String> = errors
        .lock()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect();
    let tokens: Vec<String> = seen.lock().unwrap().iter().map(u64::to_string).collect();
    println!(
        "\nMEMBER refreshes={} ok={} errors={} tokens={}",
        manager.refresh_count(),
        ok.lock().unwrap(),
        errors.join(","),
        tokens.join(",")
    );
}

/// A fleet member running for `secs` seconds, or ("hog") one that takes the lock and
/// keeps it until it is killed.
fn spawn_member(emu: &Emulator, redis: &RedisServer, secs: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_fleet_member",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{} {} {secs}", emu.base_url(), redis.url()))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

struct Report {
    refreshes: u64,
    ok: u64,
    errors: BTreeMap<String, u64>,
    tokens: HashSet<u64>,
}

fn report(child: Child) -> Report {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "a fleet member failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = BufReader::new(text.as_bytes())
        .lines()
        .map(Result::unwrap)
        .find(|l| l.starts_with("MEMBER "))
        .unwrap_or_else(|| panic!("no report from a fleet member: {text}"));
    let field = |name: &str| {
        line.split(' ')
            .find_map(|f| f.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let list = |name: &str| -> Vec<String> {
        field(name)
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    Report {
        refreshes: field("refreshes").parse().unwrap(),
        ok: field("ok").parse().unwrap(),
        errors: list("errors")
            .iter()
            .map(|e| {
                let (k, v) = e.split_once(':').unwrap();
                (k.to_owned(), v.parse().unwrap())
            })
            .collect(),
        tokens: list("tokens").iter().map(|t| t.parse().unwrap()).collect(),
    }
}

#[test]
fn a_fleet_shares_one_rotating_token_through_redis_across_a_restart_and_a_killed_holder() {
    let secs = soak_secs();
    let emu = emulator();
    emu.set_expires_in(Dialect::GearCode, LIFETIME_SECS);
    let mut redis = RedisServer::start().expect("redis-server starts");
    let client = client(&emu, Provider::GearCode);
    let store = RedisStore::new(&redis.url(), &client).unwrap();
    let first = sign_in(&client);
    store.save(&first).unwrap();
    let start = Instant::now();
    let members: Vec<Child> = (0..PROCESSES)
        .map(|_| spawn_member(&emu, &redis, &secs.to_string()))
        .collect();

    // Redis dies and comes back at half the run (the append-only file keeps the set).
    std::thread::sleep(Duration::from_secs(secs) / 2);
    redis.kill();
    std::thread::sleep(Duration::from_millis(200));
    redis.start_again().unwrap();
    // At three quarters, a process takes the fleet's lock and is SIGKILLed holding it: the
    // others go on after its expiry.
    std::thread::sleep((Duration::from_secs(secs) * 3 / 4).saturating_sub(start.elapsed()));
    let mut hog = spawn_member(&emu, &redis, "hog");
    let mut out = BufReader::new(hog.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim() != "LOCKED" {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the lock hog died");
    }
    hog.kill().unwrap();
    hog.wait().unwrap();

    let reports: Vec<Report> = members.into_iter().map(report).collect();
    let elapsed = start.elapsed();
    let mut errors = BTreeMap::<String, u64>::new();
    let mut tokens = HashSet::from([digest(first.access_token().secret())]);
    for r in &reports {
        assert!(r.ok > 100, "a member hardly got tokens: {}", r.ok);
        for (k, v) in &r.errors {
            *errors.entry(k.clone()).or_default() += v;
        }
        tokens.extend(&r.tokens);
    }
    // Never a spent refresh token: no invalid_grant, no sign-in needed.
    for bad in [ErrorCode::InvalidGrant, ErrorCode::SignInRequired] {
        assert!(
            !errors.contains_key(bad.name()),
            "{bad:?} in the fleet: {errors:?}"
        );
    }
    // Only the outage may show, as store errors (or a wait for its lock that timed out).
    for k in errors.keys() {
        assert!(
            [ErrorCode::Store.name(), ErrorCode::Timeout.name()].contains(&k.as_str()),
            "unexpected errors: {errors:?}"
        );
    }

    // One refresh per expiry across the whole fleet, counted at the provider: a refresh is
    // due every LIFETIME - LEEWAY = 1 s (one may come late: the killed holder's lock is
    // waited for).
    let refreshes = emu.count(fx::GEARCODE_TOKEN_PATH) - 1; // the sign-in
    let expiries = elapsed.as_secs_f64() / (LIFETIME_SECS as f64 - LEEWAY.as_secs_f64());
    assert!(
        (refreshes as f64) <= expiries + 1.0 && (refreshes as f64) >= expiries - 2.0,
        "{refreshes} refreshes in {elapsed:?} ({expiries:.1} expiries)"
    );
    let by_survivors: u64 = reports.iter().map(|r| r.refreshes).sum();
    assert!(by_survivors <= refreshes);
    // Every member used the fleet's tokens: no more distinct tokens than sets issued.
    assert!(
        tokens.len() as u64 <= refreshes + 1,
        "{} tokens seen, {refreshes} refreshes",
        tokens.len()
    );
    eprintln!(
        "soak: {secs} s, {} calls, {refreshes} refreshes for {expiries:.1} expiries, errors {errors:?}",
        reports.iter().map(|r| r.ok).sum::<u64>()
    );

    // The session survives: the stored refresh token is the live one.
    let stored = store.load().unwrap().unwrap();
    client
        .refresh(stored.refresh_token().unwrap())
        .send()
        .unwrap();
}
