//! id_token validation (OpenID Connect Core §3.1.3.7): the signature against the provider's
//! JWKS with ring, then `iss`, `aud`/`azp`, `exp`/`iat`/`nbf` and `nonce`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::client::Client;
use crate::endpoint::json_answer;
use crate::error::{Endpoint, Error, IdTokenError, Result};
use crate::redact::{truncate, Scrubber};
use crate::secret::IdToken;

/// A provider's public keys (RFC 7517), as far as id_token checks need them.
#[derive(Debug)]
pub(crate) struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug)]
struct Jwk {
    kid: Option<String>,
    alg: Option<String>,
    key: PublicKey,
}

#[derive(Debug)]
enum PublicKey {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// An uncompressed point 0x04 || x || y, with its curve.
    Ec {
        curve: &'static str,
        point: Vec<u8>,
    },
}

impl Jwks {
    pub(crate) fn parse(obj: &Map<String, Value>) -> Jwks {
        let b64 = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        };
        let keys = obj
            .get("keys")
            .and_then(Value::as_array)
            .map(|a| a.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_object)
            // Encryption keys never sign id_tokens.
            .filter(|k| k.get("use").and_then(Value::as_str) != Some("enc"))
            .filter_map(|k| {
                let key = match k.get("kty").and_then(Value::as_str)? {
                    "RSA" => PublicKey::Rsa {
                        n: b64(k.get("n"))?,
                        e: b64(k.get("e"))?,
                    },
                    "EC" => {
                        let curve = match k.get("crv").and_then(Value::as_str)? {
                            "P-256" => "P-256",
                            "P-384" => "P-384",
                            _ => return None,
                        };
                        let mut point = vec![4u8];
                        point.extend(b64(k.get("x"))?);
                        point.extend(b64(k.get("y"))?);
                        PublicKey::Ec { curve, point }
                    }
                    _ => return None,
                };
                Some(Jwk {
                    kid: k.get("kid").and_then(Value::as_str).map(str::to_owned),
                    alg: k.get("alg").and_then(Value::as_str).map(str::to_owned),
                    key,
                })
            })
            .collect();
        Jwks { keys }
    }
}

/// The validated claims of an id_token.
#[derive(Debug, Clone)]
pub struct IdTokenClaims {
    raw: Map<String, Value>,
}

impl IdTokenClaims {
    /// `sub`: the user's stable identifier at the provider.
    pub fn subject(&self) -> &str {
        self.raw.get("sub").and_then(Value::as_str).unwrap_or("")
    }
    /// `iss`.
    pub fn issuer(&self) -> &str {
        self.raw.get("iss").and_then(Value::as_str).unwrap_or("")
    }
    /// `exp`, in Unix seconds.
    pub fn expires_at(&self) -> u64 {
        self.raw.get("exp").and_then(Value::as_u64).unwrap_or(0)
    }
    /// `iat`, in Unix seconds.
    pub fn issued_at(&self) -> u64 {
        self.raw.get("iat").and_then(Value::as_u64).unwrap_or(0)
    }
    /// `nonce`, if present.
    pub fn nonce(&self) -> Option<&str> {
        self.raw.get("nonce").and_then(Value::as_str)
    }
    /// Any claim, e.g. `email`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }
    /// Every claim.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }
}

fn fail(kind: IdTokenError, message: impl Into<String>) -> Error {
    Error::IdToken {
        kind,
        message: message.into(),
    }
}

impl Client {
    /// Validates an id_token and returns its claims: the signature against the provider's
    /// JWKS (RS256/384/512, PS256/384/512, ES256, ES384; `none` and HMAC algorithms are
    /// refused), then `iss`, `aud` and `azp`, `exp` / `iat` / `nbf` with the leeway, and
    /// `nonce` when one was sent. Needs the issuer and the JWKS URI (from discovery).
    ///
    /// ```no_run
    /// # use authgate::{Client, Provider};
    /// # let client = Client::builder(Provider::KonturExtern).client_id("c").client_secret("s")
    /// #     .discover("https://identity.testkontur.ru")?.build()?;
    /// # let req = client.authorization_url().build()?;
    /// # let tokens = authgate::TokenSet::parse(r#"{"access_token":"a","id_token":"x.y.z"}"#)?;
    /// let claims = client.validate_id_token(tokens.id_token().unwrap(), req.nonce.as_deref())?;
    /// println!("signed in as {}", claims.subject());
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn validate_id_token(
        &self,
        id_token: &IdToken,
        expected_nonce: Option<&str>,
    ) -> Result<IdTokenClaims> {
        // The token's header and claims are server text: a careless provider may echo the
        // client's secret into `alg`, `kid` or `iss`, which the messages quote.
        self.check_id_token(id_token, expected_nonce)
            .map_err(|e| match e {
                Error::IdToken { kind, message } => {
                    let mut scrubber = Scrubber::default();
                    if let Some(secret) = &self.inner.client_secret {
                        scrubber.add(secret.secret());
                    }
                    Error::IdToken {
                        kind,
                        message: scrubber.scrub(&message),
                    }
                }
                other => other,
            })
    }

