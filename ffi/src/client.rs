//! `authgate_client`, the authorization URL, the callback, and the blocking token requests.

use std::ffi::{c_char, CString};

use authgate_core::{AuthorizationCode, Client, ClientBuilder, Password, TokenRequest};

use crate::boundary::*;
use crate::handles::*;
use crate::result::authgate_result;
use crate::token_set::new_token_set;

fn c_string(s: &str, what: &str) -> FfiResult<CString> {
    CString::new(s).map_err(|_| Failure::invalid(format!("the {what} contains a NUL byte")))
}

fn new_client(client: Client, out: Out<*mut authgate_client>) -> FfiResult {
    let inner = ClientInner {
        client_id: c_string(client.client_id(), "client id")?,
        token_endpoint: c_string(client.token_endpoint(), "token endpoint")?,
        authorization_endpoint: client
            .authorization_endpoint()
            .map(|a| c_string(a, "authorization endpoint"))
            .transpose()?,
        client,
    };
    out.write(new_handle::<authgate_client>(inner));
    Ok(())
}

/// Checks a configuration and builds a client from it.
///
/// On success `*client_out` receives a new handle owned by the caller (free it with
/// `authgate_client_free`); the configuration is copied, so it may be freed or changed
/// afterwards. Errors: `AUTHGATE_CONFIG` naming the first problem (missing `client_id`,
/// plain `http://` to a non-loopback host, a bad URL, …). Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_new(
    config: *const authgate_config,
    client_out: *mut *mut authgate_client,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(client_out, "client_out")?;
        let cfg = handle(config, "config")?;
        let builder = cfg
            .builder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        new_client(builder.build()?, out)
    })
}

/// Builds a client straight from a JSON configuration (the keys of
/// `authgate_config_new_from_json`). Ownership as `authgate_client_new`.
#[no_mangle]
pub extern "C" fn authgate_client_new_from_json(
    json: *const c_char,
    client_out: *mut *mut authgate_client,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(client_out, "client_out")?;
        let json = required_str(json, "json")?;
        new_client(ClientBuilder::from_json(json)?.build()?, out)
    })
}

/// Frees a client. NULL is accepted and ignored. No call on this client may be running
/// in another thread (operations started from it keep their own reference and may
/// outlive it). Use after free cannot be detected.
#[no_mangle]
pub extern "C" fn authgate_client_free(client: *mut authgate_client) {
    guard((), || free_handle(client))
}

/// The preset the client was built from (`AUTHGATE_PROVIDER_*`), through `*provider_out`.
#[no_mangle]
pub extern "C" fn authgate_client_provider(
    client: *const authgate_client,
    provider_out: *mut u32,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(provider_out, "provider_out")?;
        out.write(handle(client, "client")?.client.provider() as u32);
        Ok(())
    })
}

/// The client id. `*out` is owned by the client (valid until `authgate_client_free`).
#[no_mangle]
pub extern "C" fn authgate_client_client_id(
    client: *const authgate_client,
    out: *mut *const c_char,
) -> authgate_result {
    boundary(|| {
        let o = out_arg(out, "out")?;
        o.write(handle(client, "client")?.client_id.as_ptr());
        Ok(())
    })
}

/// The token endpoint URL. `*out` is owned by the client.
#[no_mangle]
pub extern "C" fn authgate_client_token_endpoint(
    client: *const authgate_client,
    out: *mut *const c_char,
) -> authgate_result {
    boundary(|| {
        let o = out_arg(out, "out")?;
        o.write(handle(client, "client")?.token_endpoint.as_ptr());
        Ok(())
    })
}

/// The authorization endpoint URL, or NULL for a client without one (CUBA). `*out` is
/// owned by the client.
#[no_mangle]
pub extern "C" fn authgate_client_authorization_endpoint(
    client: *const authgate_client,
    out: *mut *const c_char,
) -> authgate_result {
    boundary(|| {
        let o = out_arg(out, "out")?;
        let c = handle(client, "client")?;
        o.write(
            c.authorization_endpoint
                .as_ref()
                .map_or(std::ptr::null(), |a| a.as_ptr()),
        );
        Ok(())
    })
}

