//! `authgate_store` and `authgate_manager`: the core's `TokenStore` and `TokenManager`.

use std::ffi::{c_char, c_void};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authgate_core::{Error, FileStore, MemoryStore, Password, TokenManager, TokenStore};
use zeroize::Zeroize;

use crate::boundary::*;
use crate::handles::*;
use crate::result::*;
use crate::token_set::new_token_set;

/// The size in bytes of each buffer a credentials callback writes into (the username
/// and the password, each NUL-terminated UTF-8).
pub const AUTHGATE_CREDENTIALS_CAPACITY: usize = 1024;

/// Supplies the username and password when a token manager has to run the password grant
/// (no refresh token, or a refused one): see `authgate_manager_set_password_credentials`.
///
/// The callback writes the username into `username` and the password into `password`,
/// each as NUL-terminated UTF-8 of at most `capacity - 1` bytes (`capacity` is
/// `AUTHGATE_CREDENTIALS_CAPACITY`), and returns `AUTHGATE_OK`. The buffers belong to
/// the library, which wipes them afterwards: nothing is allocated by the callback and
/// nothing is freed by it. Returning any other code declines: the manager call fails with
/// `AUTHGATE_CANCELLED` if that is what the callback returned, else with
/// `AUTHGATE_SIGN_IN_REQUIRED`.
///
/// It runs on the thread whose call needs new tokens, while other threads asking the
/// same manager wait for it; it must not call this manager, and must not unwind (no C++
/// exception, no longjmp) out of itself. In Delphi:
/// `function(user_data: Pointer; username: PAnsiChar; username_capacity: NativeUInt;
/// password: PAnsiChar; password_capacity: NativeUInt): UInt32; cdecl;`.
pub type authgate_credentials_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        username: *mut c_char,
        username_capacity: usize,
        password: *mut c_char,
        password_capacity: usize,
    ) -> authgate_result,
>;

type CredentialsFn =
    unsafe extern "C" fn(*mut c_void, *mut c_char, usize, *mut c_char, usize) -> authgate_result;

/// A C callback and its user data.
#[derive(Clone, Copy)]
pub(crate) struct CCallback<F: Copy> {
    callback: F,
    user_data: *mut c_void,
}

// SAFETY: the caller promises (documented on `authgate_manager_set_password_credentials`
// and `authgate_manager_set_tokens_changed_callback`) that the callback may be called with
// this user data from any thread.
unsafe impl<F: Copy> Send for CCallback<F> {}
unsafe impl<F: Copy> Sync for CCallback<F> {}

/// A C credentials callback and its user data.
pub(crate) type Credentials = CCallback<CredentialsFn>;

/// A C tokens-changed callback and its user data.
pub(crate) type TokensChanged = CCallback<TokensChangedFn>;

/// The C callback in `slot`, copied out: the lock is not held while C runs (it may set
/// another callback).
fn current<F: Copy>(slot: &Mutex<Option<CCallback<F>>>) -> Option<CCallback<F>> {
    *slot.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sets (or, with `None`, removes) the callback of a manager's `slot`.
fn set_callback<F: Copy>(
    slot: &Mutex<Option<CCallback<F>>>,
    callback: Option<F>,
    user_data: *mut c_void,
) {
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = callback.map(|callback| CCallback {
        callback,
        user_data,
    });
}

/// Reads one NUL-terminated UTF-8 string the callback wrote.
fn read_buffer(buf: &[u8], what: &str) -> authgate_core::Result<String> {
    let end = buf.iter().position(|&b| b == 0).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "the credentials callback wrote a {what} without a NUL byte within {} bytes",
            buf.len()
        ))
    })?;
    std::str::from_utf8(&buf[..end])
        .map(str::to_owned)
        .map_err(|_| {
            Error::InvalidArgument(format!(
                "the credentials callback wrote a {what} that is not UTF-8"
            ))
        })
}

