//! `authgate_operation`: a token request on its own thread, so a UI thread (Delphi, 1C)
//! never blocks. Poll it, wait on it with a timeout, cancel it, take its result.
//!
//! Cancelling never loses a result the server produced: once the request is on its way,
//! it completes and its token set (maybe carrying a rotated refresh token that has
//! already replaced the old one on the server) stays available to `take_result`.

use std::ffi::{c_char, CString};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use authgate_core::{CancelToken, Client, ErrorCode, TokenRequest, TokenSet};

use crate::boundary::*;
use crate::client::{client_credentials_request, code_request, password_request, refresh_request};
use crate::handles::{authgate_client, authgate_operation, authgate_token_set};
use crate::result::*;
use crate::token_set::new_token_set;

struct State {
    phase: u32,
    result: Option<FfiResult<TokenSet>>,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    finished: Condvar,
    /// Set for the operations that wait for the user (device flow, loopback sign-in):
    /// `authgate_operation_cancel` stops the wait through it.
    cancel: Option<CancelToken>,
    /// The authorization URL a loopback sign-in opened.
    url: UrlSlot,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where a loopback sign-in records the authorization URL it opened; set once, so a
/// pointer handed out stays valid as long as the operation.
#[derive(Default, Clone)]
pub(crate) struct UrlSlot(Arc<OnceLock<CString>>);

impl UrlSlot {
    /// A hook for [`authgate_core::LoopbackSignIn::on_url`] that records the URL.
    pub(crate) fn recorder(&self) -> impl FnOnce(&str) + Send + 'static {
        let slot = Arc::clone(&self.0);
        move |url| {
            if let Ok(c) = CString::new(url) {
                let _ = slot.set(c);
            }
        }
    }
}

fn is_finished(s: &State) -> bool {
    matches!(
        s.phase,
        AUTHGATE_OPERATION_DONE | AUTHGATE_OPERATION_CANCELLED
    )
}

pub(crate) struct OperationInner {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for OperationInner {
    fn drop(&mut self) {
        // Nobody can take the result of a waiting operation any more: stop its wait (a
        // loopback sign-in would otherwise hold its port for minutes).
        if let Some(c) = &self.shared.cancel {
            c.cancel();
        }
        // A finished thread is joined (it is at most returning); a running one is left to
        // finish on its own, and its result is dropped with the last reference.
        if is_finished(&self.shared.lock()) {
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// What an operation runs on its thread.
pub(crate) type Job = Box<dyn FnOnce() -> FfiResult<TokenSet> + Send>;

/// Starts `job` on a new thread and returns the operation handle. With `cancel`, the
/// operation waits for the user (phase `AUTHGATE_OPERATION_WAITING`) and cancelling it
/// cancels the token, which `job` must watch; its `Cancelled` error ends the operation as
/// `AUTHGATE_OPERATION_CANCELLED`. `url` is where a sign-in records its authorization URL.
pub(crate) fn spawn(
    job: Job,
    cancel: Option<CancelToken>,
    url: UrlSlot,
) -> FfiResult<*mut authgate_operation> {
    let running = if cancel.is_some() {
        AUTHGATE_OPERATION_WAITING
    } else {
        AUTHGATE_OPERATION_SENDING
    };
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            phase: AUTHGATE_OPERATION_QUEUED,
            result: None,
        }),
        finished: Condvar::new(),
        cancel,
        url,
    });
    let theirs = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("authgate-operation".into())
        .spawn(move || {
            {
                let mut s = theirs.lock();
                if s.phase == AUTHGATE_OPERATION_CANCELLED {
                    return;
                }
                s.phase = running;
            }
            let result = catch(job, |payload| Err(Failure::panic(payload)));
            let mut s = theirs.lock();
            let cancelled = theirs.cancel.is_some()
                && matches!(&result, Err(Failure::Core(e)) if e.code() == ErrorCode::Cancelled);
            if cancelled {
                s.phase = AUTHGATE_OPERATION_CANCELLED;
            } else {
                s.result = Some(result);
                s.phase = AUTHGATE_OPERATION_DONE;
            }
            theirs.finished.notify_all();
        })
        .map_err(|e| {
            Failure::new(
                AUTHGATE_INTERNAL,
                format!("cannot start a thread for the operation: {e}"),
            )
        })?;
    Ok(new_handle::<authgate_operation>(OperationInner {
        shared,
        thread: Some(thread),
    }))
}