/// Starts the authorization code flow: builds the URL to open in the browser, with a
/// fresh `state`, PKCE verifier (unless PKCE is off) and, with the `openid` scope, a
/// `nonce`, all from the OS random source.
///
/// Every input but `client` and `authorization_out` may be NULL, meaning "the default":
/// - `scopes`: space-separated scopes replacing the client's defaults (`""`: none);
/// - `state`, `nonce`, `code_verifier`: use these instead of random ones (the verifier
///   is 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`); an empty string is an error;
/// - `redirect_uri`: instead of the client's;
/// - `extra_params_json`: a JSON object of strings added to this URL, e.g.
///   `{"prompt":"login"}`.
///
/// On success `*authorization_out` receives a new handle owned by the caller: keep it
/// until the redirect comes back, then free it with `authgate_authorization_free`.
/// Errors: `AUTHGATE_CONFIG` (no authorization endpoint), `AUTHGATE_INVALID_ARGUMENT`.
/// No network access. Threads: any.
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
    boundary(|| {
        let out = out_arg(authorization_out, "authorization_out")?;
        let c = handle(client, "client")?;
        let scopes = scopes_arg(scopes, "scopes")?;
        let state = opt_str_arg(state, "state")?;
        let nonce = opt_str_arg(nonce, "nonce")?;
        let verifier = opt_str_arg(code_verifier, "code_verifier")?;
        let redirect = opt_str_arg(redirect_uri, "redirect_uri")?;
        let params = params_json(extra_params_json, "extra_params_json")?;

        let mut b = c.client.authorization_url();
        if let Some(s) = scopes {
            b = b.scopes(s);
        }
        if let Some(s) = state {
            b = b.state(s);
        }
        if let Some(n) = nonce {
            b = b.nonce(n);
        }
        if let Some(v) = verifier {
            b = b.pkce_verifier(v);
        }
        if let Some(r) = redirect {
            b = b.redirect_uri(r);
        }
        for (k, v) in params {
            b = b.param(k, v);
        }
        let request = b.build()?;
        let inner = AuthorizationInner {
            url: field(Some(&request.url)),
            state: field(Some(&request.state)),
            nonce: field(request.nonce.as_deref()),
            code_verifier: field(request.pkce_verifier.as_ref().map(|v| v.secret())),
            redirect_uri: field(request.redirect_uri.as_deref()),
            request,
        };
        out.write(new_handle::<authgate_authorization>(inner));
        Ok(())
    })
}

/// Frees an authorization request (its verifier is wiped). NULL is accepted and ignored.
#[no_mangle]
pub extern "C" fn authgate_authorization_free(authorization: *mut authgate_authorization) {
    guard((), || free_handle(authorization))
}

/// Hands out one string of an authorization (cbindgen cannot see functions made by
/// macros, so each getter is written out and calls this).
fn authorization_field(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
    pick: impl FnOnce(&AuthorizationInner) -> (&Field, &str),
) -> authgate_result {
    boundary(|| {
        let o = out_arg(out, "out")?;
        let (f, what) = pick(handle(authorization, "authorization")?);
        read_field(f, what, o)
    })
}

/// The URL to open in the browser. `*out` is owned by the authorization (valid until
/// `authgate_authorization_free`). Threads: any.
#[no_mangle]
pub extern "C" fn authgate_authorization_url(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    authorization_field(authorization, out, |a| (&a.url, "URL"))
}

/// The `state` sent. `*out` is owned by the authorization.
#[no_mangle]
pub extern "C" fn authgate_authorization_state(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    authorization_field(authorization, out, |a| (&a.state, "state"))
}

