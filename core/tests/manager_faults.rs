//! The token manager when things break: a store that fails to save, load or lock, a
//! credentials callback that panics, a refused refresh token, a server whose tokens live
//! less than the leeway, a proxy answering 503, and a store shared by the wrong client.

mod common;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authgate::{
    AccessToken, Client, Error, ErrorCode, FileStore, MemoryStore, Provider, Result, StoreLock,
    TokenManager, TokenManagerBuilder, TokenSet, TokenStore,
};
use common::*;

/// A store that fails on demand: each counter is the number of calls left to fail.
#[derive(Default)]
struct FaultyStore {
    inner: MemoryStore,
    fail_saves: AtomicU32,
    fail_loads: AtomicU32,
    panic_saves: AtomicU32,
    lock_timeouts: AtomicU32,
    /// The timeouts the manager passed to `lock_within`.
    lock_waits: Mutex<Vec<Duration>>,
}

fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl TokenStore for FaultyStore {
    fn load(&self) -> Result<Option<TokenSet>> {
        if take(&self.fail_loads) {
            return Err(Error::store("injected: cannot read"));
        }
        self.inner.load()
    }
    fn save(&self, tokens: &TokenSet) -> Result<()> {
        if take(&self.panic_saves) {
            panic!("injected: the store panics");
        }
        if take(&self.fail_saves) {
            return Err(Error::store("injected: disk full"));
        }
        self.inner.save(tokens)
    }
    fn clear(&self) -> Result<()> {
        self.inner.clear()
    }
    fn lock_within(&self, timeout: Duration) -> Result<StoreLock> {
        self.lock_waits.lock().unwrap().push(timeout);
        if take(&self.lock_timeouts) {
            return Err(Error::Timeout("injected: the store lock is held".into()));
        }
        self.lock()
    }
}

