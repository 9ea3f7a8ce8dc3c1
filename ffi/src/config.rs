//! `authgate_config`: a preset plus setters, or a JSON string; one setter per core option.

use std::ffi::c_char;
use std::sync::Mutex;
use std::time::Duration;

use authgate_core::{AuthMethod, BasicEncoding, ClientBuilder, Provider, ProxyConfig, TrustRoots};

use crate::boundary::*;
use crate::handles::{authgate_config, ConfigInner};
use crate::result::*;

fn new_config(builder: ClientBuilder, out: Out<*mut authgate_config>) {
    out.write(new_handle::<authgate_config>(ConfigInner {
        builder: Mutex::new(builder),
    }));
}

/// Applies one setter to the configuration behind `config`. Arguments are checked
/// before, so a failed call leaves the configuration unchanged.
fn update(
    config: *mut authgate_config,
    f: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> FfiResult {
    let inner = handle(config, "config")?;
    let mut guard = inner.builder.lock().unwrap_or_else(|e| e.into_inner());
    let current = std::mem::replace(&mut *guard, ClientBuilder::new(Provider::Generic));
    *guard = f(current);
    Ok(())
}

/// A setter taking one required, non-empty string.
fn set_str(
    config: *mut authgate_config,
    value: *const c_char,
    name: &str,
    f: impl FnOnce(ClientBuilder, &str) -> ClientBuilder,
) -> authgate_result {
    boundary(|| {
        let v = required_str(value, name)?;
        update(config, |b| f(b, v))
    })
}

/// Creates a configuration from a preset number (`AUTHGATE_PROVIDER_*`).
///
/// On success `*config_out` receives a new handle, owned by the caller: free it with
/// `authgate_config_free` (a client built from it does not need it any more).
/// Errors: `AUTHGATE_INVALID_ARGUMENT` for an unknown number, `AUTHGATE_NULL_POINTER`.
/// Threads: any.
#[no_mangle]
pub extern "C" fn authgate_config_new(
    provider: u32,
    config_out: *mut *mut authgate_config,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(config_out, "config_out")?;
        let p = Provider::from_u32(provider)
            .ok_or_else(|| Failure::invalid(format!("unknown provider number {provider}")))?;
        new_config(ClientBuilder::new(p), out);
        Ok(())
    })
}

/// Creates a configuration from a preset name: `generic`, `taxcom`, `kontur`, `gearcode`
/// or `cuba` (case-insensitive). Ownership and errors as `authgate_config_new`.
#[no_mangle]
pub extern "C" fn authgate_config_new_by_name(
    provider: *const c_char,
    config_out: *mut *mut authgate_config,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(config_out, "config_out")?;
        let name = required_str(provider, "provider")?;
        let p = Provider::from_name(name)
            .ok_or_else(|| Failure::invalid(format!("unknown provider `{name}`")))?;
        new_config(ClientBuilder::new(p), out);
        Ok(())
    })
}

/// Creates a configuration from one JSON object, e.g.
/// `{"provider":"cuba","base_url":"http://127.0.0.1:8080","client_id":"client","client_secret":"secret"}`.
///
/// Keys (all optional here; `client_id` is checked by `authgate_client_new`): `provider`,
/// `base_url`, `authorization_endpoint`, `token_endpoint`, `client_id`, `client_secret`,
/// `auth_method` (`client_secret_basic`, `client_secret_post`, `none`), `basic_encoding`
/// (`form`, `raw`), `scopes` (array or space-separated string), `authorization_params`
/// and `token_params` (objects of strings), `redirect_uri`, `redirect_param`, `pkce`,
/// `allow_insecure_http`, `connect_timeout_ms`, `timeout_ms`, `max_response_bytes`,
/// `proxy` (`env`, `none` or a URL), `trust_roots` (`bundled`, `system`), `ca_file`,
/// `user_agent`, and for OpenID Connect `issuer`, `jwks_uri`, `userinfo_endpoint`,
/// `revocation_endpoint`, `introspection_endpoint`, `device_authorization_endpoint`,
/// `id_token_leeway_ms`. An unknown key is an error (`AUTHGATE_CONFIG`), so a typo is not ignored.
///
/// Ownership as `authgate_config_new`. Setters may still be applied afterwards.
#[no_mangle]
pub extern "C" fn authgate_config_new_from_json(
    json: *const c_char,
    config_out: *mut *mut authgate_config,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(config_out, "config_out")?;
        let json = required_str(json, "json")?;
        new_config(ClientBuilder::from_json(json)?, out);
        Ok(())
    })
}

