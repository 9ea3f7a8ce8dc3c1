//! Randomness, encodings and the keys that sign Kontur's id_tokens.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{
    EcdsaKeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents, ECDSA_P256_SHA256_FIXED_SIGNING,
    RSA_PKCS1_SHA256,
};
use serde_json::{json, Value};

use crate::fixtures::{ID_TOKEN_FAULT_KEY_ID, KONTUR_KEY_ID, KONTUR_RSA_KEY_ID};
use crate::IdTokenAlg;

/// The fixed RSA key (PKCS#8 DER): fixed so that its kid always names the same key, and
/// because ring cannot generate RSA keys. Not a secret; see `keys/README.md`.
const RSA_PKCS8: &[u8] = include_bytes!("../keys/rsa-1.pk8.der");
/// Its public key as SubjectPublicKeyInfo PEM: the HMAC key of the key-confusion fault.
const RSA_PUBLIC_PEM: &[u8] = include_bytes!("../keys/rsa-1.pub.pem");

/// base64url without padding (JWTs, PKCE S256, JWKS coordinates).
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of base64url text (padding-free), or `None`.
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds since the Unix epoch (JWT `iat`/`exp`).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The source of every code and token.
pub(crate) struct Random {
    rng: SystemRandom,
}

impl Random {
    pub fn new() -> Random {
        Random {
            rng: SystemRandom::new(),
        }
    }

    /// `N` random bytes.
    pub fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut out = [0u8; N];
        // The OS generator failing means the machine is broken; no request can cause it,
        // and the panic only ends the connection thread that hit it.
        self.rng
            .fill(&mut out)
            .expect("the system random number generator failed");
        out
    }

    /// An opaque token: `N` random bytes, base64url.
    pub fn token<const N: usize>(&self) -> String {
        b64url(&self.bytes::<N>())
    }

    /// A random (version 4) UUID, as Spring issues.
    pub fn uuid(&self) -> String {
        let mut b = self.bytes::<16>();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex(&b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

/// What to do wrong when signing an id_token (the signature-level id_token faults; the
/// claim-level ones are made by whoever builds the claims).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forgery {
    /// Sign properly.
    None,
    /// Sign properly, then corrupt the signature.
    BadSignature,
    /// `alg: none`, empty signature.
    AlgNone,
    /// `alg: HS256` under the RSA key's kid, keyed with its public PEM.
    HmacConfusion,
    /// ES256 by a throwaway key whose kid is not published.
    UnknownKid,
}

/// An EC P-256 key and its kid.
struct EcKey {
    kid: String,
    key: EcdsaKeyPair,
}

impl EcKey {
    fn generate(kid: String, rng: &SystemRandom) -> io::Result<EcKey> {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng)
            .map_err(|_| io::Error::other("cannot generate an ES256 key"))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), rng)
            .map_err(|e| io::Error::other(format!("cannot load an ES256 key: {e}")))?;
        Ok(EcKey { kid, key })
    }

    fn sign(&self, rng: &SystemRandom, input: &[u8]) -> Option<Vec<u8>> {
        // FIXED signing gives the raw r||s form that JWS requires (not DER).
        self.key.sign(rng, input).ok().map(|s| s.as_ref().to_vec())
    }

    fn jwk(&self) -> Value {
        // An uncompressed P-256 point: 0x04 || x (32 bytes) || y (32 bytes).
        let point = self.key.public_key().as_ref();
        let (x, y) = if point.len() == 65 {
            (&point[1..33], &point[33..65])
        } else {
            (&point[..0], &point[..0])
        };
        json!({
            "kty": "EC",
            "use": "sig",
            "alg": "ES256",
            "kid": self.kid,
            "crv": "P-256",
            "x": b64url(x),
            "y": b64url(y),
        })
    }
}

/// What rotation and the alg setting change.
struct Current {
    /// Shared so that signing can happen outside the lock.
    ec: Arc<EcKey>,
    /// The number in the last EC kid (`emulator-N`).
    serial: u32,
    alg: IdTokenAlg,
    /// Publish keys and sign id_tokens without `kid` (see `Emulator::set_kidless_jwks`).
    kidless: bool,
}

/// Kontur's signing keys: the fixed RSA key and the current EC key. Published as a JWKS.
pub(crate) struct Signer {
    rsa: RsaKeyPair,
    current: Mutex<Current>,
    rng: SystemRandom,
}

impl Signer {
    pub fn new() -> io::Result<Signer> {
        let rng = SystemRandom::new();
        let rsa = RsaKeyPair::from_pkcs8(RSA_PKCS8)
            .map_err(|e| io::Error::other(format!("cannot load the RSA key: {e}")))?;
        let ec = EcKey::generate(KONTUR_KEY_ID.to_string(), &rng)?;
        Ok(Signer {
            rsa,
            current: Mutex::new(Current {
                ec: Arc::new(ec),
                serial: 1,
                alg: IdTokenAlg::default(),
                kidless: false,
            }),
            rng,
        })
    }

    /// Poisoning is ignored for the same reason as the state's (see `Shared::lock`).
    fn current(&self) -> MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn alg(&self) -> IdTokenAlg {
        self.current().alg
    }

    pub fn set_alg(&self, alg: IdTokenAlg) {
        self.current().alg = alg;
    }

    pub fn set_kidless(&self, kidless: bool) {
        self.current().kidless = kidless;
    }

    /// The kid id_tokens are signed with now.
    pub fn signing_kid(&self) -> String {
        let current = self.current();
        match current.alg {
            IdTokenAlg::Rs256 => KONTUR_RSA_KEY_ID.to_string(),
            IdTokenAlg::Es256 => current.ec.kid.clone(),
        }
    }

