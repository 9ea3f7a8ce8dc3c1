//! Kontur.Extern: an OpenID Connect provider (IdentityServer). client_secret_post or
//! Basic (URL-decoded), never both, or a client assertion (`assertion.rs`); id_tokens signed RS256 (or ES256) carrying the
//! nonce; the code, refresh (with `offline_access`) and device code grants; a discovery
//! document and a JWKS. UserInfo, revocation and introspection are in `oidc.rs`, the
//! device authorization endpoint in `device.rs`.

use serde_json::{json, Map, Value};

use super::{
    authorize as authorize_with, basic_auth, device, method_not_allowed, redeem_code, token_request,
};
use super::{AuthorizeSpec, BasicAuth, Granted, Login, OAuthError, Params};
use crate::crypto::{unix_now, Forgery};
use crate::fixtures::*;
use crate::http::{Request, Response};
use crate::state::{AccessDetails, RefreshGrant, Shared};
use crate::{Dialect, FaultKind};

/// The scopes Kontur knows.
pub(super) const KNOWN_SCOPES: [&str; 3] = ["openid", "extern.api", KONTUR_OFFLINE_SCOPE];

/// The scopes the authorize request must ask for.
const REQUIRED_SCOPES: [&str; 2] = ["openid", "extern.api"];

/// The claims Kontur's id_tokens carry.
const CLAIMS: [&str; 11] = [
    "iss",
    "sub",
    "aud",
    "azp",
    "iat",
    "exp",
    "nbf",
    "auth_time",
    "nonce",
    "name",
    "email",
];

/// The scopes of a `scope` parameter (space separated, empty items ignored).
pub(super) fn scopes(value: Option<&str>) -> Vec<&str> {
    value
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect()
}

fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|s| s == wanted)
}

