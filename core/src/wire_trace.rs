//! The wire trace: every HTTP exchange, described at the log target `authgate::wire`
//! (DEBUG) without ever showing a secret.
//!
//! What is shown: the method and the URL with query values masked; the request headers
//! the client sets, `Authorization` reduced to its scheme and length; the form's field
//! names, with the values of the few fields that are never secret (`grant_type`, `scope`,
//! `client_id`, …) and the length of every other; the client authentication method the
//! request used; the status, the response headers (cookies masked), the body's shape
//! (JSON keys, types and lengths, the values of non-secret fields such as `token_type`,
//! `expires_in`, `scope`, `error`), the time taken and whether the connection was new.
//!
//! Request values are shown only from allow-lists, so a secret in an unexpected field is
//! masked too. What the server sends (header values, JSON keys, the values of the
//! allow-listed fields) is untrusted: it is shown only through the request's
//! [`Scrubber`], which removes any secret of the request a server repeats back.

use std::cell::Cell;
use std::fmt::Write as _;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::http::HttpResponse;
use crate::redact::{Scrubber, ServerText};

/// The log target of the trace; the C and Python bridges pass it on (`authgate.wire`).
pub(crate) const TARGET: &str = "authgate::wire";

/// Form fields and JSON answer fields whose values are never secret.
const PLAIN_FORM_FIELDS: &[&str] = &[
    "grant_type",
    "scope",
    "client_id",
    "redirect_uri",
    "token_type_hint",
    "resource_id",
    "response_type",
    "username",
    "client_assertion_type",
];
const PLAIN_JSON_FIELDS: &[&str] = &[
    "token_type",
    "expires_in",
    "scope",
    "error",
    "active",
    "interval",
    "exp",
    "iat",
    "client_id",
];
/// Response headers whose values may carry a session or a token.
const SECRET_HEADERS: &[&str] = &["set-cookie", "authorization", "cookie"];

thread_local! {
    /// Connections opened on this thread (ureq opens them on the calling thread).
    static CONNECTIONS: Cell<u64> = const { Cell::new(0) };
}

/// Called by the connector chain whenever a new connection is opened.
pub(crate) fn note_new_connection() {
    CONNECTIONS.with(|c| c.set(c.get() + 1));
}

/// One traced exchange: created before the request is sent, then told about the
/// answer's head and the whole answer. Three DEBUG records, each one line (the C log
/// callback promises that), their parts separated by ` | `: the request, the answer's
/// status, time and headers, and the body.
pub(crate) struct Exchange {
    on: bool,
    started: Instant,
    connections: u64,
    label: String,
    /// The request's secrets (masked form values, credentials), to scrub the answer with.
    secrets: Vec<Zeroizing<String>>,
}

impl Exchange {
    /// Logs the request. `headers` are the headers the client sets itself; `form` is a
    /// form body, if the request has one.
    pub(crate) fn request(
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        form: Option<&str>,
    ) -> Exchange {
        let on = log::log_enabled!(target: TARGET, log::Level::Debug);
        let mut exchange = Exchange {
            on,
            started: Instant::now(),
            connections: CONNECTIONS.with(Cell::get),
            label: String::new(),
            secrets: Vec::new(),
        };
        if !on {
            return exchange;
        }
        exchange.secrets = request_secrets(headers, form);
        let scrubber = exchange.scrubber();
        let label = format!("{method} {}", scrubber.scrub(&mask_url(url)));
        let mut out = format!("→ {label}");
        if form.is_some() {
            out.push_str(" | Content-Type: application/x-www-form-urlencoded");
        }
        for (name, value) in headers {
            let _ = write!(out, " | {name}: {}", mask_header(name, value, &scrubber));
        }
        if let Some(form) = form {
            let _ = write!(out, " | form: {}", describe_form(form, &scrubber));
        }
        let _ = write!(
            out,
            " | client authentication: {}",
            client_auth(headers, form)
        );
        drop(scrubber);
        exchange.label = label;
        exchange.emit(&out);
        exchange.started = Instant::now();
        exchange
    }