    /// A new EC key replaces the old one and becomes the signing key; returns its kid.
    pub fn rotate(&self) -> io::Result<String> {
        // Generating a P-256 key takes microseconds: doing it under the lock keeps
        // concurrent rotations simply ordered.
        let mut current = self.current();
        let serial = current.serial + 1;
        let kid = format!("emulator-{serial}");
        current.ec = Arc::new(EcKey::generate(kid.clone(), &self.rng)?);
        current.serial = serial;
        current.alg = IdTokenAlg::Es256;
        Ok(kid)
    }

    /// A compact JWS over these claims, signed with the current key and alg, or forged
    /// as `forgery` says.
    pub fn sign_id_token(&self, claims: &Value, forgery: Forgery) -> Option<String> {
        let (alg, ec, kidless) = {
            let current = self.current();
            (current.alg, Arc::clone(&current.ec), current.kidless)
        };
        match forgery {
            Forgery::AlgNone => jws(&json!({"alg": "none", "typ": "JWT"}), claims, |_| {
                Some(Vec::new())
            }),
            Forgery::HmacConfusion => {
                let header = json!({"alg": "HS256", "typ": "JWT", "kid": KONTUR_RSA_KEY_ID});
                let key = hmac::Key::new(hmac::HMAC_SHA256, RSA_PUBLIC_PEM);
                jws(&header, claims, |input| {
                    Some(hmac::sign(&key, input).as_ref().to_vec())
                })
            }
            Forgery::UnknownKid => {
                let stranger =
                    EcKey::generate(ID_TOKEN_FAULT_KEY_ID.to_string(), &self.rng).ok()?;
                self.sign_es256(&stranger, claims)
            }
            Forgery::None | Forgery::BadSignature => {
                let token = match alg {
                    IdTokenAlg::Rs256 => {
                        let mut header =
                            json!({"alg": "RS256", "typ": "JWT", "kid": KONTUR_RSA_KEY_ID});
                        if kidless {
                            header.as_object_mut()?.remove("kid");
                        }
                        jws(&header, claims, |input| {
                            let mut signature = vec![0; self.rsa.public().modulus_len()];
                            self.rsa
                                .sign(&RSA_PKCS1_SHA256, &self.rng, input, &mut signature)
                                .ok()?;
                            Some(signature)
                        })
                    }
                    IdTokenAlg::Es256 if kidless => {
                        jws(&json!({"alg": "ES256", "typ": "JWT"}), claims, |input| {
                            ec.sign(&self.rng, input)
                        })
                    }
                    IdTokenAlg::Es256 => self.sign_es256(&ec, claims),
                }?;
                if forgery == Forgery::BadSignature {
                    corrupt_signature(&token)
                } else {
                    Some(token)
                }
            }
        }
    }

    fn sign_es256(&self, key: &EcKey, claims: &Value) -> Option<String> {
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": key.kid});
        jws(&header, claims, |input| key.sign(&self.rng, input))
    }

    /// The public keys as a JWK Set: the RSA key, then the current EC key. Kidless, the
    /// set has no kids and starts with the RSA key published a second time for RS512,
    /// so that a client must pick among several keys by `alg`.
    pub fn jwks(&self) -> Value {
        let components: RsaPublicKeyComponents<Vec<u8>> = self.rsa.public().into();
        let rsa = json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": KONTUR_RSA_KEY_ID,
            "n": b64url(&components.n),
            "e": b64url(&components.e),
        });
        let (ec, kidless) = {
            let current = self.current();
            (Arc::clone(&current.ec), current.kidless)
        };
        if !kidless {
            return json!({"keys": [rsa, ec.jwk()]});
        }
        let mut keys = vec![rsa.clone(), rsa, ec.jwk()];
        keys[0]["alg"] = "RS512".into();
        for key in keys.iter_mut().filter_map(Value::as_object_mut) {
            key.remove("kid");
        }
        json!({ "keys": keys })
    }
}

/// `base64url(header) . base64url(claims) . base64url(sign(signing input))`.
fn jws(
    header: &Value,
    claims: &Value,
    sign: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
) -> Option<String> {
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = sign(signing_input.as_bytes())?;
    Some(format!("{signing_input}.{}", b64url(&signature)))
}

/// The same JWS with the first and last bytes of its signature flipped: still
/// well-formed, the right length, and wrong.
fn corrupt_signature(token: &str) -> Option<String> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let last = bytes.len().checked_sub(1)?;
    bytes[0] ^= 0xff;
    bytes[last] ^= 0xff;
    Some(format!("{signing_input}.{}", b64url(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_key_loads_and_signs() {
        let signer = Signer::new().expect("keys");
        let token = signer
            .sign_id_token(&json!({"sub": "x"}), Forgery::None)
            .expect("signed");
        assert_eq!(token.split('.').count(), 3);
        let jwks = signer.jwks();
        assert_eq!(jwks["keys"][0]["kid"], KONTUR_RSA_KEY_ID);
        assert_eq!(jwks["keys"][0]["e"], "AQAB");
    }

    #[test]
    fn rotation_renames_the_ec_key() {
        let signer = Signer::new().expect("keys");
        assert_eq!(signer.signing_kid(), KONTUR_RSA_KEY_ID);
        assert_eq!(signer.rotate().expect("rotate"), "emulator-2");
        assert_eq!(signer.rotate().expect("rotate"), "emulator-3");
        assert_eq!(signer.signing_kid(), "emulator-3");
        assert_eq!(signer.jwks()["keys"][1]["kid"], "emulator-3");
    }

    #[test]
    fn corrupted_signature_differs() {
        let token = "a.b.AAAA";
        assert_eq!(corrupt_signature(token).as_deref(), Some("a.b._wD_"));
        assert_eq!(corrupt_signature("a.b."), None);
    }
}
