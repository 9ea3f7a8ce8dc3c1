//! DPoP (RFC 9449) as a server checks it: proofs at the token endpoints and at the
//! protected resource, nonces, `jti` replay detection and tokens bound to a key
//! (`cnf.jkt`).

use std::collections::{HashMap, HashSet};

use ring::digest::{digest, SHA256};
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
use serde_json::{json, Value};

use crate::crypto::{b64url, unix_now};
use crate::http::{Request, Response};
use crate::state::Shared;

/// How the emulator treats DPoP (see [`crate::Emulator::set_dpop`]). The default: proofs
/// are checked when sent, tokens issued with one are bound, nothing is required.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DpopPolicy {
    /// Token requests without a proof are refused (`invalid_dpop_proof`).
    pub required: bool,
    /// Proofs must carry the server's nonce: a request without it (or with an old one) is
    /// refused with `use_dpop_nonce` and a `DPoP-Nonce` header, at the token endpoints
    /// (400) and at the resource (401).
    pub nonce: bool,
    /// Every proof is refused with `use_dpop_nonce` and yet another nonce: a server that
    /// keeps asking.
    pub keep_asking: bool,
    /// A server that knows no DPoP: proofs at the token endpoints are ignored (the tokens
    /// are bearer tokens), and `Authorization: DPoP …` at a resource is an unknown scheme,
    /// refused with a `Bearer` challenge (RFC 6750 §3).
    pub unsupported: bool,
}

/// The server side's DPoP memory, part of the emulator state.
#[derive(Default)]
pub(crate) struct DpopState {
    pub policy: DpopPolicy,
    nonce_serial: u64,
    seen_jti: HashSet<String>,
    /// Access and refresh tokens → the thumbprint of the key they are bound to.
    bound: HashMap<String, String>,
}

impl DpopState {
    fn nonce(&self) -> String {
        format!("emulator-nonce-{}", self.nonce_serial)
    }
}

/// A refusal, as the endpoint words it.
struct Refusal {
    error: &'static str,
    description: String,
}

fn refuse(error: &'static str, description: impl Into<String>) -> Refusal {
    Refusal {
        error,
        description: description.into(),
    }
}

/// What a valid proof proves.
struct Proof {
    jkt: String,
}

/// Checks one proof for `method` on `url` (`ath`: the access token it must be bound to).
fn check(
    state: &mut DpopState,
    proof: &str,
    method: &str,
    url: &str,
    access_token: Option<&str>,
) -> Result<Proof, Refusal> {
    let bad = |why: &str| refuse("invalid_dpop_proof", why.to_owned());
    let parts: Vec<&str> = proof.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err(bad("the DPoP proof is not a JWS"));
    };
    let decode = |part: &str| -> Option<Value> {
        let bytes = crate::crypto::b64url_decode(part)?;
        serde_json::from_slice(&bytes).ok()
    };
    let (Some(header_json), Some(claims_json)) = (decode(header), decode(claims)) else {
        return Err(bad(
            "the DPoP proof's header or claims are not base64url JSON",
        ));
    };
    if header_json["typ"] != "dpop+jwt" {
        return Err(bad("typ is not dpop+jwt"));
    }
    if header_json["alg"] != "ES256" {
        return Err(bad("alg is not ES256 (the only one this server takes)"));
    }
    let jwk = &header_json["jwk"];
    if jwk["kty"] != "EC" || jwk["crv"] != "P-256" || jwk.get("d").is_some() {
        return Err(bad("jwk is not a P-256 public key"));
    }
    let coordinate = |name: &str| {
        jwk[name]
            .as_str()
            .and_then(crate::crypto::b64url_decode)
            .filter(|c| c.len() == 32)
    };
    let (Some(x), Some(y)) = (coordinate("x"), coordinate("y")) else {
        return Err(bad("jwk has no valid x and y"));
    };
    let point = [&[4u8][..], &x, &y].concat();
    let signature = crate::crypto::b64url_decode(signature).unwrap_or_default();
    let input = format!("{header}.{claims}");
    if UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(input.as_bytes(), &signature)
        .is_err()
    {
        return Err(bad(
            "the DPoP proof's signature does not verify with its jwk",
        ));
    }
    if claims_json["htm"] != method {
        return Err(bad("htm is not this request's method"));
    }
    if claims_json["htu"] != url {
        return Err(bad("htu is not this request's URL"));
    }
    let now = unix_now();
    match claims_json["iat"].as_u64() {
        Some(iat) if iat + 60 >= now && iat <= now + 60 => {}
        _ => return Err(bad("iat is missing or more than 60 s away from now")),
    }
    let Some(jti) = claims_json["jti"].as_str().filter(|j| !j.is_empty()) else {
        return Err(bad("jti is missing"));
    };
    if let Some(token) = access_token {
        let ath = b64url(digest(&SHA256, token.as_bytes()).as_ref());
        if claims_json["ath"] != ath.as_str() {
            return Err(bad("ath is not the hash of the access token"));
        }
    }
    if state.policy.keep_asking {
        state.nonce_serial += 1;
        return Err(refuse("use_dpop_nonce", "a new nonce, again"));
    }
    if state.policy.nonce && claims_json["nonce"] != state.nonce().as_str() {
        return Err(refuse(
            "use_dpop_nonce",
            "the DPoP proof must carry the server's nonce",
        ));
    }
    if !state.seen_jti.insert(jti.to_owned()) {
        return Err(bad("jti was seen before: a replayed DPoP proof"));
    }
    Ok(Proof {
        jkt: thumbprint(&x, &y),
    })
}

