//! The authorization code flow (the core's `authorize` module): `authgate_authorization`
//! (the URL to open, and what to keep until the redirect comes back), reading the
//! redirect back, and the code exchange with the same options. The other token requests
//! are in client.rs.

use std::ffi::c_char;
use std::sync::OnceLock;

use authgate_core::{AuthorizationCode, BuilderSteps, PkceVerifier};

use crate::boundary::*;
use crate::handles::*;
use crate::result::authgate_result;
use crate::token_set::new_token_set;

/// The optional inputs of the code flow's two steps: from an options JSON object, or from
/// the deprecated function's positional arguments.
#[derive(Default)]
struct CodeFlowOptions {
    scopes: Option<Vec<String>>,
    state: Option<String>,
    nonce: Option<String>,
    pkce_verifier: Option<PkceVerifier>,
    redirect_uri: Option<String>,
    params: Vec<(String, String)>,
    /// Push the request first (RFC 9126), whatever the client's setting.
    push: bool,
}

const URL_OPTIONS: &[&str] = &[
    "scopes",
    "state",
    "nonce",
    "pkce_verifier",
    "redirect_uri",
    "params",
    "push",
];

const EXCHANGE_OPTIONS: &[&str] = &["pkce_verifier", "redirect_uri", "scopes", "params"];

impl CodeFlowOptions {
    fn from_json(ptr: *const c_char, known: &[&str]) -> FfiResult<CodeFlowOptions> {
        // The common case, and the one the authorization URL's cost is measured by.
        if ptr.is_null() {
            return Ok(CodeFlowOptions::default());
        }
        let o = options_arg(ptr, "options_json", known)?;
        let text = |key| Ok::<_, Failure>(o.str(key)?.map(str::to_owned));
        Ok(CodeFlowOptions {
            scopes: o.scopes("scopes")?,
            state: text("state")?,
            nonce: text("nonce")?,
            pkce_verifier: o.str("pkce_verifier")?.map(PkceVerifier::new),
            redirect_uri: text("redirect_uri")?,
            params: o.params("params")?,
            push: o.bool("push")?.unwrap_or(false),
        })
    }
}

fn new_authorization(
    client: &ClientInner,
    o: CodeFlowOptions,
) -> FfiResult<*mut authgate_authorization> {
    let mut b = client.client.authorization_url();
    // Each step only when its option is given: the common call gives none, and the
    // builder is not moved around for nothing (as in Python's authorization_url).
    if let Some(s) = o.scopes {
        b = b.scopes(s);
    }
    if let Some(s) = o.state {
        b = b.state(s);
    }
    if let Some(n) = o.nonce {
        b = b.nonce(n);
    }
    if let Some(v) = o.pkce_verifier {
        b = b.pkce_verifier(v);
    }
    if let Some(r) = o.redirect_uri {
        b = b.redirect_uri(r);
    }
    for (k, v) in o.params {
        b = b.param(k, v);
    }
    let mut request = if o.push { b.push()? } else { b.build()? };
    let mut url = std::mem::take(&mut request.url);
    // The URL has no NUL byte: the endpoint is a parsed URL (the URL standard
    // percent-encodes C0 controls) and the query pairs are form-encoded. So it is not
    // scanned for one (that would cost a fifth of what this layer adds to the call).
    debug_assert!(!url.contains('\0'));
    url.push('\0');
    Ok(new_handle::<authgate_authorization>(AuthorizationInner {
        url,
        request,
        state: OnceLock::new(),
        nonce: OnceLock::new(),
        pkce_verifier: OnceLock::new(),
        redirect_uri: OnceLock::new(),
    }))
}

/// Starts the authorization code flow: builds the URL to open in the browser, with a
/// fresh `state`, PKCE verifier (unless PKCE is off) and, with the `openid` scope, a
/// `nonce`, all from the OS random source. No network access, unless the request is
/// pushed (RFC 9126: the option `push`, or the client's
/// `authgate_config_set_pushed_authorization_requests`, on when the provider's discovery
/// document requires it): then the parameters are POSTed to the pushed authorization
/// request endpoint within the client's timeout, authenticated as token requests are,
/// the URL carries only `client_id` and `request_uri`, and the errors are those of a
/// token request.
///
/// `options_json`: NULL or `""` for the defaults, or a JSON object with any of
/// - `scopes`: a space-separated string or an array, replacing the client's (`""`: none);
/// - `state`, `nonce`, `pkce_verifier`: use these instead of random ones (the verifier is
///   43 to 128 characters of `A-Z a-z 0-9 - . _ ~`); an empty string is an error;
/// - `redirect_uri`: instead of the client's;
/// - `params`: an object of strings added to this URL, e.g. `{"prompt":"login"}`;
/// - `push`: `true` to push this request (RFC 9126) even if the client does not by default.
///
/// An unknown key or a wrong type is `AUTHGATE_INVALID_ARGUMENT`. On success
/// `*authorization_out` receives a new handle owned by the caller: keep it until the
/// redirect comes back, then free it with `authgate_authorization_free`. Errors:
/// `AUTHGATE_CONFIG` (no authorization endpoint), `AUTHGATE_INVALID_ARGUMENT`.
/// Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_authorization_url_with(
    client: *const authgate_client,
    options_json: *const c_char,
    authorization_out: *mut *mut authgate_authorization,
) -> authgate_result {
    write_out(authorization_out, "authorization_out", || {
        let c = handle(client, "client")?;
        new_authorization(c, CodeFlowOptions::from_json(options_json, URL_OPTIONS)?)
    })
}

