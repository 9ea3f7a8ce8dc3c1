//! JWT client authentication (RFC 7523 §2.2, OpenID Connect Core §9): `private_key_jwt`
//! signs a short-lived assertion with the client's private key (RS256, PS256, ES256),
//! `client_secret_jwt` with its secret (HS256). The key is read and parsed once, when
//! the client is built; an assertion is made for every request and never reused.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::random::random_token;

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: the server must see it within this time.
const LIFETIME_SECS: u64 = 60;

/// The algorithm that signs client assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum AssertionAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (an RSA key).
    Rs256 = 0,
    /// RSASSA-PSS with SHA-256 (an RSA key).
    Ps256 = 1,
    /// ECDSA P-256 with SHA-256 (an EC key on P-256).
    Es256 = 2,
    /// HMAC SHA-256 with the client secret (`client_secret_jwt`).
    Hs256 = 3,
}

impl AssertionAlg {
    /// The JOSE name: `RS256`, `PS256`, `ES256` or `HS256`.
    pub fn name(self) -> &'static str {
        match self {
            AssertionAlg::Rs256 => "RS256",
            AssertionAlg::Ps256 => "PS256",
            AssertionAlg::Es256 => "ES256",
            AssertionAlg::Hs256 => "HS256",
        }
    }

    /// The algorithm with that JOSE name (case-insensitive).
    pub fn from_name(name: &str) -> Option<AssertionAlg> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The algorithm with that number (the `#[repr(u32)]` value).
    pub fn from_u32(n: u32) -> Option<AssertionAlg> {
        Self::ALL.get(n as usize).copied()
    }

    const ALL: [AssertionAlg; 4] = [
        AssertionAlg::Rs256,
        AssertionAlg::Ps256,
        AssertionAlg::Es256,
        AssertionAlg::Hs256,
    ];
}

/// Whom a client assertion is addressed to (its `aud`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u32)]
pub enum AssertionAudience {
    /// The token endpoint's URL (RFC 7523 §3, OpenID Connect Core §9), for every
    /// endpoint the assertion is sent to.
    #[default]
    TokenEndpoint = 0,
    /// The issuer identifier, as some providers (FAPI 2.0 profiles) require.
    Issuer = 1,
}

impl AssertionAudience {
    /// The configuration name: `token_endpoint` or `issuer`.
    pub fn name(self) -> &'static str {
        match self {
            AssertionAudience::TokenEndpoint => "token_endpoint",
            AssertionAudience::Issuer => "issuer",
        }
    }

    /// The audience with that name.
    pub fn from_name(name: &str) -> Option<AssertionAudience> {
        match name {
            "token_endpoint" => Some(AssertionAudience::TokenEndpoint),
            "issuer" => Some(AssertionAudience::Issuer),
            _ => None,
        }
    }

    /// The audience with that number (the `#[repr(u32)]` value).
    pub fn from_u32(n: u32) -> Option<AssertionAudience> {
        [AssertionAudience::TokenEndpoint, AssertionAudience::Issuer]
            .get(n as usize)
            .copied()
    }
}

/// Where the private key comes from, as configured: PEM text, or the path of a PEM
/// file. Kept until `build()` reads it; wiped on drop, never printed.
#[derive(Clone)]
pub(crate) struct KeySource(Zeroizing<String>);

impl KeySource {
    pub(crate) fn new(value: String) -> KeySource {
        KeySource(Zeroizing::new(value))
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A parsed private key.
enum PrivateKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// What signs the client's assertions: built once, at `build()`.
pub(crate) struct Signer {
    key: Option<PrivateKey>,
    alg: AssertionAlg,
    kid: Option<String>,
    pub(crate) audience: AssertionAudience,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn config(message: impl Into<String>) -> Error {
    Error::Config(message.into())
}

/// Reads the key: PEM text when the value holds `-----BEGIN`, else the path of a PEM file.
fn load_key(source: &KeySource) -> Result<PrivateKey> {
    let text = source.0.as_str();
    let pem: Zeroizing<Vec<u8>> = if text.contains("-----BEGIN") {
        Zeroizing::new(text.as_bytes().to_vec())
    } else {
        // The path is not secret, but it is the caller's: say which option failed only.
        Zeroizing::new(std::fs::read(text).map_err(|e| {
            config(format!(
                "client_key: the key file cannot be read ({})",
                e.kind()
            ))
        })?)
    };
    let no_key = || {
        config(
            "client_key holds no private key: give a PEM PRIVATE KEY (PKCS#8) or RSA PRIVATE KEY",
        )
    };
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::PrivateKeyDer;
    let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|_| no_key())?;
    match key {
        PrivateKeyDer::Pkcs8(der) => {
            let der = der.secret_pkcs8_der();
            if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
                return Ok(PrivateKey::Rsa(k));
            }
            EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                der,
                &SystemRandom::new(),
            )
            .map(PrivateKey::Ec)
            .map_err(|_| {
                config("client_key: the key is neither RSA (2048 bits or more) nor EC P-256")
            })
        }
        PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der())
            .map(PrivateKey::Rsa)
            .map_err(|_| config("client_key: the RSA key is refused (2048 bits or more)")),
        _ => Err(config(
            "client_key: an EC key must be PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in key.pem)",
        )),
    }
}

