//! The four dialects, the protected resource, and what they share: parameter parsing,
//! client authentication, the authorize step (with its login page and loopback redirect
//! URIs), code redemption and PKCE.

mod assertion;
mod cuba;
mod device;
mod gearcode;
mod kontur;
mod oidc;
mod pages;
mod par;
mod taxcom;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::digest::{digest, SHA256};
use serde_json::{json, Map, Value};
use url::form_urlencoded;

use crate::crypto::{b64url, unix_now};
use crate::fixtures::*;
use crate::http::{Request, Response};
use crate::state::{Challenge, CodeGrant, Shared, State};
use crate::Dialect;

/// Answers a non-control request that no fault intercepted.
pub(crate) fn route(shared: &Shared, request: &Request) -> Response {
    match request.path.as_str() {
        TAXCOM_AUTHORIZE_PATH | KONTUR_AUTHORIZE_PATH | GEARCODE_AUTHORIZE_PATH => {
            if request.method != "GET" {
                return method_not_allowed("GET");
            }
            authorize_at(shared, &request.path, &request.query, Login::Browser)
                .unwrap_or_else(|| Response::text(404, "Not Found"))
        }
        TAXCOM_TOKEN_PATH => taxcom::token(shared, request),
        KONTUR_TOKEN_PATH => kontur::token(shared, request),
        KONTUR_DISCOVERY_PATH => kontur::discovery(shared, request),
        KONTUR_PAR_PATH => par::push(shared, request),
        KONTUR_JWKS_PATH => kontur::jwks(shared, request),
        KONTUR_USERINFO_PATH => oidc::userinfo(shared, request),
        KONTUR_REVOCATION_PATH => oidc::revocation(shared, request),
        KONTUR_INTROSPECTION_PATH => oidc::introspection(shared, request),
        KONTUR_DEVICE_AUTHORIZATION_PATH => device::authorization(shared, request),
        GEARCODE_TOKEN_PATH => gearcode::token(shared, request),
        CUBA_TOKEN_PATH => cuba::token(shared, request),
        RESOURCE_PATH => resource(shared, request),
        LOGIN_PATH => pages::login(shared, request),
        DEVICE_VERIFICATION_PATH => pages::device(shared, request),
        _ => Response::text(404, "Not Found"),
    }
}

/// Runs the authorize step of the dialect whose authorize endpoint is `path` on this
/// query string; `None` if `path` is no authorize endpoint. Used by the GET on the
/// endpoint itself and by the login form, which carries the original query string.
pub(crate) fn authorize_at(
    shared: &Shared,
    path: &str,
    query: &str,
    login: Login,
) -> Option<Response> {
    let pushed;
    let (query, params) = match par::resolve(shared, path, query) {
        Ok(None) => (query, Params::parse(query.as_bytes())),
        Ok(Some(q)) => {
            pushed = q;
            (pushed.as_str(), Params::parse(pushed.as_bytes()))
        }
        Err(response) => return Some(response),
    };
    Some(match path {
        TAXCOM_AUTHORIZE_PATH => taxcom::authorize(shared, query, &params, login),
        KONTUR_AUTHORIZE_PATH => kontur::authorize(shared, query, &params, login),
        GEARCODE_AUTHORIZE_PATH => gearcode::authorize(shared, query, &params, login),
        _ => return None,
    })
}

/// The answer to a refresh grant whose token is (as if) revoked, in the dialect's words.
pub(crate) fn revoked_refresh_answer(dialect: Option<Dialect>, token: &str) -> Response {
    match dialect {
        Some(Dialect::GearCode) => gearcode::invalid_refresh_token(),
        Some(Dialect::Cuba) => cuba::invalid_refresh_token(token),
        _ => OAuthError::bare("invalid_grant").response(),
    }
}

/// `GET /api/me`: the sub and dialect behind a valid bearer token.
fn resource(shared: &Shared, request: &Request) -> Response {
    if request.method != "GET" {
        return method_not_allowed("GET");
    }
    let state = shared.lock();
    match bearer_token(request).and_then(|t| state.check_access(t)) {
        Some(grant) => Response::json(
            200,
            &json!({"sub": grant.sub, "dialect": grant.dialect.name()}),
        ),
        None => invalid_token(),
    }
}

/// The token of an `Authorization: Bearer …` header (or `DPoP …`, whose proof the
/// DPoP layer checked before).
pub(crate) fn bearer_token(request: &Request) -> Option<&str> {
    request
        .header("authorization")
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("dpop")
        })
        .map(|(_, token)| token.trim())
}

/// RFC 6750 §3.1: the answer to a missing, unknown, revoked or expired bearer token.
pub(crate) fn invalid_token() -> Response {
    Response::json(
        401,
        &json!({
            "error": "invalid_token",
            "error_description": "The access token is missing, unknown or expired",
        }),
    )
    .header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
}