/// The OpenID Connect `nonce` sent, or NULL if none (the id_token's `nonce` claim
/// must equal it). `*out` is owned by the authorization.
#[no_mangle]
pub extern "C" fn authgate_authorization_nonce(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    authorization_field(authorization, out, |a| (&a.nonce, "nonce"))
}

/// The PKCE verifier, or NULL when PKCE is off: pass it to
/// `authgate_client_exchange_code`. A secret. `*out` is owned by the authorization.
#[no_mangle]
pub extern "C" fn authgate_authorization_code_verifier(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    authorization_field(authorization, out, |a| (&a.code_verifier, "code verifier"))
}

/// The redirect URI sent, or NULL if none. `*out` is owned by the authorization.
#[no_mangle]
pub extern "C" fn authgate_authorization_redirect_uri(
    authorization: *const authgate_authorization,
    out: *mut *const c_char,
) -> authgate_result {
    authorization_field(authorization, out, |a| (&a.redirect_uri, "redirect URI"))
}

fn write_code(code: AuthorizationCode, out: Out<*mut c_char>) -> FfiResult {
    out.write(owned_c_string(code.secret().to_owned(), "code")?);
    Ok(())
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
    boundary(|| {
        let out = out_arg(code_out, "code_out")?;
        let a = handle(authorization, "authorization")?;
        let cb = required_str(callback, "callback")?;
        write_code(a.request.parse_callback(cb)?, out)
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
    boundary(|| {
        let out = out_arg(code_out, "code_out")?;
        let cb = required_str(callback, "callback")?;
        let st = required_str(expected_state, "expected_state")?;
        let iss = opt_str_arg(expected_issuer, "expected_issuer")?;
        let code = authgate_core::parse_callback_with_issuer(cb, st, iss, flag(issuer_required))?;
        write_code(code, out)
    })
}

// --- token requests ---------------------------------------------------------------------
// Each C call translates its arguments into the core's `TokenRequest`, which owns them: the
// blocking calls send it here, the `_start` calls (operation.rs) on another thread.

/// Adds the optional `scopes` and `extra_params_json` of a C call to a request.
fn with_options(
    mut request: TokenRequest,
    scopes: Option<*const c_char>,
    extra_params_json: *const c_char,
) -> FfiResult<TokenRequest> {
    if let Some(s) = scopes
        .map(|s| scopes_arg(s, "scopes"))
        .transpose()?
        .flatten()
    {
        request = request.scopes(s);
    }
    for (k, v) in params_json(extra_params_json, "extra_params_json")? {
        request = request.param(k, v);
    }
    Ok(request)
}

pub(crate) fn code_request(
    client: &Client,
    code: *const c_char,
    code_verifier: *const c_char,
    redirect_uri: *const c_char,
    extra_params_json: *const c_char,
) -> FfiResult<TokenRequest> {
    let mut request = client.exchange_code(required_str(code, "code")?);
    if let Some(v) = opt_str_arg(code_verifier, "code_verifier")? {
        request = request.pkce_verifier(v);
    }
    if let Some(r) = opt_str_arg(redirect_uri, "redirect_uri")? {
        request = request.redirect_uri(r);
    }
    with_options(request, None, extra_params_json)
}

pub(crate) fn refresh_request(
    client: &Client,
    refresh_token: *const c_char,
    scopes: *const c_char,
    extra_params_json: *const c_char,
) -> FfiResult<TokenRequest> {
    let request = client.refresh(required_str(refresh_token, "refresh_token")?);
    with_options(request, Some(scopes), extra_params_json)
}

pub(crate) fn password_request(
    client: &Client,
    username: *const c_char,
    password: *const c_char,
    scopes: *const c_char,
    extra_params_json: *const c_char,
) -> FfiResult<TokenRequest> {
    let request = client.password(
        required_str(username, "username")?,
        Password::new(str_arg(password, "password")?),
    );
    with_options(request, Some(scopes), extra_params_json)
}

pub(crate) fn client_credentials_request(
    client: &Client,
    scopes: *const c_char,
    extra_params_json: *const c_char,
) -> FfiResult<TokenRequest> {
    with_options(client.client_credentials(), Some(scopes), extra_params_json)
}

fn run_blocking(
    client: *const authgate_client,
    request: impl FnOnce(&Client) -> FfiResult<TokenRequest>,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(token_set_out, "token_set_out")?;
        let tokens = request(&handle(client, "client")?.client)?.send()?;
        out.write(new_token_set(tokens));
        Ok(())
    })
}

