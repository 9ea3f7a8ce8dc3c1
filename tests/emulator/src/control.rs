//! The control API under `/_emulator/`, for tests that run the binary (C, Python).
//!
//! | request                              | body / query                                   |
//! |--------------------------------------|------------------------------------------------|
//! | `POST /_emulator/fault`              | `{"path":"/oauth/token","kind":"status","status":503,"retry_after":2,"count":1}` |
//! | `GET  /_emulator/counts`             | → `{"/oauth/token": 3, …}`                     |
//! | `POST /_emulator/revoke`             | revokes every refresh token issued so far      |
//! | `POST /_emulator/expires_in`         | `{"dialect":"gearcode","seconds":2}`           |
//! | `POST /_emulator/reset`              | counts, faults, settings back to defaults      |
//! | `GET  /_emulator/last_request?path=` | → the last request on that path, or 404        |
//! | `POST /_emulator/oidc`               | `{"alg":"ES256"}` (or `"RS256"`): id_token signing; `{"kids":false}`: a JWKS without kids |
//! | `POST /_emulator/rotate_keys`        | new EC key, signs ES256 → `{"ok":true,"kid":"emulator-2"}` |
//! | `POST /_emulator/device`             | `{"expires_in":300,"interval":1}` (either or both) |
//! | `POST /_emulator/device/approve`     | `{"user_code":"ABCD-EFGH","approve":true}` (`false` denies) |
//! | `POST /_emulator/interactive`        | `{"enabled":true}`: authorize shows a login form |
//! | `POST /_emulator/clock`              | `{"advance":5}`: codes and tokens age 5 s (`Emulator::advance_clock`) |
//! | `POST /_emulator/mtls`               | starts the mutual TLS listener (`Emulator::start_mtls`) → `{"ok":true,"url":"https://127.0.0.1:…","dir":"…/tls"}` |
//! | `POST /_emulator/dpop`               | `{"required":true,"nonce":true,"keep_asking":false,"unsupported":false}` (each false if absent): DPoP policy (`DpopPolicy`) |
//! | `POST /_emulator/tls`                | `{"cert":"expired"}`: starts an HTTPS token server with that certificate of `tls/` (`server`, `self-signed`, `self-signed-leaf`, `expired`) → `{"ok":true,"url":"https://127.0.0.1:…","dir":"…/tls"}` |
//! | `POST /_emulator/par`                | `{"required":true}`: authorize takes only pushed requests |
//!
//! Fault kinds: `delay` (`ms`), `status` (`status`, `retry_after`), `html` (`status`),
//! `invalid_json`, `oversized` (`bytes`), `drop`, `truncated`, `redirect` (`location`),
//! `ok_with_error`, `wrong_content_type`, `revoked_refresh_token`, and the id_token
//! faults `id_token_wrong_nonce`, `id_token_wrong_audience`, `id_token_wrong_issuer`,
//! `id_token_expired`, `id_token_bad_signature`, `id_token_alg_none`,
//! `id_token_hmac_confusion`, `id_token_unknown_kid`; `callback` (`name`, `value`: the
//! raw percent-encoded value of a redirect parameter, absent to remove it),
//! `answer_field` (`name`, and `raw` (JSON text) or `raw_hex` (bytes), absent to remove
//! the field; or `fields`, a list of such objects); and `echo` (`place`: `www_authenticate`,
//! `content_type`, `content_type_error`, `location`, `json_key`, `json_broken`,
//! `error_description`, `html`; `encoding`: `plain` (default), `form`, `percent`,
//! `base64`, `html`, `json`), which repeats the request's secrets back.
//!
//! Control requests are neither counted nor faulted. Successful commands answer
//! `200 {"ok":true}`; bad ones `400 {"error":"…"}`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::crypto::unix_now;
use crate::fixtures::CONTROL_PREFIX;
use crate::http::{Request, Response};
use crate::providers::Params;
use crate::state::Shared;
use crate::{Dialect, Fault, FaultKind, IdTokenAlg};

/// Whether a path belongs to the control API.
pub(crate) fn is_control(path: &str) -> bool {
    path.starts_with(CONTROL_PREFIX) || path == CONTROL_PREFIX.trim_end_matches('/')
}

