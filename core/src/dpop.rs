//! DPoP (RFC 9449): a per-client ES256 key pair, the proofs it signs (token requests and
//! resource requests), and the nonces servers hand out, remembered per server.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::digest::{digest, SHA256};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;
use url::Url;

use crate::error::{Endpoint, Error, Result};
use crate::http::HttpResponse;
use crate::random::random_token;

/// A DPoP proof key: an ES256 (P-256) key pair. Generated when the client is built, or
/// read from a PKCS#8 PEM file (`dpop_key_file`) so that tokens survive a restart.
///
/// It is a secret: `Debug` shows only the public key's thumbprint (`jkt`), which is what
/// servers bind tokens to.
#[derive(Clone)]
pub(crate) struct DpopKey {
    pair: Arc<EcdsaKeyPair>,
    /// The public key as a JWK (RFC 7517), in the member order of its thumbprint.
    jwk: serde_json::Value,
    jkt: String,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("jkt", &self.jkt)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A new random key.
    pub(crate) fn generate() -> Result<DpopKey> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| Error::Config("the OS random source failed".into()))?;
        DpopKey::from_pkcs8(pkcs8.as_ref(), "the generated DPoP key")
    }

    /// The key of a PEM file holding a P-256 private key in PKCS#8 (`BEGIN PRIVATE KEY`).
    pub(crate) fn from_pem_file(path: &Path) -> Result<DpopKey> {
        let what = format!("the DPoP key file {}", path.display());
        let pem = zeroize::Zeroizing::new(
            std::fs::read(path).map_err(|e| Error::Config(format!("cannot read {what}: {e}")))?,
        );
        use rustls::pki_types::{pem::PemObject, PrivateKeyDer};
        let key = PrivateKeyDer::from_pem_slice(&pem)
            .map_err(|_| Error::Config(format!("{what} holds no readable PEM private key")))?;
        let PrivateKeyDer::Pkcs8(der) = key else {
            return Err(Error::Config(format!(
                "{what} is not PKCS#8 (BEGIN PRIVATE KEY): convert it with \
                 `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.p8.pem`"
            )));
        };
        DpopKey::from_pkcs8(der.secret_pkcs8_der(), &what)
    }

    fn from_pkcs8(der: &[u8], what: &str) -> Result<DpopKey> {
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &SystemRandom::new())
                .map_err(|_| {
                Error::Config(format!(
                    "{what} is not a P-256 (ES256) private key: DPoP proofs are signed with ES256"
                ))
            })?;
        // The public key is the uncompressed point 0x04 ‖ x ‖ y.
        let point = pair.public_key().as_ref();
        let (x, y) = (b64(&point[1..33]), b64(&point[33..65]));
        // RFC 7638: the required members, in lexicographic order, without spaces.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let jkt = b64(digest(&SHA256, canonical.as_bytes()).as_ref());
        Ok(DpopKey {
            pair: Arc::new(pair),
            jwk: json!({"crv": "P-256", "kty": "EC", "x": x, "y": y}),
            jkt,
        })
    }

    /// The JWK SHA-256 thumbprint of the public key (RFC 7638): the `cnf.jkt` a server
    /// binds tokens to.
    pub(crate) fn thumbprint(&self) -> &str {
        &self.jkt
    }

    /// A proof for one request (RFC 9449 §4.2): `htu` is the URL without its query and
    /// fragment; `ath` is the access token's hash, for resource requests.
    pub(crate) fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String> {
        let htu = htu(url)?;
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk});
        let mut claims = json!({
            "jti": random_token(16)?,
            "htm": method.to_ascii_uppercase(),
            "htu": htu,
            "iat": iat,
        });
        if let Some(t) = access_token {
            claims["ath"] = b64(digest(&SHA256, t.as_bytes()).as_ref()).into();
        }
        if let Some(n) = nonce {
            claims["nonce"] = n.into();
        }
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|_| Error::Config("signing the DPoP proof failed".into()))?;
        Ok(format!("{input}.{}", b64(signature.as_ref())))
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The `htu` of a request URL: without query and fragment (RFC 9449 §4.2).
fn htu(url: &str) -> Result<String> {
    let mut u = Url::parse(url)
        .map_err(|_| Error::InvalidArgument("the request URL is not a valid URL".into()))?;
    u.set_query(None);
    u.set_fragment(None);
    Ok(u.to_string())
}

