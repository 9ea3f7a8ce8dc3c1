//! `authgate_set_log_callback`: the core's `log` records (target `"authgate"`) handed to
//! a C callback.
//!
//! One `log::Log` implementation is installed the first time a callback is set, and stays
//! installed; the callback itself sits in a slot that `authgate_set_log_callback`
//! replaces. A record is delivered by copying the slot's `Arc` out under the lock and
//! calling C with the lock released, so the callback may call any authgate function,
//! `authgate_set_log_callback` included, without a deadlock. Replacing the callback waits
//! until deliveries to the previous one on other threads have returned, so that its
//! `user_data` may be freed as soon as the call returns.

use std::cell::Cell;
use std::ffi::{c_char, c_void, CString};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::boundary::*;
use crate::result::*;

/// Log level: an error.
pub const AUTHGATE_LOG_ERROR: u32 = 1;
/// Log level: a warning, e.g. a provider answer that needed leniency (a JSON token
/// answer with the wrong content type, a string `expires_in`).
pub const AUTHGATE_LOG_WARN: u32 = 2;
/// Log level: information, e.g. a token manager retrying a refresh.
pub const AUTHGATE_LOG_INFO: u32 = 3;
/// Log level: debugging, e.g. one record per token request (endpoint and grant type).
pub const AUTHGATE_LOG_DEBUG: u32 = 4;
/// Log level: the finest detail. The library is built with `trace` records compiled out
/// (the HTTP library underneath dumps raw requests, secrets included, at that level), so
/// this delivers what `AUTHGATE_LOG_DEBUG` does.
pub const AUTHGATE_LOG_TRACE: u32 = 5;

/// Receives authgate's log records: see `authgate_set_log_callback`.
///
/// `level` is one of `AUTHGATE_LOG_ERROR` (1) .. `AUTHGATE_LOG_TRACE` (5); `target` is
/// the record's origin (`"authgate"`, or `"authgate::wire"` for the wire trace);
/// `message` is the text, one line without a trailing
/// newline. Both are NUL-terminated UTF-8 owned by the library and valid during the call
/// only: copy them to keep them. Records never contain tokens, secrets, passwords or
/// authorization codes.
///
/// It may run on any thread, several threads at once (the thread making an authgate
/// call, or an `authgate_operation`'s own thread), so it must be thread-safe. It must
/// return promptly (it runs inside the call that logged), and must not unwind (no C++
/// exception, no longjmp) out of itself. It may call authgate functions, including
/// `authgate_set_log_callback`; records those calls log on the same thread while the
/// callback runs are dropped rather than delivered recursively. In Delphi:
/// `procedure(user_data: Pointer; level: UInt32; target: PAnsiChar; message: PAnsiChar);
/// cdecl;`.
pub type authgate_log_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: u32,
        target: *const c_char,
        message: *const c_char,
    ),
>;

type LogFn = unsafe extern "C" fn(*mut c_void, u32, *const c_char, *const c_char);

/// The current C callback, its user data and the most detailed level it wants.
struct Sink {
    callback: LogFn,
    user_data: *mut c_void,
    max_level: log::LevelFilter,
}

// SAFETY: the caller promises (documented on `authgate_set_log_callback`) that the
// callback may be called with this user data from any thread, several at once.
unsafe impl Send for Sink {}
unsafe impl Sync for Sink {}

/// The callback slot. Held only to copy the `Arc` out or to swap it, never while C runs.
static SINK: Mutex<Option<Arc<Sink>>> = Mutex::new(None);

thread_local! {
    /// The sink this thread is delivering a record to right now, or NULL: records logged
    /// meanwhile (by authgate calls made from the callback) are dropped, not delivered
    /// recursively.
    static DELIVERING: Cell<*const Sink> = const { Cell::new(std::ptr::null()) };
}

/// Forwards authgate's records to the C callback.
struct CLogger;

static LOGGER: CLogger = CLogger;

/// Whether a record comes from authgate: the target `"authgate"` the core logs with, or a
/// module path inside it. Records of the HTTP and TLS libraries are not forwarded.
fn is_authgate(target: &str) -> bool {
    target == "authgate" || target.starts_with("authgate::")
}

