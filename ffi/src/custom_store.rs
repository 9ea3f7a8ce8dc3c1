//! `authgate_store_new_callbacks`: a token store written in C (a database, the OS keyring,
//! a 1C infobase), as a struct of callbacks and a user pointer.

use std::ffi::{c_char, c_void};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authgate_core::{Error, StoreLock, TokenSet, TokenStore};
use zeroize::Zeroize;

use crate::boundary::*;
use crate::handles::*;
use crate::manager::new_store;
use crate::result::*;

/// One call of a store callback, passed to it so that it can hand back the stored JSON
/// (`authgate_store_call_set_json`, from `load`) and say why it failed
/// (`authgate_store_call_set_error`). Valid during that call only.
pub struct authgate_store_call {
    _opaque: [u8; 0],
}

/// What one callback call handed back.
#[derive(Default)]
struct CallState {
    magic: u32,
    json: Option<String>,
    error: Option<String>,
}

const CALL_MAGIC: u32 = 0x4147_43C1;

impl Drop for CallState {
    fn drop(&mut self) {
        if let Some(j) = &mut self.json {
            j.zeroize();
        }
    }
}

/// The callbacks of a token store written in C, for `authgate_store_new_callbacks`. The
/// struct is copied: it may live on the caller's stack.
///
/// Each callback receives the `user_data` given to `authgate_store_new_callbacks` and a
/// `call` for its answer, and returns `AUTHGATE_OK` or a failure code, after which it may
/// call `authgate_store_call_set_error(call, "what failed")` first (no token in it: it
/// becomes the error message the application sees). A failure is `AUTHGATE_STORE` for the
/// manager call that needed the store, except `AUTHGATE_TIMEOUT` from `lock`.
///
/// - `load` (required): hands back the stored token set, the JSON text `save` was last
///   given, with `authgate_store_call_set_json`; not calling it means there is none.
/// - `save` (required): stores `json` (NUL-terminated UTF-8, valid during the call; it holds
///   the tokens: wipe any copy). Return `AUTHGATE_OK` only once it is durable (committed):
///   the manager hands a new set out only after that. If it fails, the manager keeps the
///   new set in memory, uses it, and calls `save` again on each later call, so that a
///   rotated refresh token is never lost; never report success for a save that did not
///   happen.
/// - `clear` (required): removes the stored set (sign-out); no set is not a failure.
/// - `lock` (optional, with `unlock`): for a store shared by several processes, takes a
///   lock that excludes the others, waiting at most `timeout_ms` and returning
///   `AUTHGATE_TIMEOUT` if it is still taken. The manager holds it from re-reading the
///   store to saving a refreshed set, and `unlock` releases it on the same thread.
/// - `free_user_data` (optional): called once when the last reference to the store goes
///   (the store handle and every manager made with it freed).
///
/// Threads: the callbacks run on the thread of the call that needs the store (a manager
/// call, or the thread a refresh runs on), and may block (a database); a slow store makes
/// those calls slow. `load`, `save`, `clear` and `unlock` of one store never run at the
/// same time (the library serialises them); `lock` may run while another thread's call
/// runs, and must wait for the lock itself. A callback must not call a manager using this
/// store, and must not unwind (no C++ exception, no longjmp) out of itself.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct authgate_store_callbacks {
    /// Hands back the stored JSON with `authgate_store_call_set_json`, or nothing.
    pub load: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            call: *mut authgate_store_call,
        ) -> authgate_result,
    >,
    /// Stores `json` durably before returning `AUTHGATE_OK`.
    pub save: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            json: *const c_char,
            call: *mut authgate_store_call,
        ) -> authgate_result,
    >,
    /// Removes the stored set.
    pub clear: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            call: *mut authgate_store_call,
        ) -> authgate_result,
    >,
    /// Takes the cross-process lock within `timeout_ms` (optional).
    pub lock: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            timeout_ms: u64,
            call: *mut authgate_store_call,
        ) -> authgate_result,
    >,
    /// Releases the lock `lock` took (required with `lock`).
    pub unlock: Option<unsafe extern "C" fn(user_data: *mut c_void)>,
    /// Frees `user_data` when the store is gone (optional).
    pub free_user_data: Option<unsafe extern "C" fn(user_data: *mut c_void)>,
}

