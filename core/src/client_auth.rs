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

/// A key as read from `client_key`, with what a JWK says about it.
struct LoadedKey {
    key: PrivateKey,
    /// The JWK's `kid`: the assertion's unless a key id is configured.
    kid: Option<String>,
    /// The JWK's `alg`: the configured assertion alg must agree with it.
    alg: Option<String>,
}

/// Reads the key: a JWK or JWK Set when the value is a JSON object, PEM text when it
/// holds `-----BEGIN`, else the path of a file holding either. `kid` (the configured key
/// id) chooses a key of a JWK Set.
fn load_key(source: &KeySource, kid: Option<&str>) -> Result<LoadedKey> {
    let text = source.0.as_str();
    // Windows editors may start a saved JWK file with a byte order mark.
    let is_jwk = |t: &str| {
        t.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
            .starts_with('{')
    };
    if is_jwk(text) {
        return load_jwk(text, kid);
    }
    if text.contains("-----BEGIN") {
        return load_pem(text.as_bytes());
    }
    // The path is not secret, but it is the caller's: say which option failed only.
    let bytes = Zeroizing::new(std::fs::read(text).map_err(|e| {
        config(format!(
            "client_key: the key file cannot be read ({})",
            e.kind()
        ))
    })?);
    match std::str::from_utf8(&bytes) {
        Ok(t) if is_jwk(t) => load_jwk(t, kid),
        _ => load_pem(&bytes),
    }
}

/// A PEM private key: PKCS#8 RSA or EC P-256, or PKCS#1 RSA.
fn load_pem(pem: &[u8]) -> Result<LoadedKey> {
    let no_key = || {
        config(
            "client_key holds no private key: give a PEM PRIVATE KEY (PKCS#8) or RSA PRIVATE KEY, or a private JWK",
        )
    };
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::PrivateKeyDer;
    let key = PrivateKeyDer::from_pem_slice(pem).map_err(|_| no_key())?;
    let key = match key {
        PrivateKeyDer::Pkcs8(der) => {
            let der = der.secret_pkcs8_der();
            match RsaKeyPair::from_pkcs8(der) {
                Ok(k) => PrivateKey::Rsa(k),
                Err(_) => EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    der,
                    &SystemRandom::new(),
                )
                .map(PrivateKey::Ec)
                .map_err(|_| {
                    config("client_key: the key is neither RSA (2048 bits or more) nor EC P-256")
                })?,
            }
        }
        PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der())
            .map(PrivateKey::Rsa)
            .map_err(|_| rsa_refused())?,
        _ => {
            return Err(config(
                "client_key: an EC key must be PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in key.pem)",
            ))
        }
    };
    Ok(LoadedKey {
        key,
        kid: None,
        alg: None,
    })
}

fn rsa_refused() -> Error {
    config("client_key: the RSA key is refused (2048 bits or more)")
}

/// A JSON string of key material: wiped on drop.
struct Secret(Zeroizing<String>);

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Secret, D::Error> {
        String::deserialize(d).map(|s| Secret(Zeroizing::new(s)))
    }
}

/// A JWK (RFC 7517 §4, RFC 7518 §6) or a JWK Set (`keys`); other members are ignored.
#[derive(serde::Deserialize)]
struct Jwk {
    keys: Option<Vec<Jwk>>,
    kty: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<Secret>,
    p: Option<Secret>,
    q: Option<Secret>,
    dp: Option<Secret>,
    dq: Option<Secret>,
    qi: Option<Secret>,
}

/// A JWK or a JWK Set with one private key (or `kid` choosing one).
fn load_jwk(text: &str, kid: Option<&str>) -> Result<LoadedKey> {
    // serde_json's messages may quote the text: say where it broke, never what is there.
    let doc: Jwk = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        config(format!(
            "client_key: the JWK is not valid JSON or has a member of the wrong type (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let jwk = match &doc.keys {
        None => &doc,
        Some(keys) => choose(keys, kid)?,
    };
    let key = jwk_key(jwk)?;
    Ok(LoadedKey {
        key,
        kid: jwk.kid.clone().filter(|k| !k.is_empty()),
        alg: jwk.alg.clone(),
    })
}

/// The key of a JWK Set to sign with: the one whose `kid` is the configured key id, else
/// the only private one.
fn choose<'a>(keys: &'a [Jwk], kid: Option<&str>) -> Result<&'a Jwk> {
    if let Some(kid) = kid {
        return keys
            .iter()
            .find(|k| k.kid.as_deref() == Some(kid))
            .ok_or_else(|| {
                let kids: Vec<&str> = keys.iter().filter_map(|k| k.kid.as_deref()).collect();
                config(format!(
                    "client_key: the JWK Set has no key with kid \"{kid}\" (client_key_id); its kids: {}",
                    if kids.is_empty() { "none".into() } else { kids.join(", ") }
                ))
            });
    }
    let private: Vec<&Jwk> = keys.iter().filter(|k| k.d.is_some()).collect();
    match private[..] {
        [one] => Ok(one),
        [] => match keys.first() {
            // Let the key itself say what is wrong with it (the public half, …).
            Some(first) => Ok(first),
            None => Err(config("client_key: the JWK Set holds no key")),
        },
        _ => Err(config(format!(
            "client_key: the JWK Set holds {} private keys: set client_key_id to the kid of the one to sign with",
            private.len()
        ))),
    }
}

