//! Smoke tests: raw HTTP/1.1 over TcpStream against an in-process emulator.

mod common;

use std::io::{Read, Write};

use authgate_emulator::fixtures::*;
use authgate_emulator::{Dialect, Emulator, Fault, FaultKind, IdTokenAlg};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use serde_json::Value;

#[test]
fn gearcode_code_flow_with_rotation() {
    let emu = Emulator::start().expect("start");
    let redirect = authorize(
        &emu,
        GEARCODE_AUTHORIZE_PATH,
        &[
            ("redirect_uri", REDIRECT_URI),
            ("client_id", GEARCODE_CLIENT_ID),
            ("response_type", "code"),
            ("state", "xyz"),
        ],
    );
    assert_eq!(param(&redirect, "state"), Some("xyz"));
    let code = param(&redirect, "code").expect("code").to_string();

    fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let client = [
            ("client_id", GEARCODE_CLIENT_ID),
            ("client_secret", GEARCODE_CLIENT_SECRET),
            ("resource_id", GEARCODE_CLIENT_ID),
        ];
        client.into_iter().chain(extra.iter().copied()).collect()
    }

    // resource_id is mandatory.
    let reply = post_form(
        &emu,
        GEARCODE_TOKEN_PATH,
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", GEARCODE_CLIENT_ID),
            ("client_secret", GEARCODE_CLIENT_SECRET),
        ],
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error_description"], "resource_id is required");

    let reply = post_form(
        &emu,
        GEARCODE_TOKEN_PATH,
        &[],
        &with(&[("grant_type", "authorization_code"), ("code", &code)]),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let token = reply.json();
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(token["expires_in"], 899);
    assert_eq!(
        token["access_token"].as_str().map(|t| t.split('.').count()),
        Some(3)
    );
    let access = token["access_token"].as_str().expect("access").to_string();
    let first_refresh = token["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();

    // The code is one-time.
    let reply = post_form(
        &emu,
        GEARCODE_TOKEN_PATH,
        &[],
        &with(&[("grant_type", "authorization_code"), ("code", &code)]),
    );
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // The access token opens the resource.
    let me = request(
        &emu,
        "GET",
        RESOURCE_PATH,
        &[("Authorization", &format!("Bearer {access}"))],
        "",
    );
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["dialect"], "gearcode");
    let me = request(
        &emu,
        "GET",
        RESOURCE_PATH,
        &[("Authorization", "Bearer nope")],
        "",
    );
    assert_eq!(me.status, 401);
    assert_eq!(
        me.header("WWW-Authenticate"),
        Some("Bearer error=\"invalid_token\"")
    );

    // Refresh rotates: a new refresh token, and the old one is dead at once.
    let reply = post_form(
        &emu,
        GEARCODE_TOKEN_PATH,
        &[],
        &with(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
        ]),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let second = reply.json();
    let second_refresh = second["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    assert_ne!(second_refresh, first_refresh);
    assert_ne!(second["access_token"].as_str(), Some(access.as_str()));

    let reply = post_form(
        &emu,
        GEARCODE_TOKEN_PATH,
        &[],
        &with(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
        ]),
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"], "invalid_grant");
    assert_eq!(reply.json()["error_description"], "Invalid refresh token");

    let reply = post_form(
        &emu,
        GEARCODE_TOKEN_PATH,
        &[],
        &with(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &second_refresh),
        ]),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Revocation kills the current one too.
    let third_refresh = reply.json()["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    emu.revoke_refresh_tokens();
    let reply = post_form(
        &emu,
        GEARCODE_TOKEN_PATH,
        &[],
        &with(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &third_refresh),
        ]),
    );
    assert_eq!(reply.status, 400);

    // Client credentials: no refresh token.
    let reply = post_form(
        &emu,
        GEARCODE_TOKEN_PATH,
        &[],
        &with(&[("grant_type", "client_credentials")]),
    );
    assert_eq!(reply.status, 200);
    assert!(reply.json().get("refresh_token").is_none());
}

