//! GearCode GC.AUTH: client_secret_post only, the non-standard `resource_id` (equal to
//! the client id) on every grant, lower-case `bearer`, and rotating refresh tokens.

use serde_json::{json, Value};

use super::{authorize as authorize_with, redeem_code, token_request};
use super::{AuthorizeSpec, Granted, Login, OAuthError, Params};
use crate::crypto::{b64url, hex, unix_now};
use crate::fixtures::*;
use crate::http::{Request, Response};
use crate::state::{RefreshGrant, Shared};
use crate::Dialect;

/// `GET /oauth/authorize`: no scope.
pub(super) fn authorize(shared: &Shared, query: &str, params: &Params, login: Login) -> Response {
    let spec = AuthorizeSpec {
        dialect: Dialect::GearCode,
        path: GEARCODE_AUTHORIZE_PATH,
        client_id: GEARCODE_CLIENT_ID,
        redirect_params: &["redirect_uri"],
        // Spring-style wording: the redirect address is not one of the registered ones.
        redirect_mismatch: || {
            OAuthError::new(
                "invalid_grant",
                "Invalid redirect: does not match one of the registered values",
            )
        },
        sends_iss: false,
    };
    authorize_with(shared, query, params, login, &spec, |_| {
        Ok(Granted {
            scope: String::new(),
            nonce: None,
        })
    })
}

/// The answer to an unknown, used (rotated away) or revoked refresh token.
pub(super) fn invalid_refresh_token() -> Response {
    OAuthError::new("invalid_grant", "Invalid refresh token").response()
}

/// `POST /oauth/token`: authorization_code, refresh_token, client_credentials.
pub(super) fn token(shared: &Shared, request: &Request) -> Response {
    let params = match token_request(request) {
        Ok(params) => params,
        Err(response) => return response,
    };
    if params.get("client_id") != Some(GEARCODE_CLIENT_ID)
        || params.get("client_secret") != Some(GEARCODE_CLIENT_SECRET)
    {
        return OAuthError::new("invalid_client", "Bad client credentials").response();
    }
    if params.get("resource_id") != Some(GEARCODE_CLIENT_ID) {
        return OAuthError::new("invalid_request", "resource_id is required").response();
    }
    match params.get("grant_type") {
        Some("authorization_code") => code_grant(shared, &params),
        Some("refresh_token") => refresh_grant(shared, &params),
        Some("client_credentials") => {
            let (access, expires_in) = issue_access(shared, GEARCODE_CLIENT_ID);
            Response::json(
                200,
                &json!({"access_token": access, "token_type": "bearer", "expires_in": expires_in}),
            )
        }
        Some(other) => OAuthError::new(
            "unsupported_grant_type",
            format!("Unsupported grant type: {other}"),
        )
        .response(),
        None => OAuthError::new("invalid_request", "grant_type is required").response(),
    }
}

fn code_grant(shared: &Shared, params: &Params) -> Response {
    if let Err(error) = redeem_code(
        &mut shared.lock(),
        Dialect::GearCode,
        GEARCODE_CLIENT_ID,
        params,
        &["redirect_uri"],
        false,
    ) {
        return error.response();
    }
    with_new_refresh_token(shared, TEST_USER_SUBJECT)
}

fn refresh_grant(shared: &Shared, params: &Params) -> Response {
    let Some(old) = params.get("refresh_token") else {
        return OAuthError::new("invalid_request", "refresh_token is required").response();
    };
    let sub = {
        let mut state = shared.lock();
        let sub = match state.refresh_grant(old) {
            Some(grant)
                if grant.dialect == Dialect::GearCode && grant.client_id == GEARCODE_CLIENT_ID =>
            {
                grant.sub.clone()
            }
            _ => return invalid_refresh_token(),
        };
        // Rotation: the old token dies the moment a new one is issued.
        state.remove_refresh(old);
        sub
    };
    with_new_refresh_token(shared, &sub)
}

/// A token answer with a new access token and a new refresh token.
fn with_new_refresh_token(shared: &Shared, sub: &str) -> Response {
    let (access, expires_in) = issue_access(shared, sub);
    let refresh = shared.random.token::<32>();
    shared.lock().issue_refresh(
        &refresh,
        RefreshGrant::simple(Dialect::GearCode, GEARCODE_CLIENT_ID, sub, ""),
    );
    Response::json(
        200,
        &json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": expires_in,
            "refresh_token": refresh,
        }),
    )
}

/// A JWT-looking access token (header, claims, random "signature"); opaque to clients,
/// but shaped like GearCode's so a client that peeks at it sees something plausible.
fn issue_access(shared: &Shared, sub: &str) -> (String, u64) {
    let mut state = shared.lock();
    let expires_in = state.expires_in(Dialect::GearCode);
    let iat = unix_now();
    let header: Value = json!({"alg": "RS256", "typ": "JWT"});
    let claims = json!({
        "iss": shared.base_url,
        "sub": sub,
        "aud": GEARCODE_CLIENT_ID,
        "client_id": GEARCODE_CLIENT_ID,
        "iat": iat,
        "exp": iat.saturating_add(expires_in),
        "jti": hex(&shared.random.bytes::<16>()),
    });
    let token = format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(&shared.random.bytes::<64>()),
    );
    let expires_in = state.issue_access(&token, Dialect::GearCode, sub);
    (token, expires_in)
}