/// Exchanges an authorization code for tokens (RFC 6749 §4.1.3). Blocks until the answer
/// comes or the client's timeout elapses; see `authgate_client_exchange_code_start` for
/// the non-blocking form.
///
/// `code` (required): from `authgate_authorization_parse_callback`. `code_verifier`: the
/// authorization's PKCE verifier, or NULL without PKCE. `redirect_uri`: NULL for the
/// client's (pass the authorization's if it was overridden). `extra_params_json`: NULL or
/// a JSON object of strings added to the form body.
///
/// On success `*token_set_out` receives a new handle owned by the caller (free it with
/// `authgate_token_set_free`). On failure read the last error: an OAuth code with
/// `error` / `error_description`, a transport code, `AUTHGATE_UNEXPECTED_RESPONSE`, …
/// Threads: any; the same client may run several requests at once.
#[no_mangle]
pub extern "C" fn authgate_client_exchange_code(
    client: *const authgate_client,
    code: *const c_char,
    code_verifier: *const c_char,
    redirect_uri: *const c_char,
    extra_params_json: *const c_char,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    run_blocking(
        client,
        |c| code_request(c, code, code_verifier, redirect_uri, extra_params_json),
        token_set_out,
    )
}

/// Refreshes tokens (RFC 6749 §6). Blocking, like `authgate_client_exchange_code`.
///
/// `refresh_token` (required). `scopes`: NULL to send none, else space-separated.
/// `extra_params_json`: NULL or a JSON object of strings. If the answer carries a new
/// refresh token (rotation, as GearCode does), the old one is dead: store the new token
/// set before using it. If it carries none, the new set keeps the old refresh token.
/// Ownership as `authgate_client_exchange_code`.
#[no_mangle]
pub extern "C" fn authgate_client_refresh(
    client: *const authgate_client,
    refresh_token: *const c_char,
    scopes: *const c_char,
    extra_params_json: *const c_char,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    run_blocking(
        client,
        |c| refresh_request(c, refresh_token, scopes, extra_params_json),
        token_set_out,
    )
}

/// The resource owner password grant (RFC 6749 §4.3), as CUBA uses it. Blocking.
///
/// `username` (required, non-empty) and `password` (required, may be empty) are UTF-8 and
/// are encoded exactly, whatever they contain. `scopes`: NULL for the client's defaults.
/// `extra_params_json`: NULL or a JSON object of strings. Ownership as
/// `authgate_client_exchange_code`.
#[no_mangle]
pub extern "C" fn authgate_client_password(
    client: *const authgate_client,
    username: *const c_char,
    password: *const c_char,
    scopes: *const c_char,
    extra_params_json: *const c_char,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    run_blocking(
        client,
        |c| password_request(c, username, password, scopes, extra_params_json),
        token_set_out,
    )
}

/// The client credentials grant (RFC 6749 §4.4). Blocking. `scopes`: NULL for the
/// client's defaults, else space-separated. `extra_params_json`: NULL or a JSON object of
/// strings. Ownership as `authgate_client_exchange_code`.
#[no_mangle]
pub extern "C" fn authgate_client_client_credentials(
    client: *const authgate_client,
    scopes: *const c_char,
    extra_params_json: *const c_char,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    run_blocking(
        client,
        |c| client_credentials_request(c, scopes, extra_params_json),
        token_set_out,
    )
}
