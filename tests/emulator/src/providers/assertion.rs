//! JWT client authentication (RFC 7523 §2.2, OpenID Connect Core §9) for the Kontur
//! client: `private_key_jwt` with the registered RSA key (RS256, PS256) or EC P-256 key
//! (ES256) of [`crate::fixtures::CLIENT_RSA_KEY_PEM`] and
//! [`crate::fixtures::CLIENT_EC_KEY_PEM`], and `client_secret_jwt` (HS256 with the
//! client secret). Checks the signature, `iss` = `sub` = the client, `aud` (the issuer or
//! the token endpoint), `exp` (against the server's clock, which
//! [`crate::Emulator::advance_clock`] moves) and that no `jti` is used twice.

use std::sync::OnceLock;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair, UnparsedPublicKey};
use serde_json::Value;

use super::Params;
use crate::crypto::unix_now;
use crate::fixtures::*;
use crate::state::Shared;

/// The `client_assertion_type` of a JWT assertion.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest lifetime (`exp` - now) an assertion may claim, in seconds.
const MAX_LIFETIME_SECS: u64 = 300;

/// The registered public keys: RSA (PKCS#1 DER) and EC (uncompressed point).
struct ClientKeys {
    rsa: Vec<u8>,
    ec: Vec<u8>,
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).expect("the fixture key is base64")
}

fn client_keys() -> &'static ClientKeys {
    static KEYS: OnceLock<ClientKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rsa = RsaKeyPair::from_pkcs8(&pem_der(CLIENT_RSA_KEY_PEM)).expect("fixture RSA key");
        let ec = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &pem_der(CLIENT_EC_KEY_PEM),
            &SystemRandom::new(),
        )
        .expect("fixture EC key");
        ClientKeys {
            rsa: rsa.public_key().as_ref().to_vec(),
            ec: ec.public_key().as_ref().to_vec(),
        }
    })
}

fn segment(part: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

/// Verifies the request's client assertion; `Err` carries the `error_description`.
pub(super) fn verify(shared: &Shared, params: &Params) -> Result<&'static str, String> {
    if params.get("client_assertion_type") != Some(JWT_BEARER) {
        return Err(format!("client_assertion_type must be {JWT_BEARER}"));
    }
    let jwt = params
        .get("client_assertion")
        .ok_or("client_assertion is required")?;
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, sig] = parts[..] else {
        return Err("the client assertion is not a compact JWS".into());
    };
    let (Some(header), Some(claims), Ok(sig)) = (
        segment(header),
        segment(claims),
        URL_SAFE_NO_PAD.decode(sig),
    ) else {
        return Err("the client assertion cannot be decoded".into());
    };
    let signed = &jwt[..jwt.rfind('.').unwrap_or(0)];
    let keys = client_keys();
    let ok = match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &keys.rsa)
            .verify(signed.as_bytes(), &sig)
            .is_ok(),
        Some("PS256") => UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, &keys.rsa)
            .verify(signed.as_bytes(), &sig)
            .is_ok(),
        Some("ES256") => UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &keys.ec)
            .verify(signed.as_bytes(), &sig)
            .is_ok(),
        Some("HS256") => {
            let key =
                ring::hmac::Key::new(ring::hmac::HMAC_SHA256, KONTUR_CLIENT_SECRET.as_bytes());
            ring::hmac::verify(&key, signed.as_bytes(), &sig).is_ok()
        }
        _ => return Err("the client assertion's alg must be RS256, PS256, ES256 or HS256".into()),
    };
    if !ok {
        return Err("the client assertion's signature does not verify".into());
    }
    let text = |k: &str| claims.get(k).and_then(Value::as_str);
    if text("iss") != Some(KONTUR_CLIENT_ID) || text("sub") != Some(KONTUR_CLIENT_ID) {
        return Err("the client assertion's iss and sub must be the client id".into());
    }
    if params
        .get("client_id")
        .is_some_and(|id| id != KONTUR_CLIENT_ID)
    {
        return Err("client_id and the client assertion name different clients".into());
    }
    let issuer = shared.base_url.as_str();
    let token_endpoint = format!("{issuer}{KONTUR_TOKEN_PATH}");
    let for_us = |a: &Value| {
        a.as_str()
            .is_some_and(|a| a == issuer || a == token_endpoint)
    };
    let aud_ok = match claims.get("aud") {
        Some(Value::Array(items)) => items.iter().any(for_us),
        Some(a) => for_us(a),
        None => false,
    };
    if !aud_ok {
        return Err(format!(
            "the client assertion's aud must be {issuer} or {token_endpoint}"
        ));
    }
    let mut state = shared.lock();
    let now = unix_now() + state.advanced.as_secs();
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if exp <= now {
        return Err("the client assertion has expired".into());
    }
    if exp > now + MAX_LIFETIME_SECS {
        return Err("the client assertion lives too long".into());
    }
    let jti = text("jti").ok_or("the client assertion has no jti")?;
    state.used_jtis.retain(|_, exp| *exp > now);
    if state.used_jtis.insert(jti.to_string(), exp).is_some() {
        return Err("the client assertion's jti was already used".into());
    }
    Ok(KONTUR_CLIENT_ID)
}