type LoadFn = unsafe extern "C" fn(*mut c_void, *mut authgate_store_call) -> authgate_result;
type SaveFn =
    unsafe extern "C" fn(*mut c_void, *const c_char, *mut authgate_store_call) -> authgate_result;
type ClearFn = LoadFn;
type LockFn = unsafe extern "C" fn(*mut c_void, u64, *mut authgate_store_call) -> authgate_result;
type UnlockFn = unsafe extern "C" fn(*mut c_void);

/// The C store, as the core sees it (shared with the guards of its lock).
struct CallbackStore(Arc<Callbacks>);

struct Callbacks {
    load: LoadFn,
    save: SaveFn,
    clear: ClearFn,
    lock: Option<(LockFn, UnlockFn)>,
    free_user_data: Option<unsafe extern "C" fn(*mut c_void)>,
    user_data: *mut c_void,
    /// Serialises load, save, clear and unlock.
    serial: Mutex<()>,
}

// SAFETY: the caller promises (documented on `authgate_store_new_callbacks`) that the
// callbacks may be called with this user data from any thread; the calls that must not
// overlap are serialised by `serial`.
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

impl Callbacks {
    fn serialised(&self) -> std::sync::MutexGuard<'_, ()> {
        self.serial.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Calls one callback with a fresh `call`, turning its outcome into the core's error.
    fn call(
        &self,
        what: &str,
        serialised: bool,
        f: impl FnOnce(*mut authgate_store_call) -> authgate_result,
    ) -> authgate_core::Result<CallState> {
        let _serial = serialised.then(|| self.serialised());
        let mut state = CallState::default();
        state.magic = CALL_MAGIC;
        let rc = f((&mut state as *mut CallState).cast());
        state.magic = 0;
        if rc == AUTHGATE_OK {
            return Ok(state);
        }
        let why = match state.error.take() {
            Some(m) => m,
            None => format!(
                "it returned {rc} ({})",
                name(rc).to_str().unwrap_or("unknown")
            ),
        };
        let message = format!("the store's {what} callback failed: {why}");
        Err(if rc == AUTHGATE_TIMEOUT {
            Error::Timeout(message)
        } else {
            Error::store(message)
        })
    }
}

impl TokenStore for CallbackStore {
    fn load(&self) -> authgate_core::Result<Option<TokenSet>> {
        let c = &self.0;
        // SAFETY: the caller's callback, with its user data and a live call.
        let state = c.call("load", true, |call| unsafe { (c.load)(c.user_data, call) })?;
        match &state.json {
            None => Ok(None),
            Some(json) => TokenSet::from_json(json).map(Some).map_err(|_| {
                Error::store("the store's load callback handed back text that is not a token set")
            }),
        }
    }

    fn save(&self, tokens: &TokenSet) -> authgate_core::Result<()> {
        let c = &self.0;
        let mut json = tokens.to_json();
        let text = SecretCString::new(&json);
        json.zeroize();
        let text = text.ok_or_else(|| Error::store("the token set holds a NUL byte"))?;
        // SAFETY: as in `load`; `text` lives until the callback returns.
        c.call("save", true, |call| unsafe {
            (c.save)(c.user_data, text.as_ptr(), call)
        })
        .map(drop)
    }

    fn clear(&self) -> authgate_core::Result<()> {
        let c = &self.0;
        // SAFETY: as in `load`.
        c.call("clear", true, |call| unsafe {
            (c.clear)(c.user_data, call)
        })
        .map(drop)
    }

    fn lock_within(&self, timeout: Duration) -> authgate_core::Result<StoreLock> {
        let c = Arc::clone(&self.0);
        let Some((lock, unlock)) = c.lock else {
            return Ok(StoreLock::unlocked());
        };
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        // SAFETY: as in `load`. Not serialised: it may wait for another thread's lock.
        c.call("lock", false, |call| unsafe { lock(c.user_data, ms, call) })?;
        Ok(StoreLock::releasing(move || {
            let _serial = c.serialised();
            // SAFETY: the caller's callback with its user data, after its lock succeeded.
            unsafe { unlock(c.user_data) };
        }))
    }

    fn lock(&self) -> authgate_core::Result<StoreLock> {
        self.lock_within(authgate_core::FileStore::DEFAULT_LOCK_WAIT)
    }
}

impl Drop for Callbacks {
    fn drop(&mut self) {
        if let Some(free) = self.free_user_data {
            // SAFETY: the last reference: the callbacks are never called again.
            unsafe { free(self.user_data) };
        }
    }
}