    fn check_id_token(
        &self,
        id_token: &IdToken,
        expected_nonce: Option<&str>,
    ) -> Result<IdTokenClaims> {
        let oidc = &self.inner.oidc;
        let issuer = oidc.issuer.as_deref().ok_or_else(|| {
            Error::Config(
                "validating an id_token needs the issuer (set it, or use discover)".into(),
            )
        })?;
        let mut parts = id_token.secret().split('.');
        let (Some(h), Some(p), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(fail(
                IdTokenError::Malformed,
                "not a JWS in compact form (three parts)",
            ));
        };
        let json = |part: &str, what: &str| -> Result<Map<String, Value>> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| {
                fail(
                    IdTokenError::Malformed,
                    format!("the {what} is not base64url"),
                )
            })?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(m)) => Ok(m),
                _ => Err(fail(
                    IdTokenError::Malformed,
                    format!("the {what} is not a JSON object"),
                )),
            }
        };
        let header = json(h, "header")?;
        let claims = json(p, "payload")?;
        let signature = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| fail(IdTokenError::Malformed, "the signature is not base64url"))?;

        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
        let verifier = match alg {
            "RS256" => Verifier::Rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
            "RS384" => Verifier::Rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
            "RS512" => Verifier::Rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
            "PS256" => Verifier::Rsa(&signature::RSA_PSS_2048_8192_SHA256),
            "PS384" => Verifier::Rsa(&signature::RSA_PSS_2048_8192_SHA384),
            "PS512" => Verifier::Rsa(&signature::RSA_PSS_2048_8192_SHA512),
            "ES256" => Verifier::Ec(&signature::ECDSA_P256_SHA256_FIXED, "P-256"),
            "ES384" => Verifier::Ec(&signature::ECDSA_P384_SHA384_FIXED, "P-384"),
            "none" | "" => {
                return Err(fail(
                    IdTokenError::Algorithm,
                    "unsigned id_tokens (alg none) are refused",
                ))
            }
            a if a.starts_with("HS") => {
                return Err(fail(
                    IdTokenError::Algorithm,
                    format!(
                        "{} is an HMAC algorithm; the provider's keys are public, so it is refused",
                        truncate(a)
                    ),
                ))
            }
            other => {
                return Err(fail(
                    IdTokenError::Algorithm,
                    format!("unsupported algorithm {}", truncate(other)),
                ))
            }
        };
        let kid = header.get("kid").and_then(Value::as_str);
        let signed = &id_token.secret()[..h.len() + 1 + p.len()];

        let mut refetched = false;
        loop {
            let jwks = self.jwks(refetched)?;
            let fitting: Vec<&Jwk> = jwks
                .keys
                .iter()
                .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
                .filter(|k| match (&k.key, &verifier) {
                    (PublicKey::Rsa { .. }, Verifier::Rsa(_)) => true,
                    (PublicKey::Ec { curve, .. }, Verifier::Ec(_, want)) => curve == want,
                    _ => false,
                })
                .collect();
            // A key that names another alg is not a candidate; without a kid, another key
            // of the set may be the one (RFC 7517 §4.4).
            let candidates: Vec<&Jwk> = fitting
                .iter()
                .copied()
                .filter(|k| k.alg.as_deref().is_none_or(|a| a == alg))
                .collect();
            if candidates.is_empty() && !fitting.is_empty() {
                return Err(fail(
                    IdTokenError::Algorithm,
                    format!(
                        "the provider's key for this token is for {}, not {}",
                        truncate(fitting[0].alg.as_deref().unwrap_or("")),
                        truncate(alg)
                    ),
                ));
            }
            if candidates.is_empty() {
                if !refetched && kid.is_some() {
                    // The provider may have rotated its keys: fetch them once more.
                    refetched = true;
                    continue;
                }
                return Err(fail(
                    IdTokenError::UnknownKey,
                    format!(
                        "no {alg} key with kid {:?} in the provider's JWKS",
                        truncate(kid.unwrap_or("(none)"))
                    ),
                ));
            }
            let mut ok = false;
            for k in candidates {
                ok |= match (&k.key, &verifier) {
                    (PublicKey::Rsa { n, e }, Verifier::Rsa(params)) => {
                        RsaPublicKeyComponents { n, e }
                            .verify(params, signed.as_bytes(), &signature)
                            .is_ok()
                    }
                    (PublicKey::Ec { point, .. }, Verifier::Ec(alg, _)) => {
                        UnparsedPublicKey::new(*alg, point)
                            .verify(signed.as_bytes(), &signature)
                            .is_ok()
                    }
                    _ => false,
                };
            }
            if !ok {
                return Err(fail(
                    IdTokenError::Signature,
                    "the signature does not verify",
                ));
            }
            break;
        }
        check_claims(
            claims,
            issuer,
            self.client_id(),
            expected_nonce,
            oidc.id_token_leeway.as_secs(),
        )
    }

    /// The JWKS, fetched on first use; `again` fetches it anew (an unknown `kid`).
    fn jwks(&self, again: bool) -> Result<Arc<Jwks>> {
        let oidc = &self.inner.oidc;
        if !again {
            if let Some(j) = oidc.jwks.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                return Ok(j.clone());
            }
        }
        let uri = oidc.jwks_uri.as_ref().ok_or_else(|| {
            Error::Config(
                "validating an id_token needs the jwks_uri (set it, or use discover)".into(),
            )
        })?;
        let resp = self.inner.http.get(Endpoint::Jwks, uri.as_str(), &[])?;
        let (obj, _) = json_answer(&resp, &Scrubber::default())?;
        let jwks = Arc::new(Jwks::parse(&obj));
        *oidc.jwks.lock().unwrap_or_else(|p| p.into_inner()) = Some(jwks.clone());
        Ok(jwks)
    }
}