/// `GET /connect/authorize`: scope with `openid` and `extern.api` (and optionally
/// `offline_access`); `state` and `nonce` required.
pub(super) fn authorize(shared: &Shared, query: &str, params: &Params, login: Login) -> Response {
    let spec = AuthorizeSpec {
        dialect: Dialect::Kontur,
        path: KONTUR_AUTHORIZE_PATH,
        client_id: KONTUR_CLIENT_ID,
        redirect_params: &["redirect_uri"],
        redirect_mismatch: || OAuthError::new("invalid_request", "Invalid redirect_uri"),
        sends_iss: true,
    };
    authorize_with(shared, query, params, login, &spec, |params| {
        let scopes = scopes(params.get("scope"));
        if REQUIRED_SCOPES
            .iter()
            .any(|needed| !scopes.contains(needed))
        {
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

// --- Client authentication -----------------------------------------------------------

/// Why a Kontur client failed to authenticate.
pub(super) enum ClientAuthError {
    /// Unknown client, wrong secret, or no credentials.
    Invalid,
    /// Basic and client_secret_post at once (RFC 6749 §2.3: one method per request).
    TwoMethods,
    /// A client assertion that does not verify: why.
    Assertion(String),
}

impl ClientAuthError {
    /// The answer of the token endpoint (a `400`, as it always was).
    fn token_response(&self) -> Response {
        match self {
            ClientAuthError::Invalid => {
                OAuthError::new("invalid_client", "Invalid client credentials").response()
            }
            ClientAuthError::TwoMethods => two_methods().response(),
            ClientAuthError::Assertion(why) => {
                OAuthError::new("invalid_client", why.clone()).response()
            }
        }
    }

    /// The answer of the revocation, introspection and device authorization endpoints:
    /// `401 {"error":"invalid_client"}` (RFC 6749 §5.2 allows 401, and asks for it
    /// whenever the client tried the Authorization header).
    pub(super) fn endpoint_response(&self) -> Response {
        match self {
            ClientAuthError::Invalid => {
                let mut error = OAuthError::bare("invalid_client");
                error.status = 401;
                error
                    .response()
                    .header("WWW-Authenticate", "Basic realm=\"kontur\"")
            }
            ClientAuthError::TwoMethods => two_methods().response(),
            ClientAuthError::Assertion(why) => {
                let mut error = OAuthError::new("invalid_client", why.clone());
                error.status = 401;
                error.response()
            }
        }
    }
}

fn two_methods() -> OAuthError {
    OAuthError::new(
        "invalid_request",
        "Use only one client authentication method (Basic or client_secret_post)",
    )
}

/// Authenticates the Kontur client as the token endpoint does (a secret, or a client
/// assertion: see `assertion.rs`); returns its id.
pub(super) fn authenticate_client(
    shared: &Shared,
    request: &Request,
    params: &Params,
) -> Result<&'static str, ClientAuthError> {
    if params.get("client_assertion").is_some() || params.get("client_assertion_type").is_some() {
        if params.get("client_secret").is_some()
            || !matches!(basic_auth(request, true), BasicAuth::Absent)
        {
            return Err(ClientAuthError::TwoMethods);
        }
        return super::assertion::verify(shared, params).map_err(ClientAuthError::Assertion);
    }
    let (id, secret) = match (basic_auth(request, true), params.get("client_secret")) {
        (BasicAuth::Credentials { .. }, Some(_)) => return Err(ClientAuthError::TwoMethods),
        (BasicAuth::Credentials { id, secret }, None) => {
            // A client_id in the body may accompany Basic, but must name the same client.
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(ClientAuthError::Invalid);
            }
            (id, secret)
        }
        (BasicAuth::Absent, Some(secret)) => match params.get("client_id") {
            Some(id) => (id.to_string(), secret.to_string()),
            None => return Err(ClientAuthError::Invalid),
        },
        _ => return Err(ClientAuthError::Invalid),
    };
    if id != KONTUR_CLIENT_ID || secret != KONTUR_CLIENT_SECRET {
        return Err(ClientAuthError::Invalid);
    }
    Ok(KONTUR_CLIENT_ID)
}

/// What the back-channel endpoints other than the token endpoint share (device
/// authorization, PAR, revocation, introspection): a POST with a form body from an
/// authenticated client. Returns the params and the client id, or the error answer.
pub(super) fn authenticated_form(
    shared: &Shared,
    request: &Request,
) -> Result<(Params, &'static str), Response> {
    if request.method != "POST" {
        return Err(method_not_allowed("POST"));
    }
    let params = super::form_body(request).map_err(|e| e.response())?;
    let client_id =
        authenticate_client(shared, request, &params).map_err(|e| e.endpoint_response())?;
    Ok((params, client_id))
}

// --- Token endpoint ------------------------------------------------------------------

/// `POST /connect/token`: authorization_code, refresh_token, device_code.
pub(super) fn token(shared: &Shared, request: &Request) -> Response {
    let params = match token_request(request) {
        Ok(params) => params,
        Err(response) => return response,
    };
    let client_id = match authenticate_client(shared, request, &params) {
        Ok(id) => id,
        Err(error) => return error.token_response(),
    };
    match params.get("grant_type") {
        Some("authorization_code") => code_grant(shared, &request.path, &params),
        Some("refresh_token") => refresh_grant(shared, &request.path, client_id, &params),
        Some(DEVICE_CODE_GRANT_TYPE) => device::grant(shared, &request.path, client_id, &params),
        Some(_) => OAuthError::new(
            "unsupported_grant_type",
            "Supported: authorization_code, refresh_token and device_code",
        )
        .response(),
        None => OAuthError::new("invalid_request", "grant_type is required").response(),
    }
}

fn code_grant(shared: &Shared, path: &str, params: &Params) -> Response {
    let grant = match redeem_code(
        &mut shared.lock(),
        Dialect::Kontur,
        KONTUR_CLIENT_ID,
        params,
        &["redirect_uri"],
        true,
    ) {
        Ok(grant) => grant,
        Err(error) => return error.response(),
    };
    token_answer(
        shared,
        path,
        &Issue::new(&grant.scope, grant.nonce.as_deref(), grant.auth_time),
    )
}

fn refresh_grant(shared: &Shared, path: &str, client_id: &str, params: &Params) -> Response {
    let Some(old) = params.get("refresh_token") else {
        return OAuthError::new("invalid_request", "refresh_token is required").response();
    };
    let invalid = || OAuthError::new("invalid_grant", "Invalid refresh token").response();
    let grant = {
        let mut state = shared.lock();
        let grant = match state.refresh_grant(old) {
            Some(grant) if grant.dialect == Dialect::Kontur && grant.client_id == client_id => {
                grant.clone()
            }
            _ => return invalid(),
        };
        // RFC 6749 §6: the scope may only narrow.
        let asked = scopes(params.get("scope"));
        if asked.iter().any(|s| !has_scope(&grant.scope, s)) {
            return OAuthError::new("invalid_scope", "scope exceeds the original grant").response();
        }
        // Rotation (IdentityServer's default, OneTimeOnly): the old token dies now.
        state.remove_refresh(old);
        grant
    };
    // A narrowed scope applies to the new access token; the new refresh token keeps
    // the original grant, so a later refresh may ask for it all again.
    let narrowed = scopes(params.get("scope")).join(" ");
    let scope = if narrowed.is_empty() {
        grant.scope.as_str()
    } else {
        narrowed.as_str()
    };
    token_answer(
        shared,
        path,
        &Issue {
            scope,
            // OpenID Connect Core §12.2: no nonce in a refreshed id_token.
            nonce: None,
            auth_time: grant.auth_time,
            family: grant.family,
            refresh_scope: Some(&grant.scope),
        },
    )
}

/// What a successful grant hands out.
pub(super) struct Issue<'a> {
    /// The access token's scopes, space separated: `openid` brings an id_token.
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    /// Unix time of the user's login.
    pub auth_time: u64,
    /// The grant family of a refresh; `None` starts a new one.
    pub family: Option<u64>,
    /// The scope of the refresh token to issue, if any.
    pub refresh_scope: Option<&'a str>,
}

impl<'a> Issue<'a> {
    /// A new grant (code or device): a refresh token if `offline_access` was granted.
    pub fn new(scope: &'a str, nonce: Option<&'a str>, auth_time: u64) -> Issue<'a> {
        Issue {
            scope,
            nonce,
            auth_time,
            family: None,
            refresh_scope: has_scope(scope, KONTUR_OFFLINE_SCOPE).then_some(scope),
        }
    }
}

