//! Keeping secrets out of error messages: scrubbing known values and excerpting bodies.

/// The secrets one request carried, so that server text echoing them can be scrubbed.
#[derive(Default)]
pub(crate) struct Scrubber<'a> {
    secrets: Vec<&'a str>,
}

impl<'a> Scrubber<'a> {
    pub(crate) fn add(&mut self, secret: &'a str) {
        // Very short values (e.g. "1") would mangle ordinary text and protect nothing.
        if secret.len() >= 4 {
            self.secrets.push(secret);
        }
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s) {
                out = out.replace(s, "[redacted]");
            }
            // Servers sometimes echo a value form-encoded.
            let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            if encoded != *s && out.contains(&encoded) {
                out = out.replace(&encoded, "[redacted]");
            }
        }
        out
    }
}

/// At most this many characters of a body appear in an error.
const EXCERPT_CHARS: usize = 160;

/// A short excerpt of a body that is safe to show: for JSON only the key names (values may
/// be tokens), for anything else the visible text with HTML tags removed, whitespace
/// collapsed and known secrets scrubbed.
pub(crate) fn excerpt(body: &[u8], scrubber: &Scrubber<'_>) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&text) {
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        return truncate(&format!("JSON object with keys: {}", keys.join(", ")));
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        // Broken or truncated JSON: its values may be tokens even though it does not parse.
        return truncate(&scrubber.scrub(&blank_json_values(&text)));
    }
    let visible = strip_tags(&text);
    truncate(&scrubber.scrub(&visible))
}

/// Replaces every string literal that is not an object key with `"…"`, in text that looks
/// like JSON but does not parse (so a parser cannot be used).
fn blank_json_values(text: &str) -> String {
    let chars: Vec<char> = text.chars().take(8192).collect();
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
    for c in text.chars().take(8192) {
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

fn truncate(text: &str) -> String {
    if text.chars().count() <= EXCERPT_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(EXCERPT_CHARS).collect();
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
    fn long_text_is_truncated() {
        let body = "x".repeat(10_000);
        assert_eq!(
            excerpt(body.as_bytes(), &Scrubber::default())
                .chars()
                .count(),
            EXCERPT_CHARS + 1
        );
    }
}