/// What the core's password-credentials callback does: call the C callback, if set.
fn ask(slot: &Mutex<Option<Credentials>>) -> authgate_core::Result<Option<(String, Password)>> {
    // No callback: the core then says why a sign-in is needed (e.g. the refused token).
    let Some(c) = current(slot) else {
        return Ok(None);
    };
    let mut user = vec![0u8; AUTHGATE_CREDENTIALS_CAPACITY];
    let mut pass = vec![0u8; AUTHGATE_CREDENTIALS_CAPACITY];
    // SAFETY: both buffers are writable for the capacity given; the caller promises the
    // callback writes within it.
    let rc = unsafe {
        (c.callback)(
            c.user_data,
            user.as_mut_ptr().cast(),
            user.len(),
            pass.as_mut_ptr().cast(),
            pass.len(),
        )
    };
    let result = match rc {
        AUTHGATE_OK => read_buffer(&user, "username").and_then(|u| {
            if u.is_empty() {
                return Err(Error::InvalidArgument(
                    "the credentials callback wrote an empty username".into(),
                ));
            }
            let mut p = read_buffer(&pass, "password")?;
            let password = Password::new(p.as_str());
            p.zeroize();
            Ok(Some((u, password)))
        }),
        AUTHGATE_CANCELLED => Err(Error::Cancelled),
        rc => Err(Error::SignInRequired(format!(
            "the credentials callback declined (it returned {rc}, {})",
            name(rc).to_str().unwrap_or("unknown")
        ))),
    };
    user.zeroize();
    pass.zeroize();
    result
}

/// Told of every new token set a manager obtains: see
/// `authgate_manager_set_tokens_changed_callback`.
///
/// `tokens` is borrowed for the duration of the call: read it with the
/// `authgate_token_set_*` functions (e.g. `authgate_token_set_to_json` to keep it in a
/// database) and do not free it; copy what you need before returning. It holds the
/// tokens: do not log it. In Delphi:
/// `procedure(user_data: Pointer; tokens: Pointer); cdecl;`.
pub type authgate_tokens_changed_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, tokens: *const authgate_token_set)>;

type TokensChangedFn = unsafe extern "C" fn(*mut c_void, *const authgate_token_set);

/// What the core's tokens-changed hook does: call the C callback, if set, with a handle
/// that lives for the call.
fn tell(slot: &Mutex<Option<TokensChanged>>, tokens: &authgate_core::TokenSet) {
    let Some(h) = current(slot) else {
        return;
    };
    let handle = new_token_set(tokens.clone());
    // SAFETY: a valid handle, freed below; the caller promises the callback does not keep it.
    unsafe { (h.callback)(h.user_data, handle) };
    free_handle(handle);
}

pub(crate) fn new_store(store: Arc<dyn TokenStore>, out: Out<*mut authgate_store>) {
    out.write(new_handle::<authgate_store>(StoreInner { store }));
}

/// Creates a store in memory: the tokens live as long as the process (and the managers
/// using the store). Several managers given the same store share its token set.
///
/// On success `*store_out` receives a new handle owned by the caller: free it with
/// `authgate_store_free` (managers keep their own reference). Threads: any.
#[no_mangle]
pub extern "C" fn authgate_store_new_memory(
    store_out: *mut *mut authgate_store,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(store_out, "store_out")?;
        new_store(Arc::new(MemoryStore::new()), out);
        Ok(())
    })
}

/// Creates a store in one JSON file (UTF-8 path; the folder must exist; the file is made
/// on the first save, readable by its owner only). Writes are atomic (a crash leaves the
/// old or the new token set), and several processes may share the file: a manager takes
/// the OS lock on `<path>.lock` while it refreshes, and uses a set another process has
/// just stored instead of spending a rotated refresh token twice. The file holds the
/// tokens: keep it in the user's profile.
///
/// Nothing is read until a manager needs it. Ownership as `authgate_store_new_memory`.
/// Errors: `AUTHGATE_INVALID_ARGUMENT` for an empty path. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_store_new_file(
    path: *const c_char,
    store_out: *mut *mut authgate_store,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(store_out, "store_out")?;
        let path = required_str(path, "path")?;
        new_store(Arc::new(FileStore::new(path)), out);
        Ok(())
    })
}

/// Creates a file store like `authgate_store_new_file` whose file is encrypted with `key`
/// (`key_len` must be 32 bytes: e.g. from the OS key store, kept apart from the file).
/// Each save seals the token set with ChaCha20-Poly1305 and a new random nonce; the file
/// says its format. This protects a copied or backed-up file, not a process that runs as
/// the same user and holds the key. The key is copied (wipe yours when done).
///
/// A file sealed with another key makes the manager's calls fail with `AUTHGATE_STORE`
/// ("the key does not match"), never with a garbled token; a plain file (written before
/// encryption was turned on) is read and encrypted on the next save. Ownership as
/// `authgate_store_new_memory`. Errors: `AUTHGATE_INVALID_ARGUMENT` for an empty path or
/// a key that is not 32 bytes. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_store_new_file_encrypted(
    path: *const c_char,
    key: *const u8,
    key_len: usize,
    store_out: *mut *mut authgate_store,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(store_out, "store_out")?;
        let path = required_str(path, "path")?;
        let key = key_arg(key, key_len)?;
        new_store(Arc::new(FileStore::encrypted_with(path, key)?), out);
        Ok(())
    })
}

