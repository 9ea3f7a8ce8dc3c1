//! `authgate_device`: the device authorization grant (RFC 8628), for tills and terminals
//! without a browser: show a code (and a QR code), then poll or wait.

use std::ffi::c_char;

use authgate_core::{CancelToken, DeviceAuthorization, DevicePoll};
use zeroize::Zeroizing;

use crate::boundary::*;
use crate::handles::*;
use crate::operation::{spawn, UrlSlot};
use crate::result::*;
use crate::token_set::new_token_set;

/// The longest pause between device polls, in seconds, whatever the server's `interval`
/// and however many `slow_down` answers came.
pub const AUTHGATE_MAX_POLL_INTERVAL: u64 = 60;
const _: () = assert!(AUTHGATE_MAX_POLL_INTERVAL == authgate_core::MAX_POLL_INTERVAL);

/// Starts a device sign-in (RFC 8628 §3.1): asks the device authorization endpoint for a
/// user code. Show the user `authgate_device_user_code` and `_verification_uri` (or the QR
/// code of `_verification_uri_complete`), then poll with
/// `authgate_client_poll_device_token` every `authgate_device_interval` seconds, or let
/// `authgate_client_wait_for_device_token_start` do it on its own thread.
///
/// `scopes`: NULL for the client's defaults, else space-separated. Blocking. On success
/// `*device_out` receives a new handle owned by the caller: free it with
/// `authgate_device_free`. Errors: `AUTHGATE_CONFIG` (no device authorization endpoint:
/// set it or use `authgate_config_discover`), OAuth and transport codes. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_device_authorization(
    client: *const authgate_client,
    scopes: *const c_char,
    device_out: *mut *mut authgate_device,
) -> authgate_result {
    write_out(device_out, "device_out", || {
        let c = handle(client, "client")?;
        let scopes = scopes_arg(scopes, "scopes")?;
        let refs: Option<Vec<&str>> = scopes
            .as_ref()
            .map(|s| s.iter().map(String::as_str).collect());
        let auth = c.client.device_authorization(refs.as_deref())?;
        Ok(new_device(auth))
    })
}

fn new_device(auth: DeviceAuthorization) -> *mut authgate_device {
    new_handle::<authgate_device>(DeviceInner {
        user_code: field(Some(&auth.user_code)),
        verification_uri: field(Some(&auth.verification_uri)),
        verification_uri_complete: field(auth.verification_uri_complete.as_deref()),
        auth,
    })
}

/// The device sign-in as a JSON object, to keep while the user approves and resume with
/// `authgate_device_from_json` after a restart (a till switched off while the customer
/// is still approving on a phone): the codes, the absolute expiry (`expires_at`, Unix
/// seconds), the scopes asked for and the current polling interval.
///
/// **The JSON holds the device code, a secret**: whoever reads it can collect the
/// user's tokens until the codes expire. Store it like a refresh token, and delete it
/// when the sign-in has ended. On success `*json_out` receives a new string owned by
/// the caller: free it with `authgate_string_free` (which wipes it). No network.
/// Threads: any.
#[no_mangle]
pub extern "C" fn authgate_device_to_json(
    device: *const authgate_device,
    json_out: *mut *mut c_char,
) -> authgate_result {
    write_out(json_out, "json_out", || {
        let json = Zeroizing::new(handle(device, "device")?.auth.to_json());
        secret_c_string(&json, "device authorization")
    })
}

/// Reads back what `authgate_device_to_json` wrote, to poll again with any client of the
/// same registration (`authgate_client_poll_device_token`,
/// `authgate_client_wait_for_device_token_start`). No network. Codes that expired
/// meanwhile are not polled for: polling answers `AUTHGATE_OAUTH` with `expired_token` at
/// once, without a request (start a new device authorization). On success `*device_out`
/// receives a new handle owned by the caller: free it with `authgate_device_free`. Errors:
/// `AUTHGATE_INVALID_ARGUMENT` (not such a JSON object). Threads: any.
#[no_mangle]
pub extern "C" fn authgate_device_from_json(
    json: *const c_char,
    device_out: *mut *mut authgate_device,
) -> authgate_result {
    write_out(device_out, "device_out", || {
        let auth = DeviceAuthorization::from_json(str_arg(json, "json")?)?;
        Ok(new_device(auth))
    })
}

/// Frees a device sign-in (its device code is wiped). NULL is accepted and ignored. An
/// operation started from it keeps its own copy. Use after free cannot be detected.
#[no_mangle]
pub extern "C" fn authgate_device_free(device: *mut authgate_device) {
    guard((), || free_handle(device))
}

/// The code the user types, e.g. `WDJB-MJHT`. `*out` is owned by the device (valid until
/// `authgate_device_free`). All device getters: threads any; `out` must not be NULL.
#[no_mangle]
pub extern "C" fn authgate_device_user_code(
    device: *const authgate_device,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(device, "device", out, "user code", |d| &d.user_code)
}

/// Where the user goes to type the code. `*out` is owned by the device.
#[no_mangle]
pub extern "C" fn authgate_device_verification_uri(
    device: *const authgate_device,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(device, "device", out, "verification URI", |d| {
        &d.verification_uri
    })
}

/// The verification URI with the code filled in (what a QR code should carry), or NULL
/// when the server offers none. `*out` is owned by the device.
#[no_mangle]
pub extern "C" fn authgate_device_verification_uri_complete(
    device: *const authgate_device,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(device, "device", out, "complete verification URI", |d| {
        &d.verification_uri_complete
    })
}

/// How long the codes stayed valid when the server issued them, in seconds.
#[no_mangle]
pub extern "C" fn authgate_device_expires_in(
    device: *const authgate_device,
    seconds_out: *mut u64,
) -> authgate_result {
    write_out(seconds_out, "seconds_out", || {
        Ok(handle(device, "device")?.auth.expires_in)
    })
}