/// `AUTHGATE_LOG_*` count as `log`'s levels do: 0 (off), 1 (error) … 5 (trace).
fn level_filter(max_level: u32) -> log::LevelFilter {
    log::LevelFilter::iter()
        .nth(max_level as usize)
        .unwrap_or(log::LevelFilter::Trace)
}

/// A NUL-terminated copy of `s` with any interior NUL byte replaced by U+FFFD.
fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

impl log::Log for CLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        is_authgate(metadata.target()) && metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        // `log` runs inside core code on any thread: a panic must not escape from here.
        guard((), || deliver(record));
    }

    fn flush(&self) {}
}

fn deliver(record: &log::Record<'_>) {
    if !is_authgate(record.target()) {
        return;
    }
    // Inside the callback on this thread (or during thread teardown): drop the record.
    if DELIVERING.try_with(|d| !d.get().is_null()).unwrap_or(true) {
        return;
    }
    // Copied out; the lock is released before C runs.
    let sink = SINK.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let Some(sink) = sink else {
        return;
    };
    if record.level() > sink.max_level {
        return;
    }
    let message = c_text(&record.args().to_string());
    let target = c_text(record.target());
    let _ = DELIVERING.try_with(|d| d.set(Arc::as_ptr(&sink)));
    // SAFETY: the caller of `authgate_set_log_callback` promises the callback accepts
    // this user data on any thread; both strings outlive the call.
    unsafe {
        (sink.callback)(
            sink.user_data,
            record.level() as u32,
            target.as_ptr(),
            message.as_ptr(),
        )
    };
    let _ = DELIVERING.try_with(|d| d.set(std::ptr::null()));
}

/// Installs [`LOGGER`] as the process's `log` logger, once.
fn install() -> FfiResult {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    if *INSTALLED.get_or_init(|| log::set_logger(&LOGGER).is_ok()) {
        Ok(())
    } else {
        Err(Failure::new(
            AUTHGATE_INTERNAL,
            "another `log` logger is already installed in this process",
        ))
    }
}

