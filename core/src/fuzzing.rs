//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz): one function per parser, each
//! taking raw bytes, never panicking on bad input, and panicking when an invariant (an
//! oracle) is broken. Not part of the API: compiled only with the `fuzzing` feature and in
//! this crate's own tests, which replay the committed corpus (`fuzz/corpus/<target>/`).
//!
//! Where the inputs need more than one part, they are split at the first newline (`\n`):
//! the seeds stay readable and can be written by hand.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::client::{Client, ClientBuilder};
use crate::discovery::ProviderMetadata;
use crate::http::HttpResponse;
use crate::id_token::Jwks;
use crate::provider::Provider;
use crate::redact::{excerpt, Scrubber, ServerText, WITHHELD};
use crate::secret::{IdToken, RefreshToken};
use crate::store::{FileStore, TokenStore};
use crate::token_set::TokenSet;

/// The names of the fuzz targets, each a function of this module.
pub const TARGETS: &[&str] = &[
    "token_answer",
    "callback",
    "id_token",
    "discovery",
    "config",
    "store",
    "scrubber",
];

/// Runs the target called `name` on one input; false for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    let f: fn(&[u8]) = match name {
        "token_answer" => token_answer,
        "callback" => callback,
        "id_token" => id_token,
        "discovery" => discovery,
        "config" => config,
        "store" => store,
        "scrubber" => scrubber,
        _ => return false,
    };
    f(data);
    true
}

fn split_line(data: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(data);
    match text.split_once('\n') {
        Some((first, rest)) => (first.to_owned(), rest.to_owned()),
        None => (text.into_owned(), String::new()),
    }
}

/// Formats an error every way a user sees it; the formatting itself must not panic.
fn show(e: &crate::Error) -> String {
    let _ = (
        e.code(),
        e.is_terminal(),
        e.is_transient(),
        format!("{e:?}"),
    );
    e.to_string()
}

/// The secrets the fuzzed token request sent; answers may echo them.
const REQUEST_SECRETS: &[&str] = &["fuzz-client-secret", "fuzz-previous-refresh"];

/// A token endpoint answer: the status on the first line, then `Name: value` header lines, an
/// empty line and the body (any bytes), as in HTTP/1.1. The answer goes through the same
/// classification and parsing as a real one (`token_response`) for a refresh request; no
/// request secret may come out of the error or the warnings, in any of [`encodings`].
pub fn token_answer(data: &[u8]) {
    let shown = token_answer_shown(data);
    for secret in REQUEST_SECRETS {
        assert_no_leak(secret, &shown, "the token answer's error or warnings");
    }
}

/// What the log and the user see of the token answer target's input: the error, or the
/// token set's warnings.
fn token_answer_shown(data: &[u8]) -> String {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(200);
    let mut resp = HttpResponse {
        status,
        content_type: None,
        www_authenticate: None,
        retry_after: None,
        location: None,
        date: None,
        dpop_nonce: None,
        body: body.to_vec(),
        endpoint: crate::Endpoint::Token,
        url: String::new(),
    };
    let mut accept_unknown_token_type = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        // What `http::HeaderValue::to_str` lets through: visible ASCII, space and tab.
        if !value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            continue;
        }
        let value = value.trim().to_owned();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => resp.content_type = Some(ServerText::new(value)),
            "www-authenticate" => resp.www_authenticate = Some(ServerText::new(value)),
            "retry-after" => resp.retry_after = value.parse().ok(),
            "location" => resp.location = Some(ServerText::new(value)),
            // Not a header: the client option for this answer.
            "accept-unknown-token-type" => accept_unknown_token_type = value == "1",
            _ => {}
        }
    }
    let mut scrubber = Scrubber::default();
    for s in REQUEST_SECRETS {
        scrubber.add(s);
    }
    let previous = RefreshToken::new(REQUEST_SECRETS[1]);
    match crate::token::token_response(
        resp,
        &scrubber,
        Some("openid profile"),
        Some(&previous),
        accept_unknown_token_type,
        accept_unknown_token_type,
    ) {
        Ok(tokens) => {
            let _ = tokens.to_json();
            // RFC 6749 §6: a refresh answer without a refresh token keeps the old one.
            assert!(
                tokens.refresh_token().is_some(),
                "the refresh token was lost"
            );
            let _ = format!("{tokens:?}");
            // The warnings reach the log; `Debug` lists extra field names, the server's.
            format!("{:?}", tokens.warnings())
        }
        Err(e) => format!("{} {e:?}", show(&e)),
    }
}