// --- Parameters --------------------------------------------------------------------

/// Decoded `application/x-www-form-urlencoded` parameters (query string or body).
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses a query string or form body. Invalid UTF-8 is replaced, so a wrongly
    /// encoded password simply does not match.
    pub fn parse(bytes: &[u8]) -> Params {
        Params {
            pairs: form_urlencoded::parse(bytes).into_owned().collect(),
        }
    }

    /// The value of a parameter. RFC 6749 §3.1: a parameter sent without a value is
    /// treated as omitted.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// The name of a parameter sent more than once, which RFC 6749 §3.1 forbids.
    pub fn repeated(&self) -> Option<&str> {
        self.pairs
            .iter()
            .enumerate()
            .find_map(|(i, (name, value))| {
                let again = self.pairs[i + 1..]
                    .iter()
                    .any(|(n, v)| n == name && !v.is_empty());
                (!value.is_empty() && again).then_some(name.as_str())
            })
    }
}

// --- Errors --------------------------------------------------------------------------

/// An RFC 6749 §5.2 error.
pub(crate) struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: Option<String>,
}

impl OAuthError {
    /// A `400` error with a description.
    pub fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status: 400,
            error,
            description: Some(description.into()),
        }
    }

    /// A `400` error without a description (IdentityServer's terse style).
    pub fn bare(error: &'static str) -> OAuthError {
        OAuthError {
            status: 400,
            error,
            description: None,
        }
    }

    pub fn response(&self) -> Response {
        let mut body = Map::new();
        body.insert("error".into(), Value::from(self.error));
        if let Some(description) = &self.description {
            body.insert(
                "error_description".into(),
                Value::from(description.as_str()),
            );
        }
        Response::json(self.status, &Value::Object(body))
    }
}

pub(crate) fn method_not_allowed(allow: &str) -> Response {
    Response::text(405, "Method Not Allowed").header("Allow", allow)
}

/// The checks every token endpoint shares: POST only (else `405`), a form body (else
/// `400 invalid_request`), no repeated parameters.
pub(crate) fn token_request(request: &Request) -> Result<Params, Response> {
    if request.method != "POST" {
        return Err(method_not_allowed("POST"));
    }
    form_body(request).map_err(|e| e.response())
}

/// The form body, if the request declares one.
pub(crate) fn form_body(request: &Request) -> Result<Params, OAuthError> {
    if request.media_type().as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(OAuthError::new(
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(&request.body);
    if let Some(name) = params.repeated() {
        return Err(OAuthError::new(
            "invalid_request",
            format!("parameter {name} is repeated"),
        ));
    }
    Ok(params)
}

// --- Client authentication -----------------------------------------------------------

/// What the `Authorization: Basic` header carried.
pub(crate) enum BasicAuth {
    /// No Authorization header, or another scheme.
    Absent,
    /// A Basic header that does not decode to `id:secret`.
    Invalid,
    /// The decoded id and secret.
    Credentials { id: String, secret: String },
}

/// Parses HTTP Basic client credentials.
///
/// `url_decode` selects the dialect: IdentityServer URL-decodes id and secret after
/// base64 decoding (as RFC 6749 §2.3.1 has clients form-encode them), Spring does not.
pub(crate) fn basic_auth(request: &Request, url_decode: bool) -> BasicAuth {
    let Some(value) = request.header("authorization") else {
        return BasicAuth::Absent;
    };
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return BasicAuth::Absent;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return BasicAuth::Absent;
    }
    let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
        return BasicAuth::Invalid;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return BasicAuth::Invalid;
    };
    let Some((id, secret)) = decoded.split_once(':') else {
        return BasicAuth::Invalid;
    };
    if url_decode {
        BasicAuth::Credentials {
            id: url_decode_component(id),
            secret: url_decode_component(secret),
        }
    } else {
        BasicAuth::Credentials {
            id: id.to_string(),
            secret: secret.to_string(),
        }
    }
}

/// Decodes like .NET's `WebUtility.UrlDecode`: `+` is a space, `%XX` a byte, anything
/// else (including a stray `%`) stays as it is.
fn url_decode_component(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// --- Authorize -----------------------------------------------------------------------

/// How the authorize step learns what the user decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Login {
    /// A GET on the authorize endpoint: approve at once, or show the login form when
    /// the emulator is interactive.
    Browser,
    /// The login form was posted with the test user's credentials: approve.
    Approved,
    /// The login form's "Deny" button: `access_denied`.
    Denied,
}

