//! Kontur.Extern: an OpenID Connect provider (IdentityServer). The code grant only;
//! client_secret_post or Basic (URL-decoded), never both; an ES256 id_token carrying
//! the nonce; a discovery document and a JWKS.

use serde_json::json;

use super::{
    authorize as authorize_with, basic_auth, method_not_allowed, redeem_code, token_request,
};
use super::{AuthorizeSpec, BasicAuth, Granted, OAuthError};
use crate::crypto::unix_now;
use crate::fixtures::*;
use crate::http::{Request, Response};
use crate::state::Shared;
use crate::Dialect;

/// The scopes Kontur knows.
const KNOWN_SCOPES: [&str; 2] = ["openid", "extern.api"];

/// `GET /connect/authorize`: scope with `openid` and `extern.api`; `state` and `nonce`
/// required.
pub(super) fn authorize(shared: &Shared, request: &Request) -> Response {
    let spec = AuthorizeSpec {
        dialect: Dialect::Kontur,
        client_id: KONTUR_CLIENT_ID,
        redirect_params: &["redirect_uri"],
        redirect_mismatch: || OAuthError::new("invalid_request", "Invalid redirect_uri"),
    };
    authorize_with(shared, request, &spec, |params| {
        let scopes: Vec<&str> = params
            .get("scope")
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect();
        if KNOWN_SCOPES.iter().any(|needed| !scopes.contains(needed)) {
            return Err(("invalid_scope", "scope must contain openid and extern.api"));
        }
        if scopes.iter().any(|s| !KNOWN_SCOPES.contains(s)) {
            return Err(("invalid_scope", "unknown scope"));
        }
        if params.get("state").is_none() {
            return Err(("invalid_request", "state is required"));
        }
        let Some(nonce) = params.get("nonce") else {
            return Err(("invalid_request", "nonce is required"));
        };
        Ok(Granted {
            scope: scopes.join(" "),
            nonce: Some(nonce.to_string()),
        })
    })
}

/// `POST /connect/token`.
pub(super) fn token(shared: &Shared, request: &Request) -> Response {
    let params = match token_request(request) {
        Ok(params) => params,
        Err(response) => return response,
    };
    let invalid_client =
        || OAuthError::new("invalid_client", "Invalid client credentials").response();
    let (id, secret) = match (basic_auth(request, true), params.get("client_secret")) {
        (BasicAuth::Credentials { .. }, Some(_)) => {
            return OAuthError::new(
                "invalid_request",
                "Use only one client authentication method (Basic or client_secret_post)",
            )
            .response()
        }
        (BasicAuth::Credentials { id, secret }, None) => {
            // A client_id in the body may accompany Basic, but must name the same client.
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return invalid_client();
            }
            (id, secret)
        }
        (BasicAuth::Absent, Some(secret)) => match params.get("client_id") {
            Some(id) => (id.to_string(), secret.to_string()),
            None => return invalid_client(),
        },
        _ => return invalid_client(),
    };
    if id != KONTUR_CLIENT_ID || secret != KONTUR_CLIENT_SECRET {
        return invalid_client();
    }
    match params.get("grant_type") {
        Some("authorization_code") => {}
        Some(_) => {
            return OAuthError::new(
                "unsupported_grant_type",
                "Only authorization_code is supported",
            )
            .response()
        }
        None => return OAuthError::new("invalid_request", "grant_type is required").response(),
    }

    let token = shared.random.token::<32>();
    let (grant, expires_in) = {
        let mut state = shared.lock();
        let grant = match redeem_code(
            &mut state,
            Dialect::Kontur,
            KONTUR_CLIENT_ID,
            &params,
            &["redirect_uri"],
            true,
        ) {
            Ok(grant) => grant,
            Err(error) => return error.response(),
        };
        let expires_in = state.issue_access(&token, Dialect::Kontur, TEST_USER_SUBJECT);
        (grant, expires_in)
    };

    let iat = unix_now();
    let mut claims = json!({
        "iss": shared.base_url,
        "sub": TEST_USER_SUBJECT,
        "aud": KONTUR_CLIENT_ID,
        "iat": iat,
        "nbf": iat,
        "exp": iat + 3600,
        "auth_time": grant.auth_time,
    });
    if let Some(nonce) = &grant.nonce {
        claims["nonce"] = json!(nonce);
    }
    let Some(id_token) = shared.signer.sign_jwt(&claims) else {
        return Response::text(500, "cannot sign the id_token");
    };
    Response::json(
        200,
        &json!({
            "id_token": id_token,
            "access_token": token,
            "expires_in": expires_in,
            "token_type": "Bearer",
            "scope": grant.scope,
        }),
    )
}

/// `GET /.well-known/openid-configuration`.
pub(super) fn discovery(shared: &Shared, request: &Request) -> Response {
    if request.method != "GET" {
        return method_not_allowed("GET");
    }
    let base = &shared.base_url;
    Response::json(
        200,
        &json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}{KONTUR_AUTHORIZE_PATH}"),
            "token_endpoint": format!("{base}{KONTUR_TOKEN_PATH}"),
            "jwks_uri": format!("{base}{KONTUR_JWKS_PATH}"),
            "scopes_supported": KNOWN_SCOPES,
            "claims_supported": ["sub", "nonce", "auth_time"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "id_token_signing_alg_values_supported": ["ES256"],
        }),
    )
}

/// `GET /.well-known/openid-configuration/jwks`.
pub(super) fn jwks(shared: &Shared, request: &Request) -> Response {
    if request.method != "GET" {
        return method_not_allowed("GET");
    }
    Response::json(200, &shared.signer.jwks())
}