/// How a JWS algorithm is verified with ring, and which key type it needs.
enum Verifier {
    Rsa(&'static signature::RsaParameters),
    Ec(&'static signature::EcdsaVerificationAlgorithm, &'static str),
}

pub(crate) fn check_claims(
    raw: Map<String, Value>,
    issuer: &str,
    client_id: &str,
    expected_nonce: Option<&str>,
    leeway: u64,
) -> Result<IdTokenClaims> {
    let iss = raw.get("iss").and_then(Value::as_str).unwrap_or("");
    if iss.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(fail(
            IdTokenError::Issuer,
            format!("iss is {:?}, not the provider's {issuer:?}", truncate(iss)),
        ));
    }
    let aud: Vec<&str> = match raw.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !aud.contains(&client_id) {
        return Err(fail(
            IdTokenError::Audience,
            "aud does not contain this client's id",
        ));
    }
    match raw.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != client_id => {
            return Err(fail(IdTokenError::Audience, "azp is another client's id"))
        }
        None if aud.len() > 1 => {
            return Err(fail(IdTokenError::Audience, "several audiences but no azp"))
        }
        _ => {}
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let exp = raw
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| fail(IdTokenError::Malformed, "exp is missing"))?;
    if now > exp.saturating_add(leeway) {
        return Err(fail(
            IdTokenError::Expired,
            format!("expired {} s ago", now - exp),
        ));
    }
    let iat = raw
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or_else(|| fail(IdTokenError::Malformed, "iat is missing"))?;
    let nbf = raw.get("nbf").and_then(Value::as_u64).unwrap_or(0);
    if iat.max(nbf) > now.saturating_add(leeway) {
        return Err(fail(
            IdTokenError::NotYetValid,
            "issued in the future (check the clock)",
        ));
    }
    if raw
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(fail(IdTokenError::Malformed, "sub is missing"));
    }
    if let Some(expected) = expected_nonce {
        let got = raw.get("nonce").and_then(Value::as_str).unwrap_or("");
        if !bool::from(got.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(fail(
                IdTokenError::Nonce,
                "nonce is missing or not the one sent",
            ));
        }
    }
    Ok(IdTokenClaims { raw })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(extra: &str) -> Map<String, Value> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let json = format!(
            r#"{{"iss":"https://id.example","sub":"u","aud":"c","iat":{now},"exp":{},"nonce":"n"{extra}}}"#,
            now + 300
        );
        serde_json::from_str(&json).unwrap()
    }

    fn kind(r: Result<IdTokenClaims>) -> IdTokenError {
        match r {
            Err(Error::IdToken { kind, .. }) => kind,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn claim_checks() {
        assert!(check_claims(claims(""), "https://id.example", "c", Some("n"), 60).is_ok());
        assert_eq!(
            kind(check_claims(claims(""), "https://other", "c", None, 60)),
            IdTokenError::Issuer
        );
        assert_eq!(
            kind(check_claims(
                claims(""),
                "https://id.example",
                "d",
                None,
                60
            )),
            IdTokenError::Audience
        );
        assert_eq!(
            kind(check_claims(
                claims(""),
                "https://id.example",
                "c",
                Some("m"),
                60
            )),
            IdTokenError::Nonce
        );
        assert_eq!(
            kind(check_claims(
                claims(r#","azp":"x""#),
                "https://id.example",
                "c",
                None,
                60
            )),
            IdTokenError::Audience
        );
        let mut c = claims("");
        c.insert("aud".into(), serde_json::json!(["c", "d"]));
        assert_eq!(
            kind(check_claims(c, "https://id.example", "c", None, 60)),
            IdTokenError::Audience
        );
        let mut c = claims("");
        c.insert("exp".into(), 1000.into());
        assert_eq!(
            kind(check_claims(c, "https://id.example", "c", None, 60)),
            IdTokenError::Expired
        );
        let mut c = claims("");
        c.insert("iat".into(), (u64::MAX / 2).into());
        assert_eq!(
            kind(check_claims(c, "https://id.example", "c", None, 60)),
            IdTokenError::NotYetValid
        );
    }
}