fn temp_store(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("authgate-mgrf-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("tokens.json")
}

/// A GearCode manager (rotating refresh tokens) on a faulty store, signed in.
fn signed_in(emu: &Emulator) -> (Client, Arc<FaultyStore>, TokenManager) {
    signed_in_with(emu, |b| b)
}

/// [`signed_in`], with more settings.
fn signed_in_with(
    emu: &Emulator,
    configure: impl FnOnce(TokenManagerBuilder) -> TokenManagerBuilder,
) -> (Client, Arc<FaultyStore>, TokenManager) {
    let client = client(emu, Provider::GearCode);
    let store = Arc::new(FaultyStore::default());
    let manager = configure(TokenManager::builder(client.clone()))
        .store(store.clone())
        .wait_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    manager.set_tokens(sign_in(&client)).unwrap();
    (client, store, manager)
}

fn stored(store: &FaultyStore) -> TokenSet {
    store.inner.load().unwrap().expect("a stored set")
}

/// Refreshes while the next `failures` saves fail: the caller gets the store error, the
/// manager keeps the new token, which is returned.
fn refresh_while_saves_fail(
    store: &FaultyStore,
    manager: &TokenManager,
    failures: u32,
) -> AccessToken {
    store.fail_saves.store(failures, Ordering::SeqCst);
    manager.invalidate();
    let e = manager.access_token().unwrap_err();
    assert_eq!(e.code(), ErrorCode::Store, "the caller learns of it: {e}");
    manager
        .cached_access_token(Duration::ZERO)
        .expect("the new token is kept")
}

// ---- issue 10.1: a failed save loses nothing -----------------------------------------------

#[test]
fn a_rotated_refresh_token_survives_a_failed_save() {
    let emu = emulator();
    let (client, store, manager) = signed_in(&emu);
    let rt1 = stored(&store).refresh_token().unwrap().secret().to_owned();

    let after_failure = refresh_while_saves_fail(&store, &manager, 1);
    // RT1 is dead at the server now; the store still has it, the manager has RT2.
    assert_eq!(
        stored(&store).refresh_token().unwrap().secret(),
        rt1,
        "the save failed"
    );

    // The next refresh uses RT2 (the newest set), not the dead RT1 from the store.
    manager.invalidate();
    let t = manager.access_token().expect("RT2 still works");
    assert_ne!(t.secret(), after_failure.secret());
    assert_eq!(manager.refresh_count(), 2);
    // And the newest set is saved now: its refresh token is the live one.
    let now = stored(&store);
    assert_eq!(now.access_token().secret(), t.secret());
    client
        .refresh(now.refresh_token().unwrap())
        .send()
        .expect("the stored refresh token is live");
}

#[test]
fn a_failed_save_is_retried_on_the_next_call_without_a_request() {
    let emu = emulator();
    let (_client, store, manager) = signed_in(&emu);
    let kept = refresh_while_saves_fail(&store, &manager, 2);
    assert!(
        manager.access_token_if_cached().is_none(),
        "a binding's fast path must not skip the save"
    );
    // The retry fails too: the token is handed out all the same (and the failure logged).
    assert_eq!(manager.access_token().unwrap().secret(), kept.secret());
    assert_ne!(stored(&store).access_token().secret(), kept.secret());
    // The disk is back: the next call saves the newest set.
    assert_eq!(manager.access_token().unwrap().secret(), kept.secret());
    assert_eq!(stored(&store).access_token().secret(), kept.secret());
    assert_eq!(manager.refresh_count(), 1, "no request to save again");
    assert!(manager.access_token_if_cached().is_some());
}

#[test]
fn an_unreadable_store_does_not_withhold_a_valid_unsaved_token() {
    // A file held by an antivirus: the save after a rotation fails, then reads fail too.
    let emu = emulator();
    let (_client, store, manager) = signed_in(&emu);
    let kept = refresh_while_saves_fail(&store, &manager, 1);
    store.fail_loads.store(2, Ordering::SeqCst);
    assert_eq!(manager.access_token().unwrap().secret(), kept.secret());
    assert_eq!(manager.access_token().unwrap().secret(), kept.secret());
    // Readable again: the newest set is saved, with no request.
    assert_eq!(manager.access_token().unwrap().secret(), kept.secret());
    assert_eq!(stored(&store).access_token().secret(), kept.secret());
    assert_eq!(manager.refresh_count(), 1);
}

#[test]
fn a_set_another_process_saved_after_ours_wins() {
    let emu = emulator();
    let (client, store, manager) = signed_in(&emu);
    refresh_while_saves_fail(&store, &manager, 1);
    // Another process signs in again and saves its set after our failed save.
    let theirs = sign_in(&client);
    store.inner.save(&theirs).unwrap();
    assert_eq!(
        manager.access_token().unwrap().secret(),
        theirs.access_token().secret()
    );
    assert_eq!(
        stored(&store).access_token().secret(),
        theirs.access_token().secret(),
        "ours did not overwrite theirs"
    );
}

#[test]
fn a_failed_load_is_an_error_and_the_next_call_reads_again() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    let store = Arc::new(FaultyStore::default());
    store.inner.save(&sign_in(&client)).unwrap();
    let manager = TokenManager::builder(client)
        .store(store.clone())
        .build()
        .unwrap();
    store.fail_loads.store(1, Ordering::SeqCst);
    assert_eq!(manager.access_token().unwrap_err().code(), ErrorCode::Store);
    manager.access_token().unwrap();
    assert_eq!(manager.refresh_count(), 0);
}

// ---- issue 10.2: a panic does not wedge the manager ----------------------------------------

#[test]
fn a_panicking_store_releases_the_refresh_slot() {
    let emu = emulator();
    let (_client, store, manager) = signed_in(&emu);
    store.panic_saves.store(1, Ordering::SeqCst);
    manager.invalidate();
    let before = emu.count(fx::GEARCODE_TOKEN_PATH);
    let m = manager.clone();
    let joined = std::thread::spawn(move || m.access_token()).join();
    assert!(joined.is_err(), "the refreshing thread panicked");
    let start = Instant::now();
    let t = manager.access_token().expect("the next call works");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "no wait: {:?}",
        start.elapsed()
    );
    // The set whose save panicked (its refresh token rotated) was kept, and saved now.
    assert_eq!(emu.count(fx::GEARCODE_TOKEN_PATH), before + 1);
    assert_eq!(stored(&store).access_token().secret(), t.secret());
}