/// Panics when `shown` holds `secret` in one of its [`encodings`].
fn assert_no_leak(secret: &str, shown: &str, what: &str) {
    // The markers themselves may spell (part of) a secret such as "dact" or "text": look
    // around them, and around what is left of one cut short by a truncation.
    let mut out = shown
        .replace(WITHHELD, "\u{1}")
        .replace("[redacted]", "\u{1}");
    if let Some(cut) = out.strip_suffix('…') {
        let keep = [WITHHELD, "[redacted]"]
            .iter()
            .flat_map(|marker| {
                (1..marker.len())
                    .filter(|&n| marker.is_char_boundary(n))
                    .map(move |n| &marker[..n])
            })
            .filter(|prefix| cut.ends_with(prefix))
            .map(|prefix| cut.len() - prefix.len())
            .min()
            .unwrap_or(cut.len());
        out.truncate(keep);
    }
    for (name, value) in encodings(secret) {
        assert!(
            !out.contains(value.as_str()),
            "{what} leaked the secret {secret:?} {name}: {out:?}"
        );
    }
}

/// A redirect back to the client: the expected `state` on the first line, the callback URL
/// (or query string) after it.
pub fn callback(data: &[u8]) {
    let (state, callback) = split_line(data);
    match crate::authorize::parse_callback(&callback, &state) {
        Ok(code) => assert!(!code.secret().is_empty(), "an empty code was accepted"),
        Err(e) => {
            show(&e);
        }
    }
}

/// The issuer and client of the id_token target (the seeds are signed for them).
pub const ID_TOKEN_ISSUER: &str = "https://issuer.example";
/// The client id the id_token target validates for.
pub const ID_TOKEN_CLIENT: &str = "fuzz-client";
/// The nonce the id_token target expects.
pub const ID_TOKEN_NONCE: &str = "fuzz-nonce";

fn id_token_client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        // No jwks_uri: the key set is the fuzzed one, and a refetch fails without I/O.
        ClientBuilder::new(Provider::Generic)
            .token_endpoint("https://issuer.example/token")
            .client_id(ID_TOKEN_CLIENT)
            .auth_method(crate::AuthMethod::None)
            .issuer(ID_TOKEN_ISSUER)
            .build()
            .expect("the id_token target's client")
    })
}

/// Validates the id_token on the first line with the JWKS after it.
fn validate_id_token(data: &[u8]) -> (String, crate::Result<crate::IdTokenClaims>) {
    let (token, jwks) = split_line(data);
    let client = id_token_client();
    let keys = match serde_json::from_str::<Value>(&jwks) {
        Ok(Value::Object(obj)) => Jwks::parse(&obj),
        _ => Jwks::parse(&Default::default()),
    };
    *client
        .inner
        .oidc
        .jwks
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(keys));
    let validated = client.validate_id_token(&IdToken::new(token.as_str()), Some(ID_TOKEN_NONCE));
    (token, validated)
}

/// An id_token on the first line and the provider's JWKS (JSON) after it: validated as
/// [`Client::validate_id_token`] does, with that key set. The claims checks also run on the
/// payload alone, since a mutated token rarely keeps a valid signature.
pub fn id_token(data: &[u8]) {
    let (token, validated) = validate_id_token(data);
    match &validated {
        Ok(claims) => {
            let _ = (claims.subject(), claims.expires_at(), format!("{claims:?}"));
        }
        Err(e) => {
            show(e);
        }
    }
    let payload = token.split('.').nth(1).and_then(|p| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .ok()
    });
    if let Some(Ok(Value::Object(claims))) = payload.map(|p| serde_json::from_slice::<Value>(&p)) {
        let checked = crate::id_token::check_claims(
            claims,
            ID_TOKEN_ISSUER,
            ID_TOKEN_CLIENT,
            Some(ID_TOKEN_NONCE),
            id_token_client().inner.oidc.id_token_leeway.as_secs(),
        );
        // A token that validates has claims that pass the same checks.
        if validated.is_ok() {
            assert!(checked.is_ok(), "validated, but its claims do not check");
        }
    }
}

