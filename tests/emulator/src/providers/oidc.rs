//! Kontur's token-management endpoints: UserInfo (OpenID Connect Core §5.3), revocation
//! (RFC 7009) and introspection (RFC 7662). They only know Kontur's tokens: a token of
//! another dialect is as good as unknown here.

use serde_json::{json, Map, Value};

use super::kontur::authenticated_form;
use super::{bearer_token, invalid_token, method_not_allowed, OAuthError, Params};
use crate::fixtures::*;
use crate::http::{Request, Response};
use crate::state::Shared;
use crate::Dialect;

/// `GET` (or `POST`) `/connect/userinfo` with a Kontur bearer token.
pub(super) fn userinfo(shared: &Shared, request: &Request) -> Response {
    // OpenID Connect Core §5.3.1: the UserInfo endpoint takes GET and POST.
    if request.method != "GET" && request.method != "POST" {
        return method_not_allowed("GET, POST");
    }
    let valid = bearer_token(request).is_some_and(|token| {
        shared
            .lock()
            .check_access(token)
            .is_some_and(|g| g.dialect == Dialect::Kontur)
    });
    if !valid {
        return invalid_token();
    }
    Response::json(
        200,
        &json!({"sub": TEST_USER_SUBJECT, "name": TEST_USER_NAME, "email": TEST_USER_EMAIL}),
    )
}

/// The checks the revocation and introspection endpoints share: POST, a form body,
/// an authenticated client, a `token`. Returns the params and the client id.
fn token_management(
    shared: &Shared,
    request: &Request,
) -> Result<(Params, &'static str), Response> {
    let (params, client_id) = authenticated_form(shared, request)?;
    if params.get("token").is_none() {
        return Err(OAuthError::new("invalid_request", "token is required").response());
    }
    Ok((params, client_id))
}

/// `POST /connect/revocation` (RFC 7009).
pub(super) fn revocation(shared: &Shared, request: &Request) -> Response {
    let (params, client_id) = match token_management(shared, request) {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    // The token_type_hint only speeds up a real server's look-up; with both kinds in
    // memory it changes nothing, and RFC 7009 §2.1 has the server search every kind
    // anyway. An unknown token is answered 200 too (§2.2): the client's goal is met.
    let token = params.get("token").unwrap_or_default();
    shared
        .lock()
        .revoke_token(token, Dialect::Kontur, client_id);
    Response::empty(200).header("Cache-Control", "no-store")
}

/// `POST /connect/introspect` (RFC 7662).
pub(super) fn introspection(shared: &Shared, request: &Request) -> Response {
    let (params, client_id) = match token_management(shared, request) {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let token = params.get("token").unwrap_or_default();
    let mut answer = Map::new();
    {
        let state = shared.lock();
        if let Some(grant) = state
            .check_access(token)
            .filter(|g| g.dialect == Dialect::Kontur && g.client_id == client_id)
        {
            answer.insert("scope".into(), Value::from(grant.scope.as_str()));
            answer.insert("client_id".into(), Value::from(grant.client_id.as_str()));
            answer.insert("sub".into(), Value::from(grant.sub.as_str()));
            if let Some(exp) = grant.expires_unix {
                answer.insert("exp".into(), Value::from(exp));
            }
            answer.insert("iat".into(), Value::from(grant.issued_unix));
            answer.insert("token_type".into(), Value::from("Bearer"));
        } else if let Some(grant) = state
            .refresh_grant(token)
            .filter(|g| g.dialect == Dialect::Kontur && g.client_id == client_id)
        {
            // A refresh token has no expiry here and no token_type of RFC 6749 §7.1.
            answer.insert("scope".into(), Value::from(grant.scope.as_str()));
            answer.insert("client_id".into(), Value::from(grant.client_id.as_str()));
            answer.insert("sub".into(), Value::from(grant.sub.as_str()));
            answer.insert("iat".into(), Value::from(grant.issued_unix));
        }
    }
    if answer.is_empty() {
        // RFC 7662 §2.2: nothing more is said about an inactive token.
        return Response::json(200, &json!({"active": false}));
    }
    answer.insert("active".into(), Value::from(true));
    answer.insert("iss".into(), Value::from(shared.base_url.as_str()));
    Response::json(200, &Value::Object(answer))
}
