//! Keeping secrets out of error messages, warnings and log records.
//!
//! Everything a server sends is untrusted: a careless or hostile server may repeat the
//! request's secrets back, in a header, a redirect, a JSON key or value, an HTML page,
//! and in any encoding (form- or percent-encoded, base64, HTML- or JSON-escaped). Header
//! values therefore enter as [`ServerText`], which has no `Display` and whose `Debug`
//! shows only its length: the one way out is [`Scrubber::show`], which removes every
//! secret the request carried, in every encoding, and caps the length. Bodies leave only
//! through [`excerpt`].
//!
//! Secrets shorter than [`MIN_REPLACEABLE`] characters (a cashier's 3-digit PIN) cannot
//! be found and replaced in free text without mangling it ("739" inside "HTTP 17392").
//! The rule for them: server text in which such a secret occurs, in any encoding, is not
//! shown at all; only a fixed placeholder ([`WITHHELD`]) says that something was there.
//! The same placeholder replaces text in which a longer secret survives in an encoding
//! the replacement did not catch.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Server text as it came: shown only through a [`Scrubber`].
pub(crate) struct ServerText(String);

impl ServerText {
    pub(crate) fn new(text: impl Into<String>) -> ServerText {
        ServerText(text.into())
    }

    /// The raw text, to classify the answer (a media type, a Bearer error code). Never
    /// to be put into an error, a warning or a log record: use [`Scrubber::show`].
    pub(crate) fn untrusted(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ServerText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerText({} bytes)", self.0.len())
    }
}

/// Secrets shorter than this are never searched for and replaced; text that holds one
/// is withheld instead.
pub(crate) const MIN_REPLACEABLE: usize = 4;

/// What stands in for server text that holds a secret which could not be replaced.
pub(crate) const WITHHELD: &str = "[server text withheld: it may repeat a secret of the request]";

/// What stands in for a secret found in server text.
const REDACTED: &str = "[redacted]";

/// At most this many characters of any server text appear in an error or a warning.
pub(crate) const MAX_CHARS: usize = 160;

/// Only this much of a server text is looked at (and so can be shown): enough for any
/// message, while a 60 KB header costs nothing.
const SCAN_CHARS: usize = 8192;

/// The secrets one request carried, so that server text echoing them can be scrubbed.
#[derive(Default, Clone)]
pub(crate) struct Scrubber<'a> {
    secrets: Vec<&'a str>,
    short: Vec<&'a str>,
}

impl<'a> Scrubber<'a> {
    pub(crate) fn add(&mut self, secret: &'a str) {
        match secret.chars().count() {
            0 => {}
            n if n < MIN_REPLACEABLE => self.short.push(secret),
            _ => self.secrets.push(secret),
        }
    }

    /// Server text, safe to show: every secret removed in every encoding, at most
    /// [`MAX_CHARS`] characters.
    pub(crate) fn show(&self, text: &ServerText) -> String {
        truncate(&self.scrub(text.untrusted()))
    }

    /// An OAuth `error` code, safe to show. A registered code (RFC 6749, 6750, 8628,
    /// OpenID Connect Core) is a fixed word that cannot carry a secret, and the error's
    /// kind is decided from it, so it stays as sent even when a short secret happens to
    /// occur in it (`invalid_grant` holds "an"); any other code is server text.
    pub(crate) fn error_code(&self, code: &str) -> String {
        const REGISTERED: [&str; 19] = [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "access_denied",
            "unsupported_response_type",
            "server_error",
            "temporarily_unavailable",
            "invalid_token",
            "insufficient_scope",
            "authorization_pending",
            "slow_down",
            "expired_token",
            "unauthorized",
            "interaction_required",
            "login_required",
            "consent_required",
        ];
        if REGISTERED.contains(&code) {
            code.to_owned()
        } else {
            truncate(&self.scrub(code))
        }
    }