/// Builds the request here (its arguments are checked and copied before this returns)
/// and sends it on the operation's thread.
fn start(
    client: *const authgate_client,
    request: impl FnOnce(&Client) -> FfiResult<TokenRequest>,
    operation_out: *mut *mut authgate_operation,
) -> authgate_result {
    write_out(operation_out, "operation_out", || {
        let request = request(&handle(client, "client")?.client)?;
        request.check()?;
        spawn(
            Box::new(move || request.send().map_err(Failure::from)),
            None,
            UrlSlot::default(),
        )
    })
}

/// `authgate_client_exchange_code` on its own thread: returns at once.
///
/// Arguments as for `authgate_client_exchange_code` (they are checked and copied before
/// this returns, so the caller's strings may be freed right after). On success
/// `*operation_out` receives a new handle owned by the caller: follow it with
/// `authgate_operation_poll` / `_wait`, read the outcome with
/// `authgate_operation_take_result`, and free it with `authgate_operation_free`.
/// The request still has the client's timeouts as its deadline. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_exchange_code_start(
    client: *const authgate_client,
    code: *const c_char,
    pkce_verifier: *const c_char,
    redirect_uri: *const c_char,
    params_json: *const c_char,
    operation_out: *mut *mut authgate_operation,
) -> authgate_result {
    start(
        client,
        |c| code_request(c, code, pkce_verifier, redirect_uri, params_json),
        operation_out,
    )
}

/// `authgate_client_refresh` on its own thread. See `authgate_client_exchange_code_start`.
/// With a rotating provider, take the result even after cancelling (see
/// `authgate_operation_cancel`): it holds the only valid refresh token.
#[no_mangle]
pub extern "C" fn authgate_client_refresh_start(
    client: *const authgate_client,
    refresh_token: *const c_char,
    scopes: *const c_char,
    params_json: *const c_char,
    operation_out: *mut *mut authgate_operation,
) -> authgate_result {
    start(
        client,
        |c| refresh_request(c, refresh_token, scopes, params_json),
        operation_out,
    )
}

/// `authgate_client_password` on its own thread. See `authgate_client_exchange_code_start`.
#[no_mangle]
pub extern "C" fn authgate_client_password_start(
    client: *const authgate_client,
    username: *const c_char,
    password: *const c_char,
    scopes: *const c_char,
    params_json: *const c_char,
    operation_out: *mut *mut authgate_operation,
) -> authgate_result {
    start(
        client,
        |c| password_request(c, username, password, scopes, params_json),
        operation_out,
    )
}

/// `authgate_client_client_credentials` on its own thread. See
/// `authgate_client_exchange_code_start`.
#[no_mangle]
pub extern "C" fn authgate_client_client_credentials_start(
    client: *const authgate_client,
    scopes: *const c_char,
    params_json: *const c_char,
    operation_out: *mut *mut authgate_operation,
) -> authgate_result {
    start(
        client,
        |c| client_credentials_request(c, scopes, params_json),
        operation_out,
    )
}

/// Non-blocking check: `AUTHGATE_OK` when the operation has finished (done or
/// cancelled), `AUTHGATE_PENDING` while it runs. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_operation_poll(operation: *const authgate_operation) -> authgate_result {
    authgate_operation_wait(operation, 0)
}

/// Waits at most `timeout_ms` milliseconds for the operation to finish: `AUTHGATE_OK` when
/// it has finished, `AUTHGATE_PENDING` when the time ran out first (0 = just check).
/// A UI thread can call this with a short timeout from a timer. Threads: any, several
/// threads may wait at once.
#[no_mangle]
pub extern "C" fn authgate_operation_wait(
    operation: *const authgate_operation,
    timeout_ms: u32,
) -> authgate_result {
    boundary(|| {
        let op = handle(operation, "operation")?;
        let guard = op.shared.lock();
        let (guard, _) = op
            .shared
            .finished
            .wait_timeout_while(guard, Duration::from_millis(u64::from(timeout_ms)), |s| {
                !is_finished(s)
            })
            .unwrap_or_else(|e| e.into_inner());
        if is_finished(&guard) {
            Ok(())
        } else {
            Err(Failure::new(
                AUTHGATE_PENDING,
                "the operation has not finished yet",
            ))
        }
    })
}

/// Where the operation is: `*state_out` receives `AUTHGATE_OPERATION_QUEUED`, `_SENDING`
/// (a token request), `_WAITING` (a device or loopback sign-in waiting for the user),
/// `_DONE` or `_CANCELLED`. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_operation_state(
    operation: *const authgate_operation,
    state_out: *mut u32,
) -> authgate_result {
    write_out(state_out, "state_out", || {
        let op = handle(operation, "operation")?;
        Ok(op.shared.lock().phase)
    })
}

