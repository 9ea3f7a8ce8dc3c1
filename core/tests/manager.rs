//! The token manager and the token stores: threads, processes, crashes, retries.

mod common;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authgate::{Client, ErrorCode, FileStore, Provider, TokenManager, TokenSet, TokenStore};
use common::*;

fn temp_store(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("authgate-mgr-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("tokens.json")
}

fn gearcode_manager(emu: &Emulator, leeway: Duration) -> (Client, TokenManager) {
    let client = client(emu, Provider::GearCode);
    let manager = TokenManager::builder(client.clone())
        .leeway(leeway)
        .build()
        .unwrap();
    manager.set_tokens(sign_in(&client)).unwrap();
    (client, manager)
}

#[test]
fn sixty_four_threads_one_refresh_per_expiry() {
    let emu = emulator();
    emu.set_expires_in(Dialect::GearCode, 3);
    let (_client, manager) = gearcode_manager(&emu, Duration::from_secs(1));
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let calls = Arc::new(Mutex::new(0u64));
    let start = Instant::now();
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let (m, seen, calls) = (manager.clone(), seen.clone(), calls.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while start.elapsed() < Duration::from_millis(4500) {
                    let t = m.access_token().expect("a token");
                    seen.lock().unwrap().insert(t.secret().to_owned());
                    n += 1;
                    std::thread::sleep(Duration::from_millis(2));
                }
                *calls.lock().unwrap() += n;
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let refreshes = manager.refresh_count();
    let distinct = seen.lock().unwrap().len() as u64;
    // Lifetime 3 s, leeway 1 s: a refresh about every 2 s over 4.5 s.
    assert!((2..=3).contains(&refreshes), "{refreshes} refreshes");
    assert_eq!(
        distinct,
        refreshes + 1,
        "each refresh gave every thread one new token"
    );
    assert_eq!(
        emu.count(fx::GEARCODE_TOKEN_PATH),
        1 + refreshes,
        "the emulator saw exactly those"
    );
    assert!(*calls.lock().unwrap() > 1000);
}

#[test]
fn valid_for_refreshes_first_and_rejects_the_impossible() {
    let emu = emulator();
    let (_c, manager) = gearcode_manager(&emu, Duration::from_secs(60));
    let before = manager.access_token().unwrap();
    assert_eq!(manager.refresh_count(), 0);
    // Valid for 899 s: enough for 800 s, so no refresh.
    let same = manager
        .access_token_valid_for(Duration::from_secs(800))
        .unwrap();
    assert_eq!(same.secret(), before.secret());
    // Not enough for 1000 s: refreshed first (the server now issues 3000 s tokens).
    emu.set_expires_in(Dialect::GearCode, 3000);
    let t = manager
        .access_token_valid_for(Duration::from_secs(1000))
        .unwrap();
    assert_ne!(t.secret(), before.secret());
    assert_eq!(manager.refresh_count(), 1);
    // Absurd durations are answered, not panicked on (Instant + Duration can overflow).
    let err = manager.access_token_valid_for(Duration::MAX).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(manager.token_set().unwrap().is_expired(Duration::MAX));
    // No token the server issues lives 5000 s: a clear error, not a loop.
    let err = manager
        .access_token_valid_for(Duration::from_secs(5000))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
}

#[test]
fn invalidate_after_a_401_makes_the_next_call_refresh() {
    let emu = emulator();
    let (_c, manager) = gearcode_manager(&emu, Duration::from_secs(60));
    let a = manager.access_token().unwrap();
    assert_eq!(manager.access_token().unwrap().secret(), a.secret());
    manager.invalidate();
    let b = manager.access_token().unwrap();
    assert_ne!(a.secret(), b.secret());
    assert_eq!(manager.refresh_count(), 1);

    // Many requests refused with the same token: only the first invalidation counts.
    assert!(manager.invalidate_token(b.secret()));
    let c = manager.access_token().unwrap();
    assert!(
        !manager.invalidate_token(b.secret()),
        "b is no longer current"
    );
    assert_eq!(
        manager
            .cached_access_token(Duration::from_secs(60))
            .unwrap()
            .secret(),
        c.secret()
    );
    assert!(manager
        .cached_access_token(Duration::from_secs(100_000))
        .is_none());
    assert_eq!(manager.refresh_count(), 2);
}

#[test]
fn invalid_grant_means_sign_in_required_for_every_waiter() {
    let emu = emulator();
    let (_c, manager) = gearcode_manager(&emu, Duration::from_secs(60));
    emu.revoke_refresh_tokens();
    emu.inject(Fault::new(
        fx::GEARCODE_TOKEN_PATH,
        FaultKind::Delay(Duration::from_millis(300)),
    ));
    manager.invalidate();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let m = manager.clone();
            std::thread::spawn(move || m.access_token().unwrap_err())
        })
        .collect();
    for t in threads {
        let e = t.join().unwrap();
        assert_eq!(e.code(), ErrorCode::SignInRequired, "{e}");
        assert!(e.is_terminal());
    }
    assert_eq!(
        emu.count(fx::GEARCODE_TOKEN_PATH),
        2,
        "sign-in plus one refused refresh"
    );
}