    /// The media type of a `Content-Type` (no parameters), safe to show.
    pub(crate) fn media_type(&self, content_type: &ServerText) -> String {
        // Scrubbed whole first: an echoed secret may hold a `;` (`&amp;`).
        let scrubbed = self.scrub(content_type.untrusted());
        truncate(scrubbed.split(';').next().unwrap_or("").trim())
    }

    /// Where a redirect pointed, safe to show: the address without its query and
    /// fragment (which carry parameters), scrubbed like any server text.
    pub(crate) fn redirect_target(&self, location: Option<&ServerText>) -> String {
        let Some(location) = location else {
            return "nowhere".into();
        };
        let raw = location.untrusted().trim();
        let target = match url::Url::parse(raw) {
            Ok(u) if u.has_host() => format!("{}{}", u.origin().ascii_serialization(), u.path()),
            Ok(_) => return "an address that is not HTTP".into(),
            Err(_) => raw.split(['?', '#']).next().unwrap_or("").to_owned(),
        };
        truncate(&self.scrub(&target))
    }

    /// `text` with every secret removed, or [`WITHHELD`]. Looks at the first
    /// [`SCAN_CHARS`] characters only.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let text: String = text.chars().take(SCAN_CHARS).collect();
        if self.secrets.is_empty() && self.short.is_empty() {
            return text;
        }
        if holds_any(&text, &self.short)
            || base64_runs(&text).any(|r| holds_any(&r.decoded, &self.short))
        {
            return WITHHELD.into();
        }
        // Every encoding of a secret is at least as long as the secret itself, so one
        // longer than the text cannot be in it (most of a token set's tokens, next to a
        // scope): its encodings are not even made.
        let len = text.len();
        let fits = |s: &&&str| s.len() <= len;
        if !self.secrets.iter().any(|s| fits(&s)) {
            return text;
        }
        let mut out = text;
        for s in self.secrets.iter().filter(fits) {
            for form in encodings(s) {
                if out.contains(&form) {
                    out = out.replace(&form, REDACTED);
                }
            }
        }
        out = self.scrub_base64(&out);
        if holds_any(&out, &self.secrets) {
            return WITHHELD.into();
        }
        out
    }

    /// Replaces each base64 run whose decoding holds a secret (a Basic `id:secret`).
    fn scrub_base64(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut done = 0;
        for run in base64_runs(text) {
            if run.start >= done && holds_any(&run.decoded, &self.secrets) {
                out.push_str(&text[done..run.start]);
                out.push_str(REDACTED);
                done = run.end;
            }
        }
        out.push_str(&text[done..]);
        out
    }
}

/// Whether `text`, or any decoding of it (percent, form, HTML, JSON escapes), holds one
/// of `secrets`.
fn holds_any(text: &str, secrets: &[&str]) -> bool {
    if secrets.is_empty() {
        return false;
    }
    let views = [
        text.to_owned(),
        percent_decode(text, false),
        percent_decode(text, true),
        html_unescape(text),
        json_unescape(text),
    ];
    views.iter().any(|v| secrets.iter().any(|s| v.contains(s)))
}

/// The ways a request or a server may have encoded `s`.
fn encodings(s: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let all_upper = s
        .bytes()
        .fold(String::with_capacity(s.len() * 3), |mut out, b| {
            use std::fmt::Write;
            let _ = write!(out, "%{b:02X}");
            out
        });
    let mut out = vec![
        s.to_owned(),
        form,
        percent.clone(),
        percent.to_ascii_lowercase(),
        percent_unreserved(s),
        all_upper.clone(),
        all_upper.to_ascii_lowercase(),
        html_escape(s, false),
        html_escape(s, true),
        json_escape(s, false),
        json_escape(s, true),
        STANDARD.encode(s),
    ];
    out.sort();
    out.dedup();
    // Longest first, so that a longer form is not cut by a shorter one inside it.
    out.sort_by_key(|f| std::cmp::Reverse(f.len()));
    out
}