/// Takes the outcome of a finished operation, once.
///
/// Success: `AUTHGATE_OK` and `*token_set_out` receives a new handle owned by the caller
/// (free it with `authgate_token_set_free`). The request failed: its error code, with the
/// details in this thread's last error, as the blocking call would have reported.
/// `AUTHGATE_PENDING`: not finished yet (nothing is taken). `AUTHGATE_CANCELLED`: it was
/// cancelled before its request was sent, or while it waited for the user.
/// `AUTHGATE_RESULT_TAKEN`: taken before.
/// Threads: any; if two threads race, one gets the result.
#[no_mangle]
pub extern "C" fn authgate_operation_take_result(
    operation: *const authgate_operation,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    write_out(token_set_out, "token_set_out", || {
        let op = handle(operation, "operation")?;
        let mut s = op.shared.lock();
        match s.phase {
            AUTHGATE_OPERATION_CANCELLED => Err(Failure::new(
                AUTHGATE_CANCELLED,
                "the operation was cancelled: it has no result",
            )),
            AUTHGATE_OPERATION_DONE => match s.result.take() {
                Some(Ok(tokens)) => {
                    drop(s);
                    Ok(new_token_set(tokens))
                }
                Some(Err(failure)) => Err(failure),
                None => Err(Failure::new(
                    AUTHGATE_RESULT_TAKEN,
                    "the operation's result was already taken",
                )),
            },
            _ => Err(Failure::new(
                AUTHGATE_PENDING,
                "the operation has not finished yet",
            )),
        }
    })
}

/// Cancels the operation, which means "skip it if it has not started, and stop waiting
/// for it": it never loses a result.
///
/// A device or loopback sign-in waiting for the user (`AUTHGATE_OPERATION_WAITING`)
/// stops within about 50 ms and becomes `AUTHGATE_OPERATION_CANCELLED`; if the user has
/// just come back and the token request is under way, that request completes and its
/// result is kept, as below.
/// If the request has not been sent yet, it never will be: the operation becomes
/// `AUTHGATE_OPERATION_CANCELLED` at once and `take_result` answers `AUTHGATE_CANCELLED`.
/// If it is already on its way, it cannot be called back (the server may already have
/// used up a code or rotated the refresh token): it runs to its end, bounded by the
/// client's timeouts, and its result, success or failure, is still handed out by
/// `authgate_operation_take_result`. Take it, so that a rotated refresh token is stored.
/// Always returns `AUTHGATE_OK` for a valid handle; read `authgate_operation_state` to
/// know which case applied. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_operation_cancel(
    operation: *const authgate_operation,
) -> authgate_result {
    boundary(|| {
        let op = handle(operation, "operation")?;
        let mut s = op.shared.lock();
        if s.phase == AUTHGATE_OPERATION_QUEUED {
            s.phase = AUTHGATE_OPERATION_CANCELLED;
            op.shared.finished.notify_all();
        }
        if let Some(c) = &op.shared.cancel {
            c.cancel();
        }
        Ok(())
    })
}

/// Frees an operation. NULL is accepted and ignored. Does not block: an operation still
/// running finishes on its own thread, and its result is then discarded (a rotated refresh
/// token in it would be lost: wait for the operation and take its result first); one
/// waiting for the user is cancelled first. No other thread may be using the handle. Use
/// after free cannot be detected.
#[no_mangle]
pub extern "C" fn authgate_operation_free(operation: *mut authgate_operation) {
    guard((), || free_handle(operation))
}

/// The authorization URL a loopback sign-in (`authgate_client_sign_in_loopback_start`)
/// opened, for a kiosk that shows it (or its QR code) instead of opening a browser: use
/// `browser_command` `"none"`. `*url_out` is NULL until the sign-in has built it (shortly
/// after the start; poll with `authgate_operation_wait` and a short timeout) and for
/// other operations. The string is owned by the operation (valid until
/// `authgate_operation_free`). Threads: any.
#[no_mangle]
pub extern "C" fn authgate_operation_authorization_url(
    operation: *const authgate_operation,
    url_out: *mut *const c_char,
) -> authgate_result {
    write_out(url_out, "url_out", || {
        let url = handle(operation, "operation")?.shared.url.0.get();
        Ok(url.map_or(std::ptr::null(), |u| u.as_ptr()))
    })
}