#[test]
fn cuba_password_grant_with_cyrillic_user() {
    let emu = Emulator::start().expect("start");
    let auth = basic(CUBA_CLIENT_ID, CUBA_CLIENT_SECRET);
    let grant = [
        ("grant_type", "password"),
        ("username", CUBA_CYRILLIC_USERNAME),
        ("password", CUBA_CYRILLIC_PASSWORD),
    ];
    let reply = post_form(&emu, CUBA_TOKEN_PATH, &[("Authorization", &auth)], &grant);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let token = reply.json();
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(token["expires_in"], 43198);
    assert_eq!(token["scope"], "rest-api");
    assert_eq!(token["access_token"].as_str().map(str::len), Some(36));
    let refresh = token["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();

    // The body arrived exactly as encoded.
    let recorded = emu.last_request(CUBA_TOKEN_PATH).expect("recorded");
    assert_eq!(
        recorded.form_param("password").as_deref(),
        Some(CUBA_CYRILLIC_PASSWORD)
    );

    let me = request(
        &emu,
        "GET",
        RESOURCE_PATH,
        &[(
            "Authorization",
            &format!("Bearer {}", token["access_token"].as_str().unwrap_or("")),
        )],
        "",
    );
    assert_eq!(me.json()["sub"], CUBA_CYRILLIC_USERNAME);

    // A wrong password.
    let reply = post_form(
        &emu,
        CUBA_TOKEN_PATH,
        &[("Authorization", &auth)],
        &[
            ("grant_type", "password"),
            ("username", CUBA_CYRILLIC_USERNAME),
            ("password", "p&s=w o%rd 1 ё"),
        ],
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error_description"], "Bad credentials");

    // The second client works with its secret sent raw, not form-encoded.
    let raw = basic(CUBA_RAW_CLIENT_ID, CUBA_RAW_CLIENT_SECRET);
    let reply = post_form(&emu, CUBA_TOKEN_PATH, &[("Authorization", &raw)], &grant);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let encoded = basic(CUBA_RAW_CLIENT_ID, "p%40ss%2Bword%25");
    let reply = post_form(
        &emu,
        CUBA_TOKEN_PATH,
        &[("Authorization", &encoded)],
        &grant,
    );
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("WWW-Authenticate"),
        Some("Basic realm=\"oauth2/client\"")
    );

    // Refresh: a new access token, the same refresh token.
    let refresh_grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let reply = post_form(
        &emu,
        CUBA_TOKEN_PATH,
        &[("Authorization", &auth)],
        &refresh_grant,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json()["refresh_token"].as_str(),
        Some(refresh.as_str())
    );

    // Revoked: the error shows only the first four characters.
    emu.revoke_refresh_tokens();
    let reply = post_form(
        &emu,
        CUBA_TOKEN_PATH,
        &[("Authorization", &auth)],
        &refresh_grant,
    );
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json()["error_description"].as_str(),
        Some(format!("Invalid refresh token: {}...", &refresh[..4]).as_str())
    );
    assert!(!reply.body.contains(&refresh));

    assert_eq!(request(&emu, "GET", CUBA_TOKEN_PATH, &[], "").status, 405);
}

