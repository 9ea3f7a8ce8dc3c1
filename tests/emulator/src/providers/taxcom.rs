//! Taxcom: an IdentityServer gate. Basic client authentication only (parts URL-decoded
//! after base64), the code grant only, no refresh token, a huge `expires_in`, and terse
//! errors (`{"error":"…"}` without a description).

use serde_json::json;

use super::{authorize as authorize_with, basic_auth, redeem_code, token_request};
use super::{AuthorizeSpec, BasicAuth, Granted, Login, OAuthError, Params};
use crate::crypto::hex;
use crate::fixtures::*;
use crate::http::{Request, Response};
use crate::state::Shared;
use crate::Dialect;

/// `GET /core/connect/authorize`: `scope=api`; the redirect under `redirect_uri` or the
/// `redirect_url` their document names.
pub(super) fn authorize(shared: &Shared, query: &str, params: &Params, login: Login) -> Response {
    let spec = AuthorizeSpec {
        dialect: Dialect::Taxcom,
        path: TAXCOM_AUTHORIZE_PATH,
        client_id: TAXCOM_CLIENT_ID,
        redirect_params: &["redirect_uri", "redirect_url"],
        redirect_mismatch: || OAuthError::new("invalid_request", "Invalid redirect_uri"),
        sends_iss: false,
    };
    authorize_with(shared, query, params, login, &spec, |params| {
        let scopes: Vec<&str> = params
            .get("scope")
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect();
        if scopes.is_empty() || scopes.iter().any(|s| *s != TAXCOM_SCOPE) {
            return Err(("invalid_scope", "the only scope is api"));
        }
        Ok(Granted {
            scope: TAXCOM_SCOPE.to_string(),
            nonce: None,
        })
    })
}

/// `POST /core/connect/token`.
pub(super) fn token(shared: &Shared, request: &Request) -> Response {
    let params = match token_request(request) {
        Ok(params) => params,
        Err(response) => return response,
    };
    match basic_auth(request, true) {
        BasicAuth::Credentials { id, secret }
            if id == TAXCOM_CLIENT_ID && secret == TAXCOM_CLIENT_SECRET => {}
        _ => return OAuthError::bare("invalid_client").response(),
    }
    // RFC 6749 §2.3: one authentication method per request.
    if params.get("client_secret").is_some() {
        return OAuthError::bare("invalid_request").response();
    }
    match params.get("grant_type") {
        Some("authorization_code") => {}
        Some(_) => return OAuthError::bare("unsupported_grant_type").response(),
        None => return OAuthError::bare("invalid_request").response(),
    }

    let token = hex(&shared.random.bytes::<16>());
    let mut state = shared.lock();
    if let Err(mut error) = redeem_code(
        &mut state,
        Dialect::Taxcom,
        TAXCOM_CLIENT_ID,
        &params,
        &["redirect_uri", "redirect_url"],
        true,
    ) {
        // IdentityServer says only the error code; the PKCE failure keeps its
        // description, which every dialect reports the same way.
        if error.description.as_deref() != Some("PKCE verification failed") {
            error.description = None;
        }
        return error.response();
    }
    let expires_in = state.issue_access(&token, Dialect::Taxcom, TEST_USER_SUBJECT);
    Response::json(
        200,
        &json!({"access_token": token, "expires_in": expires_in, "token_type": "Bearer"}),
    )
}