    /// Logs one record. Each value in it went through the request's scrubber on its own
    /// (a value holding a short secret, a PIN, is withheld whole); the trace's own labels
    /// (field, header and auth method names) do not, so that a client secret that is a
    /// common word ("secret") does not turn `client_secret_basic` into
    /// `client_[redacted]_basic`.
    fn emit(&self, record: &str) {
        log::debug!(target: TARGET, "{record}");
    }

    fn scrubber(&self) -> Scrubber<'_> {
        let mut scrubber = Scrubber::default();
        for s in &self.secrets {
            scrubber.add(s);
        }
        scrubber
    }

    /// Logs the answer's status and headers (or the failure), and passes it on.
    pub(crate) fn head(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        if !self.on {
            return sent;
        }
        let ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let connection = if CONNECTIONS.with(Cell::get) > self.connections {
            "new connection"
        } else {
            "reused connection"
        };
        match &sent {
            Ok(resp) => {
                let mut out = format!(
                    "← {}: HTTP {} after {ms:.1} ms ({connection}, {})",
                    self.label,
                    resp.status().as_u16(),
                    version_str(resp.version())
                );
                let scrubber = self.scrubber();
                for (name, value) in resp.headers() {
                    let value = ServerText::new(String::from_utf8_lossy(value.as_bytes()));
                    // A header's name is server text too.
                    let _ = write!(
                        out,
                        " | {}: {}",
                        scrubber.scrub(name.as_str()),
                        answer_header(name.as_str(), &value, &scrubber)
                    );
                }
                self.emit(&out);
            }
            Err(e) => self.emit(&format!(
                "← {} failed after {ms:.1} ms ({connection}): {}",
                self.label,
                self.scrubber().scrub(&describe_ureq_error(e))
            )),
        }
        sent
    }

    /// Logs the body's shape and the total time, and passes the answer on.
    pub(crate) fn finish(&self, read: Result<HttpResponse, Error>) -> Result<HttpResponse, Error> {
        if !self.on {
            return read;
        }
        let ms = self.started.elapsed().as_secs_f64() * 1000.0;
        match &read {
            Ok(resp) => self.emit(&format!(
                "← body of {}: {} bytes, {ms:.1} ms in all: {}",
                self.label,
                resp.body.len(),
                describe_body(&resp.body, &self.scrubber())
            )),
            Err(e) => self.emit(&format!(
                "← body of {} not read after {ms:.1} ms: {}",
                self.label,
                self.scrubber().scrub(&e.to_string())
            )),
        }
        read
    }
}

fn version_str(v: ureq::http::Version) -> &'static str {
    match v {
        ureq::http::Version::HTTP_10 => "HTTP/1.0",
        ureq::http::Version::HTTP_2 => "HTTP/2",
        _ => "HTTP/1.1",
    }
}

/// The error's kind only: a ureq message could quote a URL with query values.
fn describe_ureq_error(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => format!("I/O error ({:?})", io.kind()),
        ureq::Error::Timeout(which) => format!("timeout ({which})"),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::ConnectProxyFailed(_) => "the proxy refused the connection".into(),
        ureq::Error::Tls(m) => format!("TLS: {m}"),
        ureq::Error::Rustls(e) => format!("TLS: {e}"),
        _ => "transport error".into(),
    }
}

/// `[N chars]`: how long a masked value is, which tells an empty or truncated value
/// from a normal one without showing any of it.
fn masked(value: &str) -> String {
    format!("[masked, {} chars]", value.chars().count())
}

/// The URL with every query value masked (a URL's path is never secret here).
pub(crate) fn mask_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.split(['?', '#']).next().unwrap_or("").to_owned();
    };
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    parsed.set_fragment(None);
    if parsed.query().is_some() {
        let names: Vec<String> = parsed
            .query_pairs()
            .map(|(k, _)| format!("{k}=…"))
            .collect();
        parsed.set_query(None);
        return format!("{parsed}?{}", names.join("&"));
    }
    parsed.to_string()
}