/// RFC 3986 percent-encoding: all but `A-Za-z0-9-._~`.
fn percent_unreserved(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn html_escape(s: &str, numeric_non_ascii: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if numeric_non_ascii && !c.is_ascii() => {
                out.push_str(&format!("&#x{:x};", u32::from(c)))
            }
            c => out.push(c),
        }
    }
    out
}

fn json_escape(s: &str, ascii_only: bool) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    let inner = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or("");
    if !ascii_only {
        return inner.to_owned();
    }
    let mut out = String::with_capacity(inner.len());
    for c in inner.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => match bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn html_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let entity = rest
            .find(';')
            .filter(|&end| end <= 12)
            .and_then(|end| Some((decode_entity(&rest[1..end])?, end)));
        match entity {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(name: &str) -> Option<char> {
    let code = match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        "nbsp" => return Some(' '),
        _ => {
            let num = name.strip_prefix('#')?;
            match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            }
        }
    };
    char::from_u32(code)
}

fn json_unescape(text: &str) -> String {
    let mut units: Vec<u16> = Vec::new();
    let mut out = String::with_capacity(text.len());
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or('\u{FFFD}')));
    };
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush(&mut units, &mut out);
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u16::from_str_radix(&hex, 16) {
                    Ok(u) if hex.len() == 4 => units.push(u),
                    _ => {
                        flush(&mut units, &mut out);
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(e) => {
                flush(&mut units, &mut out);
                out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    other => other,
                });
            }
            None => {
                flush(&mut units, &mut out);
                out.push('\\');
            }
        }
    }
    flush(&mut units, &mut out);
    out
}

/// A stretch of text that may be base64 (either alphabet), decoded.
struct Base64Run {
    start: usize,
    end: usize,
    decoded: String,
}

/// Every base64-looking run in `text`, decoded from each of its first four characters:
/// base64 decodes in groups of four, so one of them is aligned with wherever the encoded
/// value starts inside the run (after `text/`, `%20`, …).
fn base64_runs(text: &str) -> impl Iterator<Item = Base64Run> + '_ {
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_');
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_b64(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_b64(bytes[i]) {
            i += 1;
        }
        let body_end = i;
        while i < bytes.len() && bytes[i] == b'=' {
            i += 1;
        }
        runs.push((start, body_end, i));
    }
    runs.into_iter().flat_map(move |(start, body_end, end)| {
        (start..(start + 4).min(body_end))
            .filter(move |&p| body_end - p >= 4)
            .map(move |p| Base64Run {
                start,
                end,
                decoded: lenient_base64(&bytes[p..body_end]),
            })
    })
}

/// Decodes base64 of either alphabet, ignoring trailing bits; the bytes as lossy UTF-8.
fn lenient_base64(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in input {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            _ => 63,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What stands in for a store's message in which a secret could not be replaced.
const STORE_WITHHELD: &str = "[the store's message was withheld: it may quote a token]";

/// Words that make a field's value a secret wherever the field appears in free text
/// (`"refresh_token": "…"`, `'client_secret': '…'`, `password=…`).
const SECRET_FIELD_WORDS: [&str; 7] = [
    "token",
    "secret",
    "password",
    "code",
    "key",
    "assertion",
    "verifier",
];

/// Field names holding one of those words whose values are not secret.
const PLAIN_FIELD_ENDINGS: [&str; 6] = ["_type", "_endpoint", "_uri", "_url", "_hint", "_method"];

fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_FIELD_WORDS.iter().any(|w| name.contains(w))
        && !PLAIN_FIELD_ENDINGS.iter().any(|e| name.ends_with(e))
}

/// `text` with the value of every secret-named field replaced by `…`: JSON
/// (`"access_token":"…"`), a Python dict's repr (`'refresh_token': '…'`) or a form or
/// log line (`id_token=…`). For text that quotes stored data whose secrets are not known
/// (a store's error quoting the row it could not read).
pub(crate) fn blank_secret_fields(text: &str) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_name) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c| !is_name(c)).unwrap_or(rest.len());
        let (name, after) = rest.split_at(end);
        out.push_str(name);
        rest = after;
        if !is_secret_field(name) {
            continue;
        }
        // `name"`, then `:` or `=`, then a quoted or a bare value.
        let closing = rest
            .strip_prefix("\\\"")
            .or_else(|| rest.strip_prefix(['"', '\'']))
            .unwrap_or(rest);
        let gap = closing.trim_start();
        let Some(value) = gap.strip_prefix([':', '=']) else {
            continue;
        };
        let value = value.trim_start();
        let head_len = rest.len() - value.len();
        out.push_str(&rest[..head_len]);
        let (quote, body) = match value.strip_prefix("\\\"") {
            Some(body) => ("\\\"", body),
            None => match value.chars().next() {
                Some(q @ ('"' | '\'')) => (&value[..1], &value[q.len_utf8()..]),
                _ => ("", value),
            },
        };
        let value_len = if quote.is_empty() {
            body.find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '&' | '}' | ']' | ')'))
                .unwrap_or(body.len())
        } else {
            closing_quote(body, quote)
        };
        out.push_str(quote);
        out.push('…');
        rest = &body[value_len..];
    }
    out.push_str(rest);
    out
}