/// Frees a store handle. NULL is accepted and ignored. Managers made with it keep their
/// own reference, so this never disturbs them (nor removes the file). Use after free
/// cannot be detected.
#[no_mangle]
pub extern "C" fn authgate_store_free(store: *mut authgate_store) {
    guard((), || free_handle(store))
}

const MANAGER_OPTIONS: &[&str] = &[
    "leeway_ms",
    "allow_client_credentials",
    "max_attempts",
    "max_backoff_ms",
    "wait_timeout_ms",
];

/// Creates a token manager for `client`, keeping its tokens in `store`.
///
/// `store` may be NULL: a new memory store. `options_json` may be NULL or `""` (the
/// defaults) or a JSON object with any of:
/// - `leeway_ms`: a token valid for less than this is refreshed first (default 60000);
/// - `allow_client_credentials`: without a refresh token, run the client credentials
///   grant again (default false);
/// - `max_attempts`: attempts per token request for failures where the request provably
///   did not take effect (connection refused; 503 and 429 too for the grants that spend
///   nothing), at least 1 (default 3);
/// - `max_backoff_ms`: the longest pause between attempts (default 10000);
/// - `wait_timeout_ms`: how long a call waits for another thread's refresh, or for the
///   store's lock held by another process, before failing with `AUTHGATE_TIMEOUT`, more
///   than 0 (default: the longest a refresh may take).
///
/// An unknown key or a value of the wrong type is `AUTHGATE_INVALID_ARGUMENT`; a value
/// that cannot work (`max_attempts` 0, `wait_timeout_ms` 0) is `AUTHGATE_CONFIG`. Nothing is
/// read or sent until the first call. The manager keeps its own references: `client` and
/// `store` may be freed after this call. On success `*manager_out` receives a new handle
/// owned by the caller: free it with `authgate_manager_free`. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_manager_new(
    client: *const authgate_client,
    store: *const authgate_store,
    options_json: *const c_char,
    manager_out: *mut *mut authgate_manager,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(manager_out, "manager_out")?;
        let client = handle(client, "client")?.client.clone();
        let store = if store.is_null() {
            None
        } else {
            Some(Arc::clone(&handle(store, "store")?.store))
        };
        let options = options_arg(options_json, "options_json", MANAGER_OPTIONS)?;
        let ms = |key: &str| -> FfiResult<Option<Duration>> {
            Ok(options.u64(key)?.map(Duration::from_millis))
        };

        let mut b = TokenManager::builder(client);
        if let Some(s) = store {
            b = b.store(s);
        }
        if let Some(d) = ms("leeway_ms")? {
            b = b.leeway(d);
        }
        if let Some(allow) = options.bool("allow_client_credentials")? {
            b = b.allow_client_credentials(allow);
        }
        if let Some(n) = options.u64("max_attempts")? {
            let n = u32::try_from(n)
                .map_err(|_| Failure::invalid("`options_json`: `max_attempts` is too large"))?;
            b = b.max_attempts(n);
        }
        if let Some(d) = ms("max_backoff_ms")? {
            b = b.max_backoff(d);
        }
        if let Some(d) = ms("wait_timeout_ms")? {
            b = b.wait_timeout(d);
        }
        // The core takes its credentials callback at build time; C sets one later, so the
        // manager always gets this one, which asks whatever C has set (if anything).
        let credentials: Arc<Mutex<Option<Credentials>>> = Arc::default();
        let slot = Arc::clone(&credentials);
        let tokens_changed: Arc<Mutex<Option<TokensChanged>>> = Arc::default();
        let hook = Arc::clone(&tokens_changed);
        let manager = b
            .password_credentials(move || ask(&slot))
            .on_tokens_changed(move |t| tell(&hook, t))
            .build()?;
        out.write(new_handle::<authgate_manager>(ManagerInner {
            manager,
            credentials,
            tokens_changed,
        }));
        Ok(())
    })
}

