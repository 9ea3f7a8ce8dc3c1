//! Randomness, encodings and the ES256 key that signs Kontur's id_tokens.

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

use crate::fixtures::KONTUR_KEY_ID;

/// base64url without padding (JWTs, PKCE S256, JWKS coordinates).
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
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

/// The P-256 key generated at start; signs id_tokens and is published as a JWKS.
pub(crate) struct Signer {
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl Signer {
    pub fn generate() -> io::Result<Signer> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| io::Error::other("cannot generate the ES256 key"))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|e| io::Error::other(format!("cannot load the ES256 key: {e}")))?;
        Ok(Signer { key, rng })
    }

    /// A compact JWS (ES256) over these claims.
    pub fn sign_jwt(&self, claims: &Value) -> Option<String> {
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": KONTUR_KEY_ID});
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        // FIXED signing gives the raw r||s form that JWS requires (not DER).
        let signature = self.key.sign(&self.rng, signing_input.as_bytes()).ok()?;
        Some(format!("{signing_input}.{}", b64url(signature.as_ref())))
    }

    /// The public key as a JWK Set.
    pub fn jwks(&self) -> Value {
        // An uncompressed P-256 point: 0x04 || x (32 bytes) || y (32 bytes).
        let point = self.key.public_key().as_ref();
        let (x, y) = if point.len() == 65 {
            (&point[1..33], &point[33..65])
        } else {
            (&point[..0], &point[..0])
        };
        json!({
            "keys": [{
                "kty": "EC",
                "use": "sig",
                "alg": "ES256",
                "kid": KONTUR_KEY_ID,
                "crv": "P-256",
                "x": b64url(x),
                "y": b64url(y),
            }]
        })
    }
}