#[test]
fn status_fault_counts_and_control_api() {
    let emu = Emulator::start().expect("start");
    emu.inject(Fault::new(
        CUBA_TOKEN_PATH,
        FaultKind::Status {
            status: 503,
            retry_after: Some(2),
        },
    ));
    let auth = basic(CUBA_CLIENT_ID, CUBA_CLIENT_SECRET);
    let grant = [
        ("grant_type", "password"),
        ("username", CUBA_ADMIN_USERNAME),
        ("password", CUBA_ADMIN_PASSWORD),
    ];
    let reply = post_form(&emu, CUBA_TOKEN_PATH, &[("Authorization", &auth)], &grant);
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("Retry-After"), Some("2"));
    // The fault hit once; the next request is answered normally.
    let reply = post_form(&emu, CUBA_TOKEN_PATH, &[("Authorization", &auth)], &grant);
    assert_eq!(reply.status, 200);

    assert_eq!(request(&emu, "GET", "/nowhere", &[], "").status, 404);
    assert_eq!(emu.count(CUBA_TOKEN_PATH), 2);
    assert_eq!(emu.count("/nowhere"), 1);

    // The same through the control API, which does not count itself.
    let control_fault = r#"{"path":"/oauth/token","kind":"status","status":500,"count":2}"#;
    let reply = request(
        &emu,
        "POST",
        "/_emulator/fault",
        &[("Content-Type", "application/json")],
        control_fault,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        request(&emu, "POST", GEARCODE_TOKEN_PATH, &[FORM], "").status,
        500
    );
    assert_eq!(
        request(&emu, "POST", GEARCODE_TOKEN_PATH, &[FORM], "").status,
        500
    );
    assert_eq!(
        request(&emu, "POST", GEARCODE_TOKEN_PATH, &[FORM], "").status,
        400
    );
    let counts = request(&emu, "GET", "/_emulator/counts", &[], "").json();
    assert_eq!(counts[GEARCODE_TOKEN_PATH], 3);
    assert_eq!(counts[CUBA_TOKEN_PATH], 2);
    assert_eq!(counts.as_object().map(|o| o.len()), Some(3));

    let reply = request(
        &emu,
        "POST",
        "/_emulator/expires_in",
        &[],
        r#"{"dialect":"cuba","seconds":2}"#,
    );
    assert_eq!(reply.status, 200);
    let reply = post_form(&emu, CUBA_TOKEN_PATH, &[("Authorization", &auth)], &grant);
    assert_eq!(reply.json()["expires_in"], 2);

    assert_eq!(
        request(&emu, "POST", "/_emulator/reset", &[], "").status,
        200
    );
    assert!(emu.counts().is_empty());
    let reply = post_form(&emu, CUBA_TOKEN_PATH, &[("Authorization", &auth)], &grant);
    assert_eq!(reply.json()["expires_in"], 43198);
}

#[test]
fn pkce_is_enforced_and_id_token_carries_the_nonce() {
    let emu = Emulator::start().expect("start");
    // RS256 is the default (checked in oidc.rs); this test checks the ES256 key.
    emu.set_id_token_alg(IdTokenAlg::Es256);
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let start = || {
        let redirect = authorize(
            &emu,
            KONTUR_AUTHORIZE_PATH,
            &[
                ("response_type", "code"),
                ("client_id", KONTUR_CLIENT_ID),
                ("scope", KONTUR_SCOPE),
                ("redirect_uri", REDIRECT_URI),
                ("state", "s1"),
                ("nonce", "n-0S6_WzA2Mj"),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        param(&redirect, "code").expect("code").to_string()
    };
    let exchange = |code: &str, verifier: &str| {
        post_form(
            &emu,
            KONTUR_TOKEN_PATH,
            &[],
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", KONTUR_CLIENT_ID),
                ("client_secret", KONTUR_CLIENT_SECRET),
                ("code_verifier", verifier),
            ],
        )
    };

    let reply = exchange(&start(), "not-the-verifier");
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"], "invalid_grant");
    assert_eq!(
        reply.json()["error_description"],
        "PKCE verification failed"
    );

    let reply = exchange(&start(), verifier);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let token = reply.json();
    assert_eq!(token["scope"], KONTUR_SCOPE);
    let id_token = token["id_token"].as_str().expect("id_token");
    let parts: Vec<&str> = id_token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("claims");
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["aud"], KONTUR_CLIENT_ID);
    assert_eq!(claims["iss"], emu.base_url());

    // The signature verifies with the published key the header names.
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("header");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], KONTUR_KEY_ID);
    let jwks = request(&emu, "GET", KONTUR_JWKS_PATH, &[], "").json();
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == KONTUR_KEY_ID))
        .expect("the EC key");
    let mut point = vec![4u8];
    for coordinate in ["x", "y"] {
        point.extend(
            URL_SAFE_NO_PAD
                .decode(key[coordinate].as_str().expect("coordinate"))
                .expect("b64"),
        );
    }
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &point)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("valid ES256 signature");

    // Missing nonce: redirected back with invalid_request.
    let reply = request(
        &emu,
        "GET",
        &format!(
            "{KONTUR_AUTHORIZE_PATH}?{}",
            form(&[
                ("response_type", "code"),
                ("client_id", KONTUR_CLIENT_ID),
                ("scope", KONTUR_SCOPE),
                ("redirect_uri", REDIRECT_URI),
                ("state", "s2")
            ])
        ),
        &[],
        "",
    );
    assert_eq!(reply.status, 302);
    assert!(reply
        .header("Location")
        .is_some_and(|l| l.contains("error=invalid_request") && l.contains("state=s2")));
}