/// The request's secrets: every form value not on the allow-list, and the credentials
/// of the `Authorization` header (decoded too, for Basic).
fn request_secrets(headers: &[(&str, &str)], form: Option<&str>) -> Vec<Zeroizing<String>> {
    let mut out = Vec::new();
    if let Some(form) = form {
        for (k, v) in url::form_urlencoded::parse(form.as_bytes()) {
            if !PLAIN_FORM_FIELDS.contains(&k.as_ref()) {
                out.push(Zeroizing::new(v.into_owned()));
            }
        }
    }
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("authorization") {
            continue;
        }
        let credentials = value.split_once(' ').map_or(*value, |(_, c)| c).trim();
        out.push(Zeroizing::new(credentials.to_owned()));
        if let Ok(pair) = STANDARD.decode(credentials) {
            let pair = Zeroizing::new(String::from_utf8_lossy(&pair).into_owned());
            if let Some((_, secret)) = pair.split_once(':') {
                out.push(Zeroizing::new(secret.to_owned()));
                let decoded = url::form_urlencoded::parse(format!("s={secret}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned());
                out.extend(decoded.map(Zeroizing::new));
            }
        }
    }
    out
}

/// A response header's value, safe to show: scrubbed of the request's secrets, with
/// cookies masked and a `Location`'s query values hidden.
fn answer_header(name: &str, value: &ServerText, scrubber: &Scrubber<'_>) -> String {
    let lower = name.to_ascii_lowercase();
    if SECRET_HEADERS.contains(&lower.as_str()) {
        return masked(value.untrusted());
    }
    let shown = scrubber.show(value);
    if lower == "location" || lower == "content-location" {
        return mask_url(&shown);
    }
    shown.chars().filter(|c| !c.is_control()).collect()
}

/// A request header's value, safe to show.
fn mask_header(name: &str, value: &str, scrubber: &Scrubber<'_>) -> String {
    let lower = name.to_ascii_lowercase();
    if lower == "authorization" {
        let (scheme, rest) = value.split_once(' ').unwrap_or(("", value));
        return format!("{scheme} {}", masked(rest)).trim_start().to_owned();
    }
    if lower == "dpop" {
        // A proof's header and claims say nothing secret; its signature would let a reader
        // of the trace replay it.
        if let Some((signed, signature)) = value.rsplit_once('.') {
            return format!("{signed}.{}", masked(signature));
        }
        return masked(value);
    }
    if SECRET_HEADERS.contains(&lower.as_str()) {
        return masked(value);
    }
    if lower == "location" || lower == "content-location" {
        return scrubber.scrub(&mask_url(value));
    }
    let shown: String = value.chars().filter(|c| !c.is_control()).collect();
    scrubber.scrub(&shown)
}

fn describe_form(form: &str, scrubber: &Scrubber<'_>) -> String {
    url::form_urlencoded::parse(form.as_bytes())
        .map(|(k, v)| {
            if PLAIN_FORM_FIELDS.contains(&k.as_ref()) {
                format!("{k}={}", scrubber.scrub(&v).escape_debug())
            } else if k == "password" || k == "client_secret" {
                // Not even the length of a password or a client secret.
                format!("{k}=[masked]")
            } else {
                format!("{k}={}", masked(&v))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which client authentication the request carries, from its headers and form.
fn client_auth(headers: &[(&str, &str)], form: Option<&str>) -> &'static str {
    let auth = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim_start());
    let has = |field: &str| {
        form.is_some_and(|f| url::form_urlencoded::parse(f.as_bytes()).any(|(k, _)| k == field))
    };
    match auth {
        Some(a) if a.len() >= 6 && a[..6].eq_ignore_ascii_case("basic ") => "client_secret_basic",
        Some(_) => "a bearer token (no client authentication)",
        None if has("client_secret") => "client_secret_post",
        None if has("client_assertion") => {
            "a client assertion (private_key_jwt or client_secret_jwt)"
        }
        None if has("client_id") => "none (client_id only: a public client)",
        None => "none",
    }
}

/// The body's shape: for a JSON object its keys with types and lengths, and the values
/// of the fields that are never secret; for anything else its length and first line's
/// length only.
fn describe_body(body: &[u8], scrubber: &Scrubber<'_>) -> String {
    if body.is_empty() {
        return "empty".into();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    let key = scrubber.show(&ServerText::new(k.as_str()));
                    format!("{key}: {}", describe_value(k, v, scrubber))
                })
                .collect();
            format!("JSON object {{{}}}", fields.join(", "))
        }
        Ok(v) => format!("JSON {}", json_type(&v)),
        Err(_) => match std::str::from_utf8(body) {
            Ok(text) if text.trim_start().starts_with('<') => "HTML or XML text".into(),
            Ok(_) => "text that is not JSON".into(),
            Err(_) => "bytes that are not UTF-8".into(),
        },
    }
}