pub(crate) fn handle(shared: &Shared, request: &Request) -> Response {
    let command = request.path.strip_prefix(CONTROL_PREFIX).unwrap_or("");
    let expected_method = match command {
        "fault" | "revoke" | "expires_in" | "reset" | "oidc" | "rotate_keys" | "device"
        | "device/approve" | "interactive" | "clock" | "tls" | "par" | "dpop" | "mtls" => "POST",
        "counts" | "last_request" => "GET",
        _ => return Response::text(404, "Not Found"),
    };
    if request.method != expected_method {
        return Response::text(405, "Method Not Allowed").header("Allow", expected_method);
    }
    let result = match command {
        "fault" => body_json(request)
            .and_then(|v| parse_fault(&v))
            .map(|fault| {
                shared.lock().inject(fault);
                ok()
            }),
        "counts" => Ok(Response::json(200, &json!(shared.lock().counts))),
        "revoke" => {
            shared.lock().revoke_refresh_tokens();
            Ok(ok())
        }
        "expires_in" => {
            body_json(request)
                .and_then(|v| parse_expires_in(&v))
                .map(|(dialect, seconds)| {
                    shared.lock().set_expires_in(dialect, seconds);
                    ok()
                })
        }
        "reset" => {
            shared.reset();
            Ok(ok())
        }
        "last_request" => last_request(shared, request),
        "oidc" => body_json(request).and_then(|v| {
            let alg = v.get("alg").and_then(Value::as_str);
            let kids = boolean(&v, "kids")?;
            if alg.is_none() && kids.is_none() {
                return Err("alg or kids is required".into());
            }
            if let Some(alg) = alg {
                shared.signer.set_alg(alg.parse::<IdTokenAlg>()?);
            }
            if let Some(kids) = kids {
                shared.signer.set_kidless(!kids);
            }
            Ok(ok())
        }),
        "rotate_keys" => match shared.signer.rotate() {
            Ok(kid) => Ok(Response::json(200, &json!({"ok": true, "kid": kid}))),
            Err(e) => Ok(Response::json(500, &json!({"error": e.to_string()}))),
        },
        "device" => body_json(request).and_then(|v| {
            let expires_in = uint(&v, "expires_in")?;
            let interval = uint(&v, "interval")?;
            let mut state = shared.lock();
            if expires_in.is_some() {
                state.device_expires_in = expires_in;
            }
            if interval.is_some() {
                state.device_interval = interval;
            }
            Ok(ok())
        }),
        "device/approve" => body_json(request).and_then(|v| {
            let user_code = v
                .get("user_code")
                .and_then(Value::as_str)
                .ok_or("user_code is required")?;
            let approve = boolean(&v, "approve")?.unwrap_or(true);
            shared
                .lock()
                .decide_device(user_code, approve, unix_now())
                .map_err(|e| e.message().to_string())?;
            Ok(ok())
        }),
        "mtls" => match crate::start_mtls(shared) {
            Ok(url) => Ok(Response::json(
                200,
                &json!({"ok": true, "url": url, "dir": crate::tls::file("").to_string_lossy()}),
            )),
            Err(e) => Ok(Response::json(500, &json!({"error": e.to_string()}))),
        },
        "dpop" => body_json(request).and_then(|v| {
            let flag = |name: &str| boolean(&v, name).map(Option::unwrap_or_default);
            let policy = crate::DpopPolicy {
                required: flag("required")?,
                nonce: flag("nonce")?,
                keep_asking: flag("keep_asking")?,
                unsupported: flag("unsupported")?,
            };
            shared.lock().dpop.policy = policy;
            Ok(ok())
        }),
        "tls" => body_json(request).and_then(|v| {
            let cert = v.get("cert").and_then(Value::as_str).unwrap_or("server");
            if !["server", "self-signed", "self-signed-leaf", "expired"].contains(&cert) {
                return Err(format!("no certificate {cert:?} in tls/"));
            }
            let config = crate::tls::server_config_for(cert);
            let url = crate::tls::serve_token_answers(config, "127.0.0.1");
            let dir = crate::tls::file("");
            Ok(Response::json(
                200,
                &json!({"ok": true, "url": url, "dir": dir.to_string_lossy()}),
            ))
        }),
        "interactive" => body_json(request).and_then(|v| {
            shared.lock().interactive = boolean(&v, "enabled")?.ok_or("enabled is required")?;
            Ok(ok())
        }),
        "par" => body_json(request).and_then(|v| {
            shared.lock().require_par = boolean(&v, "required")?.ok_or("required is required")?;
            Ok(ok())
        }),
        "clock" => body_json(request).and_then(|v| {
            let seconds = required_uint(&v, "advance")?;
            shared.lock().advance_clock(Duration::from_secs(seconds));
            Ok(ok())
        }),
        _ => Ok(Response::text(404, "Not Found")),
    };
    result.unwrap_or_else(|message| Response::json(400, &json!({"error": message})))
}

fn ok() -> Response {
    Response::json(200, &json!({"ok": true}))
}

