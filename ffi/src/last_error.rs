//! The per-thread last error: the details of the most recent failed call on this thread.
//!
//! Handles are shared between threads, so details cannot live in a handle (two threads
//! would overwrite each other's). Each thread keeps its own.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use serde_json::{json, Value};

use crate::boundary::{guard, Failure};
use crate::result::*;

struct LastError {
    code: u32,
    message: CString,
    oauth_error: Option<CString>,
    description: Option<CString>,
    uri: Option<CString>,
    www_authenticate: Option<CString>,
    url: Option<CString>,
    endpoint: Option<CString>,
    http_status: i32,
    terminal: bool,
    transient: bool,
    retry_after: i64,
    json: CString,
}

thread_local! {
    static LAST: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// A C string from text that may hold NUL bytes (server text): they become U+FFFD.
fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

pub(crate) fn clear() {
    LAST.with(|l| *l.borrow_mut() = None);
}

pub(crate) fn set(failure: Failure) {
    let code = failure.code();
    let (message, oauth, status, terminal, transient, retry_after) = match &failure {
        Failure::Core(e) => (
            e.to_string(),
            e.oauth().cloned(),
            e.http_status(),
            e.is_terminal(),
            e.is_transient(),
            e.retry_after().map(|d| d.as_secs()),
        ),
        Failure::Ffi { message, .. } => (message.clone(), None, None, false, false, None),
    };
    let (url, endpoint) = match &failure {
        Failure::Core(e) => (e.url().map(str::to_owned), e.endpoint().map(|e| e.name())),
        Failure::Ffi { .. } => (None, None),
    };
    let json = json!({
        "code": code,
        "name": name(code).to_str().unwrap_or("unknown"),
        "message": message,
        "error": oauth.as_ref().map(|o| o.error.clone()),
        "description": oauth.as_ref().and_then(|o| o.description.clone()),
        "error_description": oauth.as_ref().and_then(|o| o.description.clone()),
        "error_uri": oauth.as_ref().and_then(|o| o.uri.clone()),
        "www_authenticate": oauth.as_ref().and_then(|o| o.www_authenticate.clone()),
        "http_status": status,
        "is_terminal": terminal,
        "is_transient": transient,
        "retry_after": retry_after,
        "url": url,
        "endpoint": endpoint,
    });
    let last = LastError {
        code,
        message: c_text(&message),
        oauth_error: oauth.as_ref().map(|o| c_text(&o.error)),
        description: oauth
            .as_ref()
            .and_then(|o| o.description.as_deref())
            .map(c_text),
        uri: oauth.as_ref().and_then(|o| o.uri.as_deref()).map(c_text),
        www_authenticate: oauth
            .as_ref()
            .and_then(|o| o.www_authenticate.as_deref())
            .map(c_text),
        url: url.as_deref().map(c_text),
        endpoint: endpoint.map(c_text),
        http_status: status.map_or(0, i32::from),
        terminal,
        transient,
        retry_after: retry_after.map_or(-1, |s| i64::try_from(s).unwrap_or(i64::MAX)),
        json: c_text(&Value::to_string(&json)),
    };
    LAST.with(|l| *l.borrow_mut() = Some(last));
}

fn read<T>(fallback: T, f: impl FnOnce(&LastError) -> T) -> T
where
    T: Copy,
{
    guard(fallback, || {
        LAST.with(|l| l.borrow().as_ref().map_or(fallback, f))
    })
}

fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// The status code of the last failed call on this thread; `AUTHGATE_OK` if the last
/// call succeeded (or none was made).
///
/// Every function that returns an `authgate_result` replaces this thread's last error:
/// it clears it on success and sets it on failure. The `authgate_last_error_*` functions,
/// `authgate_result_str`, `authgate_version`, `authgate_string_free` and the `_free`
/// functions leave it alone. Threads: each thread has its own.
#[no_mangle]
pub extern "C" fn authgate_last_error_code() -> authgate_result {
    read(AUTHGATE_OK, |e| e.code)
}

/// A one-line English description of the last failure on this thread, without secrets;
/// `""` when the last call succeeded. Never NULL.
///
/// Ownership: owned by the library; valid until the next call on this thread that
/// replaces the last error (see `authgate_last_error_code`). Copy it to keep it.
#[no_mangle]
pub extern "C" fn authgate_last_error_message() -> *const c_char {
    read(c"".as_ptr(), |e| e.message.as_ptr())
}

/// The OAuth `error` code the server sent (e.g. `"invalid_grant"`), or NULL when the last
/// failure was not an OAuth error. Ownership as `authgate_last_error_message`.
#[no_mangle]
pub extern "C" fn authgate_last_error_oauth_error() -> *const c_char {
    read(std::ptr::null(), |e| opt_ptr(&e.oauth_error))
}

/// The `error_description` the server sent, or NULL. Ownership as
/// `authgate_last_error_message`.
#[no_mangle]
pub extern "C" fn authgate_last_error_description() -> *const c_char {
    read(std::ptr::null(), |e| opt_ptr(&e.description))
}

/// The `error_uri` the server sent, or NULL. Ownership as `authgate_last_error_message`.
#[no_mangle]
pub extern "C" fn authgate_last_error_uri() -> *const c_char {
    read(std::ptr::null(), |e| opt_ptr(&e.uri))
}

/// The `WWW-Authenticate` header of the 401 answer behind the last failure (a resource
/// server's `Bearer error="invalid_token", …` challenge, RFC 6750 §3), scrubbed of
/// secrets and cut short, or NULL. Ownership as `authgate_last_error_message`.
#[no_mangle]
pub extern "C" fn authgate_last_error_www_authenticate() -> *const c_char {
    read(std::ptr::null(), |e| opt_ptr(&e.www_authenticate))
}

/// The address of the request behind the last failure (scheme, host, port and path; never
/// the query or a `user:password@` part), or NULL when the last failure was not a
/// transport failure or an unexpected answer. Ownership as `authgate_last_error_message`.
#[no_mangle]
pub extern "C" fn authgate_last_error_url() -> *const c_char {
    read(std::ptr::null(), |e| opt_ptr(&e.url))
}

/// Which of the provider's endpoints that request went to: `"token"`, `"discovery"`,
/// `"jwks"`, `"userinfo"`, `"revocation"`, `"introspection"`, `"device_authorization"` or
/// `"pushed_authorization"`;
/// NULL when unknown. Ownership as `authgate_last_error_message`.
#[no_mangle]
pub extern "C" fn authgate_last_error_endpoint() -> *const c_char {
    read(std::ptr::null(), |e| opt_ptr(&e.endpoint))
}

/// The HTTP status of the answer behind the last failure, or 0 when there was no answer
/// (a transport failure, an argument error, an error in the redirect).
#[no_mangle]
pub extern "C" fn authgate_last_error_http_status() -> i32 {
    read(0, |e| e.http_status)
}

/// 1 when retrying cannot help (the user must sign in again, or the registration or
/// configuration must be fixed), else 0.
#[no_mangle]
pub extern "C" fn authgate_last_error_is_terminal() -> i32 {
    read(0, |e| i32::from(e.terminal))
}

/// 1 when the same call may succeed later (network failure, timeout, 5xx, 429), else 0.
#[no_mangle]
pub extern "C" fn authgate_last_error_is_transient() -> i32 {
    read(0, |e| i32::from(e.transient))
}

/// The seconds the server asked to wait (`Retry-After`), or -1 when it did not say.
#[no_mangle]
pub extern "C" fn authgate_last_error_retry_after() -> i64 {
    read(-1, |e| e.retry_after)
}

/// All of the last error as one JSON object: `code`, `name`, `message`, `error`,
/// `description`, `error_uri`, `www_authenticate`, `http_status`, `is_terminal`,
/// `is_transient`, `retry_after`, `url`, `endpoint` (absent values are `null`).
/// `error_description` repeats `description` (deprecated: the name the other languages
/// use is `description`). NULL when the last call succeeded.
///
/// Ownership as `authgate_last_error_message`.
#[no_mangle]
pub extern "C" fn authgate_last_error_json() -> *const c_char {
    read(std::ptr::null(), |e| e.json.as_ptr())
}