impl Signer {
    /// Checks the JWT settings of a configuration and reads the key.
    pub(crate) fn new(
        method_is_private_key: bool,
        source: Option<&KeySource>,
        alg: Option<AssertionAlg>,
        kid: Option<String>,
        audience: AssertionAudience,
    ) -> Result<Signer> {
        if kid.as_deref() == Some("") {
            return Err(config("client_key_id is empty"));
        }
        if !method_is_private_key {
            return match alg {
                None | Some(AssertionAlg::Hs256) => Ok(Signer {
                    key: None,
                    alg: AssertionAlg::Hs256,
                    kid,
                    audience,
                }),
                Some(a) => Err(config(format!(
                    "client_secret_jwt signs with HS256, not {}",
                    a.name()
                ))),
            };
        }
        let source = source.ok_or_else(|| {
            config("private_key_jwt needs a client_key (PEM text or the path of a PEM file)")
        })?;
        let key = load_key(source)?;
        let alg = match (&key, alg) {
            (PrivateKey::Rsa(_), None) => AssertionAlg::Rs256,
            (PrivateKey::Ec(_), None) => AssertionAlg::Es256,
            (PrivateKey::Rsa(_), Some(a @ (AssertionAlg::Rs256 | AssertionAlg::Ps256)))
            | (PrivateKey::Ec(_), Some(a @ AssertionAlg::Es256)) => a,
            (PrivateKey::Rsa(_), Some(a)) => {
                return Err(config(format!(
                    "client_assertion_alg {} does not fit an RSA key (RS256 or PS256)",
                    a.name()
                )))
            }
            (PrivateKey::Ec(_), Some(a)) => {
                return Err(config(format!(
                    "client_assertion_alg {} does not fit an EC key (ES256)",
                    a.name()
                )))
            }
        };
        Ok(Signer {
            key: Some(key),
            alg,
            kid,
            audience,
        })
    }

    /// A fresh assertion: `iss` = `sub` = the client id, `aud`, a random `jti`, `iat`
    /// now and `exp` a minute later. `secret` signs HS256.
    pub(crate) fn assertion(&self, client_id: &str, aud: &str, secret: &str) -> Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut header = serde_json::json!({"alg": self.alg.name(), "typ": "JWT"});
        if let Some(kid) = &self.kid {
            header["kid"] = kid.as_str().into();
        }
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": aud,
            "jti": random_token(16)?,
            "iat": now,
            "exp": now + LIFETIME_SECS,
        });
        let mut jwt = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let failed = || Error::Config("signing the client assertion failed".into());
        let rng = SystemRandom::new();
        let sig = match &self.key {
            None => {
                let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
                ring::hmac::sign(&key, jwt.as_bytes()).as_ref().to_vec()
            }
            Some(PrivateKey::Rsa(k)) => {
                let padding: &dyn signature::RsaEncoding = match self.alg {
                    AssertionAlg::Ps256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(padding, &rng, jwt.as_bytes(), &mut sig)
                    .map_err(|_| failed())?;
                sig
            }
            Some(PrivateKey::Ec(k)) => k
                .sign(&rng, jwt.as_bytes())
                .map_err(|_| failed())?
                .as_ref()
                .to_vec(),
        };
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(sig));
        Ok(jwt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_keys_stay_out_of_debug() {
        for a in AssertionAlg::ALL {
            assert_eq!(AssertionAlg::from_name(a.name()), Some(a));
            assert_eq!(AssertionAlg::from_u32(a as u32), Some(a));
        }
        let pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----";
        assert_eq!(format!("{:?}", KeySource::new(pem.into())), "[redacted]");
        let e = Signer::new(
            true,
            Some(&KeySource::new(pem.into())),
            None,
            None,
            AssertionAudience::TokenEndpoint,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("client_key") && !e.contains("AAAA"), "{e}");
    }

    #[test]
    fn hs256_assertions_carry_the_claims() {
        let s = Signer::new(false, None, None, Some("k1".into()), Default::default()).unwrap();
        let jwt = s
            .assertion("pos", "https://a.example/token", "s3cret")
            .unwrap();
        let parts: Vec<_> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "HS256");
        assert_eq!(header["kid"], "k1");
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "pos");
        assert_eq!(claims["sub"], "pos");
        assert_eq!(claims["aud"], "https://a.example/token");
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            60
        );
        let other = s
            .assertion("pos", "https://a.example/token", "s3cret")
            .unwrap();
        assert_ne!(jwt, other, "every assertion has its own jti");
    }
}
