//! private_key_jwt and client_secret_jwt (RFC 7523 §2.2, OpenID Connect Core §9) against
//! the emulator, which verifies each assertion with the client's registered key or secret.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use authgate::{
    AssertionAlg, AssertionAudience, AuthMethod, Client, ClientBuilder, ErrorCode, Provider,
    ProxyConfig,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{assert_no_secret, browse, emulator, fx, Emulator};

/// A Kontur client that authenticates with `key` (no client secret).
fn keyed(emu: &Emulator, key: &str) -> ClientBuilder {
    Client::builder(Provider::KonturExtern)
        .base_url(emu.base_url())
        .client_id(fx::KONTUR_CLIENT_ID)
        .client_key(key)
        .redirect_uri(fx::REDIRECT_URI)
        .scopes(["openid", "extern.api", fx::KONTUR_OFFLINE_SCOPE])
        .proxy(ProxyConfig::Disabled)
}

/// The code flow, then a refresh: two token requests, each with a fresh assertion.
fn sign_in_and_refresh(client: &Client) -> authgate::Result<authgate::TokenSet> {
    let req = client.authorization_url().build()?;
    let code = req.parse_callback(&browse(&req.url))?;
    let tokens = client
        .exchange_code(code)
        .pkce_verifier(req.pkce_verifier.clone().unwrap())
        .send()?;
    client
        .refresh(tokens.refresh_token().expect("offline_access"))
        .send()
}

/// The claims of the assertion the emulator last saw at the token endpoint.
fn last_assertion(emu: &Emulator) -> (serde_json::Value, serde_json::Value, String) {
    let last = emu.last_request(fx::KONTUR_TOKEN_PATH).unwrap();
    assert_eq!(
        last.form_param("client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert!(last.form_param("client_secret").is_none());
    assert!(last.header("authorization").is_none());
    let jwt = last.form_param("client_assertion").unwrap();
    let part = |i: usize| -> serde_json::Value {
        let segment = jwt.split('.').nth(i).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    };
    (part(0), part(1), jwt.clone())
}

#[test]
fn private_key_jwt_signs_every_token_request_with_rsa_and_ec_keys() {
    let emu = emulator();
    for (key, alg, expected) in [
        (fx::CLIENT_RSA_KEY_PATH, None, "RS256"),
        (fx::CLIENT_RSA_KEY_PEM, Some(AssertionAlg::Ps256), "PS256"),
        (fx::CLIENT_EC_KEY_PEM, None, "ES256"),
    ] {
        let mut b = keyed(&emu, key).client_key_id("pos-key-1");
        if let Some(alg) = alg {
            b = b.client_assertion_alg(alg);
        }
        let client = b.build().unwrap();
        assert_eq!(client.auth_method(), AuthMethod::PrivateKeyJwt);
        sign_in_and_refresh(&client).unwrap();
        let (header, claims, _) = last_assertion(&emu);
        assert_eq!(header["alg"], expected);
        assert_eq!(header["kid"], "pos-key-1");
        assert_eq!(claims["iss"], fx::KONTUR_CLIENT_ID);
        assert_eq!(claims["sub"], fx::KONTUR_CLIENT_ID);
        assert_eq!(claims["aud"], emu.url(fx::KONTUR_TOKEN_PATH));
        let (iat, exp) = (
            claims["iat"].as_u64().unwrap(),
            claims["exp"].as_u64().unwrap(),
        );
        assert_eq!(exp - iat, 60);
        // Never in the client's Debug output.
        assert!(!format!("{client:?}").contains("PRIVATE KEY"));
    }
}

#[test]
fn private_key_jwt_signs_with_a_jwk_or_a_jwk_set_inline_or_by_path() {
    let emu = emulator();
    for (key, expected) in [
        (fx::CLIENT_RSA_JWK, ("RS256", "kontur-rsa-jwk")),
        (fx::CLIENT_RSA_JWK_PATH, ("RS256", "kontur-rsa-jwk")),
        (fx::CLIENT_EC_JWKS, ("ES256", "kontur-ec-jwk")),
        (fx::CLIENT_EC_JWKS_PATH, ("ES256", "kontur-ec-jwk")),
    ] {
        let client = keyed(&emu, key).build().unwrap();
        assert_eq!(client.auth_method(), AuthMethod::PrivateKeyJwt);
        // The emulator verifies both assertions with the registered public keys.
        sign_in_and_refresh(&client).unwrap();
        let (header, claims, _) = last_assertion(&emu);
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some(expected.0), Some(expected.1))
        );
        assert_eq!(claims["aud"], emu.url(fx::KONTUR_TOKEN_PATH));
        assert!(!format!("{client:?}").contains("\"d\""));
    }
    // The configured key id wins over the JWK's, and the JWK's alg must agree.
    let client = keyed(&emu, fx::CLIENT_EC_JWKS)
        .client_key_id("kontur-ec-jwk")
        .build()
        .unwrap();
    sign_in_and_refresh(&client).unwrap();
    let err = keyed(&emu, fx::CLIENT_RSA_JWK)
        .client_assertion_alg(AssertionAlg::Ps256)
        .build()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Config);
    assert!(
        err.to_string().contains("RS256") && err.to_string().contains("PS256"),
        "{err}"
    );
    let private: serde_json::Value = serde_json::from_str(fx::CLIENT_RSA_JWK).unwrap();
    assert_no_secret(&err, &[&private["d"].as_str().unwrap()[..16]]);
}

