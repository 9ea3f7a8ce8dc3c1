//! Arbitrary input to every parser answers with a value or an error, never a panic.
//! Deterministic: a fixed-seed generator over an alphabet rich in JSON, URL and JWT syntax.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

mod common;

use authgate::{
    parse_callback, ClientBuilder, Error, IdToken, IdTokenError, ProviderMetadata, TokenSet,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{discovered_kontur, emulator, fx};
use serde_json::{json, Value};

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn text(&mut self, max: usize) -> String {
        const PIECES: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            "\"",
            ":",
            ",",
            "\\",
            "=",
            "&",
            "?",
            "#",
            "%",
            "%2",
            "+",
            ".",
            " ",
            "access_token",
            "expires_in",
            "error",
            "state",
            "code",
            "-1",
            "1e999",
            "18446744073709551616",
            "null",
            "true",
            "ё",
            "😀",
            "\u{0}",
            "eyJ",
            "alg",
            "none",
            "kid",
            "\"exp\"",
            "http://",
            "a",
        ];
        let n = (self.next() as usize) % max;
        (0..n)
            .map(|_| PIECES[(self.next() as usize) % PIECES.len()])
            .collect()
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[(self.next() as usize) % items.len()].clone()
    }
}

#[test]
fn parsers_never_panic() {
    let mut rng = Lcg(42);
    for _ in 0..20_000 {
        let s = rng.text(40);
        let _ = parse_callback(&s, "state");
        let _ = TokenSet::parse(&s);
        let _ = TokenSet::from_json(&s);
        let _ = ClientBuilder::from_json(&s);
        let _ = ProviderMetadata::from_json(&s, "http://127.0.0.1:9");
    }
    // Structured near-misses of a token answer.
    for _ in 0..20_000 {
        let json = format!(
            r#"{{"access_token":{},"token_type":{},"expires_in":{},"scope":{},"refresh_token":{}}}"#,
            rng.text(6),
            rng.text(6),
            rng.text(6),
            rng.text(6),
            rng.text(6)
        );
        if let Ok(t) = TokenSet::parse(&json) {
            let _ = TokenSet::from_json(&t.to_json()).expect("a parsed set round-trips");
            let _ = format!("{t:?}");
        }
    }
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What a validation came to: `Ok`, or the id_token error kind (any other error is a
/// failure of the test: it would mean, say, that the JWKS could not be fetched).
fn outcome(result: Result<authgate::IdTokenClaims, Error>) -> String {
    match result {
        Ok(_) => "Ok".into(),
        Err(Error::IdToken { kind, .. }) => format!("{kind:?}"),
        Err(other) => panic!("not an id_token error: {other:?}"),
    }
}

/// Arbitrary id_tokens against a real JWKS (the emulator's): text with and without dots,
/// three base64url parts of noise, headers near a real one (every alg, known and unknown
/// kids) over noise, and correctly signed tokens with random claims. Every branch of
/// `validate_id_token` must be reached, which a run over malformed tokens alone cannot.
#[test]
fn id_token_validation_reaches_every_branch_and_never_panics() {
    let emu = emulator();
    let client = discovered_kontur(&emu);
    let issuer = emu.base_url();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut rng = Lcg(7);
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for i in 0..1_600 {
        let token = match i % 4 {
            // Free text, dots and all.
            0 => rng.text(60),
            // Three parts, each base64url of noise (so mostly JSON that does not parse).
            1 => format!(
                "{}.{}.{}",
                b64(rng.text(30)),
                b64(rng.text(30)),
                rng.text(8)
            ),
            // A header close to a real one over noise: every alg branch, known and
            // unknown kids (an unknown one makes the client fetch the JWKS again).
            2 => {
                let alg = rng.pick(&[
                    "RS256", "RS384", "PS256", "ES256", "ES384", "none", "", "HS256", "RS1",
                ]);
                let kid = rng.pick(&[
                    Some(fx::KONTUR_RSA_KEY_ID),
                    Some(fx::KONTUR_KEY_ID),
                    Some("unknown-kid"),
                    None,
                ]);
                let mut header = json!({ "alg": alg });
                if let Some(kid) = kid {
                    header["kid"] = kid.into();
                }
                let claims = rng.pick(&[json!({"iss": issuer, "sub": "u"}), json!([]), json!({})]);
                let signature: Vec<u8> = (0..rng.pick(&[0, 64, 256]))
                    .map(|_| rng.next() as u8)
                    .collect();
                format!(
                    "{}.{}.{}",
                    b64(header.to_string()),
                    b64(claims.to_string()),
                    b64(signature)
                )
            }
            // Signed by the provider's key, with claims each right three times in four,
            // else wrong or missing (`Value::Null`).
            _ => {
                let mut claims = serde_json::Map::new();
                let mut claim = |rng: &mut Lcg, name: &str, right: Value, wrong: &[Value]| {
                    let v = if rng.next().is_multiple_of(4) {
                        rng.pick(wrong)
                    } else {
                        right
                    };
                    if !v.is_null() {
                        claims.insert(name.into(), v);
                    }
                };
                let evil = Value::from("https://evil.example");
                claim(&mut rng, "iss", issuer.clone().into(), &[evil, Value::Null]);
                let two = json!([fx::KONTUR_CLIENT_ID, "other"]);
                claim(
                    &mut rng,
                    "aud",
                    fx::KONTUR_CLIENT_ID.into(),
                    &[two, "other".into()],
                );
                let id = Value::from(fx::KONTUR_CLIENT_ID);
                claim(&mut rng, "azp", Value::Null, &[id, "other".into()]);
                let exp = [(now - 600).into(), "soon".into(), Value::Null];
                claim(&mut rng, "exp", (now + 600).into(), &exp);
                claim(
                    &mut rng,
                    "iat",
                    now.into(),
                    &[(now + 600).into(), Value::Null],
                );
                claim(&mut rng, "nbf", Value::Null, &[(now + 600).into()]);
                claim(&mut rng, "sub", "user-1".into(), &["".into(), Value::Null]);
                claim(
                    &mut rng,
                    "nonce",
                    "n".into(),
                    &["other".into(), Value::Null],
                );
                emu.sign_id_token(&Value::Object(claims))
                    .expect("the emulator signs")
            }
        };
        let nonce = rng.pick(&[Some("n"), None]);
        let result = client.validate_id_token(&IdToken::new(token), nonce);
        *seen.entry(outcome(result)).or_default() += 1;
    }
    let every = [
        IdTokenError::Malformed,
        IdTokenError::Algorithm,
        IdTokenError::UnknownKey,
        IdTokenError::Signature,
        IdTokenError::Issuer,
        IdTokenError::Audience,
        IdTokenError::Expired,
        IdTokenError::NotYetValid,
        IdTokenError::Nonce,
    ];
    for kind in every {
        assert!(
            seen.contains_key(&format!("{kind:?}")),
            "{kind:?} never reached: {seen:?}"
        );
    }
    assert!(seen.contains_key("Ok"), "no token was valid: {seen:?}");
}