fn body_json(request: &Request) -> Result<Value, String> {
    serde_json::from_slice(&request.body).map_err(|e| format!("body is not JSON: {e}"))
}

fn last_request(shared: &Shared, request: &Request) -> Result<Response, String> {
    let params = Params::parse(request.query.as_bytes());
    let path = params
        .get("path")
        .ok_or("query parameter path is required")?;
    let Some(recorded) = shared.lock().last_requests.get(path).cloned() else {
        return Ok(Response::json(
            404,
            &json!({"error": "no request on that path"}),
        ));
    };
    let headers: Vec<Value> = recorded
        .headers
        .iter()
        .map(|(name, value)| json!([name, value]))
        .collect();
    Ok(Response::json(
        200,
        &json!({
            "method": recorded.method,
            "path": recorded.path,
            "query": recorded.query,
            "headers": headers,
            "body": recorded.body,
        }),
    ))
}

/// A non-negative integer field.
fn uint(value: &Value, field: &str) -> Result<Option<u64>, String> {
    match value.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{field} must be a non-negative integer")),
    }
}

/// A boolean field.
fn boolean(value: &Value, field: &str) -> Result<Option<bool>, String> {
    match value.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| format!("{field} must be true or false")),
    }
}

fn required_uint(value: &Value, field: &str) -> Result<u64, String> {
    uint(value, field)?.ok_or_else(|| format!("{field} is required"))
}

/// An HTTP status a fault may answer with (the status line must stay well-formed).
fn status(value: &Value, default: Option<u16>) -> Result<u16, String> {
    let status = match uint(value, "status")? {
        Some(s) => s,
        None => default.map(u64::from).ok_or("status is required")?,
    };
    u16::try_from(status)
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| "status must be between 100 and 599".to_string())
}

/// Parses the JSON form of a [`Fault`].
pub(crate) fn parse_fault(value: &Value) -> Result<Fault, String> {
    let path = match value.get("path") {
        None | Some(Value::Null) => "*".to_string(),
        Some(Value::String(path)) => path.clone(),
        Some(_) => return Err("path must be a string".into()),
    };
    let count = match uint(value, "count")? {
        None => 1,
        Some(n) => u32::try_from(n).map_err(|_| "count is too large")?,
    };
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .ok_or("kind is required")?;
    let kind = match kind {
        "delay" => FaultKind::Delay(Duration::from_millis(required_uint(value, "ms")?)),
        "status" => FaultKind::Status {
            status: status(value, None)?,
            retry_after: uint(value, "retry_after")?
                .map(u32::try_from)
                .transpose()
                .map_err(|_| "retry_after is too large")?,
        },
        "html" => FaultKind::Html {
            status: status(value, Some(502))?,
        },
        "invalid_json" => FaultKind::InvalidJson,
        "oversized" => FaultKind::Oversized {
            bytes: usize::try_from(required_uint(value, "bytes")?)
                .map_err(|_| "bytes is too large")?,
        },
        "drop" => FaultKind::Drop,
        "truncated" => FaultKind::Truncated,
        "redirect" => {
            let location = value
                .get("location")
                .and_then(Value::as_str)
                .ok_or("location is required")?;
            // The value goes into a header line: a CR or LF would split the response.
            if location.chars().any(|c| c.is_control()) {
                return Err("location must not contain control characters".into());
            }
            FaultKind::Redirect {
                location: location.to_string(),
            }
        }
        "ok_with_error" => FaultKind::OkWithError,
        "wrong_content_type" => FaultKind::WrongContentType,
        "revoked_refresh_token" => FaultKind::RevokedRefreshToken,
        "id_token_wrong_nonce" => FaultKind::IdTokenWrongNonce,
        "id_token_wrong_audience" => FaultKind::IdTokenWrongAudience,
        "id_token_wrong_issuer" => FaultKind::IdTokenWrongIssuer,
        "id_token_expired" => FaultKind::IdTokenExpired,
        "id_token_bad_signature" => FaultKind::IdTokenBadSignature,
        "id_token_alg_none" => FaultKind::IdTokenAlgNone,
        "id_token_hmac_confusion" => FaultKind::IdTokenHmacConfusion,
        "id_token_unknown_kid" => FaultKind::IdTokenUnknownKid,
        "callback" => {
            let raw = value.get("value").and_then(Value::as_str);
            // The value goes into the Location header line.
            if raw.is_some_and(|v| v.chars().any(|c| c.is_control())) {
                return Err("value must not contain control characters".into());
            }
            FaultKind::Callback {
                name: required_str(value, "name")?,
                value: raw.map(str::to_owned),
            }
        }
        "answer_field" => {
            let edit = |v: &Value| -> Result<(String, Option<Vec<u8>>), String> {
                let raw = match (v.get("raw"), v.get("raw_hex")) {
                    (Some(Value::String(raw)), _) => Some(raw.clone().into_bytes()),
                    (_, Some(Value::String(hex))) => Some(unhex(hex)?),
                    _ => None,
                };
                Ok((required_str(v, "name")?, raw))
            };
            let fields = match value.get("fields") {
                Some(Value::Array(items)) => items.iter().map(edit).collect::<Result<_, _>>()?,
                _ => vec![edit(value)?],
            };
            FaultKind::AnswerFields { fields }
        }
        "echo" => FaultKind::Echo {
            place: value
                .get("place")
                .and_then(Value::as_str)
                .ok_or("place is required")?
                .parse()?,
            encoding: value
                .get("encoding")
                .and_then(Value::as_str)
                .unwrap_or("plain")
                .parse()?,
        },
        other => return Err(format!("unknown fault kind {other:?}")),
    };
    Ok(Fault { path, kind, count })
}