#[test]
fn taxcom_basic_auth_and_keep_alive() {
    let emu = Emulator::start().expect("start");
    emu.set_expires_in(Dialect::Taxcom, 1);
    let redirect = authorize(
        &emu,
        TAXCOM_AUTHORIZE_PATH,
        &[
            ("client_id", TAXCOM_CLIENT_ID),
            ("response_type", "code"),
            ("scope", "api"),
            ("redirect_url", REDIRECT_URI),
        ],
    );
    assert_eq!(param(&redirect, "state"), None);
    let code = param(&redirect, "code").expect("code");

    // Two requests on one connection: a refused grant, then the code exchange.
    let mut stream = connect(&emu);
    let auth = basic(TAXCOM_CLIENT_ID, TAXCOM_CLIENT_SECRET);
    let mut buf = Vec::new();
    for (body, expected) in [
        (
            form(&[("grant_type", "refresh_token"), ("refresh_token", "x")]),
            400,
        ),
        (
            form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
            ]),
            200,
        ),
    ] {
        let raw = format!(
            "POST {TAXCOM_TOKEN_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(raw.as_bytes()).expect("write");
        let reply = read_reply(&mut stream, &mut buf);
        assert_eq!(reply.status, expected, "{}", reply.body);
        if expected == 200 {
            let token = reply.json();
            assert_eq!(token["token_type"], "Bearer");
            assert_eq!(token["expires_in"], 1);
            assert!(token.get("refresh_token").is_none());
        } else {
            assert_eq!(reply.body, r#"{"error":"unsupported_grant_type"}"#);
        }
    }

    // A wrong secret, and a malformed request: answered, and the server lives on.
    let reply = post_form(
        &emu,
        TAXCOM_TOKEN_PATH,
        &[("Authorization", &basic(TAXCOM_CLIENT_ID, "nope"))],
        &[("grant_type", "authorization_code")],
    );
    assert_eq!(reply.body, r#"{"error":"invalid_client"}"#);
    let mut stream = connect(&emu);
    stream.write_all(b"GARBAGE\r\n\r\n").expect("write");
    assert_eq!(read_reply(&mut stream, &mut Vec::new()).status, 400);
    assert_eq!(request(&emu, "GET", "/", &[], "").status, 404);
}

#[test]
fn connection_level_faults() {
    let emu = Emulator::start().expect("start");
    emu.inject(Fault::new("*", FaultKind::Drop));
    emu.inject(Fault::any(FaultKind::Truncated));
    emu.inject(Fault::any(FaultKind::Oversized { bytes: 100_000 }));

    let read_all = |method_path: &str| {
        let mut stream = connect(&emu);
        stream
            .write_all(format!("GET {method_path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .expect("write");
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        out
    };
    assert!(read_all("/a").is_empty());
    let truncated = String::from_utf8(read_all("/b")).expect("utf-8");
    assert!(truncated.contains("Content-Length: 500"));
    assert_eq!(truncated.split("\r\n\r\n").nth(1).map(str::len), Some(20));

    let mut stream = connect(&emu);
    stream
        .write_all(b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let reply = read_reply(&mut stream, &mut Vec::new());
    assert_eq!(reply.body.len(), 100_000);
    assert!(reply.body.starts_with("{\"access_token\":\"AAA") && reply.body.ends_with("\"}"));
    assert_eq!(emu.counts().values().sum::<u64>(), 3);
}
