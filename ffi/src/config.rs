//! `authgate_config`: a preset plus setters, or a JSON string. Every setter applies one
//! row of the core's option table (`authgate::CONFIG_OPTIONS`) by its JSON key, so the
//! setters, `authgate_config_new_from_json` and the Python keywords cannot disagree.

use std::ffi::c_char;
use std::sync::Mutex;

use authgate_core::{
    AssertionAlg, AssertionAudience, AuthMethod, BasicEncoding, ClientBuilder, Provider,
};
use serde_json::Value;
use zeroize::Zeroize;

use crate::boundary::*;
use crate::handles::{authgate_config, ConfigInner};
use crate::result::*;

fn new_config(builder: ClientBuilder) -> FfiResult<*mut authgate_config> {
    Ok(new_handle::<authgate_config>(ConfigInner {
        builder: Mutex::new(builder),
    }))
}

/// Applies `f` to the configuration behind `config`; a failed call leaves it unchanged.
fn update(
    config: *mut authgate_config,
    f: impl FnOnce(ClientBuilder) -> authgate_core::Result<ClientBuilder>,
) -> FfiResult {
    let inner = handle(config, "config")?;
    let mut guard = inner.builder.lock().unwrap_or_else(|e| e.into_inner());
    *guard = f(guard.clone())?;
    Ok(())
}

/// Sets the option `key` of the core's table to `value` (arguments are checked before).
fn set(config: *mut authgate_config, key: &str, mut value: Value) -> FfiResult {
    let result = update(config, |b| b.option(key, &value));
    // It may be the client secret: this copy is wiped as the one the builder keeps is.
    if let Value::String(s) = &mut value {
        s.zeroize();
    }
    result
}

/// A setter taking one required, non-empty string.
fn set_str(
    config: *mut authgate_config,
    key: &str,
    value: *const c_char,
    name: &str,
) -> authgate_result {
    boundary(|| set(config, key, required_str(value, name)?.into()))
}

/// A setter taking one string that may be empty.
fn set_any_str(
    config: *mut authgate_config,
    key: &str,
    value: *const c_char,
    name: &str,
) -> authgate_result {
    boundary(|| set(config, key, str_arg(value, name)?.into()))
}

/// A setter taking an `int32_t` flag (0 = false).
fn set_flag(config: *mut authgate_config, key: &str, value: i32) -> authgate_result {
    boundary(|| set(config, key, flag(value).into()))
}

/// A setter taking a number (milliseconds for a `_ms` key).
fn set_u64(config: *mut authgate_config, key: &str, value: u64) -> authgate_result {
    boundary(|| set(config, key, value.into()))
}

/// A setter taking an `AUTHGATE_*` number, applied as its `name` (None: not a known number).
fn set_numbered(
    config: *mut authgate_config,
    key: &str,
    name: Option<&str>,
    number: u32,
) -> authgate_result {
    boundary(|| {
        let name =
            name.ok_or_else(|| Failure::invalid(format!("unknown {key} number {number}")))?;
        set(config, key, name.into())
    })
}

