//! `authgate_token_set`: the tokens, their getters, and the stored form to restore them.

use std::ffi::c_char;
use std::time::Duration;

use authgate_core::TokenSet;
use serde_json::Value;

use crate::boundary::*;
use crate::handles::{authgate_token_set, TokenSetInner};
use crate::result::authgate_result;

/// Wraps a token set in a new handle. The expiry is the core's: computed on receipt, or
/// restored from a stored set's `expires_at` (`TokenSet::from_json`).
pub(crate) fn new_token_set(tokens: TokenSet) -> *mut authgate_token_set {
    let raw = Value::Object(tokens.raw().clone()).to_string();
    let warnings = Value::from(tokens.warnings().to_vec()).to_string();
    let inner = TokenSetInner {
        access_token: field(Some(tokens.access_token().secret())),
        token_type: field(Some(tokens.token_type())),
        refresh_token: field(tokens.refresh_token().map(|t| t.secret())),
        scope: field(tokens.scope()),
        id_token: field(tokens.id_token().map(|t| t.secret())),
        authorization_header: field(Some(&tokens.authorization_header())),
        // serde_json escapes NUL as \u0000, so these always convert.
        raw_json: SecretCString::new(&raw).unwrap_or_else(|| SecretCString::new("{}").unwrap()),
        warnings_json: SecretCString::new(&warnings)
            .unwrap_or_else(|| SecretCString::new("[]").unwrap()),
        tokens,
    };
    new_handle::<authgate_token_set>(inner)
}

/// Restores a token set from JSON: the form `authgate_token_set_to_json` writes (which
/// keeps the absolute expiry in `expires_at`, Unix seconds), or a token endpoint answer
/// received just now (`expires_in` then counts from now).
///
/// On success `*token_set_out` receives a new handle owned by the caller (free it with
/// `authgate_token_set_free`). Errors: `AUTHGATE_INVALID_ARGUMENT` (not a JSON object),
/// `AUTHGATE_UNEXPECTED_RESPONSE` (no usable `access_token`). Threads: any.
#[no_mangle]
pub extern "C" fn authgate_token_set_new_from_json(
    json: *const c_char,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    write_out(token_set_out, "token_set_out", || {
        let json = required_str(json, "json")?;
        Ok(new_token_set(TokenSet::from_json(json)?))
    })
}

/// The token set as one JSON object to store (in a file, a database, 1C's storage) and
/// restore later with `authgate_token_set_new_from_json`: the server's answer with the
/// effective values (a refresh token kept from before a refresh included) and
/// `expires_at` in Unix seconds. It holds the tokens: store it like a password.
///
/// On success `*json_out` receives a new string owned by the caller: free it with
/// `authgate_string_free` (which wipes it). Threads: any.
#[no_mangle]
pub extern "C" fn authgate_token_set_to_json(
    token_set: *const authgate_token_set,
    json_out: *mut *mut c_char,
) -> authgate_result {
    write_out(json_out, "json_out", || {
        let json = zeroize::Zeroizing::new(handle(token_set, "token_set")?.tokens.to_json());
        secret_c_string(&json, "token set JSON")
    })
}

/// Frees a token set and wipes the tokens it held. NULL is accepted and ignored. Strings
/// obtained from its getters become invalid. Use after free cannot be detected.
#[no_mangle]
pub extern "C" fn authgate_token_set_free(token_set: *mut authgate_token_set) {
    guard((), || free_handle(token_set))
}

/// The access token. A secret. `*out` is owned by the token set (valid until
/// `authgate_token_set_free`). All token set getters: threads any; `out` must not be NULL.
#[no_mangle]
pub extern "C" fn authgate_token_set_access_token(
    token_set: *const authgate_token_set,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(token_set, "token_set", out, "access token", |t| {
        &t.access_token
    })
}

/// The token type; `bearer` in any case is normalised to `Bearer`. `*out` is owned by the
/// token set.
#[no_mangle]
pub extern "C" fn authgate_token_set_token_type(
    token_set: *const authgate_token_set,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(token_set, "token_set", out, "token type", |t| &t.token_type)
}

/// The refresh token, or NULL if none. A secret. `*out` is owned by the token set.
#[no_mangle]
pub extern "C" fn authgate_token_set_refresh_token(
    token_set: *const authgate_token_set,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(token_set, "token_set", out, "refresh token", |t| {
        &t.refresh_token
    })
}