/// Decodes a base64url member (padding tolerated) of a JWK.
fn member(value: Option<&str>, kty: &str, name: &str) -> Result<Zeroizing<Vec<u8>>> {
    let value = value.ok_or_else(|| {
        config(format!(
            "client_key: the {kty} JWK has no \"{name}\" (a private {kty} JWK carries it)"
        ))
    })?;
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map(Zeroizing::new)
        .map_err(|_| {
            config(format!(
                "client_key: the {kty} JWK's \"{name}\" is not base64url"
            ))
        })
}

fn secret(value: &Option<Secret>) -> Option<&str> {
    value.as_ref().map(|s| s.0.as_str())
}

/// The private key a JWK describes: RSA, or EC on P-256.
fn jwk_key(jwk: &Jwk) -> Result<PrivateKey> {
    let kty = jwk.kty.as_deref().unwrap_or("");
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err(config(format!(
            "client_key: the JWK is for \"use\": \"{}\", not for signing (\"sig\")",
            jwk.use_.as_deref().unwrap_or("")
        )));
    }
    match kty {
        "RSA" | "EC" => {}
        "OKP" => {
            return Err(config(
                "client_key: OKP (Ed25519) JWKs are not supported: assertions are signed RS256, PS256 or ES256; give an RSA or EC P-256 key",
            ))
        }
        "oct" => {
            return Err(config(
                "client_key: the JWK is a symmetric (oct) key: for client_secret_jwt set client_secret, not client_key",
            ))
        }
        "" => return Err(config("client_key: the JWK has no \"kty\"")),
        other => {
            return Err(config(format!(
                "client_key: JWK kty \"{other}\" is not supported (RSA or EC P-256)"
            )))
        }
    }
    if jwk.d.is_none() {
        return Err(config(format!(
            "client_key: the {kty} JWK{} is the public half of the key (no \"d\"): give the private JWK",
            jwk.kid
                .as_deref()
                .map(|k| format!(" \"{k}\""))
                .unwrap_or_default()
        )));
    }
    if kty == "EC" {
        let crv = jwk.crv.as_deref().unwrap_or("");
        if crv != "P-256" {
            return Err(config(format!(
                "client_key: the EC JWK's curve \"{crv}\" is not supported (P-256, for ES256)"
            )));
        }
        let mut point = Zeroizing::new(vec![4u8]);
        point.extend_from_slice(&member(jwk.x.as_deref(), kty, "x")?);
        point.extend_from_slice(&member(jwk.y.as_deref(), kty, "y")?);
        let d = member(secret(&jwk.d), kty, "d")?;
        return EcdsaKeyPair::from_private_key_and_public_key(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &d,
            &point,
            &SystemRandom::new(),
        )
        .map(PrivateKey::Ec)
        .map_err(|_| config("client_key: the EC JWK's d, x and y are not one P-256 key pair"));
    }
    let part = |v: Option<&str>, name| member(v, kty, name);
    let components = ring::rsa::KeyPairComponents {
        public_key: ring::rsa::PublicKeyComponents {
            n: part(jwk.n.as_deref(), "n")?,
            e: part(jwk.e.as_deref(), "e")?,
        },
        d: part(secret(&jwk.d), "d")?,
        p: part(secret(&jwk.p), "p")?,
        q: part(secret(&jwk.q), "q")?,
        dP: part(secret(&jwk.dp), "dp")?,
        dQ: part(secret(&jwk.dq), "dq")?,
        qInv: part(secret(&jwk.qi), "qi")?,
    };
    RsaKeyPair::from_components(&components)
        .map(PrivateKey::Rsa)
        .map_err(|_| rsa_refused())
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
            config("private_key_jwt needs a client_key (PEM text, a private JWK, or the path of a PEM or JWK file)")
        })?;
        let loaded = load_key(source, kid.as_deref())?;
        let key = loaded.key;
        let alg = match (loaded.alg.as_deref(), alg) {
            (Some(named), configured) => {
                let fits = |a: &AssertionAlg| match key {
                    PrivateKey::Rsa(_) => matches!(a, AssertionAlg::Rs256 | AssertionAlg::Ps256),
                    PrivateKey::Ec(_) => *a == AssertionAlg::Es256,
                };
                let Some(jwk_alg) = AssertionAlg::from_name(named).filter(fits) else {
                    return Err(config(format!(
                        "client_key: the JWK's alg {named} does not sign assertions with its key (RS256 or PS256 for RSA, ES256 for EC)"
                    )));
                };
                match configured {
                    Some(c) if c != jwk_alg => {
                        return Err(config(format!(
                            "client_assertion_alg is {}, but the client_key JWK says alg {}: make them agree",
                            c.name(),
                            jwk_alg.name()
                        )))
                    }
                    _ => Some(jwk_alg),
                }
            }
            (None, configured) => configured,
        };
        let kid = kid.or(loaded.kid);
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

    use authgate_emulator::fixtures as fx;
    use serde_json::{json, Value};

    fn jwk_signer(jwk: &str, alg: Option<AssertionAlg>, kid: Option<&str>) -> Result<Signer> {
        Signer::new(
            true,
            Some(&KeySource::new(jwk.into())),
            alg,
            kid.map(String::from),
            Default::default(),
        )
    }

    fn jwk_error(jwk: &Value, alg: Option<AssertionAlg>, kid: Option<&str>) -> String {
        let e = jwk_signer(&jwk.to_string(), alg, kid).unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e:?}");
        let shown = format!("{e} / {e:?}");
        // No piece of any private component ever shows.
        for key in [fx::CLIENT_RSA_JWK, fx::CLIENT_EC_JWKS] {
            let v: Value = serde_json::from_str(key).unwrap();
            let v = v.get("keys").map_or(&v, |k| &k[0]);
            for c in ["d", "p", "q", "dp", "dq", "qi"] {
                if let Some(s) = v[c].as_str() {
                    assert!(!shown.contains(&s[..12]), "{c} leaked into {shown}");
                }
            }
        }
        shown
    }

    fn rsa_jwk() -> Value {
        serde_json::from_str(fx::CLIENT_RSA_JWK).unwrap()
    }

    fn ec_jwk() -> Value {
        let set: Value = serde_json::from_str(fx::CLIENT_EC_JWKS).unwrap();
        set["keys"][0].clone()
    }

    fn b64(v: &Value, name: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(v[name].as_str().unwrap()).unwrap()
    }

    /// Signs an assertion and checks it with the JWK's public half; returns the header.
    fn verify(signer: &Signer, public: &Value) -> Value {
        let jwt = signer
            .assertion("pos", "https://a.example/token", "")
            .unwrap();
        let (signed, sig) = jwt.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(signed.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        if public["kty"] == "RSA" {
            let alg: &signature::RsaParameters = match header["alg"].as_str().unwrap() {
                "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                _ => &signature::RSA_PKCS1_2048_8192_SHA256,
            };
            signature::RsaPublicKeyComponents {
                n: b64(public, "n"),
                e: b64(public, "e"),
            }
            .verify(alg, signed.as_bytes(), &sig)
            .unwrap();
        } else {
            let mut point = vec![4];
            point.extend(b64(public, "x"));
            point.extend(b64(public, "y"));
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(signed.as_bytes(), &sig)
                .unwrap();
        }
        header
    }

    #[test]
    fn an_rsa_jwk_signs_with_its_kid_and_alg() {
        let s = jwk_signer(fx::CLIENT_RSA_JWK, None, None).unwrap();
        let header = verify(&s, &rsa_jwk());
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some("RS256"), Some("kontur-rsa-jwk"))
        );
        // Without an alg in the JWK, PS256 fits the RSA key; a configured kid wins.
        let mut jwk = rsa_jwk();
        jwk.as_object_mut().unwrap().remove("alg");
        let s = jwk_signer(&jwk.to_string(), Some(AssertionAlg::Ps256), Some("till-7")).unwrap();
        let header = verify(&s, &jwk);
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some("PS256"), Some("till-7"))
        );
        assert_eq!(
            format!("{:?}", KeySource::new(fx::CLIENT_RSA_JWK.into())),
            "[redacted]"
        );
    }

    #[test]
    fn an_ec_jwk_set_signs_es256_inline_and_from_a_file() {
        let with_bom = format!("\u{feff}{}", fx::CLIENT_EC_JWKS);
        for source in [fx::CLIENT_EC_JWKS, fx::CLIENT_EC_JWKS_PATH, &with_bom] {
            let s = jwk_signer(source, None, None).unwrap();
            let header = verify(&s, &ec_jwk());
            assert_eq!(
                (header["alg"].as_str(), header["kid"].as_str()),
                (Some("ES256"), Some("kontur-ec-jwk"))
            );
        }
        let s = jwk_signer(fx::CLIENT_RSA_JWK_PATH, None, None).unwrap();
        assert_eq!(verify(&s, &rsa_jwk())["kid"], "kontur-rsa-jwk");
    }

    #[test]
    fn the_kid_chooses_one_private_key_of_a_set() {
        let set = json!({"keys": [
            {"kty": "RSA", "kid": "rsa-public", "n": rsa_jwk()["n"], "e": rsa_jwk()["e"]},
            rsa_jwk(),
            ec_jwk(),
        ]});
        let e = jwk_error(&set, None, None);
        assert!(
            e.contains("2 private keys") && e.contains("client_key_id"),
            "{e}"
        );
        let s = jwk_signer(&set.to_string(), None, Some("kontur-ec-jwk")).unwrap();
        assert_eq!(verify(&s, &ec_jwk())["alg"], "ES256");
        let s = jwk_signer(&set.to_string(), None, Some("kontur-rsa-jwk")).unwrap();
        assert_eq!(verify(&s, &rsa_jwk())["alg"], "RS256");
        let e = jwk_error(&set, None, Some("other"));
        assert!(
            e.contains("\"other\"") && e.contains("kontur-ec-jwk"),
            "{e}"
        );
        let e = jwk_error(&set, None, Some("rsa-public"));
        assert!(e.contains("public half"), "{e}");
        let e = jwk_error(&json!({"keys": []}), None, None);
        assert!(e.contains("no key"), "{e}");
    }

    #[test]
    fn jwk_mistakes_are_config_errors_without_key_material() {
        let strip = |mut v: Value, names: &[&str]| {
            for n in names {
                v.as_object_mut().unwrap().remove(*n);
            }
            v
        };
        let set = |v: Value| json!({"keys": [v]});
        let e = jwk_error(
            &strip(rsa_jwk(), &["d", "p", "q", "dp", "dq", "qi"]),
            None,
            None,
        );
        assert!(e.contains("public half"), "{e}");
        let e = jwk_error(&set(strip(ec_jwk(), &["d"])), None, None);
        assert!(e.contains("public half"), "{e}");
        let e = jwk_error(&rsa_jwk(), Some(AssertionAlg::Ps256), None);
        assert!(e.contains("RS256") && e.contains("PS256"), "{e}");
        let e = jwk_error(&rsa_jwk(), Some(AssertionAlg::Es256), None);
        assert!(e.contains("ES256") && e.contains("RS256"), "{e}");
        let mut jwk = ec_jwk();
        jwk["alg"] = "ES384".into();
        let e = jwk_error(&jwk, None, None);
        assert!(e.contains("ES384"), "{e}");
        jwk["alg"] = "RS256".into();
        let e = jwk_error(&jwk, None, None);
        assert!(
            e.contains("JWK's alg RS256") && e.contains("ES256 for EC"),
            "{e}"
        );
        let mut jwk = ec_jwk();
        jwk["crv"] = "P-384".into();
        let e = jwk_error(&jwk, None, None);
        assert!(e.contains("P-384") && e.contains("P-256"), "{e}");
        let e = jwk_error(&strip(rsa_jwk(), &["qi"]), None, None);
        assert!(e.contains("qi"), "{e}");
        let mut jwk = rsa_jwk();
        jwk["d"] = "not base64!".into();
        let e = jwk_error(&jwk, None, None);
        assert!(e.contains("\"d\"") && !e.contains("not base64!"), "{e}");
        let mut jwk = ec_jwk();
        jwk["d"] = rsa_jwk()["e"].clone();
        let e = jwk_error(&jwk, None, None);
        assert!(e.contains("EC"), "{e}");
        let okp = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"});
        let e = jwk_error(&okp, None, None);
        assert!(e.contains("OKP") && e.contains("not supported"), "{e}");
        let e = jwk_error(&json!({"kty": "oct", "k": "c2VjcmV0LWJ5dGVz"}), None, None);
        assert!(e.contains("oct") && !e.contains("c2VjcmV0LWJ5dGVz"), "{e}");
        let mut jwk = ec_jwk();
        jwk["use"] = "enc".into();
        let e = jwk_error(&jwk, None, None);
        assert!(e.contains("enc"), "{e}");
        // Broken JSON: where, never what.
        let text = format!("{{\"kty\": \"RSA\", \"d\": {}", &rsa_jwk()["d"]);
        let e = jwk_signer(&text, None, None).unwrap_err().to_string();
        assert!(e.contains("JSON") && e.contains("line 1"), "{e}");
        assert!(!e.contains(&rsa_jwk()["d"].as_str().unwrap()[..12]), "{e}");
        let e = jwk_error(&json!({"kty": ["RSA"], "d": rsa_jwk()["d"]}), None, None);
        assert!(e.contains("client_key"), "{e}");
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
