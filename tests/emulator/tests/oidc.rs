//! Kontur as an OpenID provider: keys and id_tokens, id_token faults, UserInfo,
//! revocation, introspection, refresh and discovery. Raw HTTP, as in smoke.rs.

mod common;

use authgate_emulator::fixtures::*;
use authgate_emulator::{Emulator, Fault, FaultKind, IdTokenAlg};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use ring::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use serde_json::Value;

/// The JWK with this kid.
fn jwk(emu: &Emulator, kid: &str) -> Option<Value> {
    let jwks = request(emu, "GET", KONTUR_JWKS_PATH, &[], "").json();
    jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid).cloned())
}

fn b64(value: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(value.as_str().expect("a string"))
        .expect("base64url")
}

/// Verifies an RS256 JWS against the JWKS's RSA key.
fn verify_rs256(emu: &Emulator, parts: &[String]) -> bool {
    let key = jwk(emu, KONTUR_RSA_KEY_ID).expect("the RSA key");
    let public = RsaPublicKeyComponents {
        n: b64(&key["n"]),
        e: b64(&key["e"]),
    };
    let signature = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap_or_default();
    public
        .verify(
            &RSA_PKCS1_2048_8192_SHA256,
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &signature,
        )
        .is_ok()
}

#[test]
fn jwks_has_both_keys_and_rs256_id_token_verifies() {
    let emu = Emulator::start().expect("start");
    let rsa = jwk(&emu, KONTUR_RSA_KEY_ID).expect("the RSA key");
    assert_eq!(
        (rsa["kty"].as_str(), rsa["alg"].as_str()),
        (Some("RSA"), Some("RS256"))
    );
    assert_eq!(b64(&rsa["n"]).len(), 256);
    let ec = jwk(&emu, KONTUR_KEY_ID).expect("the EC key");
    assert_eq!(
        (ec["kty"].as_str(), ec["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    assert_eq!(emu.id_token_alg(), IdTokenAlg::Rs256);
    assert_eq!(emu.signing_key_id(), KONTUR_RSA_KEY_ID);

    let tokens = kontur_tokens(&emu, KONTUR_SCOPE);
    assert!(tokens.get("refresh_token").is_none());
    let (header, claims, parts) = decode_jwt(tokens["id_token"].as_str().expect("id_token"));
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], KONTUR_RSA_KEY_ID);
    assert!(verify_rs256(&emu, &parts));

    assert_eq!(claims["iss"], emu.base_url());
    assert_eq!(claims["sub"], TEST_USER_SUBJECT);
    assert_eq!(claims["aud"], KONTUR_CLIENT_ID);
    assert_eq!(claims["azp"], KONTUR_CLIENT_ID);
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["name"], TEST_USER_NAME);
    assert_eq!(claims["email"], TEST_USER_EMAIL);
    let iat = claims["iat"].as_u64().expect("iat");
    assert_eq!(claims["exp"].as_u64(), Some(iat + ID_TOKEN_LIFETIME_SECS));
    assert_eq!(claims["nbf"].as_u64(), Some(iat));
    assert!(claims["auth_time"].as_u64().is_some_and(|t| t <= iat));

    // The control API switches to ES256.
    control(&emu, "oidc", r#"{"alg":"ES256"}"#);
    let tokens = kontur_tokens(&emu, KONTUR_SCOPE);
    let (header, _, _) = decode_jwt(tokens["id_token"].as_str().expect("id_token"));
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("ES256"), Some(KONTUR_KEY_ID))
    );
    // reset goes back to RS256.
    control(&emu, "reset", "");
    assert_eq!(emu.id_token_alg(), IdTokenAlg::Rs256);
}

#[test]
fn rotation_changes_the_kid_and_the_jwks() {
    let emu = Emulator::start().expect("start");
    assert_eq!(emu.rotate_keys().expect("rotate"), "emulator-2");
    let tokens = kontur_tokens(&emu, KONTUR_SCOPE);
    let (header, _, parts) = decode_jwt(tokens["id_token"].as_str().expect("id_token"));
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("ES256"), Some("emulator-2"))
    );

    // The JWKS serves the new EC key and the RSA key; the old EC key is gone.
    assert!(jwk(&emu, KONTUR_KEY_ID).is_none());
    assert!(jwk(&emu, KONTUR_RSA_KEY_ID).is_some());
    let key = jwk(&emu, "emulator-2").expect("the new key");
    let mut point = vec![4u8];
    point.extend(b64(&key["x"]));
    point.extend(b64(&key["y"]));
    let signature = URL_SAFE_NO_PAD.decode(&parts[2]).expect("b64");
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &point)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("valid ES256 signature");

    // Through the control API.
    let reply = control(&emu, "rotate_keys", "");
    assert_eq!(reply["kid"], "emulator-3");
    assert_eq!(emu.signing_key_id(), "emulator-3");
}