/// Creates a token store whose load, save, clear and (optionally) lock are the caller's
/// callbacks: for keeping tokens where the application keeps its data (a database, the OS
/// keyring, a 1C infobase). See `authgate_store_callbacks` for what each callback does,
/// the contract that keeps a rotated refresh token alive, and the thread rules.
///
/// `callbacks` is copied. `user_data` is passed to every callback as is: it must stay
/// valid, and usable from any thread, until `free_user_data` is called (or, without one,
/// until the store and every manager using it are freed). On success `*store_out`
/// receives a new handle owned by the caller: free it with `authgate_store_free`
/// (managers keep their own reference). Errors: `AUTHGATE_INVALID_ARGUMENT` when `load`,
/// `save` or `clear` is missing, or `lock` without `unlock` (then `free_user_data` is not
/// called). Threads: any.
#[no_mangle]
pub extern "C" fn authgate_store_new_callbacks(
    callbacks: *const authgate_store_callbacks,
    user_data: *mut c_void,
    store_out: *mut *mut authgate_store,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(store_out, "store_out")?;
        if callbacks.is_null() {
            return Err(Failure::new(AUTHGATE_NULL_POINTER, "`callbacks` is NULL"));
        }
        // SAFETY: not NULL; the caller promises a readable struct.
        let cb = unsafe { *callbacks };
        let missing = |what: &str| {
            Failure::invalid(format!(
                "`callbacks`: {what} is NULL; a store needs load, save and clear, and unlock \
                 with lock"
            ))
        };
        let lock = match (cb.lock, cb.unlock) {
            (Some(lock), Some(unlock)) => Some((lock, unlock)),
            (None, _) => None,
            (Some(_), None) => return Err(missing("unlock (lock is set)")),
        };
        let callbacks = Callbacks {
            load: cb.load.ok_or_else(|| missing("load"))?,
            save: cb.save.ok_or_else(|| missing("save"))?,
            clear: cb.clear.ok_or_else(|| missing("clear"))?,
            lock,
            free_user_data: cb.free_user_data,
            user_data,
            serial: Mutex::new(()),
        };
        new_store(Arc::new(CallbackStore(Arc::new(callbacks))), out);
        Ok(())
    })
}

/// The live call state behind `call`, or an error for a pointer that is not one.
fn call_state<'a>(call: *mut authgate_store_call) -> FfiResult<&'a mut CallState> {
    let state = call.cast::<CallState>();
    // SAFETY: the caller promises the `call` its callback was given, during that call;
    // the magic number catches a stale or wrong pointer in most cases.
    match unsafe { state.as_mut() } {
        None => Err(Failure::new(AUTHGATE_NULL_POINTER, "`call` is NULL")),
        Some(s) if s.magic == CALL_MAGIC => Ok(s),
        Some(_) => Err(Failure::new(
            AUTHGATE_WRONG_HANDLE,
            "`call` is not the live call of a store callback",
        )),
    }
}

/// From a store's `load` callback: hands back the stored token set, the JSON text its
/// `save` was given (NUL-terminated UTF-8; copied, so the caller may wipe its own copy at
/// once). Errors: `AUTHGATE_NULL_POINTER`, `AUTHGATE_INVALID_UTF8`, `AUTHGATE_WRONG_HANDLE`
/// (not the live call). Threads: the callback's.
#[no_mangle]
pub extern "C" fn authgate_store_call_set_json(
    call: *mut authgate_store_call,
    json: *const c_char,
) -> authgate_result {
    boundary(|| {
        let state = call_state(call)?;
        let json = str_arg(json, "json")?;
        if let Some(old) = &mut state.json {
            old.zeroize();
        }
        state.json = Some(json.to_owned());
        Ok(())
    })
}

/// From any store callback that is about to fail: why (NUL-terminated UTF-8, no token in
/// it), which becomes the message of the manager call's error. Errors as
/// `authgate_store_call_set_json`. Threads: the callback's.
#[no_mangle]
pub extern "C" fn authgate_store_call_set_error(
    call: *mut authgate_store_call,
    message: *const c_char,
) -> authgate_result {
    boundary(|| {
        let state = call_state(call)?;
        state.error = Some(str_arg(message, "message")?.to_owned());
        Ok(())
    })
}