/// The token answer: an access token, an id_token when `openid` was granted, a refresh
/// token when [`Issue::refresh_scope`] says so. `path` is where id_token faults are
/// looked up.
pub(super) fn token_answer(shared: &Shared, path: &str, issue: &Issue<'_>) -> Response {
    let access = shared.random.token::<32>();
    let refresh = issue
        .refresh_scope
        .map(|scope| (shared.random.token::<32>(), scope));
    let expires_in = {
        let mut state = shared.lock();
        let family = issue.family.unwrap_or_else(|| state.new_family());
        let expires_in = state.issue_access_with(
            &access,
            Dialect::Kontur,
            TEST_USER_SUBJECT,
            AccessDetails {
                client_id: KONTUR_CLIENT_ID,
                scope: issue.scope,
                family: Some(family),
            },
        );
        if let Some((refresh, scope)) = &refresh {
            let mut grant =
                RefreshGrant::simple(Dialect::Kontur, KONTUR_CLIENT_ID, TEST_USER_SUBJECT, scope);
            grant.auth_time = issue.auth_time;
            grant.family = Some(family);
            state.issue_refresh(refresh, grant);
        }
        expires_in
    };

    let mut answer = Map::new();
    if has_scope(issue.scope, "openid") {
        let Some(id_token) = id_token(shared, path, issue) else {
            return Response::text(500, "cannot sign the id_token");
        };
        answer.insert("id_token".into(), Value::from(id_token));
    }
    answer.insert("access_token".into(), Value::from(access));
    answer.insert("expires_in".into(), Value::from(expires_in));
    answer.insert("token_type".into(), Value::from("Bearer"));
    answer.insert("scope".into(), Value::from(issue.scope));
    if let Some((refresh, _)) = refresh {
        answer.insert("refresh_token".into(), Value::from(refresh));
    }
    Response::json(200, &Value::Object(answer))
}