/// Deprecated: use `authgate_client_authorization_url_with`, which takes the optional
/// inputs as one JSON object instead of six positional ones.
///
/// The same, with each optional input a positional argument, NULL for the default:
/// `scopes` (space-separated), `state`, `nonce`, `code_verifier` (the option
/// `pkce_verifier`), `redirect_uri`, `extra_params_json` (the option `params`, as a JSON
/// object). Ownership, errors and threads the same.
#[no_mangle]
pub extern "C" fn authgate_client_authorization_url(
    client: *const authgate_client,
    scopes: *const c_char,
    state: *const c_char,
    nonce: *const c_char,
    code_verifier: *const c_char,
    redirect_uri: *const c_char,
    extra_params_json: *const c_char,
    authorization_out: *mut *mut authgate_authorization,
) -> authgate_result {
    write_out(authorization_out, "authorization_out", || {
        let c = handle(client, "client")?;
        let text = |ptr, name| Ok::<_, Failure>(opt_str_arg(ptr, name)?.map(str::to_owned));
        let options = CodeFlowOptions {
            scopes: scopes_arg(scopes, "scopes")?,
            state: text(state, "state")?,
            nonce: text(nonce, "nonce")?,
            pkce_verifier: opt_str_arg(code_verifier, "code_verifier")?.map(PkceVerifier::new),
            redirect_uri: text(redirect_uri, "redirect_uri")?,
            params: params_arg(extra_params_json, "extra_params_json")?,
            push: false,
        };
        new_authorization(c, options)
    })
}

/// Frees an authorization request (its verifier is wiped). NULL is accepted and ignored.
#[no_mangle]
pub extern "C" fn authgate_authorization_free(authorization: *mut authgate_authorization) {
    guard((), || free_handle(authorization))
}

/// The URL to open in the browser. `*out` is owned by the authorization (valid until
/// `authgate_authorization_free`). Threads: any.
#[no_mangle]
pub extern "C" fn authgate_authorization_url(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    write_out(out, "out", || {
        Ok(handle(authorization, "authorization")?.url.as_ptr().cast())
    })
}

/// The `state` sent. `*out` is owned by the authorization.
#[no_mangle]
pub extern "C" fn authgate_authorization_state(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(authorization, "authorization", out, "state", |a| {
        a.state.get_or_init(|| field(Some(&a.request.state)))
    })
}

/// The OpenID Connect `nonce` sent, or NULL if none (the id_token's `nonce` claim
/// must equal it). `*out` is owned by the authorization.
#[no_mangle]
pub extern "C" fn authgate_authorization_nonce(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(authorization, "authorization", out, "nonce", |a| {
        a.nonce.get_or_init(|| field(a.request.nonce.as_deref()))
    })
}

/// The PKCE verifier, or NULL when PKCE is off: pass it to the code exchange
/// (`authgate_client_exchange_code_with`'s option `pkce_verifier`). A secret. `*out` is
/// owned by the authorization.
#[no_mangle]
pub extern "C" fn authgate_authorization_pkce_verifier(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(authorization, "authorization", out, "PKCE verifier", |a| {
        a.pkce_verifier
            .get_or_init(|| field(a.request.pkce_verifier.as_ref().map(|v| v.secret())))
    })
}

/// Deprecated: use `authgate_authorization_pkce_verifier` (the same function under the
/// name the other languages use).
#[no_mangle]
pub extern "C" fn authgate_authorization_code_verifier(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    authgate_authorization_pkce_verifier(authorization, out)
}

/// The redirect URI sent, or NULL if none. `*out` is owned by the authorization.
#[no_mangle]
pub extern "C" fn authgate_authorization_redirect_uri(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    get_field(authorization, "authorization", out, "redirect URI", |a| {
        a.redirect_uri
            .get_or_init(|| field(a.request.redirect_uri.as_deref()))
    })
}

fn code_string(code: AuthorizationCode) -> FfiResult<*mut c_char> {
    owned_c_string(code.secret().to_owned(), "code")
}

