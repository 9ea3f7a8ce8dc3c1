//! OpenID Connect on a client: id_token validation, UserInfo, revocation (RFC 7009) and
//! introspection (RFC 7662). Answers are handed out as JSON strings.

use std::ffi::c_char;

use authgate_core::{AccessToken, IdToken};
use serde_json::Value;

use crate::boundary::*;
use crate::handles::authgate_client;
use crate::result::authgate_result;

/// Validates an id_token (from `authgate_token_set_id_token`) and hands out its claims:
/// the signature against the provider's JWKS (RS256/384/512, PS256/384/512, ES256,
/// ES384; `none` and HMAC are refused; keys are fetched once and again when an unknown
/// `kid` appears), then `iss`, `aud` / `azp`, `exp` / `iat` / `nbf` with the leeway,
/// and `nonce` when `nonce` is given (pass the authorization's, see
/// `authgate_authorization_nonce`; NULL skips the check).
///
/// Needs the issuer and JWKS URI (`authgate_config_discover`, or the setters). Blocking
/// when the keys must be fetched. On success `*claims_json_out` receives every claim as a
/// JSON object (`sub`, `iss`, `aud`, `exp`, `iat`, `nonce`, `name`, …), a new string
/// owned by the caller: free it with `authgate_string_free`. Errors: one
/// `AUTHGATE_ID_TOKEN_*` code per check, `AUTHGATE_CONFIG` (no issuer or JWKS URI),
/// transport codes. The token never appears in messages. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_validate_id_token(
    client: *const authgate_client,
    id_token: *const c_char,
    nonce: *const c_char,
    claims_json_out: *mut *mut c_char,
) -> authgate_result {
    write_out(claims_json_out, "claims_json_out", || {
        let c = handle(client, "client")?;
        let token = IdToken::new(required_str(id_token, "id_token")?);
        let nonce = opt_str_arg(nonce, "nonce")?;
        let claims = c.client.validate_id_token(&token, nonce)?;
        let json = Value::Object(claims.raw().clone()).to_string();
        owned_c_string(json, "claims JSON")
    })
}

/// Asks the UserInfo endpoint about the signed-in user (OpenID Connect Core §5.3) with
/// this access token. Blocking. On success `*json_out` receives the answer (a JSON object
/// with `sub` and the claims the scopes allow), a new string owned by the caller: free it
/// with `authgate_string_free`. Errors: `AUTHGATE_OAUTH` with `invalid_token` and HTTP 401
/// for a dead token, `AUTHGATE_CONFIG` (no UserInfo endpoint), transport codes. A client
/// with DPoP on presents the token as `DPoP` with a proof (RFC 9449 §7.1) and follows the
/// server's `DPoP-Nonce` once. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_userinfo(
    client: *const authgate_client,
    access_token: *const c_char,
    json_out: *mut *mut c_char,
) -> authgate_result {
    write_out(json_out, "json_out", || {
        let c = handle(client, "client")?;
        let token = AccessToken::new(required_str(access_token, "access_token")?);
        let user = c.client.userinfo(&token)?;
        owned_c_string(Value::Object(user).to_string(), "UserInfo JSON")
    })
}

/// Revokes a token at the revocation endpoint (RFC 7009), e.g. the refresh token at
/// sign-out. `token_type_hint`: `"access_token"`, `"refresh_token"` or NULL. Revoking an
/// unknown or already revoked token succeeds, as the RFC says. Blocking. Errors:
/// `AUTHGATE_INVALID_CLIENT`, `AUTHGATE_CONFIG` (no revocation endpoint), transport
/// codes. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_revoke(
    client: *const authgate_client,
    token: *const c_char,
    token_type_hint: *const c_char,
) -> authgate_result {
    boundary(|| {
        let c = handle(client, "client")?;
        let token = required_str(token, "token")?;
        let hint = opt_str_arg(token_type_hint, "token_type_hint")?;
        c.client.revoke(token, hint)?;
        Ok(())
    })
}

/// Asks the introspection endpoint whether a token is active (RFC 7662). Blocking.
///
/// On success `*json_out` receives a JSON object: every field of the answer, with
/// `active` always a boolean, and `scope`, `client_id`, `sub` (strings) and `exp` (Unix
/// seconds) when the server gave them. A new string owned by the caller: free it with
/// `authgate_string_free`. Errors: `AUTHGATE_INVALID_CLIENT`, `AUTHGATE_CONFIG` (no
/// introspection endpoint), transport codes. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_introspect(
    client: *const authgate_client,
    token: *const c_char,
    json_out: *mut *mut c_char,
) -> authgate_result {
    write_out(json_out, "json_out", || {
        let c = handle(client, "client")?;
        let token = required_str(token, "token")?;
        let json = c.client.introspect(token)?.to_json();
        owned_c_string(json, "introspection JSON")
    })
}