/// Builds and signs an id_token, applying the first queued id_token fault for `path`.
fn id_token(shared: &Shared, path: &str, issue: &Issue<'_>) -> Option<String> {
    let fault = shared.lock().take_id_token_fault(path);
    let now = unix_now();
    let iat = if fault == Some(FaultKind::IdTokenExpired) {
        now.saturating_sub(2 * 3600)
    } else {
        now
    };
    let mut claims = json!({
        "iss": shared.base_url,
        "sub": TEST_USER_SUBJECT,
        "aud": KONTUR_CLIENT_ID,
        "azp": KONTUR_CLIENT_ID,
        "iat": iat,
        "nbf": iat,
        "exp": iat + ID_TOKEN_LIFETIME_SECS,
        // A login cannot come after the token it produced, even a backdated one.
        "auth_time": issue.auth_time.min(iat),
        "name": TEST_USER_NAME,
        "email": TEST_USER_EMAIL,
    });
    if let Some(nonce) = issue.nonce {
        claims["nonce"] = json!(nonce);
    }
    let mut forgery = Forgery::None;
    match fault {
        Some(FaultKind::IdTokenWrongNonce) => claims["nonce"] = json!(ID_TOKEN_FAULT_NONCE),
        Some(FaultKind::IdTokenWrongAudience) => {
            claims["aud"] = json!(ID_TOKEN_FAULT_AUDIENCE);
            claims["azp"] = json!(ID_TOKEN_FAULT_AUDIENCE);
        }
        Some(FaultKind::IdTokenWrongIssuer) => claims["iss"] = json!(ID_TOKEN_FAULT_ISSUER),
        // Two hours ago plus a one-hour lifetime: expired an hour ago.
        Some(FaultKind::IdTokenExpired) => {}
        Some(FaultKind::IdTokenBadSignature) => forgery = Forgery::BadSignature,
        Some(FaultKind::IdTokenAlgNone) => forgery = Forgery::AlgNone,
        Some(FaultKind::IdTokenHmacConfusion) => forgery = Forgery::HmacConfusion,
        Some(FaultKind::IdTokenUnknownKid) => forgery = Forgery::UnknownKid,
        _ => {}
    }
    shared.signer.sign_id_token(&claims, forgery)
}

// --- Discovery -----------------------------------------------------------------------

/// `GET /.well-known/openid-configuration`.
pub(super) fn discovery(shared: &Shared, request: &Request) -> Response {
    if request.method != "GET" {
        return method_not_allowed("GET");
    }
    let base = &shared.base_url;
    let auth_methods = [
        "client_secret_post",
        "client_secret_basic",
        "private_key_jwt",
        "client_secret_jwt",
    ];
    Response::json(
        200,
        &json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}{KONTUR_AUTHORIZE_PATH}"),
            "token_endpoint": format!("{base}{KONTUR_TOKEN_PATH}"),
            "jwks_uri": format!("{base}{KONTUR_JWKS_PATH}"),
            "userinfo_endpoint": format!("{base}{KONTUR_USERINFO_PATH}"),
            "revocation_endpoint": format!("{base}{KONTUR_REVOCATION_PATH}"),
            "introspection_endpoint": format!("{base}{KONTUR_INTROSPECTION_PATH}"),
            "device_authorization_endpoint":
                format!("{base}{KONTUR_DEVICE_AUTHORIZATION_PATH}"),
            "scopes_supported": KNOWN_SCOPES,
            "claims_supported": CLAIMS,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": [
                "authorization_code",
                "refresh_token",
                DEVICE_CODE_GRANT_TYPE,
            ],
            "subject_types_supported": ["public"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "authorization_response_iss_parameter_supported": true,
            "token_endpoint_auth_methods_supported": auth_methods,
            "revocation_endpoint_auth_methods_supported": auth_methods,
            "introspection_endpoint_auth_methods_supported": auth_methods,
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256", "HS256"],
            "pushed_authorization_request_endpoint": format!("{base}{KONTUR_PAR_PATH}"),
            "require_pushed_authorization_requests": shared.lock().require_par,
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