#[test]
fn a_panicking_credentials_callback_releases_the_refresh_slot_for_every_waiter() {
    let emu = emulator();
    let panicked = Arc::new(AtomicBool::new(false));
    let p = panicked.clone();
    let manager = TokenManager::builder(client(&emu, Provider::Cuba))
        .wait_timeout(Duration::from_secs(10))
        .password_credentials(move || {
            if !p.swap(true, Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(300));
                panic!("injected: the callback panics");
            }
            Ok(Some((
                fx::CUBA_CYRILLIC_USERNAME.to_owned(),
                fx::CUBA_CYRILLIC_PASSWORD.into(),
            )))
        })
        .build()
        .unwrap();
    let start = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = manager.clone();
            std::thread::spawn(move || m.access_token().map(|t| t.secret().to_owned()))
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_err()).count(),
        1,
        "only the thread that ran the callback panicked"
    );
    for r in results.into_iter().flatten() {
        r.expect("a waiter refreshed after the panic");
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    manager.access_token().unwrap();
}

// ---- issue 10.4: no callback under the store lock; the lock wait is bounded ----------------

#[test]
fn the_credentials_callback_runs_without_the_store_lock() {
    let emu = emulator();
    let path = temp_store("cb-lock");
    let lock_free = Arc::new(Mutex::new(None));
    let (p, seen) = (path.clone(), lock_free.clone());
    let manager = TokenManager::builder(client(&emu, Provider::Cuba))
        .store(Arc::new(FileStore::new(&path)))
        .password_credentials(move || {
            // Another process (here: another open file) can take the lock meanwhile.
            let (tx, rx) = std::sync::mpsc::channel();
            let other = FileStore::new(&p);
            std::thread::spawn(move || {
                let _g = other.lock();
                let _ = tx.send(());
            });
            *seen.lock().unwrap() = Some(rx.recv_timeout(Duration::from_secs(2)).is_ok());
            Ok(Some((
                fx::CUBA_CYRILLIC_USERNAME.to_owned(),
                fx::CUBA_CYRILLIC_PASSWORD.into(),
            )))
        })
        .build()
        .unwrap();
    manager.access_token().unwrap();
    assert_eq!(*lock_free.lock().unwrap(), Some(true));
    assert!(FileStore::new(&path).load().unwrap().is_some(), "saved");
}

#[test]
fn the_store_lock_is_awaited_within_the_wait_timeout() {
    let emu = emulator();
    let (_client, store, manager) = signed_in(&emu);
    store.lock_waits.lock().unwrap().clear();
    store.lock_timeouts.store(1, Ordering::SeqCst);
    manager.invalidate();
    let e = manager.access_token().unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
    assert!(e.is_transient());
    let waits = store.lock_waits.lock().unwrap().clone();
    assert_eq!(waits.len(), 1);
    assert!(
        waits[0] <= Duration::from_secs(5) && waits[0] > Duration::from_secs(4),
        "{waits:?}"
    );
    manager.access_token().expect("the lock is free again");
}

// ---- issue 10.6: tokens that live less than the leeway -------------------------------------