/// The server a nonce belongs to: scheme, host and port.
fn origin(url: &str) -> Option<String> {
    Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

/// A client's DPoP state: its key and the last nonce each server gave.
#[derive(Debug)]
pub(crate) struct Dpop {
    pub key: DpopKey,
    nonces: Mutex<HashMap<String, String>>,
}

impl Dpop {
    pub(crate) fn new(key: DpopKey) -> Dpop {
        Dpop {
            key,
            nonces: Mutex::new(HashMap::new()),
        }
    }

    /// The nonce last given by the server of `url`.
    pub(crate) fn nonce(&self, url: &str) -> Option<String> {
        let nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
        nonces.get(&origin(url)?).cloned()
    }

    /// Remembers a nonce the server of `url` gave (`DPoP-Nonce`). Returns whether it
    /// differs from the one remembered.
    pub(crate) fn remember_nonce(&self, url: &str, nonce: &str) -> bool {
        let Some(origin) = origin(url) else {
            return false;
        };
        let mut nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
        nonces.insert(origin, nonce.to_owned()).as_deref() != Some(nonce)
    }

    /// A proof for `method` `url` with the server's remembered nonce.
    pub(crate) fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> Result<String> {
        self.key
            .proof(method, url, access_token, self.nonce(url).as_deref())
    }
}

/// The two headers of a DPoP-bound resource request (RFC 9449 §7.1), built by
/// [`Client::dpop_headers`](crate::Client::dpop_headers).
///
/// Both are secrets (the token, and a proof usable once): `Debug` hides them.
#[derive(Clone)]
pub struct DpopHeaders {
    /// The `Authorization` header's value: `DPoP <access token>`.
    pub authorization: String,
    /// The `DPoP` header's value: the proof, bound to the method, URL and token.
    pub dpop: String,
}

impl fmt::Debug for DpopHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DpopHeaders([redacted])")
    }
}

impl crate::Client {
    /// Whether this client proves possession of a DPoP key (option `dpop`).
    pub fn uses_dpop(&self) -> bool {
        self.inner.dpop.is_some()
    }

    /// The JWK thumbprint (RFC 7638) of this client's DPoP key, which DPoP-bound tokens
    /// carry as `cnf.jkt`; `None` without DPoP.
    pub fn dpop_thumbprint(&self) -> Option<&str> {
        self.inner.dpop.as_ref().map(|d| d.key.thumbprint())
    }