/// Adds one parameter to `key` (an object of strings): `name` non-empty, `value` may be empty.
fn add_param(
    config: *mut authgate_config,
    key: &str,
    name: *const c_char,
    value: *const c_char,
) -> authgate_result {
    boundary(|| {
        let n = required_str(name, "name")?;
        let v = str_arg(value, "value")?;
        set(config, key, serde_json::json!({ n: v }))
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
    write_out(config_out, "config_out", || {
        let p = Provider::from_u32(provider)
            .ok_or_else(|| Failure::invalid(format!("unknown provider number {provider}")))?;
        new_config(ClientBuilder::new(p))
    })
}

/// Creates a configuration from a preset name: `generic`, `taxcom`, `kontur`, `gearcode`
/// or `cuba` (case-insensitive). Ownership and errors as `authgate_config_new`.
#[no_mangle]
pub extern "C" fn authgate_config_new_by_name(
    provider: *const c_char,
    config_out: *mut *mut authgate_config,
) -> authgate_result {
    write_out(config_out, "config_out", || {
        let name = required_str(provider, "provider")?;
        let p = Provider::from_name(name)
            .ok_or_else(|| Failure::invalid(format!("unknown provider `{name}`")))?;
        new_config(ClientBuilder::new(p))
    })
}

/// Creates a configuration from one JSON object, e.g.
/// `{"provider":"cuba","base_url":"http://127.0.0.1:8080","client_id":"client","client_secret":"secret"}`.
///
/// The keys are those of docs/configuration.md, one per `authgate_config_set_*` /
/// `authgate_config_add_*` setter (durations in milliseconds, `_ms`); all are optional
/// here (`client_id` is checked by `authgate_client_new`) and `null` is the same as
/// leaving a key out. An unknown key or a value of the wrong type is an error
/// (`AUTHGATE_CONFIG`), so a typo is not ignored.
///
/// Ownership as `authgate_config_new`. Setters may still be applied afterwards.
#[no_mangle]
pub extern "C" fn authgate_config_new_from_json(
    json: *const c_char,
    config_out: *mut *mut authgate_config,
) -> authgate_result {
    write_out(config_out, "config_out", || {
        let json = required_str(json, "json")?;
        new_config(ClientBuilder::from_json(json)?)
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
    set_str(config, "base_url", url, "url")
}

/// Sets the authorization endpoint (default: base URL + the preset's path).
#[no_mangle]
pub extern "C" fn authgate_config_set_authorization_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, "authorization_endpoint", url, "url")
}

/// Sets the token endpoint (default: base URL + the preset's path; Taxcom's is on
/// another host).
#[no_mangle]
pub extern "C" fn authgate_config_set_token_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, "token_endpoint", url, "url")
}

/// Sets the client id (required).
#[no_mangle]
pub extern "C" fn authgate_config_set_client_id(
    config: *mut authgate_config,
    client_id: *const c_char,
) -> authgate_result {
    set_str(config, "client_id", client_id, "client_id")
}

/// Sets the client secret (default: none, a public client). The copy kept is wiped
/// when the configuration is freed; the caller's string is not touched.
#[no_mangle]
pub extern "C" fn authgate_config_set_client_secret(
    config: *mut authgate_config,
    client_secret: *const c_char,
) -> authgate_result {
    set_str(config, "client_secret", client_secret, "client_secret")
}

/// Sets how the client authenticates at the token endpoint: `AUTHGATE_AUTH_METHOD_*`
/// (default: the preset's).
#[no_mangle]
pub extern "C" fn authgate_config_set_auth_method(
    config: *mut authgate_config,
    method: u32,
) -> authgate_result {
    set_numbered(
        config,
        "auth_method",
        AuthMethod::from_u32(method).map(AuthMethod::name),
        method,
    )
}

/// Sets how Basic credentials are encoded: `AUTHGATE_BASIC_ENCODING_*` (default: the
/// preset's, raw for CUBA, form-encoded otherwise).
#[no_mangle]
pub extern "C" fn authgate_config_set_basic_encoding(
    config: *mut authgate_config,
    encoding: u32,
) -> authgate_result {
    let name = BasicEncoding::from_u32(encoding).map(BasicEncoding::name);
    set_numbered(config, "basic_encoding", name, encoding)
}

/// Replaces the default scopes with a space-separated list; `""` means no scope
/// (default: the preset's).
#[no_mangle]
pub extern "C" fn authgate_config_set_scopes(
    config: *mut authgate_config,
    scopes: *const c_char,
) -> authgate_result {
    set_any_str(config, "scopes", scopes, "scopes")
}

/// Adds a parameter to every authorization URL. `name` must be non-empty; `value` may
/// be empty.
#[no_mangle]
pub extern "C" fn authgate_config_add_authorization_param(
    config: *mut authgate_config,
    name: *const c_char,
    value: *const c_char,
) -> authgate_result {
    add_param(config, "authorization_params", name, value)
}

/// Adds a form parameter to every token request (GearCode's `resource_id` is added by
/// its preset). `name` must be non-empty; `value` may be empty.
#[no_mangle]
pub extern "C" fn authgate_config_add_token_param(
    config: *mut authgate_config,
    name: *const c_char,
    value: *const c_char,
) -> authgate_result {
    add_param(config, "token_params", name, value)
}