#[test]
fn a_lifetime_under_the_leeway_scales_the_leeway_down() {
    let emu = emulator();
    emu.set_expires_in(Dialect::GearCode, 60);
    let client = client(&emu, Provider::GearCode);
    let manager = TokenManager::builder(client.clone()).build().unwrap(); // leeway 60 s
    manager.set_tokens(sign_in(&client)).unwrap();
    for _ in 0..50 {
        manager
            .access_token()
            .expect("a token, not a refresh storm");
    }
    manager.token_set().unwrap();
    assert!(manager.access_token_if_cached().is_some());
    assert_eq!(manager.refresh_count(), 0);
    // A refresh hands out the fresh token too.
    manager.invalidate();
    manager.access_token().unwrap();
    assert_eq!(manager.refresh_count(), 1);
    // Asking explicitly for more than the server gives stays an error.
    let e = manager
        .access_token_valid_for(Duration::from_secs(60))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
}

// ---- issue 10.7: a refused refresh token is not sent again ---------------------------------

#[test]
fn a_refused_refresh_token_is_forgotten_until_the_next_sign_in() {
    let emu = emulator();
    let (client, store, manager) = signed_in(&emu);
    emu.revoke_refresh_tokens();
    manager.invalidate();
    let before = emu.count(fx::GEARCODE_TOKEN_PATH);
    let e = manager.access_token().unwrap_err();
    assert_eq!(e.code(), ErrorCode::SignInRequired, "{e}");
    assert_eq!(emu.count(fx::GEARCODE_TOKEN_PATH), before + 1);
    assert!(
        stored(&store).refresh_token().is_none(),
        "the dead refresh token left the store"
    );
    for _ in 0..3 {
        let e = manager.access_token().unwrap_err();
        assert_eq!(e.code(), ErrorCode::SignInRequired, "{e}");
        assert!(e.to_string().contains("refused"), "{e}");
    }
    assert_eq!(
        emu.count(fx::GEARCODE_TOKEN_PATH),
        before + 1,
        "no request with the dead token"
    );
    // A new sign-in starts afresh.
    manager.set_tokens(sign_in(&client)).unwrap();
    manager.invalidate();
    manager.access_token().unwrap();
    assert!(stored(&store).refresh_token().is_some());
}

#[test]
fn after_a_refused_refresh_token_the_password_grant_runs_without_a_request() {
    let emu = emulator();
    let offer = Arc::new(AtomicBool::new(true));
    let o = offer.clone();
    let manager = TokenManager::builder(client(&emu, Provider::Cuba))
        .password_credentials(move || {
            Ok(o.load(Ordering::SeqCst).then(|| {
                (
                    fx::CUBA_CYRILLIC_USERNAME.to_owned(),
                    fx::CUBA_CYRILLIC_PASSWORD.into(),
                )
            }))
        })
        .build()
        .unwrap();
    manager.access_token().unwrap();
    emu.revoke_refresh_tokens();
    offer.store(false, Ordering::SeqCst);
    manager.invalidate();
    let e = manager.access_token().unwrap_err();
    assert_eq!(e.code(), ErrorCode::SignInRequired, "{e}");
    assert_eq!(
        emu.count(fx::CUBA_TOKEN_PATH),
        2,
        "sign-in, refused refresh"
    );
    offer.store(true, Ordering::SeqCst);
    manager.access_token().unwrap();
    assert_eq!(
        emu.count(fx::CUBA_TOKEN_PATH),
        3,
        "the password grant only, not the dead refresh token first"
    );
}

// ---- issue 10.13: a refresh is retried only when it never reached the server ---------------

#[test]
fn a_503_on_refresh_is_not_retried_but_on_client_credentials_it_is() {
    let emu = emulator();
    let (client, _store, manager) = signed_in(&emu);
    let status_503 = || {
        Fault::new(
            fx::GEARCODE_TOKEN_PATH,
            FaultKind::Status {
                status: 503,
                retry_after: Some(0),
            },
        )
    };
    emu.reset();
    emu.inject(status_503());
    manager.invalidate();
    let e = manager.access_token().unwrap_err();
    assert_eq!(e.http_status(), Some(503), "{e}");
    assert!(e.is_transient());
    assert_eq!(emu.count(fx::GEARCODE_TOKEN_PATH), 1, "no blind retry");
    manager.access_token().expect("the next call refreshes");

    let cc = TokenManager::builder(client)
        .allow_client_credentials(true)
        .build()
        .unwrap();
    emu.reset();
    emu.inject(status_503().times(2));
    cc.access_token().unwrap();
    assert_eq!(emu.count(fx::GEARCODE_TOKEN_PATH), 3);
}