/// Where the string that `quote` opened ends in `body` (the closing quote's position, or
/// the end).
fn closing_quote(body: &str, quote: &str) -> usize {
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(quote) {
            return i;
        }
        let skip = if quote.len() == 1 && body[i..].starts_with('\\') {
            2
        } else {
            1
        };
        i += skip;
        while i < body.len() && !body.is_char_boundary(i) {
            i += 1;
        }
    }
    body.len()
}

impl Scrubber<'_> {
    /// The message of an error a token store returned, safe to show: a store of the
    /// integrator's may quote what it was given or what it holds. Every secret of this
    /// scrubber is removed, and the value of every secret-named field (for the tokens of
    /// a set it was never given); the rest of the message (what happened, what to do)
    /// stays.
    pub(crate) fn store_message(&self, message: &str) -> String {
        match self.scrub(&blank_secret_fields(message)) {
            withheld if withheld == WITHHELD => STORE_WITHHELD.into(),
            shown => shown,
        }
    }

    /// An error a token store returned, its message passed through
    /// [`store_message`](Self::store_message).
    pub(crate) fn store_error(&self, error: crate::Error) -> crate::Error {
        use crate::Error;
        let clean = |m: &str| self.store_message(m);
        match error {
            Error::Store(e) if e.is_outage() => Error::store_outage(clean(e.message())),
            Error::Store(e) => Error::store(clean(e.message())),
            Error::Timeout(m) => Error::Timeout(clean(&m)),
            Error::Config(m) => Error::Config(clean(&m)),
            Error::InvalidArgument(m) => Error::InvalidArgument(clean(&m)),
            Error::SignInRequired(m) => Error::SignInRequired(clean(&m)),
            Error::Transport {
                kind,
                message,
                url,
                endpoint,
            } => Error::Transport {
                kind,
                message: clean(&message),
                url,
                endpoint,
            },
            other => other,
        }
    }
}

/// The address of a request as errors show it: scheme, host, port (also the default one)
/// and path; never the query, the fragment or a `user:password@` part, which may carry
/// secrets (an API key in the query, a password in the userinfo).
pub(crate) fn endpoint_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if u.has_host() => {
            let host = u.host_str().unwrap_or_default();
            let shown = match u.port_or_known_default() {
                Some(port) => format!("{}://{host}:{port}{}", u.scheme(), u.path()),
                None => format!("{}://{host}{}", u.scheme(), u.path()),
            };
            truncate(&shown)
        }
        _ => {
            let bare = url.split(['?', '#']).next().unwrap_or("");
            let bare = bare.rsplit_once('@').map_or(bare, |(_, host)| host);
            truncate(bare)
        }
    }
}