fn required_str(value: &Value, field: &str) -> Result<String, String> {
    match value.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(format!("{field} is required")),
    }
}

fn unhex(hex: &str) -> Result<Vec<u8>, String> {
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("raw_hex must be pairs of hex digits".into());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

fn parse_expires_in(value: &Value) -> Result<(Dialect, u64), String> {
    let dialect: Dialect = value
        .get("dialect")
        .and_then(Value::as_str)
        .ok_or("dialect is required")?
        .parse()?;
    Ok((dialect, required_uint(value, "seconds")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_fault() {
        let fault = parse_fault(&json!({
            "path": "/oauth/token", "kind": "status", "status": 503, "retry_after": 2, "count": 1
        }))
        .expect("valid fault");
        assert_eq!(
            fault,
            Fault::new(
                "/oauth/token",
                FaultKind::Status {
                    status: 503,
                    retry_after: Some(2)
                }
            )
        );
        assert_eq!(
            parse_fault(&json!({"kind": "delay", "ms": 250, "count": 3})),
            Ok(Fault::any(FaultKind::Delay(Duration::from_millis(250))).times(3))
        );
    }

    #[test]
    fn rejects_bad_faults() {
        assert!(parse_fault(&json!({"kind": "status"})).is_err());
        assert!(parse_fault(&json!({"kind": "status", "status": 42})).is_err());
        assert!(parse_fault(&json!({"kind": "nope"})).is_err());
        assert!(
            parse_fault(&json!({"kind": "redirect", "location": "/x\r\nSet-Cookie: a"})).is_err()
        );
        assert!(parse_fault(&json!({"kind": "drop", "count": -1})).is_err());
        assert!(parse_fault(&json!({"kind": "callback"})).is_err());
        assert!(
            parse_fault(&json!({"kind": "answer_field", "name": "x", "raw_hex": "f"})).is_err()
        );
    }

    #[test]
    fn parses_callback_and_answer_field_faults() {
        assert_eq!(
            parse_fault(&json!({"kind": "callback", "name": "iss"})),
            Ok(Fault::any(FaultKind::Callback {
                name: "iss".into(),
                value: None
            }))
        );
        assert_eq!(
            parse_fault(&json!({"kind": "answer_field", "name": "x", "raw_hex": "22ff22"})),
            Ok(Fault::any(FaultKind::answer_field("x", Some(b"\"\xff\""))))
        );
    }

    #[test]
    fn parses_echo_faults() {
        assert_eq!(
            parse_fault(&json!({"kind": "echo", "place": "location", "encoding": "base64"})),
            Ok(Fault::any(FaultKind::Echo {
                place: crate::EchoPlace::Location,
                encoding: crate::EchoEncoding::Base64,
            }))
        );
        assert!(parse_fault(&json!({"kind": "echo"})).is_err());
        assert!(parse_fault(&json!({"kind": "echo", "place": "body", "encoding": "x"})).is_err());
    }

    #[test]
    fn parses_id_token_faults() {
        assert_eq!(
            parse_fault(&json!({"path": "/connect/token", "kind": "id_token_hmac_confusion"})),
            Ok(Fault::new(
                "/connect/token",
                FaultKind::IdTokenHmacConfusion
            ))
        );
        for kind in [
            "id_token_wrong_nonce",
            "id_token_wrong_audience",
            "id_token_wrong_issuer",
            "id_token_expired",
            "id_token_bad_signature",
            "id_token_alg_none",
            "id_token_unknown_kid",
        ] {
            let fault = parse_fault(&json!({"kind": kind})).expect(kind);
            assert!(fault.kind.is_id_token_fault(), "{kind}");
        }
    }
}