// ---- issue 11.5: a store belongs to one client -----------------------------------------------

#[test]
fn a_store_refuses_a_set_saved_for_another_client() {
    let emu = emulator();
    let path = temp_store("owner");
    let gearcode = client(&emu, Provider::GearCode);
    let mine = TokenManager::builder(gearcode.clone())
        .store(Arc::new(FileStore::new(&path)))
        .build()
        .unwrap();
    mine.set_tokens(sign_in(&gearcode)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json["authgate_owner"]["client_id"],
        fx::GEARCODE_CLIENT_ID,
        "{json}"
    );
    assert_eq!(
        json["authgate_owner"]["token_endpoint"],
        gearcode.token_endpoint()
    );

    let other = builder(&emu, Provider::GearCode)
        .client_id("another-client")
        .build()
        .unwrap();
    let theirs = TokenManager::builder(other.clone())
        .store(Arc::new(FileStore::new(&path)))
        .build()
        .unwrap();
    let e = theirs.access_token().unwrap_err();
    assert_eq!(e.code(), ErrorCode::Store, "{e}");
    let msg = e.to_string();
    assert!(msg.contains(fx::GEARCODE_CLIENT_ID), "{msg}");
    assert!(msg.contains("another-client"), "{msg}");
    // Nor is it overwritten by a sign-in, and tokens of another client are refused.
    let unowned = TokenSet::parse(r#"{"access_token":"a","refresh_token":"r"}"#).unwrap();
    let e = theirs.set_tokens(unowned).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Store, "{e}");
    let e = theirs.set_tokens(sign_in(&gearcode)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument, "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "untouched");
    assert_eq!(theirs.refresh_count(), 0);
    assert_eq!(mine.access_token().unwrap().secret(), {
        let t = FileStore::new(&path).load().unwrap().unwrap();
        t.access_token().secret().to_owned()
    });
}

#[test]
fn a_set_without_an_owner_is_accepted_and_gets_one() {
    let emu = emulator();
    let path = temp_store("legacy");
    let client = client(&emu, Provider::GearCode);
    // As an older version wrote it: no owner.
    let mut legacy: serde_json::Value = serde_json::from_str(&sign_in(&client).to_json()).unwrap();
    legacy.as_object_mut().unwrap().remove("authgate_owner");
    std::fs::write(&path, legacy.to_string()).unwrap();
    let manager = TokenManager::builder(client.clone())
        .store(Arc::new(FileStore::new(&path)))
        .build()
        .unwrap();
    manager.access_token().unwrap();
    manager.invalidate();
    manager.access_token().unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["authgate_owner"]["client_id"], fx::GEARCODE_CLIENT_ID);
    let back = FileStore::new(&path).load().unwrap().unwrap();
    assert!(back.extra("authgate_owner").is_none(), "not an extra field");
}

// ---- issue 11.8: build() refuses invalid settings ---------------------------------------------

#[test]
fn build_refuses_invalid_settings() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    for (what, b) in [
        (
            "max_attempts",
            TokenManager::builder(client.clone()).max_attempts(0),
        ),
        (
            "wait_timeout",
            TokenManager::builder(client.clone()).wait_timeout(Duration::ZERO),
        ),
    ] {
        let e = b.build().unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{what}: {e}");
        assert!(e.to_string().contains(what), "{e}");
    }
    TokenManager::builder(client)
        .max_attempts(1)
        .build()
        .unwrap();
}

// ---- issue 16.2: the tokens-changed hook ------------------------------------------------------