/// Sets (or, with a NULL `callback`, removes) the callback that supplies a username and
/// password when the manager has no usable refresh token: the manager then runs the
/// password grant (CUBA) instead of failing with `AUTHGATE_SIGN_IN_REQUIRED`. A password
/// grant refused with `invalid_grant` is `AUTHGATE_SIGN_IN_REQUIRED`. See
/// `authgate_credentials_callback` for what the callback does and on which thread.
///
/// `user_data` is passed to the callback as is: it must stay valid, and usable from any
/// thread, until the manager is freed or the callback replaced. Returns `AUTHGATE_OK`
/// for a valid manager. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_manager_set_password_credentials(
    manager: *const authgate_manager,
    callback: authgate_credentials_callback,
    user_data: *mut c_void,
) -> authgate_result {
    boundary(|| {
        set_callback(
            &handle(manager, "manager")?.credentials,
            callback,
            user_data,
        );
        Ok(())
    })
}

/// Sets (or, with a NULL `callback`, removes) the callback told of every new token set the
/// manager obtains from the server (a refresh, which with GearCode rotates the refresh
/// token; a client credentials or password grant): for an application that also keeps the
/// tokens elsewhere (its database, the 1C infobase), so that it always holds the newest
/// refresh token. See `authgate_tokens_changed_callback` for its arguments.
///
/// - It is called once per new set, after the manager tried to save it to its store, and
///   whether or not that save succeeded (the set is in use either way; the call that
///   obtained it then also returns `AUTHGATE_STORE`). Sets given to
///   `authgate_manager_set_tokens`, and sets another process saved to a shared file store,
///   are not reported.
/// - It runs on the thread whose call refreshed, while other threads asking the same
///   manager wait: keep it short; it must not call this manager and must not unwind (no
///   C++ exception, no longjmp) out of itself. It reports nothing back: a failure to keep
///   the set elsewhere is the application's to handle (the manager's store still has it).
///
/// `user_data` is passed to the callback as is: it must stay valid, and usable from any
/// thread, until the manager is freed or the callback replaced. Returns `AUTHGATE_OK`
/// for a valid manager. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_manager_set_tokens_changed_callback(
    manager: *const authgate_manager,
    callback: authgate_tokens_changed_callback,
    user_data: *mut c_void,
) -> authgate_result {
    boundary(|| {
        set_callback(
            &handle(manager, "manager")?.tokens_changed,
            callback,
            user_data,
        );
        Ok(())
    })
}

/// Hands the manager the tokens of a sign-in (from `authgate_client_exchange_code`,
/// `_password`, a device or loopback sign-in…). They are saved to the store before this
/// returns. The token set is copied: the caller still owns and frees it.
/// Errors: `AUTHGATE_STORE`. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_manager_set_tokens(
    manager: *const authgate_manager,
    tokens: *const authgate_token_set,
) -> authgate_result {
    boundary(|| {
        let m = handle(manager, "manager")?;
        let t = handle(tokens, "tokens")?;
        m.manager.set_tokens(t.tokens.clone())?;
        Ok(())
    })
}

/// A valid access token: the cached one while it stays valid for longer than the leeway
/// (no network, no lock held for long), else a refreshed one. Call it before each API
/// request, from any thread: however many threads ask at once, one refresh is made and
/// the others wait for it (bounded by `wait_timeout_ms`).
///
/// On success `*token_out` receives a new string owned by the caller: free it with
/// `authgate_string_free` (which wipes it). Errors: `AUTHGATE_SIGN_IN_REQUIRED` (no
/// tokens yet, or the refresh token was refused, after which it is dropped and not sent
/// again: sign in again), `AUTHGATE_STORE` (the store is unreadable or holds another
/// client's tokens; or the new tokens could not be saved, in which case they stay in use
/// and later calls save them), or the refresh's transport / OAuth error. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_manager_access_token(
    manager: *const authgate_manager,
    token_out: *mut *mut c_char,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(token_out, "token_out")?;
        // Copied once, straight into the C string the caller frees.
        let token = handle(manager, "manager")?
            .manager
            .access_token_map(|t| secret_c_string(t, "access token"))??;
        out.write(token);
        Ok(())
    })
}

/// Like `authgate_manager_access_token`, but the token stays valid for at least `min_ms`
/// milliseconds (refreshing first if needed): for an operation that must not fail
/// halfway, such as a long upload. Ownership, errors and threads the same.
#[no_mangle]
pub extern "C" fn authgate_manager_access_token_valid_for_ms(
    manager: *const authgate_manager,
    min_ms: u64,
    token_out: *mut *mut c_char,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(token_out, "token_out")?;
        let token = handle(manager, "manager")?
            .manager
            .access_token_valid_for(Duration::from_millis(min_ms))?;
        out.write(secret_c_string(token.secret(), "access token")?);
        Ok(())
    })
}