#[test]
fn id_token_faults_hit_only_the_next_id_token() {
    let emu = Emulator::start().expect("start");
    // A fault on the token path waits for a request that issues an id_token: this
    // failed exchange does not consume it.
    emu.inject(Fault::new(KONTUR_TOKEN_PATH, FaultKind::IdTokenWrongNonce));
    let reply = post_form(
        &emu,
        KONTUR_TOKEN_PATH,
        &[],
        &[("grant_type", "authorization_code")],
    );
    assert_eq!(reply.status, 400);

    let tokens = kontur_tokens(&emu, KONTUR_SCOPE);
    let (_, claims, parts) = decode_jwt(tokens["id_token"].as_str().expect("id_token"));
    assert_eq!(claims["nonce"], ID_TOKEN_FAULT_NONCE);
    assert!(verify_rs256(&emu, &parts), "only the nonce is wrong");

    // Then the next one is fine again.
    let tokens = kontur_tokens(&emu, KONTUR_SCOPE);
    let (_, claims, _) = decode_jwt(tokens["id_token"].as_str().expect("id_token"));
    assert_eq!(claims["nonce"], "n-1");

    let next = |kind: &str| {
        control(
            &emu,
            "fault",
            &format!(r#"{{"path":"{KONTUR_TOKEN_PATH}","kind":"{kind}"}}"#),
        );
        let tokens = kontur_tokens(&emu, KONTUR_SCOPE);
        decode_jwt(tokens["id_token"].as_str().expect("id_token"))
    };

    let (_, claims, _) = next("id_token_wrong_audience");
    assert_eq!(claims["aud"], ID_TOKEN_FAULT_AUDIENCE);
    let (_, claims, _) = next("id_token_wrong_issuer");
    assert_eq!(claims["iss"], ID_TOKEN_FAULT_ISSUER);
    let (_, claims, parts) = next("id_token_expired");
    let now = claims["exp"].as_u64().expect("exp") + 3600;
    assert!(claims["iat"]
        .as_u64()
        .is_some_and(|iat| iat + 2 * 3600 == now));
    assert!(verify_rs256(&emu, &parts));
    let (_, _, parts) = next("id_token_bad_signature");
    assert!(!verify_rs256(&emu, &parts));
    let (header, _, parts) = next("id_token_alg_none");
    assert_eq!(header["alg"], "none");
    assert!(parts[2].is_empty());
    let (header, _, parts) = next("id_token_hmac_confusion");
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("HS256"), Some(KONTUR_RSA_KEY_ID))
    );
    let pem = include_bytes!("../keys/rsa-1.pub.pem");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, pem);
    let mac = URL_SAFE_NO_PAD.decode(&parts[2]).expect("b64");
    ring::hmac::verify(&key, format!("{}.{}", parts[0], parts[1]).as_bytes(), &mac)
        .expect("HMAC keyed with the public PEM");
    let (header, _, _) = next("id_token_unknown_kid");
    assert_eq!(header["kid"], ID_TOKEN_FAULT_KEY_ID);
    assert!(jwk(&emu, ID_TOKEN_FAULT_KEY_ID).is_none());
}

