//! Protocol correctness against servers that get things wrong or attack: the `iss` of
//! RFC 9207, discovery that must not weaken the client, token answers that are sloppy
//! (harmless) or dangerous (refused), JWKS without kids, and callback values that are
//! not UTF-8. Each over real loopback HTTP to the emulator.

mod common;

use authgate::{
    AuthMethod, AuthorizationCode, Client, ClientBuilder, ErrorCode, Provider, ProxyConfig,
    TokenSet,
};
use authgate_emulator::IdTokenAlg;
use common::*;

fn kontur_builder(emu: &Emulator) -> ClientBuilder {
    Client::builder(Provider::KonturExtern)
        .client_id(fx::KONTUR_CLIENT_ID)
        .client_secret(fx::KONTUR_CLIENT_SECRET)
        .redirect_uri(fx::REDIRECT_URI)
        .proxy(ProxyConfig::Disabled)
        .discover(&emu.base_url())
        .expect("discovery")
}

fn callback_fault(path: &str, name: &str, value: Option<&str>) -> Fault {
    Fault::new(
        path,
        FaultKind::Callback {
            name: name.into(),
            value: value.map(str::to_owned),
        },
    )
}

/// Starts a sign-in, plays the browser with the redirect parameter `name` set to the raw
/// `value` (removed for `None`) by the authorize endpoint at `path`, and reads it back.
fn sign_in_callback(
    emu: &Emulator,
    client: &Client,
    path: &str,
    name: &str,
    value: Option<&str>,
) -> authgate::Result<AuthorizationCode> {
    emu.inject(callback_fault(path, name, value));
    let req = client.authorization_url().build().unwrap();
    req.parse_callback(&browse(&req.url))
}

/// Changes fields of the next answer on `path`: `(name, raw JSON or None to remove)`.
fn answer_fault(path: &str, fields: &[(&str, Option<&[u8]>)]) -> Fault {
    Fault::new(
        path,
        FaultKind::AnswerFields {
            fields: fields
                .iter()
                .map(|(n, raw)| (n.to_string(), raw.map(<[u8]>::to_vec)))
                .collect(),
        },
    )
}

/// Changes fields of the next CUBA token answer, then runs the password grant.
fn cuba_answer(
    emu: &Emulator,
    client: &Client,
    fields: &[(&str, Option<&[u8]>)],
) -> authgate::Result<TokenSet> {
    emu.inject(answer_fault(fx::CUBA_TOKEN_PATH, fields));
    client
        .password(fx::CUBA_ADMIN_USERNAME, fx::CUBA_ADMIN_PASSWORD)
        .send()
}

const WRONG_ISS: &str = "https%3A%2F%2Fissuer.invalid";

/// A Kontur sign-in whose redirect names another issuer: the error, checked to be the
/// issuer mismatch.
fn kontur_callback_with_wrong_iss(emu: &Emulator, client: &Client) -> authgate::Error {
    let path = fx::KONTUR_AUTHORIZE_PATH;
    let err = sign_in_callback(emu, client, path, "iss", Some(WRONG_ISS)).unwrap_err();
    assert_eq!(err.code().name(), "issuer_mismatch", "{err}");
    err
}

// --- 1. RFC 9207: the issuer in the authorization response ----------------------------

#[test]
fn the_right_iss_is_accepted() {
    let emu = emulator();
    let client = kontur_builder(&emu).build().unwrap();
    let req = client.authorization_url().build().unwrap();
    let callback = browse(&req.url);
    assert!(callback.contains("iss="), "{callback}");
    req.parse_callback(&callback).unwrap();
}

#[test]
fn a_wrong_iss_is_refused_as_a_possible_mix_up() {
    let emu = emulator();
    let client = kontur_builder(&emu).build().unwrap();
    let err = kontur_callback_with_wrong_iss(&emu, &client);
    assert!(err.to_string().contains("mix-up"), "{err}");
    assert!(err.to_string().contains("https://issuer.invalid"), "{err}");

    // An error redirect is checked too: its error may come from the attacker.
    emu.inject(callback_fault(
        fx::KONTUR_AUTHORIZE_PATH,
        "iss",
        Some(WRONG_ISS),
    ));
    let req = client
        .authorization_url()
        .scopes(["extern.api"]) // Kontur requires openid: an error redirect
        .build()
        .unwrap();
    let err = req.parse_callback(&browse(&req.url)).unwrap_err();
    assert_eq!(err.code().name(), "issuer_mismatch", "{err}");
}

#[test]
fn a_missing_iss_is_refused_when_the_provider_promises_it() {
    let emu = emulator();
    let client = kontur_builder(&emu).build().unwrap();
    let err = sign_in_callback(&emu, &client, fx::KONTUR_AUTHORIZE_PATH, "iss", None).unwrap_err();
    assert_eq!(err.code().name(), "issuer_mismatch", "{err}");
    assert!(err.to_string().contains("no iss"), "{err}");
}