/// A discovery document: the expected issuer on the first line, the JSON after it. Good
/// metadata is then applied to a builder, which is built.
pub fn discovery(data: &[u8]) {
    let (issuer, json) = split_line(data);
    match ProviderMetadata::from_json(&json, &issuer) {
        Ok(m) => {
            let built = ClientBuilder::new(Provider::Generic)
                .client_id("fuzz")
                .provider_metadata(&m)
                .build();
            if let Err(e) = built {
                show(&e);
            }
        }
        Err(e) => {
            show(&e);
        }
    }
}

/// A JSON configuration ([`ClientBuilder::from_json`]), built into a client that then makes
/// an authorization URL. A `ca_file` is read but not opened (the fuzzer could name any file).
pub fn config(data: &[u8]) {
    let json = String::from_utf8_lossy(data);
    let builder = match ClientBuilder::from_json(&json) {
        Ok(b) => b,
        Err(e) => {
            show(&e);
            return;
        }
    };
    if json.contains("ca_file") {
        return;
    }
    match builder.build() {
        Ok(client) => {
            if let Err(e) = client.authorization_url().build() {
                show(&e);
            }
        }
        Err(e) => {
            show(&e);
        }
    }
}

/// A token store file, loaded by [`FileStore`]. What loads must survive a save and a load
/// unchanged.
pub fn store(data: &[u8]) {
    let path = std::env::temp_dir().join(format!(
        "authgate-fuzz-store-{}-{:?}.json",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, data).expect("writing the fuzzed store file");
    let loaded = FileStore::new(&path).load();
    let _ = std::fs::remove_file(&path);
    let tokens = match loaded {
        Ok(Some(t)) => t,
        Ok(None) => panic!("an existing store file loaded as empty"),
        Err(e) => {
            show(&e);
            return;
        }
    };
    let again = TokenSet::from_json(&tokens.to_json()).expect("what to_json wrote loads again");
    // The tokens and the expiry survive exactly (other fields are the server's: a float
    // among them may come back a few ulps off, which serde_json allows).
    let essentials = |t: &TokenSet| {
        (
            t.access_token().secret().to_owned(),
            t.refresh_token().map(|r| r.secret().to_owned()),
            t.id_token().map(|r| r.secret().to_owned()),
            t.token_type().to_owned(),
            t.scope().map(str::to_owned),
            t.expires_at_unix(),
        )
    };
    assert_eq!(
        essentials(&again),
        essentials(&tokens),
        "a save and load changed the token set"
    );
    let _ = again.is_expired(std::time::Duration::ZERO);
}

/// The encodings in which a server may echo a secret it was sent; in the scrubber target's
/// template, byte 0x01 stands for the first, 0x02 for the second, and so on.
pub fn encodings(secret: &str) -> Vec<(&'static str, String)> {
    use base64::Engine;
    let percent = |keep_plus: bool| -> String {
        secret
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b' ' if keep_plus => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let json = serde_json::to_string(secret).expect("a string serialises");
    let html: String = secret
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect();
    vec![
        ("plain", secret.to_owned()),
        (
            "form-encoded",
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        ),
        ("form-encoded with +", percent(true)),
        ("percent-encoded", percent(false)),
        (
            "base64",
            base64::engine::general_purpose::STANDARD.encode(secret),
        ),
        ("HTML-escaped", html),
        ("JSON-escaped", json[1..json.len() - 1].to_owned()),
    ]
}

/// The scrubber's leak oracle. The first line is a secret the request sent (used when it is
/// at least 4 bytes long); the rest is server text in which each byte 0x01..=0x07 stands for
/// the secret in one of [`encodings`]. Neither the scrubbed text nor the excerpt of it as a
/// body may contain the secret in any of them.
pub fn scrubber(data: &[u8]) {
    let (secret, template) = split_line(data);
    if secret.len() < 4 || secret.contains(|c| ('\u{1}'..='\u{7}').contains(&c)) {
        return;
    }
    let encoded = encodings(&secret);
    let mut text = String::new();
    for c in template.chars() {
        match c as u32 {
            n @ 1..=7 => text.push_str(&encoded[n as usize - 1].1),
            _ => text.push(c),
        }
    }
    let mut scrubber = Scrubber::default();
    scrubber.add(&secret);
    let outputs = [
        ("scrub", scrubber.scrub(&text)),
        ("excerpt", excerpt(text.as_bytes(), &scrubber)),
    ];
    for (how, out) in outputs {
        assert_no_leak(&secret, &out, how);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every committed corpus file of every target runs without breaking an invariant:
    /// the seeds and the regressions the fuzzer found stay part of `cargo test`.
    #[test]
    fn committed_corpus_replays() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
        let mut ran = 0;
        for target in TARGETS {
            let dir = root.join(target);
            let entries =
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            for entry in entries {
                let path = entry.expect("a corpus entry").path();
                let data = std::fs::read(&path).expect("a corpus file");
                eprintln!("{}", path.display());
                assert!(run(target, &data));
                ran += 1;
            }
        }
        assert!(ran >= TARGETS.len(), "only {ran} corpus files");
    }

    /// The signed seeds validate, so the fuzzer starts from the signature checks' far side.
    #[test]
    fn signed_seeds_validate() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/id_token");
        for name in ["es256-valid", "rs256-valid", "ps256-no-kid"] {
            let data = std::fs::read(dir.join(name)).expect("a seed");
            let claims = validate_id_token(&data).1.expect(name);
            assert_eq!(claims.subject(), "user-1");
        }
        let data = std::fs::read(dir.join("wrong-nonce")).expect("a seed");
        assert!(validate_id_token(&data).1.is_err());
    }

    /// Found by the scrubber target: the excerpt of a body that is a JSON object listed its
    /// keys unscrubbed, so a secret echoed as a key came out whole.
    #[test]
    fn regression_secret_as_a_json_key() {
        scrubber(b"abcd\n{\"\x01\":1}");
    }

    /// Found by the token answer target: a 200 answer without an access token listed its
    /// JSON keys in the error unscrubbed (and without a length cap).
    #[test]
    fn regression_secret_as_a_key_of_an_answer_without_access_token() {
        let shown = token_answer_shown(b"200\n\n{\"accfuzz-previous-refreshype\":1}");
        assert_no_leak(REQUEST_SECRETS[1], &shown, "the error");
        let many: String = (0..5000).map(|i| format!("\"k{i}\":1,")).collect();
        let shown = token_answer_shown(format!("200\n\n{{{many}\"x\":1}}").as_bytes());
        assert!(shown.len() < 2000, "{} bytes", shown.len());
    }

    /// Found by the store target: a stored expiry read as milliseconds (≥ 10^11) but kept
    /// in seconds was written back in seconds and read again as milliseconds, so each save
    /// and load moved it (here from the year 5138 to 1973).
    #[test]
    fn regression_stored_expiry_survives_a_save_and_load() {
        store(br#"{"access_token":"a","expires_at":100000000000000}"#);
        store(br#"{"access_token":"a","expires_at":1.8444674407370955e34}"#);
    }

    #[test]
    fn encodings_of_a_secret() {
        let e: Vec<String> = encodings("p&ss word/ё")
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(
            e,
            [
                "p&ss word/ё",
                "p%26ss+word%2F%D1%91",
                "p%26ss+word%2F%D1%91",
                "p%26ss%20word%2F%D1%91",
                "cCZzcyB3b3JkL9GR",
                "p&amp;ss word/ё",
                "p&ss word/ё",
            ]
        );
        scrubber(b"p&ss word\nbad \x01 / \x02 / \x03 here");
    }
}