#[test]
fn client_secret_jwt_signs_hs256_and_the_issuer_can_be_the_audience() {
    let emu = emulator();
    let client = common::builder(&emu, Provider::KonturExtern)
        .auth_method(AuthMethod::ClientSecretJwt)
        .issuer(emu.base_url())
        .client_assertion_audience(AssertionAudience::Issuer)
        .scopes(["openid", "extern.api", fx::KONTUR_OFFLINE_SCOPE])
        .build()
        .unwrap();
    sign_in_and_refresh(&client).unwrap();
    let (header, claims, _) = last_assertion(&emu);
    assert_eq!(header["alg"], "HS256");
    assert_eq!(claims["aud"], emu.base_url());
}

#[test]
fn revocation_introspection_and_device_authorization_send_assertions_too() {
    let emu = emulator();
    let client = keyed(&emu, fx::CLIENT_EC_KEY_PATH)
        .discover(&emu.base_url())
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.auth_method(), AuthMethod::PrivateKeyJwt);
    let tokens = sign_in_and_refresh(&client).unwrap();
    assert!(
        client
            .introspect(tokens.access_token().secret())
            .unwrap()
            .active
    );
    client
        .revoke(tokens.refresh_token().unwrap().secret(), None)
        .unwrap();
    client.device_authorization(None).unwrap();
    for path in [
        fx::KONTUR_INTROSPECTION_PATH,
        fx::KONTUR_REVOCATION_PATH,
        fx::KONTUR_DEVICE_AUTHORIZATION_PATH,
    ] {
        let last = emu.last_request(path).unwrap();
        assert!(last.form_param("client_assertion").is_some(), "{path}");
    }
}

#[test]
fn a_wrong_audience_is_invalid_client_and_never_retried() {
    let emu = emulator();
    // The same server under another name: the assertion names an audience it is not.
    let port = emu.addr().port();
    let client = keyed(&emu, fx::CLIENT_RSA_KEY_PEM)
        .token_endpoint(format!("http://localhost:{port}{}", fx::KONTUR_TOKEN_PATH))
        .build()
        .unwrap();
    let err = sign_in_and_refresh(&client).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidClient, "{err}");
    assert!(err.to_string().contains("aud"), "{err}");
    assert_eq!(
        emu.count(fx::KONTUR_TOKEN_PATH),
        1,
        "one try, no other method"
    );
    let (_, _, jwt) = last_assertion(&emu);
    assert_no_secret(&err, &[&jwt]);
}

#[test]
fn an_expired_assertion_is_invalid_client() {
    let emu = emulator();
    let client = keyed(&emu, fx::CLIENT_RSA_KEY_PEM).build().unwrap();
    // The server's clock runs two minutes ahead of the till's: the assertion (exp =
    // now + 60 s) has expired when it arrives.
    emu.advance_clock(Duration::from_secs(120));
    let err = sign_in_and_refresh(&client).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidClient);
    assert!(err.to_string().contains("expired"), "{err}");
}