/// Frees a configuration. NULL is accepted and ignored; so is a handle of another kind.
/// The handle must not be used afterwards (C cannot detect use after free).
#[no_mangle]
pub extern "C" fn authgate_config_free(config: *mut authgate_config) {
    guard((), || free_handle(config))
}

/// Sets the server's base URL; the preset's paths are appended to it for the endpoints
/// not set explicitly. `url` must be non-empty UTF-8; the string is copied.
/// All `authgate_config_set_*` functions: the config must be an `authgate_config`; on
/// failure the configuration is unchanged; URLs are checked by `authgate_client_new`.
#[no_mangle]
pub extern "C" fn authgate_config_set_base_url(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, url, "url", |b, v| b.base_url(v))
}

/// Sets the authorization endpoint (default: base URL + the preset's path).
#[no_mangle]
pub extern "C" fn authgate_config_set_authorization_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, url, "url", |b, v| b.authorization_endpoint(v))
}

/// Sets the token endpoint (default: base URL + the preset's path; Taxcom's is on
/// another host).
#[no_mangle]
pub extern "C" fn authgate_config_set_token_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, url, "url", |b, v| b.token_endpoint(v))
}

/// Sets the client id (required).
#[no_mangle]
pub extern "C" fn authgate_config_set_client_id(
    config: *mut authgate_config,
    client_id: *const c_char,
) -> authgate_result {
    set_str(config, client_id, "client_id", |b, v| b.client_id(v))
}

/// Sets the client secret (default: none, a public client). The copy kept is wiped
/// when the configuration is freed; the caller's string is not touched.
#[no_mangle]
pub extern "C" fn authgate_config_set_client_secret(
    config: *mut authgate_config,
    client_secret: *const c_char,
) -> authgate_result {
    set_str(config, client_secret, "client_secret", |b, v| {
        b.client_secret(v)
    })
}

/// Sets how the client authenticates at the token endpoint: `AUTHGATE_AUTH_METHOD_*`
/// (default: the preset's).
#[no_mangle]
pub extern "C" fn authgate_config_set_auth_method(
    config: *mut authgate_config,
    method: u32,
) -> authgate_result {
    boundary(|| {
        let m = AuthMethod::from_u32(method)
            .ok_or_else(|| Failure::invalid(format!("unknown auth method number {method}")))?;
        update(config, |b| b.auth_method(m))
    })
}

/// Sets how Basic credentials are encoded: `AUTHGATE_BASIC_ENCODING_*` (default: the
/// preset's, raw for CUBA, form-encoded otherwise).
#[no_mangle]
pub extern "C" fn authgate_config_set_basic_encoding(
    config: *mut authgate_config,
    encoding: u32,
) -> authgate_result {
    boundary(|| {
        let e = BasicEncoding::from_u32(encoding)
            .ok_or_else(|| Failure::invalid(format!("unknown Basic encoding number {encoding}")))?;
        update(config, |b| b.basic_encoding(e))
    })
}

/// Replaces the default scopes with a space-separated list; `""` means no scope
/// (default: the preset's).
#[no_mangle]
pub extern "C" fn authgate_config_set_scopes(
    config: *mut authgate_config,
    scopes: *const c_char,
) -> authgate_result {
    boundary(|| {
        let s = str_arg(scopes, "scopes")?;
        update(config, |b| b.scopes(s.split_whitespace()))
    })
}

/// Adds a parameter to every authorization URL. `name` must be non-empty; `value` may
/// be empty.
#[no_mangle]
pub extern "C" fn authgate_config_add_authorization_param(
    config: *mut authgate_config,
    name: *const c_char,
    value: *const c_char,
) -> authgate_result {
    boundary(|| {
        let n = required_str(name, "name")?;
        let v = str_arg(value, "value")?;
        update(config, |b| b.authorization_param(n, v))
    })
}

/// Adds a form parameter to every token request (GearCode's `resource_id` is added by
/// its preset). `name` must be non-empty; `value` may be empty.
#[no_mangle]
pub extern "C" fn authgate_config_add_token_param(
    config: *mut authgate_config,
    name: *const c_char,
    value: *const c_char,
) -> authgate_result {
    boundary(|| {
        let n = required_str(name, "name")?;
        let v = str_arg(value, "value")?;
        update(config, |b| b.token_param(n, v))
    })
}