/// Sets the redirect URI registered for this client (default: none).
#[no_mangle]
pub extern "C" fn authgate_config_set_redirect_uri(
    config: *mut authgate_config,
    uri: *const c_char,
) -> authgate_result {
    set_str(config, "redirect_uri", uri, "uri")
}

/// Sets the name of the redirect parameter in authorization URLs (Taxcom's document says
/// `redirect_url`; default `redirect_uri`).
#[no_mangle]
pub extern "C" fn authgate_config_set_redirect_param(
    config: *mut authgate_config,
    name: *const c_char,
) -> authgate_result {
    set_str(config, "redirect_param", name, "name")
}

/// Turns PKCE (S256) in authorization URLs on (non-zero) or off (0). Default: on.
#[no_mangle]
pub extern "C" fn authgate_config_set_pkce(
    config: *mut authgate_config,
    enabled: i32,
) -> authgate_result {
    set_flag(config, "pkce", enabled)
}

/// Accepts (non-zero) token answers whose `token_type` is not `Bearer` (e.g. `mac`),
/// which are refused by default (RFC 6749 §7.1: a client must not use a token whose type
/// it does not understand): `AUTHGATE_UNEXPECTED_RESPONSE`. Default: 0.
#[no_mangle]
pub extern "C" fn authgate_config_set_accept_unknown_token_type(
    config: *mut authgate_config,
    accept: i32,
) -> authgate_result {
    set_flag(config, "accept_unknown_token_type", accept)
}

/// Mutual TLS (RFC 8705): the client certificate (a PEM file, the leaf first) presented
/// in every TLS handshake, with `authgate_config_set_tls_client_key_file`; read when the client
/// is built. Needed by `AUTHGATE_AUTH_METHOD_TLS_CLIENT_AUTH` /
/// `AUTHGATE_AUTH_METHOD_SELF_SIGNED_TLS_CLIENT_AUTH` and for certificate-bound tokens
/// (your own HTTP client then presents the same certificate and key). With discovery the
/// provider's `mtls_endpoint_aliases` are used. Default: none.
#[no_mangle]
pub extern "C" fn authgate_config_set_tls_client_cert_file(
    config: *mut authgate_config,
    path: *const c_char,
) -> authgate_result {
    set_str(config, "tls_client_cert_file", path, "path")
}

/// The private key of the client certificate: a PEM file (PKCS#8, SEC1 or PKCS#1; not
/// encrypted), read when the client is built. Default: none.
#[no_mangle]
pub extern "C" fn authgate_config_set_tls_client_key_file(
    config: *mut authgate_config,
    path: *const c_char,
) -> authgate_result {
    set_str(config, "tls_client_key_file", path, "path")
}

/// Turns DPoP (RFC 9449) on (non-zero): every token request carries a proof signed with
/// the client's ES256 key (generated when the client is built, or read from
/// `authgate_config_set_dpop_key_file`), the server's `DPoP-Nonce` is fetched and
/// remembered, tokens of type `DPoP` are accepted; call your APIs with the headers of
/// `authgate_client_dpop_headers`. Default: 0.
#[no_mangle]
pub extern "C" fn authgate_config_set_dpop(
    config: *mut authgate_config,
    enabled: i32,
) -> authgate_result {
    set_flag(config, "dpop", enabled)
}

/// The DPoP key: a P-256 private key in a PKCS#8 PEM file (`BEGIN PRIVATE KEY`), read
/// when the client is built; turns DPoP on. Give one when DPoP-bound refresh tokens are
/// stored across restarts (a generated key dies with the client). Default: none.
#[no_mangle]
pub extern "C" fn authgate_config_set_dpop_key_file(
    config: *mut authgate_config,
    path: *const c_char,
) -> authgate_result {
    set_str(config, "dpop_key_file", path, "path")
}

/// Allows (non-zero) plain `http://` endpoints on hosts other than loopback, e.g. a CUBA
/// server in a LAN: credentials then cross the network in clear text. Default: 0.
#[no_mangle]
pub extern "C" fn authgate_config_set_allow_insecure_http(
    config: *mut authgate_config,
    allow: i32,
) -> authgate_result {
    set_flag(config, "allow_insecure_http", allow)
}