/// Waits until no other thread is inside `old`'s callback. The sink is out of the slot,
/// so its count only goes down; this thread's own delivery (when called from inside the
/// callback) is not waited for.
fn wait_until_unused(old: Arc<Sink>) {
    let own = DELIVERING
        .try_with(|d| d.get() == Arc::as_ptr(&old))
        .unwrap_or(false);
    let allowed = 1 + usize::from(own);
    let mut spins = 0u32;
    while Arc::strong_count(&old) > allowed {
        if spins < 100 {
            std::thread::yield_now();
            spins += 1;
        } else {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
}

/// Sets (or, with `callback` NULL, removes) the function that receives authgate's log
/// records, for the whole process. `max_level` is the most detailed level delivered:
/// `AUTHGATE_LOG_ERROR` (1) .. `AUTHGATE_LOG_TRACE` (5), or 0 for none; records above it
/// cost almost nothing. Without a callback (the default) nothing is logged.
///
/// Only authgate's own records are delivered (targets `"authgate"` and
/// `"authgate::wire"`): warnings when a provider's answer needed leniency
/// (`AUTHGATE_LOG_WARN`), token manager retries (`AUTHGATE_LOG_INFO`), one record per
/// token request (`AUTHGATE_LOG_DEBUG`), and at the same level the wire trace
/// (`"authgate::wire"`, three records per HTTP exchange: the request with every secret
/// masked, the status with the time taken and the headers, the body's shape). Records of
/// the HTTP and TLS libraries inside authgate are dropped: they are noise for an
/// application, and an HTTP library's debug output may show a header carrying a secret.
/// authgate's records never contain tokens, secrets, passwords or authorization codes.
///
/// The callback may be called from any thread, several at once: see
/// `authgate_log_callback`. It may call authgate functions (records those log on its
/// thread meanwhile are dropped), including this one.
///
/// When this function returns, the previous callback is no longer running on any other
/// thread and will not be called again, so its `user_data` may be freed (a call made from
/// inside the previous callback itself returns before that callback does). Therefore do
/// not call it while holding a lock the previous callback takes.
///
/// Errors: `AUTHGATE_INVALID_ARGUMENT` for a `max_level` above 5 (the previous callback
/// stays); `AUTHGATE_INTERNAL` if another `log` logger was installed in this copy of the
/// library (only possible when it is linked statically into a Rust program that installs
/// its own). `user_data` is passed to the callback unchanged; the library never reads or
/// frees it. Threads: any; the last call wins.
#[no_mangle]
pub extern "C" fn authgate_set_log_callback(
    callback: authgate_log_callback,
    max_level: u32,
    user_data: *mut c_void,
) -> authgate_result {
    boundary(|| {
        if max_level > AUTHGATE_LOG_TRACE {
            return Err(Failure::invalid(format!(
                "`max_level` is {max_level}; it must be 0 (none) to 5 (AUTHGATE_LOG_TRACE)"
            )));
        }
        install()?;
        let new = callback.map(|callback| {
            Arc::new(Sink {
                callback,
                user_data,
                max_level: level_filter(max_level),
            })
        });
        let old = {
            let mut slot = SINK.lock().unwrap_or_else(|p| p.into_inner());
            // Under the lock, so the global filter always matches the sink in the slot.
            log::set_max_level(new.as_ref().map_or(log::LevelFilter::Off, |s| s.max_level));
            std::mem::replace(&mut *slot, new)
        };
        if let Some(old) = old {
            wait_until_unused(old);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    static SEEN: Mutex<Vec<(u32, String, String)>> = Mutex::new(Vec::new());

    unsafe extern "C" fn record(
        user_data: *mut c_void,
        level: u32,
        target: *const c_char,
        message: *const c_char,
    ) {
        assert_eq!(user_data as usize, 42);
        let t = CStr::from_ptr(target).to_str().unwrap().to_owned();
        let m = CStr::from_ptr(message).to_str().unwrap().to_owned();
        SEEN.lock().unwrap().push((level, t, m.clone()));
        // Re-entrant: logs again (dropped) and replaces the callback by itself.
        log::warn!(target: "authgate", "from inside the callback");
        if m == "swap" {
            assert_eq!(
                authgate_set_log_callback(Some(record), AUTHGATE_LOG_INFO, user_data),
                AUTHGATE_OK
            );
        }
    }

    #[test]
    fn trace_records_are_compiled_out() {
        // ureq dumps the raw request (Authorization header, form body) at `trace`.
        assert!(log::STATIC_MAX_LEVEL <= log::LevelFilter::Debug);
    }

    // One test: the logger is global to the test process.
    #[test]
    fn records_reach_the_callback_filtered() {
        let ud = 42usize as *mut c_void;
        assert_eq!(
            authgate_set_log_callback(Some(record), 9, ud),
            AUTHGATE_INVALID_ARGUMENT
        );
        assert_eq!(
            authgate_set_log_callback(Some(record), AUTHGATE_LOG_WARN, ud),
            AUTHGATE_OK
        );
        log::warn!(target: "authgate", "lenient a\0b");
        log::info!(target: "authgate", "too detailed");
        log::error!(target: "ureq::unit", "not ours");
        log::warn!(target: "authgate", "swap");
        log::info!(target: "authgate", "now wanted");
        assert_eq!(
            authgate_set_log_callback(None, 0, std::ptr::null_mut()),
            AUTHGATE_OK
        );
        log::error!(target: "authgate", "after removal");
        // Other tests of this process may log meanwhile: keep this test's records only.
        let mine = [
            "lenient a\u{FFFD}b",
            "too detailed",
            "not ours",
            "from inside the callback",
            "swap",
            "now wanted",
            "after removal",
        ];
        let mut seen = SEEN.lock().unwrap().clone();
        seen.retain(|(_, _, m)| mine.contains(&m.as_str()));
        assert_eq!(
            seen,
            vec![
                (
                    AUTHGATE_LOG_WARN,
                    "authgate".into(),
                    "lenient a\u{FFFD}b".into()
                ),
                (AUTHGATE_LOG_WARN, "authgate".into(), "swap".into()),
                (AUTHGATE_LOG_INFO, "authgate".into(), "now wanted".into()),
            ]
        );
    }
}
