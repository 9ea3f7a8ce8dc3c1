//! The echo fault: a server that repeats the request's secrets back in its answer, in one
//! place and one encoding, as careless or hostile servers do. Tests use it to check that
//! no secret survives into an error, a warning or a log record.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use crate::http::{Request, Response};
use crate::providers::{self, Params};
use crate::state::Shared;

/// The form parameters whose values are secrets.
const SECRET_PARAMS: [&str; 8] = [
    "client_secret",
    "client_assertion",
    "password",
    "code",
    "refresh_token",
    "code_verifier",
    "device_code",
    "token",
];

/// Where an echo puts the secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EchoPlace {
    /// `401` with `WWW-Authenticate: Bearer error="invalid_token", error_description="…"`.
    WwwAuthenticate,
    /// The normal answer (tokens on a token endpoint), with `Content-Type: text/…`.
    ContentType,
    /// `502` with a plain body and `Content-Type: text/…`.
    ContentTypeError,
    /// `302` with `Location: https://evil.example/…?echo=…`.
    Location,
    /// `500` with a JSON object whose key is the echo.
    JsonKey,
    /// `500` with truncated JSON carrying the echo as a key and as values.
    JsonBroken,
    /// `400` with an OAuth error whose `error_description` and `error_uri` carry it.
    ErrorDescription,
    /// `502` with an HTML page whose text carries it.
    Html,
}

/// How an echo encodes the secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EchoEncoding {
    /// As they are.
    Plain,
    /// Form-encoded, a space as `+`.
    Form,
    /// Percent-encoded, a space as `%20`, every byte but `A-Za-z0-9-._~` escaped.
    Percent,
    /// Standard base64 (with padding).
    Base64,
    /// HTML-escaped: `&amp;` and friends, non-ASCII as `&#x…;`.
    Html,
    /// JSON-escaped with non-ASCII as `\u…` (what `ensure_ascii` serialisers write).
    Json,
}

impl EchoPlace {
    /// Every place, for test matrices.
    pub const ALL: [EchoPlace; 8] = [
        EchoPlace::WwwAuthenticate,
        EchoPlace::ContentType,
        EchoPlace::ContentTypeError,
        EchoPlace::Location,
        EchoPlace::JsonKey,
        EchoPlace::JsonBroken,
        EchoPlace::ErrorDescription,
        EchoPlace::Html,
    ];

    fn name(self) -> &'static str {
        match self {
            EchoPlace::WwwAuthenticate => "www_authenticate",
            EchoPlace::ContentType => "content_type",
            EchoPlace::ContentTypeError => "content_type_error",
            EchoPlace::Location => "location",
            EchoPlace::JsonKey => "json_key",
            EchoPlace::JsonBroken => "json_broken",
            EchoPlace::ErrorDescription => "error_description",
            EchoPlace::Html => "html",
        }
    }
}

impl EchoEncoding {
    /// Every encoding, for test matrices.
    pub const ALL: [EchoEncoding; 6] = [
        EchoEncoding::Plain,
        EchoEncoding::Form,
        EchoEncoding::Percent,
        EchoEncoding::Base64,
        EchoEncoding::Html,
        EchoEncoding::Json,
    ];

    fn name(self) -> &'static str {
        match self {
            EchoEncoding::Plain => "plain",
            EchoEncoding::Form => "form",
            EchoEncoding::Percent => "percent",
            EchoEncoding::Base64 => "base64",
            EchoEncoding::Html => "html",
            EchoEncoding::Json => "json",
        }
    }

    /// `s` in this encoding.
    pub fn encode(self, s: &str) -> String {
        match self {
            EchoEncoding::Plain => s.to_string(),
            EchoEncoding::Form => url::form_urlencoded::byte_serialize(s.as_bytes()).collect(),
            EchoEncoding::Percent => s
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        char::from(b).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect(),
            EchoEncoding::Base64 => STANDARD.encode(s),
            EchoEncoding::Html => s
                .chars()
                .map(|c| match c {
                    '&' => "&amp;".to_string(),
                    '<' => "&lt;".to_string(),
                    '>' => "&gt;".to_string(),
                    '"' => "&quot;".to_string(),
                    '\'' => "&#39;".to_string(),
                    c if !c.is_ascii() => format!("&#x{:x};", u32::from(c)),
                    c => c.to_string(),
                })
                .collect(),
            EchoEncoding::Json => s
                .encode_utf16()
                .map(|u| match u {
                    0x22 => "\\\"".to_string(),
                    0x5C => "\\\\".to_string(),
                    0x20..=0x7E => char::from(u as u8).to_string(),
                    _ => format!("\\u{u:04x}"),
                })
                .collect(),
        }
    }
}