/// The minimum pause between polls, in seconds: the server's `interval` (5 when it gave
/// none), raised by 5 each time the server answered `slow_down` (to
/// `authgate_client_poll_device_token`, or to the polls of an operation started from this
/// device with `authgate_client_device_token_start`), and never above 60
/// (`AUTHGATE_MAX_POLL_INTERVAL`, whatever the server asks: a till must not go quiet for
/// hours).
#[no_mangle]
pub extern "C" fn authgate_device_interval(
    device: *const authgate_device,
    seconds_out: *mut u64,
) -> authgate_result {
    write_out(seconds_out, "seconds_out", || {
        Ok(handle(device, "device")?.auth.interval().as_secs())
    })
}

/// The QR code of the verification URI (the complete one when there is one) as an SVG
/// document, for a POS screen. On success `*svg_out` receives a new string owned by the
/// caller: free it with `authgate_string_free`. No network. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_device_qr_svg(
    device: *const authgate_device,
    svg_out: *mut *mut c_char,
) -> authgate_result {
    write_out(svg_out, "svg_out", || {
        let svg = handle(device, "device")?.auth.qr_svg()?;
        owned_c_string(svg, "QR code")
    })
}

/// The same QR code as text for a terminal (Unicode half blocks, two rows of modules per
/// line, UTF-8, lines separated by `\n`). Ownership as `authgate_device_qr_svg`.
#[no_mangle]
pub extern "C" fn authgate_device_qr_text(
    device: *const authgate_device,
    text_out: *mut *mut c_char,
) -> authgate_result {
    write_out(text_out, "text_out", || {
        let text = handle(device, "device")?.auth.qr_text()?;
        owned_c_string(text, "QR code")
    })
}

/// Polls the token endpoint once (RFC 8628 §3.4), for a caller running its own loop (a
/// UI timer firing every `authgate_device_interval` seconds). Blocking (one request).
///
/// - `AUTHGATE_OK`: signed in; `*token_set_out` receives a new handle owned by the
///   caller (free it with `authgate_token_set_free`).
/// - `AUTHGATE_PENDING`: the user has not finished yet; poll again later.
/// - `AUTHGATE_SLOW_DOWN`: polled too fast; `authgate_device_interval` is now 5 s longer
///   (at most 60).
/// - `AUTHGATE_OAUTH` with `expired_token` at once, without a request, when the codes
///   are known to have expired (a resumed authorization, see `authgate_device_from_json`).
/// - A failure: `AUTHGATE_ACCESS_DENIED` (the user declined), `AUTHGATE_OAUTH` with
///   `expired_token` (start again), transport codes…
///
/// `AUTHGATE_PENDING` and `AUTHGATE_SLOW_DOWN` are not failures, but like every result
/// other than `AUTHGATE_OK` they set this thread's last error (its code, and a message),
/// so `authgate_last_error_code` always agrees with the last result. `*token_set_out` is
/// written only with `AUTHGATE_OK`. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_poll_device_token(
    client: *const authgate_client,
    device: *const authgate_device,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    write_out(token_set_out, "token_set_out", || {
        let c = handle(client, "client")?;
        let d = handle(device, "device")?;
        match c.client.poll_device_token(&d.auth)? {
            DevicePoll::Tokens(tokens) => Ok(new_token_set(tokens)),
            DevicePoll::Pending => Err(Failure::new(
                AUTHGATE_PENDING,
                "the user has not finished signing in yet (authorization_pending)",
            )),
            DevicePoll::SlowDown => Err(Failure::new(
                AUTHGATE_SLOW_DOWN,
                format!(
                    "polling too fast (slow_down): wait {} s between polls",
                    d.auth.interval().as_secs()
                ),
            )),
            _ => Err(Failure::new(
                AUTHGATE_INTERNAL,
                "an outcome of the device poll this library does not know",
            )),
        }
    })
}

/// Deprecated: use `authgate_client_wait_for_device_token_start` (the same function under
/// the name the other languages use).
#[no_mangle]
pub extern "C" fn authgate_client_device_token_start(
    client: *const authgate_client,
    device: *const authgate_device,
    operation_out: *mut *mut authgate_operation,
) -> authgate_result {
    authgate_client_wait_for_device_token_start(client, device, operation_out)
}

/// Waits for the device sign-in on its own thread (the name the other languages use:
/// `wait_for_device_token`): polls every `authgate_device_interval` seconds (slowing down
/// when asked) until the user approves, declines, the codes expire (`AUTHGATE_OAUTH`,
/// `expired_token`) or the operation is cancelled.
///
/// Returns at once. On success `*operation_out` receives a new handle owned by the
/// caller: follow it with `authgate_operation_wait` / `_poll`, read the token set with
/// `authgate_operation_take_result`, free it with `authgate_operation_free`. While it
/// waits its state is `AUTHGATE_OPERATION_WAITING`; `authgate_operation_cancel` stops it
/// within about 50 ms (then `take_result` answers `AUTHGATE_CANCELLED`), unless a poll
/// bringing the tokens is under way, whose result is kept. The device handle may be freed
/// after this call. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_wait_for_device_token_start(
    client: *const authgate_client,
    device: *const authgate_device,
    operation_out: *mut *mut authgate_operation,
) -> authgate_result {
    write_out(operation_out, "operation_out", || {
        let client = handle(client, "client")?.client.clone();
        let auth = handle(device, "device")?.auth.clone();
        let cancel = CancelToken::new();
        let theirs = cancel.clone();
        spawn(
            Box::new(move || Ok(client.wait_for_device_token(&auth, &theirs)?)),
            Some(cancel),
            UrlSlot::default(),
        )
    })
}