#[test]
fn a_replayed_assertion_is_refused() {
    let emu = emulator();
    let client = keyed(&emu, fx::CLIENT_RSA_KEY_PEM).build().unwrap();
    sign_in_and_refresh(&client).unwrap();
    let body = emu.last_request(fx::KONTUR_TOKEN_PATH).unwrap().body;
    // Someone who captured the request sends it again.
    let mut stream = std::net::TcpStream::connect(emu.addr()).unwrap();
    write!(
        stream,
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        fx::KONTUR_TOKEN_PATH,
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.contains("invalid_client"), "{answer}");
    assert!(answer.contains("jti was already used"), "{answer}");
}

#[test]
fn key_mistakes_are_config_errors_without_the_key() {
    let emu = emulator();
    let e = |b: ClientBuilder| b.build().unwrap_err();
    let err = e(keyed(&emu, "/nonexistent/key.pem"));
    assert_eq!(err.code(), ErrorCode::Config);
    assert!(err.to_string().contains("client_key"), "{err}");
    let garbage = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n";
    let err = e(keyed(&emu, garbage));
    assert_no_secret(&err, &["c2VjcmV0LWJ5dGVz"]);
    let err = e(keyed(&emu, fx::CLIENT_EC_KEY_PEM).client_assertion_alg(AssertionAlg::Rs256));
    assert!(err.to_string().contains("EC key"), "{err}");
    assert_no_secret(&err, &[&fx::CLIENT_EC_KEY_PEM[28..60]]);
    let err =
        e(common::builder(&emu, Provider::KonturExtern).auth_method(AuthMethod::PrivateKeyJwt));
    assert!(err.to_string().contains("client_key"), "{err}");
    let err = e(common::builder(&emu, Provider::KonturExtern).client_key_id("k"));
    assert!(err.to_string().contains("client_key_id"), "{err}");
    let err =
        e(keyed(&emu, fx::CLIENT_EC_KEY_PEM).client_assertion_audience(AssertionAudience::Issuer));
    assert!(err.to_string().contains("issuer"), "{err}");
    let err = e(keyed(&emu, fx::CLIENT_EC_KEY_PEM)
        .client_secret("s")
        .auth_method(AuthMethod::ClientSecretPost));
    assert!(
        err.to_string()
            .contains("client_key is for private_key_jwt"),
        "{err}"
    );
    let builder = keyed(&emu, fx::CLIENT_EC_KEY_PEM);
    assert!(!format!("{builder:?}").contains("PRIVATE"));
}

#[test]
fn the_json_configuration_takes_the_key_and_its_settings() {
    let emu = emulator();
    let json = serde_json::json!({
        "provider": "kontur",
        "base_url": emu.base_url(),
        "client_id": fx::KONTUR_CLIENT_ID,
        "auth_method": "private_key_jwt",
        "client_key": fx::CLIENT_RSA_KEY_PATH,
        "client_key_id": "k-json",
        "client_assertion_alg": "PS256",
        "client_assertion_audience": "token_endpoint",
        "redirect_uri": fx::REDIRECT_URI,
        "scopes": ["openid", "extern.api", fx::KONTUR_OFFLINE_SCOPE],
        "proxy": "none",
    });
    let client = ClientBuilder::from_json(&json.to_string())
        .unwrap()
        .build()
        .unwrap();
    sign_in_and_refresh(&client).unwrap();
    let (header, _, _) = last_assertion(&emu);
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("PS256"), Some("k-json"))
    );
}

#[test]
fn an_echoed_assertion_stays_out_of_errors() {
    use authgate_emulator::{EchoEncoding, EchoPlace};
    let emu = emulator();
    let client = keyed(&emu, fx::CLIENT_RSA_KEY_PEM).build().unwrap();
    for place in [
        EchoPlace::WwwAuthenticate,
        EchoPlace::ContentTypeError,
        EchoPlace::ErrorDescription,
    ] {
        emu.inject(common::Fault::new(
            fx::KONTUR_TOKEN_PATH,
            common::FaultKind::Echo {
                place,
                encoding: EchoEncoding::Plain,
            },
        ));
        let err = sign_in_and_refresh(&client).unwrap_err();
        let (_, _, jwt) = last_assertion(&emu);
        // Errors cut long text short: any piece of the claims would show the assertion.
        let claims = jwt.split('.').nth(1).unwrap();
        assert_no_secret(&err, &[&claims[..24]]);
    }
}