/// A GearCode manager on a faulty store whose hook records every set it is told of (and
/// panics while `panic` is set).
fn hooked(
    emu: &Emulator,
    panic: Arc<AtomicBool>,
) -> (Arc<FaultyStore>, TokenManager, Arc<Mutex<Vec<TokenSet>>>) {
    let seen: Arc<Mutex<Vec<TokenSet>>> = Arc::default();
    let record = seen.clone();
    let (_, store, manager) = signed_in_with(emu, |b| {
        b.on_tokens_changed(move |t| {
            record.lock().unwrap().push(t.clone());
            assert!(!panic.load(Ordering::SeqCst), "injected: the hook panics");
        })
    });
    (store, manager, seen)
}

#[test]
fn the_hook_sees_each_rotated_refresh_token_after_it_is_saved() {
    let emu = emulator();
    let (store, manager, seen) = hooked(&emu, Arc::default());
    assert!(
        seen.lock().unwrap().is_empty(),
        "set_tokens is not reported"
    );
    for n in 1..=2 {
        manager.invalidate();
        let t = manager.access_token().unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), n);
        let last = seen.last().unwrap();
        assert_eq!(last.access_token().secret(), t.secret());
        // Saved before the hook heard of it: the store holds the same rotated token.
        assert_eq!(
            last.refresh_token().unwrap().secret(),
            stored(&store).refresh_token().unwrap().secret()
        );
    }
}

#[test]
fn the_hook_is_told_of_a_set_whose_save_failed() {
    let emu = emulator();
    let (store, manager, seen) = hooked(&emu, Arc::default());
    let t = refresh_while_saves_fail(&store, &manager, 1);
    assert_eq!(
        seen.lock().unwrap().last().unwrap().access_token().secret(),
        t.secret()
    );
}

#[test]
fn a_panicking_hook_loses_no_tokens_and_does_not_poison_the_manager() {
    let emu = emulator();
    let panic = Arc::new(AtomicBool::new(true));
    let (store, manager, seen) = hooked(&emu, panic.clone());
    manager.invalidate();
    let t = manager
        .access_token()
        .expect("the refresh succeeded; the hook's panic is caught");
    assert_eq!(stored(&store).access_token().secret(), t.secret());
    panic.store(false, Ordering::SeqCst);
    manager.invalidate();
    let t2 = manager.access_token().expect("the manager still works");
    assert_ne!(t.secret(), t2.secret());
    assert_eq!(seen.lock().unwrap().len(), 2);
}

// ---- issue 16.1: a store of one's own with a lock ------------------------------------------

/// A user-written store with a lock of its own, released by the guard.
#[derive(Default)]
struct CountingLockStore {
    inner: MemoryStore,
    held: Arc<AtomicU32>,
    taken: AtomicU32,
}

impl TokenStore for CountingLockStore {
    fn load(&self) -> Result<Option<TokenSet>> {
        self.inner.load()
    }
    fn save(&self, tokens: &TokenSet) -> Result<()> {
        assert_eq!(self.held.load(Ordering::SeqCst), 1, "saved under the lock");
        self.inner.save(tokens)
    }
    fn clear(&self) -> Result<()> {
        self.inner.clear()
    }
    fn lock_within(&self, _timeout: Duration) -> Result<StoreLock> {
        self.held.fetch_add(1, Ordering::SeqCst);
        self.taken.fetch_add(1, Ordering::SeqCst);
        let held = self.held.clone();
        Ok(StoreLock::releasing(move || {
            held.fetch_sub(1, Ordering::SeqCst);
        }))
    }
}

#[test]
fn a_custom_lock_is_held_while_saving_and_released_after() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    let store = Arc::new(CountingLockStore::default());
    let manager = TokenManager::builder(client.clone())
        .store(store.clone())
        .build()
        .unwrap();
    manager.set_tokens(sign_in(&client)).unwrap();
    manager.invalidate();
    manager.access_token().unwrap();
    assert_eq!(store.taken.load(Ordering::SeqCst), 2);
    assert_eq!(store.held.load(Ordering::SeqCst), 0, "released");
}