/// Deprecated: use `authgate_manager_access_token_valid_for_ms` (every duration in this
/// API is in milliseconds). The same, with the minimum validity in `seconds`.
#[no_mangle]
pub extern "C" fn authgate_manager_access_token_valid_for(
    manager: *const authgate_manager,
    seconds: u32,
    token_out: *mut *mut c_char,
) -> authgate_result {
    authgate_manager_access_token_valid_for_ms(manager, u64::from(seconds) * 1000, token_out)
}

/// The whole current token set (valid for longer than the leeway, refreshing first if
/// needed), e.g. for its id_token or a provider field. On success `*tokens_out` receives
/// a new handle owned by the caller: free it with `authgate_token_set_free`. Errors as
/// `authgate_manager_access_token`. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_manager_token_set(
    manager: *const authgate_manager,
    tokens_out: *mut *mut authgate_token_set,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(tokens_out, "tokens_out")?;
        let tokens = handle(manager, "manager")?.manager.token_set()?;
        out.write(new_token_set(tokens));
        Ok(())
    })
}

/// Marks the current access token as expired, whatever its expiry said: the next call
/// refreshes. Call it after the resource server answered 401 to this token. No network.
/// Threads: any.
#[no_mangle]
pub extern "C" fn authgate_manager_invalidate(manager: *const authgate_manager) -> authgate_result {
    boundary(|| {
        handle(manager, "manager")?.manager.invalidate();
        Ok(())
    })
}

/// After the resource server refused the access token `rejected` (a 401; the token alone,
/// without `Bearer `): marks it as
/// expired if it is still the current one, so that many requests refused with the same
/// token cause one refresh, not one each. `*invalidated_out` receives 1 if it was the
/// current token (the next call refreshes), 0 if not (a newer one is in use already: just
/// ask again). No network. Errors: `AUTHGATE_NULL_POINTER` and the like only.
/// Threads: any.
#[no_mangle]
pub extern "C" fn authgate_manager_invalidate_token(
    manager: *const authgate_manager,
    rejected: *const c_char,
    invalidated_out: *mut i32,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(invalidated_out, "invalidated_out")?;
        let m = handle(manager, "manager")?;
        let rejected = str_arg(rejected, "rejected")?;
        out.write(i32::from(m.manager.invalidate_token(rejected)));
        Ok(())
    })
}

/// Forgets the tokens, in the manager and in its store (sign-out; the tokens are not
/// revoked at the server: see `authgate_client_revoke`). The next call needs a sign-in
/// (or the credentials callback). Errors: `AUTHGATE_STORE`. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_manager_clear(manager: *const authgate_manager) -> authgate_result {
    boundary(|| {
        handle(manager, "manager")?.manager.clear()?;
        Ok(())
    })
}

/// Frees a manager. NULL is accepted and ignored. No call on this manager may be running
/// in another thread. The store keeps the tokens. Use after free cannot be detected.
#[no_mangle]
pub extern "C" fn authgate_manager_free(manager: *mut authgate_manager) {
    guard((), || free_handle(manager))
}

const REDIS_STORE_OPTIONS: &[&str] = &["lock_expiry_ms", "timeout_ms", "ca_file"];

