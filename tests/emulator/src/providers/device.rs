//! The device authorization grant (RFC 8628) for the Kontur client: the device
//! authorization endpoint and the polling grant at the token endpoint. The user's side
//! (the `/device` page) is in `pages.rs`; tests may approve through the control API.

use std::time::{Duration, Instant};

use serde_json::json;

use super::kontur::{authenticated_form, scopes, token_answer, Issue, KNOWN_SCOPES};
use super::{OAuthError, Params};
use crate::fixtures::*;
use crate::http::{Request, Response};
use crate::state::{DeviceGrant, DevicePoll, DeviceStatus, Shared};

/// `POST /connect/deviceauthorization` (RFC 8628 §3.1, §3.2).
pub(super) fn authorization(shared: &Shared, request: &Request) -> Response {
    let (params, client_id) = match authenticated_form(shared, request) {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let asked = scopes(params.get("scope"));
    if asked.iter().any(|s| !KNOWN_SCOPES.contains(s)) {
        return OAuthError::new("invalid_scope", "unknown scope").response();
    }
    let scope = if asked.is_empty() {
        KONTUR_SCOPE.to_string()
    } else {
        asked.join(" ")
    };

    let device_code = shared.random.token::<32>();
    let (user_code, expires_in, interval) = {
        let mut state = shared.lock();
        let (expires_in, interval) = state.device_timing();
        // 20^8 codes: a collision with a live one is all but impossible, but cheap to
        // rule out.
        let user_code = loop {
            let code = user_code(shared);
            if !state.user_code_taken(&code) {
                break code;
            }
        };
        let now = Instant::now();
        state.insert_device(
            device_code.clone(),
            DeviceGrant {
                user_code: user_code.clone(),
                client_id: client_id.to_string(),
                scope,
                // An absurd lifetime that overflows Instant lasts "only" a century.
                expires_at: now
                    .checked_add(Duration::from_secs(expires_in))
                    .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
                    .unwrap_or(now),
                interval: Duration::from_secs(interval),
                last_poll: None,
                status: DeviceStatus::Pending,
            },
        );
        (user_code, expires_in, interval)
    };
    let verification_uri = format!("{}{DEVICE_VERIFICATION_PATH}", shared.base_url);
    Response::json(
        200,
        &json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
            "expires_in": expires_in,
            "interval": interval,
        }),
    )
}

/// A random `ABCD-EFGH` from [`USER_CODE_ALPHABET`].
fn user_code(shared: &Shared) -> String {
    let alphabet = USER_CODE_ALPHABET.as_bytes();
    let mut letters = Vec::with_capacity(8);
    while letters.len() < 8 {
        for byte in shared.random.bytes::<16>() {
            // Rejection sampling: 240 is the largest multiple of 20 below 256, so every
            // letter is equally likely.
            let limit = 256 - 256 % alphabet.len();
            if usize::from(byte) < limit && letters.len() < 8 {
                letters.push(alphabet[usize::from(byte) % alphabet.len()]);
            }
        }
    }
    let letters = String::from_utf8_lossy(&letters).into_owned();
    format!("{}-{}", &letters[..4], &letters[4..])
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code` at the token endpoint
/// (RFC 8628 §3.4, §3.5).
pub(super) fn grant(shared: &Shared, path: &str, client_id: &str, params: &Params) -> Response {
    let Some(device_code) = params.get("device_code") else {
        return OAuthError::new("invalid_request", "device_code is required").response();
    };
    let poll = shared.lock().poll_device(device_code, client_id);
    match poll {
        DevicePoll::Invalid => {
            OAuthError::new("invalid_grant", "Invalid or used device code").response()
        }
        DevicePoll::Expired => {
            OAuthError::new("expired_token", "The device code has expired").response()
        }
        DevicePoll::Denied => {
            OAuthError::new("access_denied", "The user denied the request").response()
        }
        DevicePoll::Pending => OAuthError::new(
            "authorization_pending",
            "The user has not yet approved the request",
        )
        .response(),
        DevicePoll::SlowDown => OAuthError::new(
            "slow_down",
            "Polling too fast: wait 1 second longer between polls",
        )
        .response(),
        DevicePoll::Approved(grant) => {
            let auth_time = match grant.status {
                DeviceStatus::Approved(at) => at,
                _ => crate::crypto::unix_now(),
            };
            token_answer(shared, path, &Issue::new(&grant.scope, None, auth_time))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_have_the_documented_shape() {
        let shared = Shared::new("http://127.0.0.1:1".into()).expect("shared");
        for _ in 0..50 {
            let code = user_code(&shared);
            assert_eq!(code.len(), 9, "{code}");
            assert_eq!(&code[4..5], "-");
            assert!(code
                .chars()
                .filter(|c| *c != '-')
                .all(|c| USER_CODE_ALPHABET.contains(c)));
        }
    }
}
