//! The loopback sign-in (RFC 8252) on its own thread, cancellable, with the URL it opened
//! readable through the operation.

use std::ffi::c_char;
use std::time::Duration;

use authgate_core::{BuilderSteps, CancelToken};

use crate::boundary::*;
use crate::handles::*;
use crate::operation::{spawn, UrlSlot};
use crate::result::authgate_result;

const LOOPBACK_OPTIONS: &[&str] = &["timeout_ms", "browser_command", "scopes", "port", "path"];

/// Signs the user in through a browser on its own thread (RFC 8252 §7.3): listens on
/// `127.0.0.1` (a free port unless `port` is given), opens the authorization URL (PKCE,
/// `state`, and with the `openid` scope a `nonce`) with that loopback redirect URI, waits
/// for the browser to come back, checks `state`, answers the browser with a page saying
/// it may be closed, exchanges the code and, when the client knows its issuer and an
/// id_token came, validates it. A request for another path or with another `state` (an
/// old tab, another local program) is answered with an error page and ignored, and no
/// local connection, however slowly it sends, holds the wait past `timeout_ms` or a cancel.
///
/// `options_json`: NULL or `""` for the defaults, or a JSON object with any of
/// `timeout_ms` (how long to wait for the user; default 300000), `browser_command`
/// (a program to open the URL with, its arguments split on spaces and the URL added last,
/// no shell; `"none"` opens nothing, for a kiosk that shows the URL from
/// `authgate_operation_authorization_url`; default: the system browser), `scopes`
/// (space-separated string or array, replacing the client's), `port` (default 0, a free
/// one), `path` (default `"/callback"`). An unknown key or a wrong type is
/// `AUTHGATE_INVALID_ARGUMENT`. The client must have an authorization endpoint; the
/// provider must accept a loopback redirect URI on any port (RFC 8252 §7.3).
///
/// Returns at once. On success `*operation_out` receives a new handle owned by the
/// caller; the operation's result (`authgate_operation_take_result`) is the token set, or
/// the failure: `AUTHGATE_TIMEOUT` (the user did not come back in time), an OAuth code
/// such as `AUTHGATE_ACCESS_DENIED`, `AUTHGATE_STATE_MISMATCH`, an `AUTHGATE_ID_TOKEN_*`
/// code, `AUTHGATE_CONFIG` (the port is taken, the browser cannot be started).
/// `authgate_operation_cancel` stops the wait within about 50 ms (`AUTHGATE_CANCELLED`),
/// and frees the port. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_sign_in_loopback_start(
    client: *const authgate_client,
    options_json: *const c_char,
    operation_out: *mut *mut authgate_operation,
) -> authgate_result {
    write_out(operation_out, "operation_out", || {
        let client = &handle(client, "client")?.client;
        let o = options_arg(options_json, "options_json", LOOPBACK_OPTIONS)?;
        let cancel = CancelToken::new();
        let url = UrlSlot::default();
        let mut sign_in = client
            .sign_in_loopback()
            .cancel_token(&cancel)
            .on_url(url.recorder());
        match o.str("browser_command")? {
            None => {}
            Some("none") => sign_in = sign_in.open_with(|_| Ok(())),
            Some(c) if c.trim().is_empty() => {
                return Err(Failure::invalid(
                    "`options_json`: `browser_command` is empty (use \"none\" to open nothing)",
                ))
            }
            Some(c) => sign_in = sign_in.browser_command(c),
        }
        let timeout = o.u64("timeout_ms")?.map(Duration::from_millis);
        sign_in = sign_in.maybe(timeout, |b, t| b.timeout(t));
        sign_in = sign_in.maybe(o.scopes("scopes")?, |b, s| b.scopes(s));
        if let Some(p) = o.u64("port")? {
            let p = u16::try_from(p)
                .map_err(|_| Failure::invalid("`options_json`: `port` is above 65535"))?;
            sign_in = sign_in.port(p);
        }
        sign_in = sign_in.maybe(o.str("path")?, |b, p| b.path(p));
        spawn(Box::new(move || Ok(sign_in.run()?)), Some(cancel), url)
    })
}