macro_rules! names {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $t {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                <$t>::ALL
                    .into_iter()
                    .find(|v| v.name() == s)
                    .ok_or_else(|| format!("unknown {} {s:?}", stringify!($t)))
            }
        }
    };
}
names!(EchoPlace);
names!(EchoEncoding);

/// The secrets a request carried: the values of the secret form parameters, the token of
/// a Bearer `Authorization` header, and the decoded `id:secret` of a Basic one (and its
/// secret half as sent).
pub(crate) fn secrets(request: &Request) -> Vec<String> {
    let params = Params::parse(&request.body);
    let mut out: Vec<String> = SECRET_PARAMS
        .iter()
        .filter_map(|name| params.get(name))
        .map(str::to_string)
        .collect();
    let authorization = request
        .header("authorization")
        .and_then(|v| v.split_once(' '));
    if let Some((_, token)) = authorization.filter(|(s, _)| s.eq_ignore_ascii_case("bearer")) {
        out.push(token.trim().to_string());
    }
    let basic = authorization
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| STANDARD.decode(b64.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    if let Some(pair) = basic {
        if let Some((_, secret)) = pair.split_once(':') {
            out.push(secret.to_string());
        }
        out.push(pair);
    }
    out
}

/// The answer of an echo fault.
pub(crate) fn answer(
    shared: &Shared,
    request: &Request,
    place: EchoPlace,
    encoding: EchoEncoding,
) -> Response {
    let echo = secrets(request)
        .iter()
        .map(|s| encoding.encode(s))
        .collect::<Vec<_>>()
        .join(" | ");
    match place {
        EchoPlace::WwwAuthenticate => Response::empty(401).header(
            "WWW-Authenticate",
            &format!(
                "Bearer realm=\"{echo}\", error=\"invalid_token\", error_description=\"bad {echo}\""
            ),
        ),
        EchoPlace::ContentType => {
            let mut response = providers::route(shared, request);
            response.set_content_type(&format!("text/{echo}; x={echo}"));
            response
        }
        EchoPlace::ContentTypeError => {
            let mut response = Response::text(502, "Bad Gateway");
            response.set_content_type(&format!("text/{echo}; x={echo}"));
            response
        }
        EchoPlace::Location => Response::empty(302).header(
            "Location",
            &format!("https://evil.example/{echo}/cb?echo={echo}#{echo}"),
        ),
        EchoPlace::JsonKey => Response::json(500, &json!({ echo.clone(): 1, "message": "failed" })),
        EchoPlace::JsonBroken => Response::empty(500)
            .header("Content-Type", "application/json")
            .body(
                format!("{{\"{echo}\": \"{echo}\", \"message\": \"failed for {echo}\"")
                    .into_bytes(),
            ),
        EchoPlace::ErrorDescription => Response::json(
            400,
            &json!({
                "error": "invalid_grant",
                "error_description": format!("the grant {echo} is invalid"),
                "error_uri": format!("https://evil.example/{echo}"),
            }),
        ),
        EchoPlace::Html => Response::empty(502)
            .header("Content-Type", "text/html")
            .body(
                format!(
                    "<html><head><title>502 {echo}</title></head><body><h1>Bad Gateway</h1><p>upstream said: {echo}</p></body></html>"
                )
                .into_bytes(),
            ),
    }
}