/// Sets the redirect URI registered for this client (default: none).
#[no_mangle]
pub extern "C" fn authgate_config_set_redirect_uri(
    config: *mut authgate_config,
    uri: *const c_char,
) -> authgate_result {
    set_str(config, uri, "uri", |b, v| b.redirect_uri(v))
}

/// Sets the name of the redirect parameter in authorization URLs (Taxcom's document says
/// `redirect_url`; default `redirect_uri`).
#[no_mangle]
pub extern "C" fn authgate_config_set_redirect_param(
    config: *mut authgate_config,
    name: *const c_char,
) -> authgate_result {
    set_str(config, name, "name", |b, v| b.redirect_param(v))
}

/// Turns PKCE (S256) in authorization URLs on (non-zero) or off (0). Default: on.
#[no_mangle]
pub extern "C" fn authgate_config_set_pkce(
    config: *mut authgate_config,
    enabled: i32,
) -> authgate_result {
    boundary(|| update(config, |b| b.pkce(flag(enabled))))
}

/// Accepts (non-zero) token answers whose `token_type` is not `Bearer` (e.g. `mac`),
/// which are refused by default (RFC 6749 §7.1: a client must not use a token whose type
/// it does not understand): `AUTHGATE_UNEXPECTED_RESPONSE`. Default: 0.
#[no_mangle]
pub extern "C" fn authgate_config_set_accept_unknown_token_type(
    config: *mut authgate_config,
    accept: i32,
) -> authgate_result {
    boundary(|| update(config, |b| b.accept_unknown_token_type(flag(accept))))
}

/// Allows (non-zero) plain `http://` endpoints on hosts other than loopback, e.g. a CUBA
/// server in a LAN: credentials then cross the network in clear text. Default: 0.
#[no_mangle]
pub extern "C" fn authgate_config_set_allow_insecure_http(
    config: *mut authgate_config,
    allow: i32,
) -> authgate_result {
    boundary(|| update(config, |b| b.allow_insecure_http(flag(allow))))
}

/// Sets the time allowed to open a connection, in milliseconds (> 0; default 10000).
#[no_mangle]
pub extern "C" fn authgate_config_set_connect_timeout_ms(
    config: *mut authgate_config,
    timeout_ms: u64,
) -> authgate_result {
    boundary(|| {
        update(config, |b| {
            b.connect_timeout(Duration::from_millis(timeout_ms))
        })
    })
}

/// Sets the time allowed for a whole request, in milliseconds (> 0; default 30000). This
/// is the deadline of every blocking call.
#[no_mangle]
pub extern "C" fn authgate_config_set_timeout_ms(
    config: *mut authgate_config,
    timeout_ms: u64,
) -> authgate_result {
    boundary(|| update(config, |b| b.timeout(Duration::from_millis(timeout_ms))))
}

/// Sets the largest response body accepted, in bytes (> 0; default 262144).
#[no_mangle]
pub extern "C" fn authgate_config_set_max_response_bytes(
    config: *mut authgate_config,
    max_bytes: u64,
) -> authgate_result {
    boundary(|| update(config, |b| b.max_response_bytes(max_bytes)))
}

/// Sets the proxy: `"env"` (the default: `HTTPS_PROXY`, `NO_PROXY`, …), `"none"` or `""`
/// (no proxy whatever the environment says), or a proxy URL such as
/// `"http://proxy.lan:3128"` or `"socks5://…"`.
#[no_mangle]
pub extern "C" fn authgate_config_set_proxy(
    config: *mut authgate_config,
    proxy: *const c_char,
) -> authgate_result {
    boundary(|| {
        let p = match str_arg(proxy, "proxy")? {
            "env" => ProxyConfig::FromEnv,
            "none" | "" => ProxyConfig::Disabled,
            url => ProxyConfig::Url(url.to_owned()),
        };
        update(config, |b| b.proxy(p))
    })
}