#[test]
fn userinfo_revocation_and_introspection() {
    let emu = Emulator::start().expect("start");
    let tokens = kontur_tokens(&emu, &format!("{KONTUR_SCOPE} {KONTUR_OFFLINE_SCOPE}"));
    let access = tokens["access_token"].as_str().expect("access").to_string();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let bearer = format!("Bearer {access}");

    let info = request(
        &emu,
        "GET",
        KONTUR_USERINFO_PATH,
        &[("Authorization", &bearer)],
        "",
    );
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(
        info.json(),
        serde_json::json!({"sub": "user-1", "name": "Тестовый Пользователь", "email": "user1@example.test"})
    );
    let info = request(
        &emu,
        "GET",
        KONTUR_USERINFO_PATH,
        &[("Authorization", "Bearer nope")],
        "",
    );
    assert_eq!(info.status, 401);
    assert_eq!(
        info.header("WWW-Authenticate"),
        Some("Bearer error=\"invalid_token\"")
    );

    let introspect = |token: &str| {
        let mut pairs = vec![("token", token)];
        pairs.extend(KONTUR_CLIENT);
        let reply = post_form(&emu, KONTUR_INTROSPECTION_PATH, &[], &pairs);
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    };
    let active = introspect(&access);
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], KONTUR_CLIENT_ID);
    assert_eq!(active["sub"], TEST_USER_SUBJECT);
    assert_eq!(active["token_type"], "Bearer");
    assert_eq!(
        active["scope"],
        format!("{KONTUR_SCOPE} {KONTUR_OFFLINE_SCOPE}")
    );
    let iat = active["iat"].as_u64().expect("iat");
    assert_eq!(active["exp"].as_u64(), Some(iat + KONTUR_EXPIRES_IN));
    assert_eq!(introspect(&refresh)["active"], true);
    assert_eq!(introspect("unknown"), serde_json::json!({"active": false}));

    // A bad client is refused, by Basic or in the body.
    let reply = post_form(
        &emu,
        KONTUR_REVOCATION_PATH,
        &[("Authorization", &basic(KONTUR_CLIENT_ID, "wrong"))],
        &[("token", &access)],
    );
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (401, r#"{"error":"invalid_client"}"#)
    );
    let reply = post_form(
        &emu,
        KONTUR_INTROSPECTION_PATH,
        &[],
        &[
            ("token", &access),
            ("client_id", KONTUR_CLIENT_ID),
            ("client_secret", "x"),
        ],
    );
    assert_eq!(reply.status, 401);

    // The refresh grant works (and rotates) before revocation.
    let refresh_with = |token: &str| {
        let mut pairs = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
        pairs.extend(KONTUR_CLIENT);
        post_form(&emu, KONTUR_TOKEN_PATH, &[], &pairs)
    };
    let reply = refresh_with(&refresh);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let refreshed = reply.json();
    let (_, claims, _) = decode_jwt(refreshed["id_token"].as_str().expect("id_token"));
    assert!(claims.get("nonce").is_none());
    let refresh = refreshed["refresh_token"]
        .as_str()
        .expect("new refresh")
        .to_string();
    assert_eq!(refresh_with(&access).status, 400);

    // Revoking an unknown token is fine (RFC 7009 §2.2).
    let revoke = |token: &str, hint: &str| {
        let mut pairs = vec![("token", token), ("token_type_hint", hint)];
        pairs.extend(KONTUR_CLIENT);
        post_form(&emu, KONTUR_REVOCATION_PATH, &[], &pairs).status
    };
    assert_eq!(revoke("unknown", "access_token"), 200);

    // Revoke the access token: dead everywhere.
    assert_eq!(revoke(&access, "access_token"), 200);
    assert_eq!(introspect(&access), serde_json::json!({"active": false}));
    let info = request(
        &emu,
        "GET",
        KONTUR_USERINFO_PATH,
        &[("Authorization", &bearer)],
        "",
    );
    assert_eq!(info.status, 401);
    assert_eq!(
        request(
            &emu,
            "GET",
            RESOURCE_PATH,
            &[("Authorization", &bearer)],
            ""
        )
        .status,
        401
    );

    // Revoke the refresh token (with a misleading hint): it and its family's access
    // tokens die.
    let new_access = refreshed["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    assert_eq!(introspect(&new_access)["active"], true);
    assert_eq!(revoke(&refresh, "access_token"), 200);
    assert_eq!(introspect(&refresh)["active"], false);
    assert_eq!(introspect(&new_access)["active"], false);
    let reply = refresh_with(&refresh);
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[test]
fn discovery_lists_the_new_endpoints() {
    let emu = Emulator::start().expect("start");
    let doc = request(&emu, "GET", KONTUR_DISCOVERY_PATH, &[], "").json();
    let base = emu.base_url();
    assert_eq!(
        doc["userinfo_endpoint"],
        format!("{base}{KONTUR_USERINFO_PATH}")
    );
    assert_eq!(
        doc["revocation_endpoint"],
        format!("{base}{KONTUR_REVOCATION_PATH}")
    );
    assert_eq!(
        doc["introspection_endpoint"],
        format!("{base}{KONTUR_INTROSPECTION_PATH}")
    );
    assert_eq!(
        doc["device_authorization_endpoint"],
        format!("{base}{KONTUR_DEVICE_AUTHORIZATION_PATH}")
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256"])
    );
    let grants = doc["grant_types_supported"].as_array().expect("grants");
    assert!(grants.contains(&Value::from("refresh_token")));
    assert!(grants.contains(&Value::from(DEVICE_CODE_GRANT_TYPE)));
    assert!(doc["scopes_supported"]
        .as_array()
        .is_some_and(|s| s.contains(&Value::from(KONTUR_OFFLINE_SCOPE))));
    assert!(doc["claims_supported"]
        .as_array()
        .is_some_and(|c| c.contains(&Value::from("email"))));
}