/// Sets the time allowed to open a connection, in milliseconds (> 0; default 10000).
#[no_mangle]
pub extern "C" fn authgate_config_set_connect_timeout_ms(
    config: *mut authgate_config,
    timeout_ms: u64,
) -> authgate_result {
    set_u64(config, "connect_timeout_ms", timeout_ms)
}

/// Sets the time allowed for a whole request, in milliseconds (> 0; default 30000). This
/// is the deadline of every blocking call.
#[no_mangle]
pub extern "C" fn authgate_config_set_timeout_ms(
    config: *mut authgate_config,
    timeout_ms: u64,
) -> authgate_result {
    set_u64(config, "timeout_ms", timeout_ms)
}

/// Sets the largest response body accepted, in bytes (> 0; default 262144).
#[no_mangle]
pub extern "C" fn authgate_config_set_max_response_bytes(
    config: *mut authgate_config,
    max_bytes: u64,
) -> authgate_result {
    set_u64(config, "max_response_bytes", max_bytes)
}

/// Sets the proxy: `"env"` (the default: `HTTPS_PROXY`, `NO_PROXY`, …), `"none"` or `""`
/// (no proxy whatever the environment says), or a proxy URL such as
/// `"http://proxy.lan:3128"` or `"socks5://…"`.
#[no_mangle]
pub extern "C" fn authgate_config_set_proxy(
    config: *mut authgate_config,
    proxy: *const c_char,
) -> authgate_result {
    set_any_str(config, "proxy", proxy, "proxy")
}

/// Sets which certificate authorities HTTPS trusts: `AUTHGATE_TRUST_ROOTS_BUNDLED` (the
/// default) or `AUTHGATE_TRUST_ROOTS_SYSTEM`. See also `authgate_config_set_ca_file`.
#[no_mangle]
pub extern "C" fn authgate_config_set_trust_roots(
    config: *mut authgate_config,
    roots: u32,
) -> authgate_result {
    let name = match roots {
        AUTHGATE_TRUST_ROOTS_BUNDLED => Some("bundled"),
        AUTHGATE_TRUST_ROOTS_SYSTEM => Some("system"),
        _ => None,
    };
    set_numbered(config, "trust_roots", name, roots)
}

/// Trusts only the certificates in this PEM file (a UTF-8 path; on Windows a normal
/// Windows path). Read when the client is built.
#[no_mangle]
pub extern "C" fn authgate_config_set_ca_file(
    config: *mut authgate_config,
    path: *const c_char,
) -> authgate_result {
    set_str(config, "ca_file", path, "path")
}

/// Sets the User-Agent header (default `authgate/<version>`); may be empty.
#[no_mangle]
pub extern "C" fn authgate_config_set_user_agent(
    config: *mut authgate_config,
    user_agent: *const c_char,
) -> authgate_result {
    set_any_str(config, "user_agent", user_agent, "user_agent")
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
        update(config, |b| b.discover(issuer))
    })
}

/// Sets the OpenID Connect issuer: id_tokens must carry it as `iss` (default: none, or
/// the one discovery read).
#[no_mangle]
pub extern "C" fn authgate_config_set_issuer(
    config: *mut authgate_config,
    issuer: *const c_char,
) -> authgate_result {
    set_str(config, "issuer", issuer, "issuer")
}

/// Sets the JWKS URI, where the keys that sign id_tokens are read (default: none, or
/// discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_jwks_uri(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, "jwks_uri", url, "url")
}

/// Sets the UserInfo endpoint (default: none, or discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_userinfo_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, "userinfo_endpoint", url, "url")
}

/// Sets the revocation endpoint, RFC 7009 (default: none, or discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_revocation_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, "revocation_endpoint", url, "url")
}

/// Sets the introspection endpoint, RFC 7662 (default: none, or discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_introspection_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, "introspection_endpoint", url, "url")
}

/// Sets the device authorization endpoint, RFC 8628 (default: none, or discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_device_authorization_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, "device_authorization_endpoint", url, "url")
}