/// Sets which certificate authorities HTTPS trusts: `AUTHGATE_TRUST_ROOTS_BUNDLED` (the
/// default) or `AUTHGATE_TRUST_ROOTS_SYSTEM`. See also `authgate_config_set_ca_file`.
#[no_mangle]
pub extern "C" fn authgate_config_set_trust_roots(
    config: *mut authgate_config,
    roots: u32,
) -> authgate_result {
    boundary(|| {
        let r = match roots {
            AUTHGATE_TRUST_ROOTS_BUNDLED => TrustRoots::Bundled,
            AUTHGATE_TRUST_ROOTS_SYSTEM => TrustRoots::System,
            n => return Err(Failure::invalid(format!("unknown trust roots number {n}"))),
        };
        update(config, |b| b.trust_roots(r))
    })
}

/// Trusts only the certificates in this PEM file (a UTF-8 path; on Windows a normal
/// Windows path). Read when the client is built.
#[no_mangle]
pub extern "C" fn authgate_config_set_ca_file(
    config: *mut authgate_config,
    path: *const c_char,
) -> authgate_result {
    set_str(config, path, "path", |b, v| b.ca_file(v))
}

/// Sets the User-Agent header (default `authgate/<version>`); may be empty.
#[no_mangle]
pub extern "C" fn authgate_config_set_user_agent(
    config: *mut authgate_config,
    user_agent: *const c_char,
) -> authgate_result {
    boundary(|| {
        let ua = str_arg(user_agent, "user_agent")?;
        update(config, |b| b.user_agent(ua))
    })
}

// --- OpenID Connect ------------------------------------------------------------------

/// Reads the provider's discovery document (`<issuer>/.well-known/openid-configuration`,
/// OpenID Connect Discovery 1.0 / RFC 8414) and fills every endpoint not set explicitly
/// (authorization, token, JWKS, UserInfo, revocation, introspection, device
/// authorization), the issuer, and the client authentication method when the preset's is
/// not supported. The document's `issuer` must equal `issuer` (else `AUTHGATE_CONFIG`).
///
/// Blocking: one GET bounded by the configuration's connect timeout and timeout, so set
/// those (and the proxy, trust roots) first. A document is cached in the process for an
/// hour. `issuer` (required) is copied. On failure the configuration is unchanged.
/// Errors: `AUTHGATE_CONFIG`, transport codes, `AUTHGATE_UNEXPECTED_RESPONSE`.
/// Threads: any; the configuration stays locked during the request.
#[no_mangle]
pub extern "C" fn authgate_config_discover(
    config: *mut authgate_config,
    issuer: *const c_char,
) -> authgate_result {
    boundary(|| {
        let issuer = required_str(issuer, "issuer")?;
        let inner = handle(config, "config")?;
        let mut guard = inner.builder.lock().unwrap_or_else(|e| e.into_inner());
        *guard = guard.clone().discover(issuer)?;
        Ok(())
    })
}

/// Sets the OpenID Connect issuer: id_tokens must carry it as `iss` (default: none, or
/// the one discovery read).
#[no_mangle]
pub extern "C" fn authgate_config_set_issuer(
    config: *mut authgate_config,
    issuer: *const c_char,
) -> authgate_result {
    set_str(config, issuer, "issuer", |b, v| b.issuer(v))
}

/// Sets the JWKS URI, where the keys that sign id_tokens are read (default: none, or
/// discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_jwks_uri(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, url, "url", |b, v| b.jwks_uri(v))
}

/// Sets the UserInfo endpoint (default: none, or discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_userinfo_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, url, "url", |b, v| b.userinfo_endpoint(v))
}

/// Sets the revocation endpoint, RFC 7009 (default: none, or discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_revocation_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, url, "url", |b, v| b.revocation_endpoint(v))
}

/// Sets the introspection endpoint, RFC 7662 (default: none, or discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_introspection_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, url, "url", |b, v| b.introspection_endpoint(v))
}

/// Sets the device authorization endpoint, RFC 8628 (default: none, or discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_device_authorization_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, url, "url", |b, v| {
        b.device_authorization_endpoint(v)
    })
}

/// Sets the clock skew tolerated when checking an id_token's `exp`, `iat` and `nbf`, in
/// milliseconds (default 60000).
#[no_mangle]
pub extern "C" fn authgate_config_set_id_token_leeway_ms(
    config: *mut authgate_config,
    leeway_ms: u64,
) -> authgate_result {
    boundary(|| {
        update(config, |b| {
            b.id_token_leeway(Duration::from_millis(leeway_ms))
        })
    })
}