/// Creates a store in Redis (or Valkey) for `client`'s token set, shared by every process
/// on every machine that uses the same client registration: for a fleet of servers or
/// tills with one client id and a rotating refresh token (one of them refreshes, the
/// others use its new set). `url` is `redis://[user:password@]host[:port][/db]` or
/// `redis+unix:///path/to/socket`, or `rediss://…` for TLS (checked against the client's
/// trust roots, or the `ca_file` option). The set lives under one key per client (token
/// endpoint and client id); a manager refreshes under a lock in Redis that its holder
/// keeps alive, and that frees itself `lock_expiry_ms` after a holder died; a holder
/// whose lock expired during a pause cannot overwrite a newer set (fencing). Run Redis
/// with `appendonly yes` and `appendfsync always`, or a Redis restart loses the set.
///
/// `options_json` may be NULL or `""` (the defaults) or a JSON object with any of:
/// - `lock_expiry_ms`: how long the lock lives unless its holder extends it (default
///   10000, at least 100);
/// - `timeout_ms`: the connect, read and write timeout of each Redis command (default
///   2000, at least 10);
/// - `ca_file`: for a `rediss://` URL, the PEM file of the CA that signed the Redis
///   server's certificate (often a private one), trusted instead of the client's roots.
///
/// A certificate that is not trusted or not issued for the URL's host is
/// `AUTHGATE_STORE` saying so (not an outage: retrying does not help).
///
/// Only in a libauthgate built with the cargo feature `redis`
/// (`cargo build --release -p authgate-ffi --features redis`); the default build answers
/// `AUTHGATE_CONFIG` ("this build has no Redis support"). Nothing is connected until a
/// manager needs the store: a Redis that cannot be reached then is `AUTHGATE_STORE`
/// (a still-valid cached token keeps being served meanwhile). A URL that cannot be used
/// is `AUTHGATE_CONFIG` (its text, which may hold a password, is not repeated); an
/// unknown option is `AUTHGATE_INVALID_ARGUMENT`. Ownership as
/// `authgate_store_new_memory`. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_store_new_redis(
    url: *const c_char,
    client: *const authgate_client,
    options_json: *const c_char,
    store_out: *mut *mut authgate_store,
) -> authgate_result {
    boundary(|| new_redis_store(url, client, None, options_json, store_out))
}

/// Creates a Redis store like `authgate_store_new_redis` whose stored set is sealed with
/// `key` (`key_len` must be 32 bytes), exactly as `authgate_store_new_file_encrypted`
/// seals its file (ChaCha20-Poly1305, a new random nonce per save, the same format): a
/// copy of Redis's data (a dump, a replica) reveals no token without the key. Every
/// process sharing the set needs the same key; a set sealed with another key makes the
/// manager's calls fail with `AUTHGATE_STORE` ("the key does not match"), and a plain set
/// is read and sealed on the next save. The key is copied (wipe yours when done).
/// Errors as `authgate_store_new_redis`, and `AUTHGATE_INVALID_ARGUMENT` for a key that is
/// not 32 bytes. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_store_new_redis_encrypted(
    url: *const c_char,
    client: *const authgate_client,
    key: *const u8,
    key_len: usize,
    options_json: *const c_char,
    store_out: *mut *mut authgate_store,
) -> authgate_result {
    boundary(|| {
        let key = key_arg(key, key_len)?;
        new_redis_store(url, client, Some(key), options_json, store_out)
    })
}

/// A store key given as a pointer and a length.
fn key_arg<'a>(key: *const u8, key_len: usize) -> Result<&'a [u8], Failure> {
    if key.is_null() {
        return Err(Failure::new(AUTHGATE_NULL_POINTER, "`key` is NULL"));
    }
    // SAFETY: not NULL; the caller promises `key_len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(key, key_len) })
}

/// `authgate_store_new_redis` and `authgate_store_new_redis_encrypted`.
fn new_redis_store(
    url: *const c_char,
    client: *const authgate_client,
    key: Option<&[u8]>,
    options_json: *const c_char,
    store_out: *mut *mut authgate_store,
) -> Result<(), Failure> {
    let out = out_arg(store_out, "store_out")?;
    let url = required_str(url, "url")?;
    let client = &handle(client, "client")?.client;
    let options = options_arg(options_json, "options_json", REDIS_STORE_OPTIONS)?;
    let lock_expiry = options.u64("lock_expiry_ms")?.map(Duration::from_millis);
    let timeout = options.u64("timeout_ms")?.map(Duration::from_millis);
    let ca_file = options.str("ca_file")?;
    #[cfg(feature = "redis")]
    {
        let mut store = authgate_core::RedisStore::new(url, client)?;
        if let Some(k) = key {
            store = store.encrypted_with(k)?;
        }
        if let Some(d) = lock_expiry {
            store = store.lock_expiry(d);
        }
        if let Some(d) = timeout {
            store = store.timeout(d);
        }
        if let Some(path) = ca_file {
            store = store.ca_file(path)?;
        }
        new_store(Arc::new(store), out);
        Ok(())
    }
    #[cfg(not(feature = "redis"))]
    {
        let _ = (url, client, key, lock_expiry, timeout, ca_file, out);
        Err(Error::Config(
            "this build has no Redis support; build libauthgate with the cargo feature \
                 redis (cargo build --release -p authgate-ffi --features redis)"
                .into(),
        )
        .into())
    }
}
