//! `authgate_client`, and the blocking token requests (the authorization URL and the
//! callback are in authorize.rs).

use std::ffi::{c_char, CString};

use authgate_core::{BuilderSteps, Client, ClientBuilder, Password, TokenRequest};

use crate::boundary::*;
use crate::handles::*;
use crate::result::authgate_result;
use crate::token_set::new_token_set;

fn c_string(s: &str, what: &str) -> FfiResult<CString> {
    CString::new(s).map_err(|_| Failure::invalid(format!("the {what} contains a NUL byte")))
}

fn new_client(client: Client) -> FfiResult<*mut authgate_client> {
    let inner = ClientInner {
        client_id: c_string(client.client_id(), "client id")?,
        token_endpoint: c_string(client.token_endpoint(), "token endpoint")?,
        authorization_endpoint: client
            .authorization_endpoint()
            .map(|a| c_string(a, "authorization endpoint"))
            .transpose()?,
        client,
    };
    Ok(new_handle::<authgate_client>(inner))
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
    write_out(client_out, "client_out", || {
        let cfg = handle(config, "config")?;
        let builder = cfg
            .builder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        new_client(builder.build()?)
    })
}

/// Builds a client straight from a JSON configuration (the keys of
/// `authgate_config_new_from_json`). Ownership as `authgate_client_new`.
#[no_mangle]
pub extern "C" fn authgate_client_new_from_json(
    json: *const c_char,
    client_out: *mut *mut authgate_client,
) -> authgate_result {
    write_out(client_out, "client_out", || {
        let json = required_str(json, "json")?;
        new_client(ClientBuilder::from_json(json)?.build()?)
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
    write_out(provider_out, "provider_out", || {
        Ok(handle(client, "client")?.client.provider() as u32)
    })
}

/// The client id. `*out` is owned by the client (valid until `authgate_client_free`).
#[no_mangle]
pub extern "C" fn authgate_client_client_id(
    client: *const authgate_client,
    out: *mut *const c_char,
) -> authgate_result {
    write_out(out, "out", || {
        Ok(handle(client, "client")?.client_id.as_ptr())
    })
}

/// The token endpoint URL. `*out` is owned by the client.
#[no_mangle]
pub extern "C" fn authgate_client_token_endpoint(
    client: *const authgate_client,
    out: *mut *const c_char,
) -> authgate_result {
    write_out(out, "out", || {
        Ok(handle(client, "client")?.token_endpoint.as_ptr())
    })
}

/// The authorization endpoint URL, or NULL for a client without one (CUBA). `*out` is
/// owned by the client.
#[no_mangle]
pub extern "C" fn authgate_client_authorization_endpoint(
    client: *const authgate_client,
    out: *mut *const c_char,
) -> authgate_result {
    write_out(out, "out", || {
        let c = handle(client, "client")?;
        Ok(c.authorization_endpoint
            .as_ref()
            .map_or(std::ptr::null(), |a| a.as_ptr()))
    })
}

// --- token requests ---------------------------------------------------------------------
// Each C call translates its arguments into the core's `TokenRequest`, which owns them: the
// blocking calls send it here, the `_start` calls (operation.rs) on another thread.

/// Adds the optional `scopes` and `params_json` of a C call to a request.
fn with_options(
    mut request: TokenRequest,
    scopes: Option<*const c_char>,
    params_json: *const c_char,
) -> FfiResult<TokenRequest> {
    if let Some(s) = scopes
        .map(|s| scopes_arg(s, "scopes"))
        .transpose()?
        .flatten()
    {
        request = request.scopes(s);
    }
    request = request.each(params_arg(params_json, "params_json")?, |b, (k, v)| {
        b.param(k, v)
    });
    Ok(request)
}

pub(crate) fn code_request(
    client: &Client,
    code: *const c_char,
    pkce_verifier: *const c_char,
    redirect_uri: *const c_char,
    params_json: *const c_char,
) -> FfiResult<TokenRequest> {
    let mut request = client.exchange_code(required_str(code, "code")?);
    request = request.maybe(opt_str_arg(pkce_verifier, "pkce_verifier")?, |b, v| {
        b.pkce_verifier(v)
    });
    request = request.maybe(opt_str_arg(redirect_uri, "redirect_uri")?, |b, r| {
        b.redirect_uri(r)
    });
    with_options(request, None, params_json)
}

pub(crate) fn refresh_request(
    client: &Client,
    refresh_token: *const c_char,
    scopes: *const c_char,
    params_json: *const c_char,
) -> FfiResult<TokenRequest> {
    let request = client.refresh(required_str(refresh_token, "refresh_token")?);
    with_options(request, Some(scopes), params_json)
}

pub(crate) fn password_request(
    client: &Client,
    username: *const c_char,
    password: *const c_char,
    scopes: *const c_char,
    params_json: *const c_char,
) -> FfiResult<TokenRequest> {
    let request = client.password(
        required_str(username, "username")?,
        Password::new(str_arg(password, "password")?),
    );
    with_options(request, Some(scopes), params_json)
}

pub(crate) fn client_credentials_request(
    client: &Client,
    scopes: *const c_char,
    params_json: *const c_char,
) -> FfiResult<TokenRequest> {
    with_options(client.client_credentials(), Some(scopes), params_json)
}

fn run_blocking(
    client: *const authgate_client,
    request: impl FnOnce(&Client) -> FfiResult<TokenRequest>,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    write_out(token_set_out, "token_set_out", || {
        let tokens = request(&handle(client, "client")?.client)?.send()?;
        Ok(new_token_set(tokens))
    })
}

/// Exchanges an authorization code for tokens (RFC 6749 §4.1.3). Blocks until the answer
/// comes or the client's timeout elapses; see `authgate_client_exchange_code_start` for
/// the non-blocking form.
///
/// `code` (required): from `authgate_authorization_parse_callback`. `pkce_verifier`: the
/// authorization's PKCE verifier, or NULL without PKCE. `redirect_uri`: NULL for the
/// client's (pass the authorization's if it was overridden). `params_json`: NULL or
/// a JSON object of strings added to the form body. To send scopes as well, use
/// `authgate_client_exchange_code_with`, which takes these as one options object.
///
/// On success `*token_set_out` receives a new handle owned by the caller (free it with
/// `authgate_token_set_free`). On failure read the last error: an OAuth code with
/// `error` / `error_description`, a transport code, `AUTHGATE_UNEXPECTED_RESPONSE`, …
/// Threads: any; the same client may run several requests at once.
#[no_mangle]
pub extern "C" fn authgate_client_exchange_code(
    client: *const authgate_client,
    code: *const c_char,
    pkce_verifier: *const c_char,
    redirect_uri: *const c_char,
    params_json: *const c_char,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    run_blocking(
        client,
        |c| code_request(c, code, pkce_verifier, redirect_uri, params_json),
        token_set_out,
    )
}

/// Refreshes tokens (RFC 6749 §6). Blocking, like `authgate_client_exchange_code`.
///
/// `refresh_token` (required). `scopes`: NULL to send none, else space-separated.
/// `params_json`: NULL or a JSON object of strings. If the answer carries a new
/// refresh token (rotation, as GearCode does), the old one is dead: store the new token
/// set before using it. If it carries none, the new set keeps the old refresh token.
/// Ownership as `authgate_client_exchange_code`.
#[no_mangle]
pub extern "C" fn authgate_client_refresh(
    client: *const authgate_client,
    refresh_token: *const c_char,
    scopes: *const c_char,
    params_json: *const c_char,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    run_blocking(
        client,
        |c| refresh_request(c, refresh_token, scopes, params_json),
        token_set_out,
    )
}

/// The resource owner password grant (RFC 6749 §4.3), as CUBA uses it. Blocking.
///
/// `username` (required, non-empty) and `password` (required, may be empty) are UTF-8 and
/// are encoded exactly, whatever they contain. `scopes`: NULL for the client's defaults.
/// `params_json`: NULL or a JSON object of strings. Ownership as
/// `authgate_client_exchange_code`.
#[no_mangle]
pub extern "C" fn authgate_client_password(
    client: *const authgate_client,
    username: *const c_char,
    password: *const c_char,
    scopes: *const c_char,
    params_json: *const c_char,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    run_blocking(
        client,
        |c| password_request(c, username, password, scopes, params_json),
        token_set_out,
    )
}

/// The client credentials grant (RFC 6749 §4.4). Blocking. `scopes`: NULL for the
/// client's defaults, else space-separated. `params_json`: NULL or a JSON object of
/// strings. Ownership as `authgate_client_exchange_code`.
#[no_mangle]
pub extern "C" fn authgate_client_client_credentials(
    client: *const authgate_client,
    scopes: *const c_char,
    params_json: *const c_char,
    token_set_out: *mut *mut authgate_token_set,
) -> authgate_result {
    run_blocking(
        client,
        |c| client_credentials_request(c, scopes, params_json),
        token_set_out,
    )
}