/// Sets the clock skew tolerated when checking an id_token's `exp`, `iat` and `nbf`, in
/// milliseconds (default 60000).
#[no_mangle]
pub extern "C" fn authgate_config_set_id_token_leeway_ms(
    config: *mut authgate_config,
    leeway_ms: u64,
) -> authgate_result {
    set_u64(config, "id_token_leeway_ms", leeway_ms)
}

/// Sets the private key that signs `private_key_jwt` assertions: PEM text (PKCS#8 RSA
/// or EC P-256, or PKCS#1 RSA), a private JWK or a JWK Set with one private key (RSA or
/// EC P-256; JSON text starting with `{`), or the path of a PEM or JWK file, read when
/// the client is built. A JWK's `kid` is used unless `authgate_config_set_client_key_id`
/// sets one (which also chooses the key of a set); its `alg` must agree with the
/// configured assertion alg. Makes `private_key_jwt` the method unless
/// `authgate_config_set_auth_method` says otherwise. The copy kept is wiped when the
/// configuration is freed; the key never appears in errors or logs.
#[no_mangle]
pub extern "C" fn authgate_config_set_client_key(
    config: *mut authgate_config,
    pem_or_path: *const c_char,
) -> authgate_result {
    set_str(config, "client_key", pem_or_path, "pem_or_path")
}

/// Sets the `kid` of client assertions (default: the `kid` of a JWK client key, else
/// none); it also chooses the key of a JWK Set client key.
#[no_mangle]
pub extern "C" fn authgate_config_set_client_key_id(
    config: *mut authgate_config,
    kid: *const c_char,
) -> authgate_result {
    set_str(config, "client_key_id", kid, "kid")
}

/// Sets the algorithm of client assertions: `AUTHGATE_ASSERTION_ALG_*` (default: RS256
/// for an RSA key, ES256 for an EC key, HS256 for `client_secret_jwt`).
#[no_mangle]
pub extern "C" fn authgate_config_set_client_assertion_alg(
    config: *mut authgate_config,
    alg: u32,
) -> authgate_result {
    set_numbered(
        config,
        "client_assertion_alg",
        AssertionAlg::from_u32(alg).map(AssertionAlg::name),
        alg,
    )
}

/// Sets the `aud` of client assertions: `AUTHGATE_ASSERTION_AUDIENCE_*` (default: the
/// token endpoint).
#[no_mangle]
pub extern "C" fn authgate_config_set_client_assertion_audience(
    config: *mut authgate_config,
    audience: u32,
) -> authgate_result {
    set_numbered(
        config,
        "client_assertion_audience",
        AssertionAudience::from_u32(audience).map(AssertionAudience::name),
        audience,
    )
}

/// Sets the pushed authorization request endpoint, RFC 9126 (default: none, or
/// discovery's).
#[no_mangle]
pub extern "C" fn authgate_config_set_pushed_authorization_request_endpoint(
    config: *mut authgate_config,
    url: *const c_char,
) -> authgate_result {
    set_str(config, "pushed_authorization_request_endpoint", url, "url")
}