/// How one dialect's authorize endpoint differs from the others.
pub(crate) struct AuthorizeSpec {
    pub dialect: Dialect,
    /// The authorize endpoint's path (the login form sends the user back to it).
    pub path: &'static str,
    pub client_id: &'static str,
    /// The parameter names the redirect address may come under.
    pub redirect_params: &'static [&'static str],
    /// The error for an unregistered redirect address (never redirected to).
    pub redirect_mismatch: fn() -> OAuthError,
    /// Whether redirects carry `iss` (RFC 9207), the emulator's base URL.
    pub sends_iss: bool,
}

/// What the dialect-specific checks grant.
pub(crate) struct Granted {
    pub scope: String,
    pub nonce: Option<String>,
}

/// The authorize endpoint: the test user approves, at once or after the login form.
///
/// `query` is the raw query string of the request (`params` parsed from it), which the
/// login form carries along. `check` validates the dialect's own parameters (scope,
/// state, nonce); its error is sent back to the redirect address, since by then that
/// address is known to be good.
pub(crate) fn authorize(
    shared: &Shared,
    query: &str,
    params: &Params,
    login: Login,
    spec: &AuthorizeSpec,
    check: impl Fn(&Params) -> Result<Granted, (&'static str, &'static str)>,
) -> Response {
    // Until the redirect address is validated, errors go to the user agent, not to it
    // (RFC 6749 §4.1.2.1): otherwise this would be an open redirector.
    if let Some(name) = params.repeated() {
        return OAuthError::new("invalid_request", format!("parameter {name} is repeated"))
            .response();
    }
    match params.get("client_id") {
        None => return OAuthError::new("invalid_request", "client_id is required").response(),
        Some(id) if id != spec.client_id => {
            return OAuthError::new(
                "unauthorized_client",
                "Unknown client or client not enabled",
            )
            .response()
        }
        Some(_) => {}
    }
    let mut redirects = spec
        .redirect_params
        .iter()
        .filter_map(|name| params.get(name));
    let Some(redirect_uri) = redirects.next() else {
        return (spec.redirect_mismatch)().response();
    };
    if !redirect_uri_matches(redirect_uri) || redirects.any(|other| other != redirect_uri) {
        return (spec.redirect_mismatch)().response();
    }

    let state = params.get("state");
    // RFC 9207 §2: the issuer goes with every authorization response, errors included.
    let iss = spec.sends_iss.then_some(shared.base_url.as_str());
    let back_with_error = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        pairs.extend(state.map(|s| ("state", s)));
        pairs.extend(iss.map(|i| ("iss", i)));
        redirect_to(redirect_uri, &pairs)
    };

    if params.get("response_type") != Some("code") {
        return back_with_error("unsupported_response_type", "response_type must be code");
    }
    let granted = match check(params) {
        Ok(granted) => granted,
        Err((error, description)) => return back_with_error(error, description),
    };
    let challenge = match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (None, _) => None,
        (Some(value), None | Some("plain")) => Some(Challenge {
            value: value.to_string(),
            s256: false,
        }),
        (Some(value), Some("S256")) => Some(Challenge {
            value: value.to_string(),
            s256: true,
        }),
        (Some(_), Some(_)) => {
            return back_with_error(
                "invalid_request",
                "code_challenge_method must be S256 or plain",
            )
        }
    };

    // Everything is valid: now the user decides.
    match login {
        Login::Browser if shared.lock().interactive => {
            // OpenID Connect Core §3.1.2.1: prompt=none must not show any page.
            if params.get("prompt") == Some("none") {
                return back_with_error("login_required", "The user must sign in");
            }
            return pages::login_page(&pages::Target::Authorize {
                endpoint: spec.path,
                query,
            });
        }
        Login::Browser | Login::Approved => {}
        Login::Denied => return back_with_error("access_denied", "The user denied the request"),
    }

    let code = shared.random.token::<32>();
    shared.lock().insert_code(
        code.clone(),
        CodeGrant {
            dialect: spec.dialect,
            client_id: spec.client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            scope: granted.scope,
            nonce: granted.nonce,
            challenge,
            issued: std::time::Instant::now(),
            auth_time: unix_now(),
        },
    );
    let mut pairs = vec![("code", code.as_str())];
    pairs.extend(state.map(|s| ("state", s)));
    pairs.extend(iss.map(|i| ("iss", i)));
    redirect_to(redirect_uri, &pairs)
}

/// Whether a redirect URI sent at authorize matches the registered [`REDIRECT_URI`]:
/// exactly, or as a loopback IP literal with any port (RFC 8252 §7.3). A string check,
/// not a URL parse, so that nothing a parser would normalise (`/./callback`,
/// `0x7f.1`, a default port spelled out) sneaks through.
pub(crate) fn redirect_uri_matches(uri: &str) -> bool {
    if uri == REDIRECT_URI {
        return true;
    }
    let Some(rest) = ["http://127.0.0.1", "http://[::1]"]
        .iter()
        .find_map(|host| uri.strip_prefix(host))
    else {
        return false;
    };
    let path = match rest.strip_prefix(':') {
        None => rest,
        Some(port_and_path) => {
            let split = port_and_path.find('/').unwrap_or(port_and_path.len());
            let (port, path) = port_and_path.split_at(split);
            let port_ok = (1..=5).contains(&port.len())
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u16>().is_ok_and(|p| p != 0);
            if !port_ok {
                return false;
            }
            path
        }
    };
    let registered_path = REDIRECT_URI
        .strip_prefix("http://127.0.0.1")
        .unwrap_or(REDIRECT_URI);
    path == registered_path
}