/// A short excerpt of a body that is safe to show: for JSON only the key names (values may
/// be tokens), for anything else the visible text with HTML tags removed, whitespace
/// collapsed and known secrets scrubbed.
pub(crate) fn excerpt(body: &[u8], scrubber: &Scrubber<'_>) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&text) {
        // Key names are server text too: a server may use a secret as a key.
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        return truncate(&format!(
            "JSON object with keys: {}",
            scrubber.scrub(&keys.join(", "))
        ));
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        // Broken or truncated JSON: its values may be tokens even though it does not parse.
        return truncate(&scrubber.scrub(&blank_json_values(&text)));
    }
    // Scrubbed before the tags go too: removing them may split an echoed secret.
    let visible = strip_tags(&scrubber.scrub(&text));
    truncate(&scrubber.scrub(&visible))
}

/// Replaces every string literal that is not an object key with `"…"`, in text that looks
/// like JSON but does not parse (so a parser cannot be used).
fn blank_json_values(text: &str) -> String {
    let chars: Vec<char> = text.chars().take(SCAN_CHARS).collect();
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '"' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < chars.len() && chars[i] != '"' {
            i += if chars[i] == '\\' { 2 } else { 1 };
        }
        let end = i.min(chars.len());
        i = end + 1;
        let next = chars[i.min(chars.len())..]
            .iter()
            .find(|c| !c.is_whitespace());
        if next == Some(&':') {
            out.extend(&chars[start..=end.min(chars.len() - 1)]);
        } else {
            out.push_str("\"…\"");
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    let mut in_tag = false;
    let mut last_space = true;
    // Bodies can be huge; looking at the first few kilobytes is enough for an excerpt.
    for c in text.chars().take(SCAN_CHARS) {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() || c.is_control() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
    }
    out.trim().to_owned()
}

/// `text` cut to [`MAX_CHARS`] characters.
pub(crate) fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(MAX_CHARS).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_reduced_to_text() {
        let body = b"<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body></html>";
        assert_eq!(
            excerpt(body, &Scrubber::default()),
            "502 Bad Gateway Bad Gateway"
        );
    }

    #[test]
    fn json_values_never_appear() {
        let body = br#"{"access_token":"tok-123456","note":"hi"}"#;
        let e = excerpt(body, &Scrubber::default());
        assert!(!e.contains("tok-123456"), "{e}");
        assert!(e.contains("access_token"));
    }

    #[test]
    fn truncated_json_shows_keys_but_no_values() {
        let e = excerpt(
            br#"{"access_token": "tok-123456", "token_type": "bearer", "refresh_token": "rt-9"#,
            &Scrubber::default(),
        );
        assert_eq!(
            e,
            r#"{"access_token": "…", "token_type": "…", "refresh_token": "…""#
        );
        let e = excerpt(br#"[{"a":"x\"y"}, "loose"]"#, &Scrubber::default());
        assert!(!e.contains('x') && !e.contains("loose"), "{e}");
    }

    #[test]
    fn known_secrets_are_scrubbed_also_when_form_encoded() {
        let mut s = Scrubber::default();
        s.add("p&ss word");
        assert_eq!(
            s.scrub("bad p&ss word / p%26ss+word"),
            "bad [redacted] / [redacted]"
        );
    }

    #[test]
    fn every_encoding_of_a_secret_is_replaced() {
        let secret = "p&s=w+o%rd 1 ё";
        let mut s = Scrubber::default();
        s.add(secret);
        let forms = [
            "p%26s%3Dw%2Bo%25rd+1+%D1%91",
            "p%26s%3Dw%2Bo%25rd%201%20%D1%91",
            "p&amp;s=w+o%rd 1 &#x451;",
            "p&amp;s=w+o%rd 1 &#1105;",
            "p&s=w+o%rd 1 \\u0451",
            &STANDARD.encode(secret),
            &STANDARD.encode(format!("client:{secret}")),
        ];
        for form in forms {
            let shown = s.scrub(&format!("bad {form} here"));
            assert!(
                shown == "bad [redacted] here" || shown == WITHHELD,
                "{form}: {shown}"
            );
        }
        assert_eq!(s.scrub("nothing to see"), "nothing to see");
    }

    #[test]
    fn text_holding_a_short_secret_is_withheld_whole() {
        let mut s = Scrubber::default();
        s.add("739");
        assert_eq!(s.scrub("wrong PIN 739 for cashier-7"), WITHHELD);
        assert_eq!(s.scrub("wrong PIN NzM5"), WITHHELD);
        assert_eq!(s.scrub("wrong PIN"), "wrong PIN");
    }

    #[test]
    fn a_huge_header_becomes_a_short_message() {
        let mut s = Scrubber::default();
        s.add("secret-value");
        let header = ServerText::new(format!(
            "Bearer error_description=\"{}\"",
            "x".repeat(60_000)
        ));
        assert_eq!(s.show(&header).chars().count(), MAX_CHARS + 1);
        assert_eq!(format!("{header:?}"), "ServerText(60027 bytes)");
    }

    #[test]
    fn redirects_show_no_query_and_no_secret() {
        let mut s = Scrubber::default();
        s.add("secret-value");
        let at = |l: &str| s.redirect_target(Some(&ServerText::new(l)));
        assert_eq!(
            at("https://sso.example/login?code=abc"),
            "https://sso.example/login"
        );
        assert_eq!(at("/x/secret-value/y#frag"), "/x/[redacted]/y");
        assert_eq!(at("/x/c2VjcmV0LXZhbHVl"), "/x/[redacted]");
    }

    #[test]
    fn endpoint_urls_show_no_query_and_no_userinfo() {
        for (url, shown) in [
            (
                "https://u:pw@idp.example/oauth/token?api_key=k#f",
                "https://idp.example:443/oauth/token",
            ),
            ("http://127.0.0.1:8080/t", "http://127.0.0.1:8080/t"),
            ("http://[::1]/x?y=1", "http://[::1]:80/x"),
            ("not a url?key=v", "not a url"),
            ("u:pw@host/p?k=v", "host/p"),
        ] {
            assert_eq!(endpoint_url(url), shown, "{url}");
        }
    }

    #[test]
    fn secret_named_fields_are_blanked_in_quoted_data() {
        for (text, shown) in [
            (
                r#"cannot write {"access_token":"at-1","token_type":"Bearer","expires_in":60}: disk full"#,
                r#"cannot write {"access_token":"…","token_type":"Bearer","expires_in":60}: disk full"#,
            ),
            (
                "bad row {'refresh_token': 'rt 2', 'scope': 'api'}",
                "bad row {'refresh_token': '…', 'scope': 'api'}",
            ),
            (
                r#"row "{\"id_token\":\"a.b.c\",\"x\":1}""#,
                r#"row "{\"id_token\":\"…\",\"x\":1}""#,
            ),
            (
                "client_secret=s3 password=p&user=u, token_endpoint=https://t/",
                "client_secret=… password=…&user=u, token_endpoint=https://t/",
            ),
            ("the refresh token is gone", "the refresh token is gone"),
        ] {
            assert_eq!(blank_secret_fields(text), shown, "{text}");
        }
    }

    #[test]
    fn store_errors_keep_their_words_and_lose_the_secrets() {
        let mut s = Scrubber::default();
        s.add("rt-secret-1");
        let e = s.store_error(crate::Error::store_outage(
            "cannot write rt-secret-1 (cnQtc2VjcmV0LTE=): disk full",
        ));
        assert!(
            matches!(&e, crate::Error::Store(s) if s.is_outage()),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "token store error: cannot write [redacted] ([redacted]): disk full"
        );
        let mut s = Scrubber::default();
        s.add("r");
        let e = s.store_error(crate::Error::Timeout("lock of r held".into()));
        assert!(e.to_string().contains(STORE_WITHHELD), "{e}");
    }

    #[test]
    fn long_text_is_truncated() {
        let body = "x".repeat(10_000);
        assert_eq!(
            excerpt(body.as_bytes(), &Scrubber::default())
                .chars()
                .count(),
            MAX_CHARS + 1
        );
    }
}