/// Whether `authgate_client_authorization_url` pushes the request first (RFC 9126) and
/// returns the short `request_uri` URL; it is then a network call (default: 0, or 1
/// when discovery says `require_pushed_authorization_requests`).
#[no_mangle]
pub extern "C" fn authgate_config_set_pushed_authorization_requests(
    config: *mut authgate_config,
    enabled: i32,
) -> authgate_result {
    set_flag(config, "pushed_authorization_requests", enabled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    /// Every setter applies a key the core's table knows (a typo in a key would be an
    /// AUTHGATE_CONFIG at run time), and a failed one leaves the configuration unchanged.
    #[test]
    fn every_setter_applies_a_key_of_the_table() {
        let mut cfg = std::ptr::null_mut();
        assert_eq!(authgate_config_new(0, &mut cfg), AUTHGATE_OK);
        let s = |v: &str| CString::new(v).unwrap();
        let url = s("https://a.example/x");
        let (name, value) = (s("n"), s("v"));
        let results = [
            authgate_config_set_base_url(cfg, url.as_ptr()),
            authgate_config_set_authorization_endpoint(cfg, url.as_ptr()),
            authgate_config_set_token_endpoint(cfg, url.as_ptr()),
            authgate_config_set_client_id(cfg, s("id").as_ptr()),
            authgate_config_set_client_secret(cfg, s("secret").as_ptr()),
            authgate_config_set_redirect_uri(cfg, url.as_ptr()),
            authgate_config_set_scopes(cfg, s("a b").as_ptr()),
            authgate_config_set_auth_method(cfg, AUTHGATE_AUTH_METHOD_CLIENT_SECRET_POST),
            authgate_config_set_basic_encoding(cfg, AUTHGATE_BASIC_ENCODING_RAW),
            authgate_config_add_token_param(cfg, name.as_ptr(), value.as_ptr()),
            authgate_config_add_authorization_param(cfg, name.as_ptr(), value.as_ptr()),
            authgate_config_set_redirect_param(cfg, s("redirect_url").as_ptr()),
            authgate_config_set_pkce(cfg, 0),
            authgate_config_set_allow_insecure_http(cfg, 1),
            authgate_config_set_accept_unknown_token_type(cfg, 1),
            authgate_config_set_dpop(cfg, 1),
            authgate_config_set_dpop_key_file(cfg, s("/dpop.pem").as_ptr()),
            authgate_config_set_timeout_ms(cfg, 1000),
            authgate_config_set_connect_timeout_ms(cfg, 1000),
            authgate_config_set_max_response_bytes(cfg, 1000),
            authgate_config_set_proxy(cfg, s("none").as_ptr()),
            authgate_config_set_trust_roots(cfg, AUTHGATE_TRUST_ROOTS_SYSTEM),
            authgate_config_set_ca_file(cfg, s("/ca.pem").as_ptr()),
            authgate_config_set_tls_client_cert_file(cfg, s("/client.pem").as_ptr()),
            authgate_config_set_tls_client_key_file(cfg, s("/client.key").as_ptr()),
            authgate_config_set_user_agent(cfg, s("pos/1").as_ptr()),
            authgate_config_set_issuer(cfg, url.as_ptr()),
            authgate_config_set_jwks_uri(cfg, url.as_ptr()),
            authgate_config_set_userinfo_endpoint(cfg, url.as_ptr()),
            authgate_config_set_revocation_endpoint(cfg, url.as_ptr()),
            authgate_config_set_introspection_endpoint(cfg, url.as_ptr()),
            authgate_config_set_device_authorization_endpoint(cfg, url.as_ptr()),
            authgate_config_set_id_token_leeway_ms(cfg, 1000),
            authgate_config_set_client_key(cfg, s("/key.pem").as_ptr()),
            authgate_config_set_client_key_id(cfg, s("k").as_ptr()),
            authgate_config_set_client_assertion_alg(cfg, AUTHGATE_ASSERTION_ALG_PS256),
            authgate_config_set_client_assertion_audience(cfg, AUTHGATE_ASSERTION_AUDIENCE_ISSUER),
            authgate_config_set_pushed_authorization_request_endpoint(cfg, url.as_ptr()),
            authgate_config_set_pushed_authorization_requests(cfg, 1),
        ];
        // Every key of the table but `provider` (chosen by authgate_config_new).
        assert_eq!(results.len(), authgate_core::CONFIG_OPTIONS.len() - 1);
        assert!(results.iter().all(|&r| r == AUTHGATE_OK), "{results:?}");
        let before = format!(
            "{:?}",
            handle(cfg, "config").ok().unwrap().builder.lock().unwrap()
        );
        assert_eq!(
            authgate_config_set_trust_roots(cfg, 7),
            AUTHGATE_INVALID_ARGUMENT
        );
        assert_eq!(
            authgate_config_set_client_id(cfg, s("").as_ptr()),
            AUTHGATE_INVALID_ARGUMENT
        );
        let after = format!(
            "{:?}",
            handle(cfg, "config").ok().unwrap().builder.lock().unwrap()
        );
        assert_eq!(before, after);
        authgate_config_free(cfg);
    }
}