/// `302` to `base` with these parameters added to its query.
fn redirect_to(base: &str, pairs: &[(&str, &str)]) -> Response {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let separator = if base.contains('?') { '&' } else { '?' };
    Response::empty(302).header("Location", &format!("{base}{separator}{query}"))
}

// --- Code redemption -----------------------------------------------------------------

/// Redeems an authorization code at the token endpoint.
///
/// `redirect_names`: the parameter names the redirect address may come under (Taxcom
/// also takes its document's `redirect_url`). `redirect_required`: whether the token
/// request must repeat it (RFC 6749 §4.1.3; GearCode's document leaves it out, so there
/// it is only checked when sent).
pub(crate) fn redeem_code(
    state: &mut State,
    dialect: Dialect,
    client_id: &str,
    params: &Params,
    redirect_names: &[&str],
    redirect_required: bool,
) -> Result<CodeGrant, OAuthError> {
    let Some(code) = params.get("code") else {
        return Err(OAuthError::new("invalid_request", "code is required"));
    };
    let invalid = || {
        OAuthError::new(
            "invalid_grant",
            "Invalid, expired or used authorization code",
        )
    };
    let grant = state.take_code(code).ok_or_else(invalid)?;
    if grant.dialect != dialect
        || grant.client_id != client_id
        || grant.issued.elapsed().as_secs() >= CODE_LIFETIME_SECS
    {
        return Err(invalid());
    }
    match redirect_names.iter().find_map(|name| params.get(name)) {
        Some(uri) if uri == grant.redirect_uri => {}
        None if !redirect_required => {}
        _ => {
            return Err(OAuthError::new(
                "invalid_grant",
                "redirect_uri does not match the authorization request",
            ))
        }
    }
    if let Some(challenge) = &grant.challenge {
        if !pkce_matches(challenge, params.get("code_verifier")) {
            return Err(OAuthError::new("invalid_grant", "PKCE verification failed"));
        }
    }
    Ok(grant)
}

/// RFC 7636 §4.6.
fn pkce_matches(challenge: &Challenge, verifier: Option<&str>) -> bool {
    let Some(verifier) = verifier else {
        return false;
    };
    if challenge.s256 {
        b64url(digest(&SHA256, verifier.as_bytes()).as_ref()) == challenge.value
    } else {
        verifier == challenge.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_decoding_is_lenient() {
        assert_eq!(url_decode_component("p%40ss%2Bword%25"), "p@ss+word%");
        assert_eq!(url_decode_component("a+b%zz%"), "a b%zz%");
        assert_eq!(url_decode_component("%D1%91"), "ё");
    }

    #[test]
    fn loopback_redirect_uris_may_name_any_port() {
        for good in [
            REDIRECT_URI,
            "http://127.0.0.1:8080/callback",
            "http://127.0.0.1:1/callback",
            "http://[::1]:65535/callback",
            "http://[::1]/callback",
        ] {
            assert!(redirect_uri_matches(good), "{good}");
        }
        for bad in [
            "http://127.0.0.1:/callback",
            "http://127.0.0.1:0/callback",
            "http://127.0.0.1:65536/callback",
            "http://127.0.0.1:8080/callback/",
            "http://127.0.0.1:8080/callback?x=1",
            "http://127.0.0.1:8080/./callback",
            "http://127.0.0.1:+80/callback",
            "http://localhost:8080/callback",
            "https://127.0.0.1:8080/callback",
            "http://127.0.0.1:8080@evil.test/callback",
            "http://127.0.0.2:8080/callback",
            "http://127.0.0.10:8080/callback",
        ] {
            assert!(!redirect_uri_matches(bad), "{bad}");
        }
    }

    #[test]
    fn empty_and_repeated_parameters() {
        let params = Params::parse(b"a=&a=1&b=2&b=3&c=");
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("c"), None);
        assert_eq!(params.repeated(), Some("b"));
    }

    #[test]
    fn pkce_s256_matches_rfc7636_example() {
        let challenge = Challenge {
            value: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            s256: true,
        };
        assert!(pkce_matches(
            &challenge,
            Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        ));
        assert!(!pkce_matches(&challenge, Some("wrong")));
        assert!(!pkce_matches(&challenge, None));
    }
}