/// RFC 7638: the JWK thumbprint of a P-256 key.
fn thumbprint(x: &[u8], y: &[u8]) -> String {
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        b64url(x),
        b64url(y)
    );
    b64url(digest(&SHA256, canonical.as_bytes()).as_ref())
}

/// A token request: its proof checked before the dialect answers (`route`), and the
/// tokens of a good answer bound to the proof's key, with `token_type` `DPoP`.
pub(crate) fn token_endpoint(
    shared: &Shared,
    request: &Request,
    route: impl FnOnce() -> Response,
) -> Response {
    let url = format!("{}{}", shared.base_url, request.path);
    let checked = {
        let mut state = shared.lock();
        let dpop = &mut state.dpop;
        if dpop.policy.unsupported {
            drop(state);
            return route();
        }
        match request.header("dpop") {
            Some(proof) => Some(check(dpop, proof, &request.method, &url, None)),
            None if dpop.policy.required => Some(Err(refuse(
                "invalid_dpop_proof",
                "this server requires a DPoP proof",
            ))),
            None => None,
        }
    };
    let proof = match checked {
        None => return route(),
        Some(Ok(proof)) => proof,
        Some(Err(refusal)) => return token_refusal(shared, refusal),
    };
    // A refresh token bound to a key is good with that key only.
    let refresh = crate::providers::Params::parse(&request.body)
        .get("refresh_token")
        .map(str::to_owned);
    if let Some(rt) = refresh {
        let state = shared.lock();
        if state
            .dpop
            .bound
            .get(&rt)
            .is_some_and(|jkt| *jkt != proof.jkt)
        {
            drop(state);
            return token_refusal(
                shared,
                refuse(
                    "invalid_grant",
                    "the refresh token is bound to another DPoP key",
                ),
            );
        }
    }
    let mut response = route();
    if response.status != 200 {
        return response;
    }
    let Ok(Value::Object(mut answer)) = serde_json::from_slice(&response.body) else {
        return response;
    };
    let mut state = shared.lock();
    for field in ["access_token", "refresh_token"] {
        if let Some(token) = answer.get(field).and_then(Value::as_str) {
            state.dpop.bound.insert(token.to_owned(), proof.jkt.clone());
        }
    }
    answer.insert("token_type".into(), "DPoP".into());
    response.body = Value::Object(answer).to_string().into_bytes();
    response
}

fn token_refusal(shared: &Shared, refusal: Refusal) -> Response {
    let nonce = shared.lock().dpop.nonce();
    Response::json(
        400,
        &json!({"error": refusal.error, "error_description": refusal.description}),
    )
    .header("DPoP-Nonce", &nonce)
}

/// A request to a protected resource (the API or UserInfo): a token bound to a key is
/// good only as `Authorization: DPoP …` with a proof signed by that key (RFC 9449 §7).
/// `None` lets the resource answer as for a bearer token.
pub(crate) fn resource(shared: &Shared, request: &Request) -> Option<Response> {
    let (scheme, token) = request
        .header("authorization")
        .and_then(|v| v.split_once(' '))?;
    let token = token.trim();
    let url = format!("{}{}", shared.base_url, request.path);
    let mut state = shared.lock();
    let dpop = &mut state.dpop;
    if dpop.policy.unsupported {
        return scheme
            .eq_ignore_ascii_case("dpop")
            .then(crate::providers::invalid_token);
    }
    let bound = dpop.bound.get(token).cloned();
    let unauthorized = |dpop: &DpopState, error: &str, why: &str| {
        Response::json(401, &json!({"error": error, "error_description": why}))
            .header(
                "WWW-Authenticate",
                &format!("DPoP error=\"{error}\", algs=\"ES256\""),
            )
            .header("DPoP-Nonce", &dpop.nonce())
    };
    if !scheme.eq_ignore_ascii_case("dpop") {
        return bound.map(|_| {
            unauthorized(
                dpop,
                "invalid_token",
                "this access token is bound to a DPoP key: send it as DPoP with a proof",
            )
        });
    }
    let Some(jkt) = bound else {
        return Some(unauthorized(
            dpop,
            "invalid_token",
            "not a DPoP-bound access token",
        ));
    };
    let Some(proof) = request.header("dpop") else {
        return Some(unauthorized(dpop, "invalid_dpop_proof", "no DPoP proof"));
    };
    match check(dpop, proof, &request.method, &url, Some(token)) {
        Err(r) => Some(unauthorized(dpop, r.error, &r.description)),
        Ok(p) if p.jkt != jkt => Some(unauthorized(
            dpop,
            "invalid_dpop_proof",
            "the proof is signed with another key than the token is bound to",
        )),
        Ok(_) => None,
    }
}
