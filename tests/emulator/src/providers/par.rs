//! Pushed authorization requests (RFC 9126) for the Kontur client: the endpoint that
//! takes an authorization request's parameters over the back channel, and the look-up
//! of its `request_uri` at the authorize endpoint (one use, within
//! [`PAR_LIFETIME_SECS`]).

use std::time::{Duration, Instant};

use serde_json::json;

use super::kontur::authenticated_form;
use super::{redirect_uri_matches, OAuthError};
use crate::fixtures::*;
use crate::http::{Request, Response};
use crate::state::{PushedRequest, Shared};

/// The parameters that authenticate the client, which do not belong to the request.
const CLIENT_AUTH_PARAMS: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

/// `POST /connect/par`.
pub(super) fn push(shared: &Shared, request: &Request) -> Response {
    let (params, client_id) = match authenticated_form(shared, request) {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    // RFC 9126 §2.1: request_uri cannot be pushed; the redirect URI is checked now.
    if params.get("request_uri").is_some() {
        return OAuthError::new("invalid_request", "request_uri cannot be pushed").response();
    }
    if !params.get("redirect_uri").is_some_and(redirect_uri_matches) {
        return OAuthError::new("invalid_request", "Invalid redirect_uri").response();
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("client_id", client_id);
    for (name, value) in url::form_urlencoded::parse(&request.body) {
        if name != "client_id" && !CLIENT_AUTH_PARAMS.contains(&name.as_ref()) {
            query.append_pair(&name, &value);
        }
    }
    let request_uri = format!(
        "urn:ietf:params:oauth:request_uri:{}",
        shared.random.token::<24>()
    );
    shared.lock().pushed.insert(
        request_uri.clone(),
        PushedRequest {
            client_id: client_id.to_string(),
            query: query.finish(),
            expires_at: Instant::now() + Duration::from_secs(PAR_LIFETIME_SECS),
        },
    );
    Response::json(
        201,
        &json!({"request_uri": request_uri, "expires_in": PAR_LIFETIME_SECS}),
    )
}

/// At Kontur's authorize endpoint: the pushed request a `request_uri` names (used up
/// now), `None` for a request that is not pushed, or the error page for an unknown,
/// used or expired `request_uri`, one whose `client_id` differs, or an unpushed request
/// when pushing is required.
pub(super) fn resolve(
    shared: &Shared,
    path: &str,
    query: &str,
) -> Result<Option<String>, Response> {
    if path != KONTUR_AUTHORIZE_PATH {
        return Ok(None);
    }
    let params = super::Params::parse(query.as_bytes());
    let mut state = shared.lock();
    let Some(request_uri) = params.get("request_uri") else {
        if state.require_par {
            return Err(OAuthError::new(
                "invalid_request",
                "this server requires pushed authorization requests",
            )
            .response());
        }
        return Ok(None);
    };
    let invalid = || {
        OAuthError::new(
            "invalid_request_uri",
            "request_uri is unknown, already used or expired",
        )
        .response()
    };
    let pushed = state.pushed.remove(request_uri).ok_or_else(invalid)?;
    if pushed.expires_at <= Instant::now() || params.get("client_id") != Some(&pushed.client_id) {
        return Err(invalid());
    }
    Ok(Some(pushed.query))
}
