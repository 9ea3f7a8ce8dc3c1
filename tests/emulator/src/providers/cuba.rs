//! CUBA: Spring Security OAuth2. Only a token endpoint; HTTP Basic client
//! authentication decoded raw (Spring does not URL-decode); the password grant with a
//! UTF-8 form body; refresh without rotation.

use serde_json::json;

use super::{basic_auth, form_body, BasicAuth, OAuthError, Params};
use crate::fixtures::*;
use crate::http::{Request, Response};
use crate::state::{RefreshGrant, Shared};
use crate::Dialect;

/// The answer to an unknown or revoked refresh token. Spring echoes the token; only its
/// first four characters are shown here, since error texts end up in logs.
pub(super) fn invalid_refresh_token(token: &str) -> Response {
    let shown: String = token.chars().take(4).collect();
    OAuthError::new(
        "invalid_grant",
        format!("Invalid refresh token: {shown}..."),
    )
    .response()
}

/// `POST /app/rest/v2/oauth/token`.
pub(super) fn token(shared: &Shared, request: &Request) -> Response {
    if request.method != "POST" {
        return Response::json(
            405,
            &json!({
                "error": "method_not_allowed",
                "error_description": format!("Request method '{}' not supported", request.method),
            }),
        )
        .header("Allow", "POST");
    }
    // Spring's Basic filter runs before the endpoint sees the body.
    let client =
        match basic_auth(request, false) {
            BasicAuth::Credentials { id, secret }
                if CUBA_CLIENTS.iter().any(|(i, s)| *i == id && *s == secret) =>
            {
                id
            }
            _ => return Response::json(
                401,
                &json!({
                    "error": "unauthorized",
                    "error_description": "Full authentication is required to access this resource",
                }),
            )
            .header("WWW-Authenticate", "Basic realm=\"oauth2/client\""),
        };
    let params = match form_body(request) {
        Ok(params) => params,
        Err(error) => return error.response(),
    };
    match params.get("grant_type") {
        Some("password") => password_grant(shared, &client, &params),
        Some("refresh_token") => refresh_grant(shared, &client, &params),
        Some(other) => OAuthError::new(
            "unsupported_grant_type",
            format!("Unsupported grant type: {other}"),
        )
        .response(),
        None => OAuthError::new("invalid_request", "Missing grant type").response(),
    }
}

fn password_grant(shared: &Shared, client: &str, params: &Params) -> Response {
    let (Some(username), Some(password)) = (params.get("username"), params.get("password")) else {
        return bad_credentials();
    };
    if !CUBA_USERS
        .iter()
        .any(|(u, p)| *u == username && *p == password)
    {
        return bad_credentials();
    }
    let refresh = shared.random.uuid();
    shared.lock().issue_refresh(
        &refresh,
        RefreshGrant::simple(Dialect::Cuba, client, username, CUBA_SCOPE),
    );
    answer(shared, username, &refresh)
}

fn bad_credentials() -> Response {
    OAuthError::new("invalid_grant", "Bad credentials").response()
}

fn refresh_grant(shared: &Shared, client: &str, params: &Params) -> Response {
    let Some(refresh) = params.get("refresh_token") else {
        return OAuthError::new("invalid_request", "Missing refresh token").response();
    };
    let grant = shared.lock().refresh_grant(refresh).cloned();
    match grant {
        Some(grant) if grant.dialect == Dialect::Cuba => {
            if grant.client_id != client {
                return OAuthError::new("invalid_grant", "Wrong client for this refresh token")
                    .response();
            }
            // Spring's default: a new access token, the same refresh token.
            answer(shared, &grant.sub, refresh)
        }
        _ => invalid_refresh_token(refresh),
    }
}

/// A token answer with a new access token and the given refresh token.
fn answer(shared: &Shared, sub: &str, refresh: &str) -> Response {
    let access = shared.random.uuid();
    let expires_in = shared.lock().issue_access(&access, Dialect::Cuba, sub);
    Response::json(
        200,
        &json!({
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": expires_in,
            "scope": CUBA_SCOPE,
        }),
    )
}
