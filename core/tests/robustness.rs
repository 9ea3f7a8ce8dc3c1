//! Arbitrary input to every parser answers with a value or an error, never a panic.
//! Deterministic: a fixed-seed generator over an alphabet rich in JSON, URL and JWT syntax.

use authgate::{parse_callback, ClientBuilder, IdToken, ProviderMetadata, TokenSet};

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
}

#[test]
fn parsers_never_panic() {
    let client = ClientBuilder::new(authgate::Provider::Generic)
        .client_id("c")
        .client_secret("s")
        .token_endpoint("http://127.0.0.1:9/token")
        .issuer("http://127.0.0.1:9")
        .jwks_uri("http://127.0.0.1:9/jwks")
        .timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let mut rng = Lcg(42);
    for _ in 0..20_000 {
        let s = rng.text(40);
        let _ = parse_callback(&s, "state");
        let _ = TokenSet::parse(&s);
        let _ = TokenSet::from_json(&s);
        let _ = ClientBuilder::from_json(&s);
        let _ = ProviderMetadata::from_json(&s, "http://127.0.0.1:9");
        // Only malformed tokens: a well-formed one would try to fetch the JWKS.
        let _ = client.validate_id_token(&IdToken::new(s.replace('.', "")), Some("n"));
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