    /// The headers for one request to a resource server with a DPoP-bound access token
    /// (RFC 9449 §7): `Authorization: DPoP <token>` and `DPoP: <proof>` for this method and
    /// URL, with the token's hash and the nonce the server last gave (see
    /// [`remember_dpop_nonce`](Self::remember_dpop_nonce)). Build new headers for every
    /// request: a proof is good for one.
    ///
    /// When the server answers 401 with a `DPoP-Nonce` header (`error="use_dpop_nonce"`),
    /// give the nonce to [`remember_dpop_nonce`](Self::remember_dpop_nonce) and send the
    /// request once more with new headers.
    ///
    /// Errors: [`Error::Config`] when the client does not use DPoP;
    /// [`Error::InvalidArgument`] for a URL that is not one.
    pub fn dpop_headers(
        &self,
        method: &str,
        url: &str,
        access_token: &crate::AccessToken,
    ) -> Result<DpopHeaders> {
        let dpop = self.inner.dpop.as_ref().ok_or_else(|| {
            Error::Config("this client does not use DPoP: set the dpop option".into())
        })?;
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(Error::InvalidArgument(
                "the HTTP method must be a word such as GET".into(),
            ));
        }
        Ok(DpopHeaders {
            authorization: format!("DPoP {}", access_token.secret()),
            dpop: dpop.proof(method, url, Some(access_token.secret()))?,
        })
    }

    /// GETs a protected resource of the provider (UserInfo) with this access token: the one
    /// place the core presents an access token. Without DPoP, `Authorization: Bearer
    /// <token>`; with DPoP, `Authorization: DPoP <token>` and a proof bound to the token
    /// (RFC 9449 §7.1). A 401 with `use_dpop_nonce` and a new `DPoP-Nonce` is sent once
    /// more with that nonce, which is remembered for the server (§9), as at the token
    /// endpoint. A 401 whose challenge does not name DPoP comes from a server that knows
    /// no DPoP (whose token endpoint then issued a bearer token, §5): the token is sent
    /// once more as a bearer token.
    pub(crate) fn get_protected(
        &self,
        endpoint: Endpoint,
        url: &str,
        access_token: &crate::AccessToken,
    ) -> Result<HttpResponse> {
        let bearer = || {
            let value = format!("Bearer {}", access_token.secret());
            self.inner
                .http
                .get(endpoint, url, &[("Authorization", value.as_str())])
        };
        if self.inner.dpop.is_none() {
            return bearer();
        }
        let with_proof = || {
            let h = self.dpop_headers("GET", url, access_token)?;
            let headers = [
                ("Authorization", h.authorization.as_str()),
                ("DPoP", &h.dpop),
            ];
            self.inner.http.get(endpoint, url, &headers)
        };
        let mut resp = with_proof()?;
        let fresh = resp
            .dpop_nonce
            .as_ref()
            .is_some_and(|n| self.remember_dpop_nonce(url, n.untrusted()));
        if fresh && asks_for_nonce(&resp) {
            log::debug!(target: "authgate", "the {} endpoint asked for a DPoP nonce: sending again with it", endpoint.name());
            resp = with_proof()?;
            if let Some(n) = &resp.dpop_nonce {
                self.remember_dpop_nonce(url, n.untrusted());
            }
        }
        if knows_no_dpop(&resp) {
            log::debug!(target: "authgate", "the {} endpoint does not take DPoP (its challenge names Bearer only): sending the token as a bearer token", endpoint.name());
            resp = bearer()?;
        }
        Ok(resp)
    }

    /// Remembers the `DPoP-Nonce` a server (token endpoint or resource server) gave, for
    /// the proofs of later requests to that server (scheme, host and port). Returns
    /// whether it is new, i.e. whether a request refused with `use_dpop_nonce` is worth
    /// sending once more. Does nothing without DPoP.
    pub fn remember_dpop_nonce(&self, url: &str, nonce: &str) -> bool {
        let printable = !nonce.is_empty() && nonce.bytes().all(|b| (0x21..0x7f).contains(&b));
        match &self.inner.dpop {
            Some(d) if printable => d.remember_nonce(url, nonce),
            _ => false,
        }
    }
}

/// Whether a resource server's answer is the `use_dpop_nonce` challenge (RFC 9449 §9):
/// 401 with `WWW-Authenticate: DPoP error="use_dpop_nonce"`.
fn asks_for_nonce(resp: &HttpResponse) -> bool {
    resp.status == 401
        && resp
            .www_authenticate
            .as_ref()
            .and_then(|w| crate::endpoint::challenge_param(w.untrusted(), "error"))
            .is_some_and(|e| e == "use_dpop_nonce")
}

/// Whether a resource server's answer refuses the DPoP scheme as unknown: 401 with a
/// challenge (RFC 6750 §3) that does not name DPoP.
fn knows_no_dpop(resp: &HttpResponse) -> bool {
    resp.status == 401
        && resp
            .www_authenticate
            .as_ref()
            .is_some_and(|w| !w.untrusted().to_ascii_lowercase().contains("dpop"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(jwt: &str, i: usize) -> serde_json::Value {
        let p = jwt.split('.').nth(i).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    }

    #[test]
    fn a_proof_names_the_request_and_verifies_with_its_jwk() {
        let key = DpopKey::generate().unwrap();
        let proof = key
            .proof(
                "get",
                "https://rs.example/api/me?x=1#f",
                Some("tok"),
                Some("n1"),
            )
            .unwrap();
        let (header, claims) = (part(&proof, 0), part(&proof, 1));
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert!(header["jwk"].get("d").is_none());
        assert_eq!(claims["htm"], "GET");
        assert_eq!(claims["htu"], "https://rs.example/api/me");
        assert_eq!(claims["nonce"], "n1");
        assert_eq!(
            claims["ath"],
            b64(digest(&SHA256, b"tok").as_ref()).as_str()
        );
        let x = URL_SAFE_NO_PAD
            .decode(header["jwk"]["x"].as_str().unwrap())
            .unwrap();
        let y = URL_SAFE_NO_PAD
            .decode(header["jwk"]["y"].as_str().unwrap())
            .unwrap();
        let point = [&[4u8][..], &x, &y].concat();
        let (input, sig) = proof.rsplit_once('.').unwrap();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
            .unwrap();
        assert!(!format!("{key:?}").contains(&proof[..10]));
    }
}