#[test]
fn a_configured_issuer_is_checked_without_discovery() {
    let emu = emulator();
    let client = builder(&emu, Provider::KonturExtern)
        .issuer(emu.base_url())
        .build()
        .unwrap();
    kontur_callback_with_wrong_iss(&emu, &client);
    // Without the metadata's promise a missing iss is fine; the right one too.
    sign_in_callback(&emu, &client, fx::KONTUR_AUTHORIZE_PATH, "iss", None).unwrap();
    sign_in(&client);
}

#[test]
fn providers_that_send_no_iss_keep_working() {
    let emu = emulator();
    let client = builder(&emu, Provider::GearCode)
        .issuer("https://gearcode.example")
        .build()
        .unwrap();
    let tokens = sign_in(&client);
    assert!(tokens.refresh_token().is_some());
}

// --- 2. Discovery never weakens client authentication or PKCE -------------------------

#[test]
fn discovery_never_downgrades_to_none_while_holding_a_secret() {
    let emu = emulator();
    emu.inject(answer_fault(
        fx::KONTUR_DISCOVERY_PATH,
        &[(
            "token_endpoint_auth_methods_supported",
            Some(br#"["none","private_key_jwt"]"#),
        )],
    ));
    let err = kontur_builder(&emu).build().unwrap_err();
    assert_eq!(err.code(), ErrorCode::Config, "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("none") && msg.contains("private_key_jwt") && msg.contains("secret"),
        "{msg}"
    );

    // The document is cached now. An explicit method always wins…
    let client = kontur_builder(&emu)
        .auth_method(AuthMethod::ClientSecretPost)
        .build()
        .unwrap();
    assert_eq!(client.auth_method(), AuthMethod::ClientSecretPost);
    // …and a public client (no secret) may use none.
    let public = Client::builder(Provider::KonturExtern)
        .client_id(fx::KONTUR_CLIENT_ID)
        .proxy(ProxyConfig::Disabled)
        .discover(&emu.base_url())
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(public.auth_method(), AuthMethod::None);
}

#[test]
fn discovery_picks_a_method_that_sends_the_secret() {
    let emu = emulator();
    emu.inject(answer_fault(
        fx::KONTUR_DISCOVERY_PATH,
        &[(
            "token_endpoint_auth_methods_supported",
            Some(br#"["none","private_key_jwt","client_secret_basic"]"#),
        )],
    ));
    let client = kontur_builder(&emu).build().unwrap();
    assert_eq!(client.auth_method(), AuthMethod::ClientSecretBasic);
    sign_in(&client);
    let sent = emu.last_request(fx::KONTUR_TOKEN_PATH).unwrap();
    assert!(sent.header("authorization").unwrap().starts_with("Basic "));
}

#[test]
fn discovery_keeps_pkce_on_when_s256_is_not_listed() {
    let emu = emulator();
    emu.inject(answer_fault(
        fx::KONTUR_DISCOVERY_PATH,
        &[("code_challenge_methods_supported", Some(br#"["plain"]"#))],
    ));
    let client = kontur_builder(&emu).build().unwrap();
    let req = client.authorization_url().build().unwrap();
    assert!(req.pkce_verifier.is_some());
    assert!(
        req.url.contains("code_challenge_method=S256"),
        "{}",
        req.url
    );
    sign_in(&client);
    // The caller may still turn it off.
    let off = kontur_builder(&emu).pkce(false).build().unwrap();
    assert!(off
        .authorization_url()
        .build()
        .unwrap()
        .pkce_verifier
        .is_none());
}

// --- 6. The token answer: lenient where harmless, strict where it matters -------------

#[test]
fn a_null_or_empty_error_next_to_tokens_is_not_an_error() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    for raw in [&b"null"[..], b"\"\""] {
        emu.inject(answer_fault(
            fx::GEARCODE_TOKEN_PATH,
            &[("error", Some(raw))],
        ));
        let tokens = client.client_credentials().send().unwrap();
        assert!(!tokens.access_token().secret().is_empty());
    }
}

#[test]
fn control_characters_in_tokens_are_refused() {
    let emu = emulator();
    let client = client(&emu, Provider::Cuba);
    for (field, raw) in [
        ("access_token", &br#""abc\r\nX-Injected: 1""#[..]),
        ("token_type", br#""Bearer\n""#),
        ("refresh_token", br#""r\u0000t""#),
        ("access_token", br#""tab\there""#),
    ] {
        let err = cuba_answer(&emu, &client, &[(field, Some(raw))]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnexpectedResponse, "{field}: {err}");
        assert!(err.to_string().contains(field), "{err}");
        assert!(!err.to_string().contains("X-Injected"), "{err}");
    }
}

#[test]
fn an_unknown_token_type_is_refused_unless_the_client_accepts_it() {
    let emu = emulator();
    let client = client(&emu, Provider::Cuba);
    let mac: &[(&str, Option<&[u8]>)] = &[("token_type", Some(br#""mac""#))];
    let err = cuba_answer(&emu, &client, mac).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnexpectedResponse, "{err}");
    assert!(err.to_string().contains("mac"), "{err}");

    let config = serde_json::json!({
        "provider": "cuba", "base_url": emu.base_url(), "proxy": "none",
        "client_id": fx::CUBA_CLIENT_ID, "client_secret": fx::CUBA_CLIENT_SECRET,
        "accept_unknown_token_type": true,
    });
    let lenient = ClientBuilder::from_json(&config.to_string())
        .unwrap()
        .build()
        .unwrap();
    let tokens = cuba_answer(&emu, &lenient, mac).unwrap();
    assert_eq!(tokens.token_type(), "mac");
    // Bearer in any case is always fine.
    let bearer: &[(&str, Option<&[u8]>)] = &[("token_type", Some(br#""BEARER""#))];
    let tokens = cuba_answer(&emu, &client, bearer).unwrap();
    assert_eq!(tokens.token_type(), "Bearer");
}

#[test]
fn a_bad_unrelated_field_never_loses_the_rotated_refresh_token() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    let mut tokens = sign_in(&client);
    for (field, raw) in [
        ("user_name", &b"\"caf\xe9 \xff\""[..]),
        ("balance", b"1e400"),
        ("limits", b"[1, -1e999, \"\xc3\"]"),
    ] {
        emu.inject(answer_fault(fx::GEARCODE_TOKEN_PATH, &[(field, Some(raw))]));
        let old = tokens.refresh_token().unwrap().secret().to_owned();
        let fresh = client
            .refresh(tokens.refresh_token().unwrap())
            .send()
            .unwrap();
        let new = fresh.refresh_token().unwrap().secret().to_owned();
        assert_ne!(new, old, "{field}: the server rotated");
        assert!(
            fresh.warnings().iter().any(|w| w.contains(field)),
            "{field}: {:?}",
            fresh.warnings()
        );
        // The old token is dead: the new one is what keeps the till signed in.
        assert_eq!(
            client.refresh(old).send().unwrap_err().code(),
            ErrorCode::InvalidGrant
        );
        tokens = fresh;
    }
    // Invalid UTF-8 in the refresh token itself cannot be kept faithfully: refused.
    emu.inject(answer_fault(
        fx::GEARCODE_TOKEN_PATH,
        &[("refresh_token", Some(b"\"r\xfft\""))],
    ));
    let err = client
        .refresh(tokens.refresh_token().unwrap())
        .send()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnexpectedResponse, "{err}");
    assert!(err.to_string().contains("refresh_token"), "{err}");
}

#[test]
fn a_server_expires_at_survives_the_store_round_trip() {
    let emu = emulator();
    let client = client(&emu, Provider::Cuba);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = now + 3600;
    for raw in [
        at.to_string(),
        (at * 1000 + 250).to_string(),
        format!("\"{at}\""),
    ] {
        let fields = [("expires_in", None), ("expires_at", Some(raw.as_bytes()))];
        let tokens = cuba_answer(&emu, &client, &fields).unwrap();
        assert_eq!(tokens.expires_at_unix(), Some(at), "{raw}");
        let stored = tokens.to_json();
        let back = TokenSet::from_json(&stored).unwrap();
        assert_eq!(back.expires_at_unix(), Some(at), "{raw}: {stored}");
        assert!(!back.is_expired(std::time::Duration::ZERO));
    }
    // A store written before this fix holds the server's milliseconds.
    let legacy = format!(r#"{{"access_token":"a","expires_at":{}}}"#, at * 1000);
    assert_eq!(
        TokenSet::from_json(&legacy).unwrap().expires_at_unix(),
        Some(at)
    );
}

#[test]
fn a_jwks_without_kids_is_searched_by_alg() {
    let emu = emulator();
    emu.set_kidless_jwks(true);
    let client = kontur_builder(&emu).build().unwrap();
    for alg in [IdTokenAlg::Rs256, IdTokenAlg::Es256] {
        emu.set_id_token_alg(alg);
        let tokens = sign_in(&client);
        let claims = client
            .validate_id_token(tokens.id_token().unwrap(), None)
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(claims.subject(), fx::TEST_USER_SUBJECT);
    }
}

// --- 7. Callback values are bytes, not lossy text --------------------------------------

#[test]
fn a_code_that_is_not_utf8_is_refused_not_mangled() {
    let emu = emulator();
    let client = client(&emu, Provider::GearCode);
    let err = sign_in_callback(
        &emu,
        &client,
        fx::GEARCODE_AUTHORIZE_PATH,
        "code",
        Some("%FF%FE"),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
    assert!(err.to_string().contains("`code`"), "{err}");
    // A state that is not UTF-8 cannot be the one sent.
    let err = authgate::parse_callback("?code=c&state=%FF", "s").unwrap_err();
    assert_eq!(err.code(), ErrorCode::StateMismatch, "{err}");
    // Percent-encoded UTF-8 still decodes.
    let code = authgate::parse_callback("?code=%D0%BA%2B1&state=s", "s").unwrap();
    assert_eq!(code.secret(), "к+1");
}