fn describe_value(key: &str, v: &Value, scrubber: &Scrubber<'_>) -> String {
    let plain = PLAIN_JSON_FIELDS.contains(&key);
    match v {
        Value::String(s) if plain => format!("{:?}", scrubber.show(&ServerText::new(s.as_str()))),
        Value::String(s) => format!("string({})", s.chars().count()),
        Value::Number(n) if plain => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => format!("array({})", items.len()),
        Value::Object(map) => format!("object({} keys)", map.len()),
        other => json_type(other).into(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_and_url_credentials_are_masked() {
        assert_eq!(
            mask_url("https://u:p@a.example/t?code=abc&state=xyz#frag"),
            "https://a.example/t?code=…&state=…"
        );
        assert_eq!(
            mask_url("http://127.0.0.1:8/token"),
            "http://127.0.0.1:8/token"
        );
    }

    #[test]
    fn form_values_show_only_when_never_secret() {
        let none = Scrubber::default();
        let d = describe_form(
            "grant_type=password&username=kassir&password=p%26ss+w&client_secret=s3cr3t&code=abc",
            &none,
        );
        assert_eq!(
            d,
            "grant_type=password username=kassir password=[masked] client_secret=[masked] code=[masked, 3 chars]"
        );
        assert_eq!(
            client_auth(&[], Some("grant_type=x&client_id=a&client_secret=b")),
            "client_secret_post"
        );
        let jwt = "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJhbGciOiJIUzI1NiJ9.e30.c2ln";
        assert_eq!(
            describe_form(jwt, &none),
            "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer client_assertion=[masked, 29 chars]"
        );
        assert!(client_auth(&[], Some(jwt)).starts_with("a client assertion"));
        assert_eq!(
            client_auth(&[("Authorization", "Basic YTpi")], Some("grant_type=x")),
            "client_secret_basic"
        );
        assert_eq!(
            mask_header("Authorization", "Basic YTpi", &none),
            "Basic [masked, 4 chars]"
        );
        assert_eq!(
            mask_header("Set-Cookie", "sid=1", &none),
            "[masked, 5 chars]"
        );
        // A DPoP proof's header and claims are shown, its signature is not (replayable).
        assert_eq!(
            mask_header("DPoP", "eyJh.eyJq.c2lnbmF0dXJl", &none),
            "eyJh.eyJq.[masked, 12 chars]"
        );
        assert_eq!(mask_header("dpop", "garbage", &none), "[masked, 7 chars]");
    }

    #[test]
    fn bodies_show_shape_and_plain_values_only() {
        let none = Scrubber::default();
        let d = describe_body(
            br#"{"access_token":"tok-secret","token_type":"bearer","expires_in":60,"refresh_token":"rt","scope":"api","n":5}"#,
            &none,
        );
        assert_eq!(
            d,
            r#"JSON object {access_token: string(10), expires_in: 60, n: number, refresh_token: string(2), scope: "api", token_type: "bearer"}"#
        );
        assert_eq!(describe_body(b"<html>x</html>", &none), "HTML or XML text");
        assert_eq!(describe_body(b"", &none), "empty");
    }

    #[test]
    fn server_text_repeating_a_request_secret_is_scrubbed() {
        let basic = format!("Basic {}", STANDARD.encode("pos:cl1ent-s3cret"));
        let secrets = request_secrets(
            &[("Authorization", basic.as_str())],
            Some("grant_type=password&username=u&password=hunter2-long"),
        );
        let mut scrubber = Scrubber::default();
        for s in &secrets {
            scrubber.add(s);
        }
        let d = describe_body(
            br#"{"scope":"hunter2-long","cl1ent-s3cret":1,"error":"bad cl1ent-s3cret"}"#,
            &scrubber,
        );
        assert!(!d.contains("hunter2") && !d.contains("s3cret"), "{d}");
        let header = answer_header(
            "WWW-Authenticate",
            &ServerText::new("Basic error=\"hunter2-long\""),
            &scrubber,
        );
        assert!(!header.contains("hunter2"), "{header}");
    }
}