/// The granted scope (space-separated; the requested one if the server omitted it), or
/// NULL. `*out` is owned by the token set.
#[no_mangle]
pub extern "C" fn authgate_token_set_scope(
    token_set: *const authgate_token_set,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(token_set, "token_set", out, "scope", |t| &t.scope)
}

/// The OpenID Connect id_token, or NULL. `*out` is owned by the token set.
#[no_mangle]
pub extern "C" fn authgate_token_set_id_token(
    token_set: *const authgate_token_set,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(token_set, "token_set", out, "id_token", |t| &t.id_token)
}

/// The value for an `Authorization` header, e.g. `Bearer eyJ…`. A secret. `*out` is owned
/// by the token set.
#[no_mangle]
pub extern "C" fn authgate_token_set_authorization_header(
    token_set: *const authgate_token_set,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(token_set, "token_set", out, "authorization header", |t| {
        &t.authorization_header
    })
}

/// The whole answer as the server sent it, as a JSON object (for provider fields such as
/// a `user_id`). Holds the tokens. `*out` is owned by the token set.
#[no_mangle]
pub extern "C" fn authgate_token_set_raw_json(
    token_set: *const authgate_token_set,
    out: *mut *const c_char,
) -> authgate_result {
    write_out(out, "out", || {
        Ok(handle(token_set, "token_set")?.raw_json.as_ptr())
    })
}

/// What the server got wrong and authgate tolerated (`expires_in` as a string, a
/// lower-case `bearer`…), as a JSON array of strings, `[]` when nothing. No secrets.
/// `*out` is owned by the token set.
#[no_mangle]
pub extern "C" fn authgate_token_set_warnings_json(
    token_set: *const authgate_token_set,
    out: *mut *const c_char,
) -> authgate_result {
    write_out(out, "out", || {
        Ok(handle(token_set, "token_set")?.warnings_json.as_ptr())
    })
}

/// Seconds as C reads them: -1 when unknown (and capped at `INT64_MAX`).
fn seconds_or_minus_one(seconds: Option<u64>) -> i64 {
    seconds.map_or(-1, |s| i64::try_from(s).unwrap_or(i64::MAX))
}

/// The lifetime in seconds as the server sent it, or -1 when it did not say.
#[no_mangle]
pub extern "C" fn authgate_token_set_expires_in(
    token_set: *const authgate_token_set,
    seconds_out: *mut i64,
) -> authgate_result {
    write_out(seconds_out, "seconds_out", || {
        Ok(seconds_or_minus_one(
            handle(token_set, "token_set")?.tokens.expires_in(),
        ))
    })
}

/// When the access token expires, in Unix seconds (UTC), or -1 when unknown.
#[no_mangle]
pub extern "C" fn authgate_token_set_expires_at(
    token_set: *const authgate_token_set,
    unix_seconds_out: *mut i64,
) -> authgate_result {
    write_out(unix_seconds_out, "unix_seconds_out", || {
        let t = &handle(token_set, "token_set")?.tokens;
        Ok(seconds_or_minus_one(t.expires_at_unix()))
    })
}

/// Whether the access token expires within `leeway_ms` milliseconds from now:
/// `*expired_out` is 1 or 0. A token without a known expiry is never considered expired.
#[no_mangle]
pub extern "C" fn authgate_token_set_is_expired_ms(
    token_set: *const authgate_token_set,
    leeway_ms: u64,
    expired_out: *mut i32,
) -> authgate_result {
    write_out(expired_out, "expired_out", || {
        let t = handle(token_set, "token_set")?;
        Ok(i32::from(
            t.tokens.is_expired(Duration::from_millis(leeway_ms)),
        ))
    })
}

/// Deprecated: use `authgate_token_set_is_expired_ms` (every duration in this API is in
/// milliseconds). The same, with the leeway in `leeway_seconds`.
#[no_mangle]
pub extern "C" fn authgate_token_set_is_expired(
    token_set: *const authgate_token_set,
    leeway_seconds: u32,
    expired_out: *mut i32,
) -> authgate_result {
    authgate_token_set_is_expired_ms(token_set, u64::from(leeway_seconds) * 1000, expired_out)
}