/// Reads the redirect back: `callback` is the whole redirect URL or its query string.
/// The `state` in it is compared (in constant time) with this authorization's, and its
/// `iss` with the client's issuer when known (RFC 9207; configured or discovered).
///
/// On success `*code_out` receives the one-time code, a new string owned by the caller:
/// free it with `authgate_string_free` (which wipes it). Errors: `AUTHGATE_STATE_MISMATCH`,
/// `AUTHGATE_ISSUER_MISMATCH` (`iss` names another issuer, or is missing although the
/// provider's metadata promises it: a possible mix-up attack), an OAuth code such as
/// `AUTHGATE_ACCESS_DENIED` when the redirect carries `error` (read
/// `authgate_last_error_oauth_error` / `_description`), `AUTHGATE_INVALID_ARGUMENT` (also
/// for a `code` that is not UTF-8 once percent-decoded: it is never altered).
#[no_mangle]
pub extern "C" fn authgate_authorization_parse_callback(
    authorization: *const authgate_authorization,
    callback: *const c_char,
    code_out: *mut *mut c_char,
) -> authgate_result {
    write_out(code_out, "code_out", || {
        let a = handle(authorization, "authorization")?;
        let cb = required_str(callback, "callback")?;
        code_string(a.request.parse_callback(cb)?)
    })
}

/// `authgate_authorization_parse_callback` with an explicit expected state, for a program
/// that kept only the state string. Ownership and errors the same; `iss` is not checked
/// (see `authgate_parse_callback_with_issuer`).
#[no_mangle]
pub extern "C" fn authgate_parse_callback(
    callback: *const c_char,
    expected_state: *const c_char,
    code_out: *mut *mut c_char,
) -> authgate_result {
    authgate_parse_callback_with_issuer(callback, expected_state, std::ptr::null(), 0, code_out)
}

/// `authgate_parse_callback` that also checks `iss` (RFC 9207): `expected_issuer` (NULL:
/// not checked) must equal the redirect's `iss` exactly when there is one, and with
/// `issuer_required` non-zero (the provider's metadata says
/// `authorization_response_iss_parameter_supported`) a redirect without `iss` is refused.
/// Errors as `authgate_authorization_parse_callback`, `AUTHGATE_ISSUER_MISMATCH` included.
/// Ownership the same. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_parse_callback_with_issuer(
    callback: *const c_char,
    expected_state: *const c_char,
    expected_issuer: *const c_char,
    issuer_required: i32,
    code_out: *mut *mut c_char,
) -> authgate_result {
    write_out(code_out, "code_out", || {
        let cb = required_str(callback, "callback")?;
        let st = required_str(expected_state, "expected_state")?;
        let iss = opt_str_arg(expected_issuer, "expected_issuer")?;
        let code = authgate_core::parse_callback_with_issuer(cb, st, iss, flag(issuer_required))?;
        code_string(code)
    })
}

/// Exchanges an authorization code for tokens (RFC 6749 §4.1.3), with the code flow's
/// options. Blocks until the answer comes or the client's timeout elapses.
///
/// `code` (required): from `authgate_authorization_parse_callback`. `options_json`: NULL
/// or `""` for the defaults, or a JSON object with any of
/// - `pkce_verifier`: the authorization's (`authgate_authorization_pkce_verifier`); leave
///   it out only without PKCE;
/// - `redirect_uri`: the one the authorization sent, if it was overridden (default: the
///   client's);
/// - `scopes`: a space-separated string or an array, sent as `scope` (default: none);
/// - `params`: an object of strings added to the form body.
///
/// An unknown key or a wrong type is `AUTHGATE_INVALID_ARGUMENT`. On success
/// `*token_set_out` receives a new handle owned by the caller (free it with
/// `authgate_token_set_free`). On failure read the last error: an OAuth code with
/// `error` / `description`, a transport code, `AUTHGATE_UNEXPECTED_RESPONSE`, …
/// Threads: any; the same client may run several requests at once.
#[no_mangle]
pub extern "C" fn authgate_client_exchange_code_with(
    client: *const authgate_client,
    code: *const c_char,
    options_json: *const c_char,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    write_out(token_set_out, "token_set_out", || {
        let c = handle(client, "client")?;
        let code = AuthorizationCode::new(required_str(code, "code")?);
        let o = CodeFlowOptions::from_json(options_json, EXCHANGE_OPTIONS)?;
        let mut request = c.client.exchange_code(code);
        request = request.maybe(o.pkce_verifier, |b, v| b.pkce_verifier(v));
        request = request.maybe(o.redirect_uri, |b, u| b.redirect_uri(u));
        request = request.maybe(o.scopes, |b, s| b.scopes(s));
        request = request.each(o.params, |b, (k, v)| b.param(k, v));
        Ok(new_token_set(request.send()?))
    })
}