#[test]
fn a_refresh_is_retried_only_when_it_never_reached_the_server() {
    let emu = emulator();
    let (_c, manager) = gearcode_manager(&emu, Duration::from_secs(60));
    // A dropped connection may have reached the server (and rotated the token): no retry.
    emu.reset();
    emu.inject(Fault::new(fx::GEARCODE_TOKEN_PATH, FaultKind::Drop));
    manager.invalidate();
    let e = manager.access_token().unwrap_err();
    assert!(e.is_transient());
    assert_eq!(emu.count(fx::GEARCODE_TOKEN_PATH), 1);

    // A refused connection never did: retried, with backoff.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let nowhere = builder(&emu, Provider::GearCode)
        .base_url(url)
        .build()
        .unwrap();
    let manager = TokenManager::builder(nowhere)
        .max_backoff(Duration::from_millis(10))
        .build()
        .unwrap();
    let tokens =
        TokenSet::parse(r#"{"access_token":"a","refresh_token":"r","expires_in":0}"#).unwrap();
    manager.set_tokens(tokens).unwrap();
    let e = manager.access_token().unwrap_err();
    assert_eq!(e.code(), ErrorCode::Connect, "{e}");
    assert_eq!(manager.refresh_count(), 3);
}

#[test]
fn client_credentials_and_password_grants_run_again_where_allowed() {
    let emu = emulator();
    let gc = client(&emu, Provider::GearCode);
    let manager = TokenManager::builder(gc)
        .allow_client_credentials(true)
        .build()
        .unwrap();
    let a = manager.access_token().unwrap();
    manager.invalidate();
    assert_ne!(manager.access_token().unwrap().secret(), a.secret());
    assert_eq!(manager.refresh_count(), 2);

    let cuba = client(&emu, Provider::Cuba);
    let asked = Arc::new(Mutex::new(0));
    let asked2 = asked.clone();
    let manager = TokenManager::builder(cuba)
        .password_credentials(move || {
            *asked2.lock().unwrap() += 1;
            Ok(Some((
                fx::CUBA_CYRILLIC_USERNAME.to_owned(),
                fx::CUBA_CYRILLIC_PASSWORD.into(),
            )))
        })
        .build()
        .unwrap();
    manager.access_token().unwrap();
    emu.revoke_refresh_tokens();
    manager.invalidate();
    manager.access_token().unwrap(); // refresh refused → password grant again
    assert_eq!(*asked.lock().unwrap(), 2);

    let none = TokenManager::builder(client(&emu, Provider::Cuba))
        .build()
        .unwrap();
    assert_eq!(
        none.access_token().unwrap_err().code(),
        ErrorCode::SignInRequired
    );
}

#[test]
fn a_new_token_set_is_stored_before_it_is_handed_out() {
    let emu = emulator();
    let path = temp_store("stored");
    let store = Arc::new(FileStore::new(&path));
    let client = client(&emu, Provider::GearCode);
    let manager = TokenManager::builder(client.clone())
        .store(store.clone())
        .build()
        .unwrap();
    manager.set_tokens(sign_in(&client)).unwrap();
    manager.invalidate();
    let token = manager.access_token().unwrap();
    let stored = store.load().unwrap().unwrap();
    assert_eq!(stored.access_token().secret(), token.secret());

    // A restarted process picks the set up from the file and refreshes with it.
    let restarted = TokenManager::builder(client).store(store).build().unwrap();
    assert_eq!(restarted.access_token().unwrap().secret(), token.secret());
    restarted.invalidate();
    restarted.access_token().unwrap();
}

// ---- several processes --------------------------------------------------------------

const CHILD_ENV: &str = "AUTHGATE_TEST_CHILD";

/// Runs this test binary again as a child doing `test`.
fn spawn_child(test: &str, envs: &[(&str, String)]) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        test,
        "--include-ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, "1")
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// The child of `processes_share_one_store_without_losing_a_rotated_token`.
#[test]
#[ignore = "run as a child process by another test"]
fn child_token_user() {
    if std::env::var(CHILD_ENV).is_err() {
        return;
    }
    let base = std::env::var("EMU_URL").unwrap();
    let client = Client::builder(Provider::GearCode)
        .base_url(base)
        .client_id(fx::GEARCODE_CLIENT_ID)
        .client_secret(fx::GEARCODE_CLIENT_SECRET)
        .proxy(authgate::ProxyConfig::Disabled)
        .build()
        .unwrap();
    let store = Arc::new(FileStore::new(std::env::var("STORE").unwrap()));
    let manager = TokenManager::builder(client)
        .store(store)
        .leeway(Duration::from_secs(1))
        .build()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(6);
    let (mut ok, mut failed) = (0u32, 0u32);
    while Instant::now() < until {
        match manager.access_token() {
            Ok(_) => ok += 1,
            Err(e) => {
                eprintln!("child error: {e}");
                failed += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "CHILD ok={ok} failed={failed} refreshes={}",
        manager.refresh_count()
    );
    assert_eq!(failed, 0);
}

#[test]
fn processes_share_one_store_without_losing_a_rotated_token() {
    let emu = emulator();
    emu.set_expires_in(Dialect::GearCode, 2);
    let path = temp_store("procs");
    let client = client(&emu, Provider::GearCode);
    FileStore::new(&path).save(&sign_in(&client)).unwrap();
    let envs = [
        ("EMU_URL", emu.base_url()),
        ("STORE", path.display().to_string()),
    ];
    let children: Vec<_> = (0..4)
        .map(|_| spawn_child("child_token_user", &envs))
        .collect();
    let mut refreshes = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "a child failed: {text}");
        let line = text
            .lines()
            .find(|l| l.contains("CHILD ok="))
            .unwrap_or_else(|| panic!("no report from the child: {text}"));
        assert!(line.contains("failed=0"), "{line}");
        refreshes += line
            .rsplit("refreshes=")
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap();
    }
    assert_eq!(
        emu.count(fx::GEARCODE_TOKEN_PATH),
        1 + refreshes,
        "every refresh was counted"
    );
    // Lifetime 2 s, leeway 1 s: about one refresh a second across all four processes,
    // not one per process.
    assert!(
        (4..=10).contains(&refreshes),
        "{refreshes} refreshes in 6 s"
    );
    // The session survives: the stored refresh token is the live one.
    let stored = FileStore::new(&path).load().unwrap().unwrap();
    client
        .refresh(stored.refresh_token().unwrap())
        .send()
        .unwrap();
}

// ---- crashes ---------------------------------------------------------------------------

/// The child of `a_writer_killed_mid_write_never_corrupts_the_store`: writes forever.
#[test]
#[ignore = "run as a child process by another test"]
fn child_writer() {
    if std::env::var(CHILD_ENV).is_err() {
        return;
    }
    let store = FileStore::new(std::env::var("STORE").unwrap());
    for i in 0u64.. {
        // Sizes vary so that a torn write would show as a parse error.
        let padding = "x".repeat((i % 97) as usize * 100);
        let json = format!(
            r#"{{"access_token":"token-{i}","refresh_token":"rt-{i}","expires_in":60,"pad":"{padding}"}}"#
        );
        store.save(&TokenSet::parse(&json).unwrap()).unwrap();
    }
}

#[test]
fn a_writer_killed_mid_write_never_corrupts_the_store() {
    let path = temp_store("crash");
    let store = FileStore::new(&path);
    store
        .save(&TokenSet::parse(r#"{"access_token":"first","refresh_token":"rt"}"#).unwrap())
        .unwrap();
    let envs = [("STORE", path.display().to_string())];
    for round in 0..25u64 {
        let mut child = spawn_child("child_writer", &envs);
        std::thread::sleep(Duration::from_millis(30 + (round * 7) % 50));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let loaded = store.load().unwrap().expect("a token set is always there");
        assert!(loaded.refresh_token().is_some());
    }
}
