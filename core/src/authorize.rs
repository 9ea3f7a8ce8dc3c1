//! The front channel: building the authorization URL (RFC 6749 §4.1.1, RFC 7636 PKCE)
//! and reading the redirect back (§4.1.2).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use subtle::ConstantTimeEq;
use url::Url;

use crate::client::Client;
use crate::error::{Error, OAuthError, Result};
use crate::random::RandomBytes;
use crate::redact::truncate;
use crate::secret::{AuthorizationCode, PkceVerifier};
use crate::validate;

/// What [`AuthorizationUrlBuilder::build`] returns: the URL to open in the browser, and the
/// values to keep until the redirect comes back.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// The URL to send the user to.
    pub url: String,
    /// The `state` sent; pass it to [`parse_callback`].
    pub state: String,
    /// The OpenID Connect `nonce` sent, if any; the id_token's `nonce` claim must equal it.
    pub nonce: Option<String>,
    /// The PKCE verifier; pass it to [`crate::TokenRequest::pkce_verifier`].
    pub pkce_verifier: Option<PkceVerifier>,
    /// The redirect URI sent, if any; the code exchange must send the same one.
    pub redirect_uri: Option<String>,
    /// The issuer the redirect's `iss` must name (RFC 9207), when the client knows it
    /// (configured with [`ClientBuilder::issuer`](crate::ClientBuilder::issuer) or
    /// discovered).
    pub issuer: Option<String>,
    /// Whether the redirect must carry `iss`: the provider's metadata says
    /// `authorization_response_iss_parameter_supported`.
    pub issuer_required: bool,
}

impl AuthorizationRequest {
    /// Reads the redirect back: [`parse_callback_with_issuer`] with this request's state
    /// and issuer. A redirect whose `iss` names another issuer, or that has none although
    /// the provider promises one, is refused with [`Error::IssuerMismatch`].
    pub fn parse_callback(&self, callback: &str) -> Result<AuthorizationCode> {
        parse_callback_with_issuer(
            callback,
            &self.state,
            self.issuer.as_deref(),
            self.issuer_required,
        )
    }
}

/// Builds an authorization URL. Created by [`Client::authorization_url`]; owns a clone of
/// the client (cheap), so it is `Send + 'static` like the other requests.
#[derive(Debug)]
#[must_use = "call .build() to get the URL"]
pub struct AuthorizationUrlBuilder {
    client: Client,
    scopes: Option<Vec<String>>,
    state: Option<String>,
    nonce: Option<String>,
    pkce_verifier: Option<PkceVerifier>,
    redirect_uri: Option<String>,
    params: Vec<(String, String)>,
}

impl Client {
    /// Starts an authorization URL with a fresh `state`, PKCE verifier (S256, unless the
    /// client disabled PKCE) and, when the scopes include `openid`, a `nonce`, all from the
    /// OS random source.
    ///
    /// ```
    /// use authgate::{Client, Provider};
    /// let client = Client::builder(Provider::KonturExtern)
    ///     .base_url("https://identity.testkontur.ru")
    ///     .client_id("my-service")
    ///     .client_secret("api-key")
    ///     .redirect_uri("http://127.0.0.1:8400/callback")
    ///     .build()?;
    /// let req = client.authorization_url().build()?;
    /// assert!(req.url.starts_with("https://identity.testkontur.ru/connect/authorize?response_type=code"));
    /// assert!(req.url.contains("scope=openid+extern.api"));
    /// assert!(req.nonce.is_some() && req.pkce_verifier.is_some());
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn authorization_url(&self) -> AuthorizationUrlBuilder {
        AuthorizationUrlBuilder {
            client: self.clone(),
            scopes: None,
            state: None,
            nonce: None,
            pkce_verifier: None,
            redirect_uri: None,
            params: Vec::new(),
        }
    }
}

impl AuthorizationUrlBuilder {
    /// Replaces the client's default scopes for this request.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Uses this `state` instead of a random one.
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// Uses this `nonce` (and sends one even without the `openid` scope).
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Uses this PKCE verifier instead of a random one (43 to 128 characters of
    /// `A-Z a-z 0-9 - . _ ~`, RFC 7636 §4.1).
    pub fn pkce_verifier(mut self, verifier: impl Into<PkceVerifier>) -> Self {
        self.pkce_verifier = Some(verifier.into());
        self
    }

    /// Uses this redirect URI instead of the client's.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// Adds a parameter to this URL only. Not one authgate sets itself (`response_type`,
    /// `client_id`, `state`, `nonce`, `code_challenge`, `code_challenge_method`):
    /// [`build`](Self::build) refuses those with [`Error::InvalidArgument`].
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// Builds the URL. When the client pushes authorization requests
    /// ([`ClientBuilder::pushed_authorization_requests`](crate::ClientBuilder::pushed_authorization_requests),
    /// on by default when discovery says `require_pushed_authorization_requests`), this
    /// is [`push`](Self::push): a network call.
    pub fn build(self) -> Result<AuthorizationRequest> {
        let push = self.client.inner.oidc.par;
        self.finish(push)
    }

    /// Pushes the request's parameters to the pushed authorization request endpoint
    /// (RFC 9126), authenticated as token requests are, and returns the short URL that
    /// carries only `client_id` and the `request_uri` the server answered (valid once,
    /// for the time the server says: open it at once). A network call within the
    /// client's timeout; its errors are those of a token request
    /// ([`Error::OAuth`] for what the server refused, [`Error::Transport`], …), and a
    /// client without the endpoint is an [`Error::Config`].
    pub fn push(self) -> Result<AuthorizationRequest> {
        self.finish(true)
    }

    fn finish(self, push: bool) -> Result<AuthorizationRequest> {
        let inner = &self.client.inner;
        let endpoint = inner.authorization_endpoint.as_ref().ok_or_else(|| {
            Error::Config(format!(
                "the {} client has no authorization endpoint",
                inner.provider.name()
            ))
        })?;
        let scopes = self.scopes.as_deref().unwrap_or(&inner.scopes);
        validate::scopes(scopes, Error::InvalidArgument)?;
        validate::params(
            "param",
            &self.params,
            validate::RESERVED_AUTHORIZATION_PARAMS,
            Error::InvalidArgument,
        )?;
        let want_nonce = self.nonce.is_none() && scopes.iter().any(|s| s == "openid");
        let want_verifier = self.pkce_verifier.is_none() && inner.pkce;
        // Every random value this request needs, from one read of the OS source.
        let (drawn_state, drawn_nonce) = (self.state.is_none(), self.nonce.is_none());
        let mut random = RandomBytes::read(
            16 * usize::from(self.state.is_none())
                + 16 * usize::from(want_nonce)
                + 32 * usize::from(want_verifier),
        )?;
        let state = match self.state {
            Some(s) if s.is_empty() => return Err(Error::InvalidArgument("state is empty".into())),
            Some(s) => s,
            None => random.token(16),
        };
        let nonce = match self.nonce {
            Some(n) if n.is_empty() => return Err(Error::InvalidArgument("nonce is empty".into())),
            Some(n) => Some(n),
            None if want_nonce => Some(random.token(16)),
            None => None,
        };
        let pkce_verifier = match self.pkce_verifier {
            Some(v) => {
                check_verifier(v.secret())?;
                Some(v)
            }
            None if want_verifier => Some(PkceVerifier::new(random.token(32))),
            None => None,
        };
        // The client's head (its scopes and redirect URI) was encoded when it was built.
        let client_head = self.scopes.is_none() && self.redirect_uri.is_none();
        let redirect_uri = self.redirect_uri.or_else(|| inner.redirect_uri.clone());
        if redirect_uri.as_deref() == Some("") {
            return Err(Error::InvalidArgument("redirect_uri is empty".into()));
        }

        let challenge = pkce_verifier.as_ref().map(|v| pkce_challenge(v.secret()));
        // The parameters of this request, after the fixed ones (`head_pairs`) and before
        // the configured and per-request extras, in the order the URL carries them.
        // With each, whether authgate drew it (base64url: nothing to encode).
        let mut own: Vec<(&str, &str, bool)> = Vec::with_capacity(4);
        own.push(("state", &state, drawn_state));
        if let Some(n) = &nonce {
            own.push(("nonce", n, drawn_nonce));
        }
        if let Some(c) = &challenge {
            own.push(("code_challenge", c, true));
            own.push(("code_challenge_method", "S256", true));
        }
        let url = if push {
            let scope = scope_value(scopes);
            let mut pairs =
                head_pairs(None, &inner.redirect_param, redirect_uri.as_deref(), &scope);
            pairs.extend(own.iter().map(|&(k, v, _)| (k, v)));
            for (k, v) in inner.authorization_params.iter().chain(&self.params) {
                pairs.push((k, v));
            }
            let request_uri = self.client.push_authorization_request(&pairs)?;
            let mut q = query_appender(endpoint);
            q.append_pair("client_id", &inner.client_id);
            q.append_pair("request_uri", &request_uri);
            q.finish()
        } else {
            let own_head = (!client_head).then(|| {
                url_head(
                    endpoint,
                    &inner.client_id,
                    &inner.redirect_param,
                    redirect_uri.as_deref(),
                    scopes,
                )
            });
            let head = own_head
                .as_deref()
                .or(inner.authorization_url_head.as_deref());
            let head = head.unwrap_or_default();
            let mut url =
                String::with_capacity(head.len() + 160 + inner.authorization_url_tail.len());
            url.push_str(head);
            for (k, v, drawn) in own {
                if drawn {
                    debug_assert!(v.bytes().all(form_safe));
                    url.extend(["&", k, "=", v]);
                } else {
                    append_pair(&mut url, k, v);
                }
            }
            url.push_str(&inner.authorization_url_tail);
            for (k, v) in &self.params {
                append_pair(&mut url, k, v);
            }
            url
        };
        Ok(AuthorizationRequest {
            url,
            state,
            nonce,
            pkce_verifier,
            redirect_uri,
            issuer: inner.oidc.issuer.clone(),
            issuer_required: inner.oidc.issuer_required,
        })
    }
}

/// A serializer that appends query pairs to the endpoint's URL, as
/// [`Url::query_pairs_mut`] does (after its query, if it has one), into a string sized
/// once: the URL is only handed out as text, so it is not parsed again.
fn query_appender(endpoint: &Url) -> url::form_urlencoded::Serializer<'static, String> {
    let base = endpoint.as_str();
    let mut text = String::with_capacity(base.len() + 384);
    text.push_str(base);
    // Endpoints never have a fragment (`check_endpoint`), so the query ends the URL.
    let start = match base.find('?') {
        Some(i) => i + 1,
        None => {
            text.push('?');
            text.len()
        }
    };
    url::form_urlencoded::Serializer::for_suffix(text, start)
}

/// The fixed parameters that start every authorization request, in their order:
/// `response_type`, `client_id` (not in a pushed request, which authenticates the
/// client instead), the redirect URI under the client's parameter name, `scope`.
fn head_pairs<'a>(
    client_id: Option<&'a str>,
    redirect_param: &'a str,
    redirect_uri: Option<&'a str>,
    scope: &'a Option<String>,
) -> Vec<(&'a str, &'a str)> {
    let mut pairs = Vec::with_capacity(12);
    pairs.push(("response_type", "code"));
    pairs.extend(client_id.map(|id| ("client_id", id)));
    pairs.extend(redirect_uri.map(|r| (redirect_param, r)));
    pairs.extend(scope.as_deref().map(|s| ("scope", s)));
    pairs
}

/// The `scope` parameter's value: the scopes joined by spaces, none when there are none.
fn scope_value(scopes: &[String]) -> Option<String> {
    (!scopes.is_empty()).then(|| scopes.join(" "))
}

/// The authorization URL up to the request's own parameters: the endpoint and
/// [`head_pairs`], form-encoded. A client encodes its own once, when it is built
/// (`authorization_url_head`), so that a URL costs only what changes per request.
pub(crate) fn url_head(
    endpoint: &Url,
    client_id: &str,
    redirect_param: &str,
    redirect_uri: Option<&str>,
    scopes: &[String],
) -> String {
    let scope = scope_value(scopes);
    let mut q = query_appender(endpoint);
    q.extend_pairs(head_pairs(
        Some(client_id),
        redirect_param,
        redirect_uri,
        &scope,
    ));
    q.finish()
}

/// Pairs as they follow the head: `&name=value` each, form-encoded. A client encodes its
/// configured authorization parameters once (`authorization_url_tail`).
pub(crate) fn encoded_pairs(pairs: &[(String, String)]) -> String {
    let mut text = String::new();
    for (k, v) in pairs {
        append_pair(&mut text, k, v);
    }
    text
}

/// Appends `&name=value` to a query that already has a pair, form-encoded as
/// [`url::form_urlencoded::Serializer::append_pair`] would.
fn append_pair(query: &mut String, name: &str, value: &str) {
    query.push('&');
    query.extend(url::form_urlencoded::byte_serialize(name.as_bytes()));
    query.push('=');
    query.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
}

/// A byte the form encoding keeps as it is (every base64url character is one).
fn form_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_')
}

/// The S256 challenge of a verifier (RFC 7636 §4.2).
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn check_verifier(v: &str) -> Result<()> {
    let ok_chars = v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !(43..=128).contains(&v.len()) || !ok_chars {
        return Err(Error::InvalidArgument(
            "a PKCE verifier is 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)".into(),
        ));
    }
    Ok(())
}

/// Reads the redirect back: `callback` is the full redirect URL or just its query string.
///
/// The `state` is compared with `expected_state` in constant time. On success the one-time
/// code is returned; when the server sent `error` (the user declined, say), that comes
/// back as [`Error::OAuth`] with `status` `None`. `iss` is not checked: prefer
/// [`AuthorizationRequest::parse_callback`], which knows the issuer, or
/// [`parse_callback_with_issuer`].
///
/// Values are percent-decoded to bytes and never patched: a `code` that is not UTF-8 is
/// refused with [`Error::InvalidArgument`] naming it (it could not be sent back as the
/// server issued it), and a `state` that is not UTF-8 cannot match.
///
/// ```
/// let code = authgate::parse_callback("http://127.0.0.1/callback?code=abc&state=xyz", "xyz")?;
/// assert_eq!(code.secret(), "abc");
/// let err = authgate::parse_callback("?code=abc&state=evil", "xyz").unwrap_err();
/// assert!(matches!(err, authgate::Error::StateMismatch));
/// let err = authgate::parse_callback("error=access_denied&state=xyz", "xyz").unwrap_err();
/// assert_eq!(err.oauth().unwrap().error, "access_denied");
/// # Ok::<(), authgate::Error>(())
/// ```
pub fn parse_callback(callback: &str, expected_state: &str) -> Result<AuthorizationCode> {
    parse_callback_with_issuer(callback, expected_state, None, false)
}

/// [`parse_callback`] that also checks the authorization server's issuer identifier
/// (RFC 9207), the defence against mix-up attacks when a client talks to several
/// providers.
///
/// When `expected_issuer` is set and the redirect carries `iss`, the two must be equal
/// (exact string comparison, RFC 9207 §2.4); when `issuer_required` is true (the
/// provider's metadata says `authorization_response_iss_parameter_supported`), a redirect
/// without `iss` is refused too. Both failures are [`Error::IssuerMismatch`], checked
/// before anything else, an error redirect included. Providers that send no `iss` and
/// do not promise it keep working.
///
/// ```
/// use authgate::{parse_callback_with_issuer, Error};
/// let issuer = Some("https://id.example");
/// let ok = parse_callback_with_issuer("?code=c&state=s&iss=https%3A%2F%2Fid.example", "s", issuer, true)?;
/// assert_eq!(ok.secret(), "c");
/// let err = parse_callback_with_issuer("?code=c&state=s&iss=https%3A%2F%2Fevil.example", "s", issuer, false);
/// assert!(matches!(err, Err(Error::IssuerMismatch { .. })));
/// let err = parse_callback_with_issuer("?code=c&state=s", "s", issuer, true);
/// assert!(matches!(err, Err(Error::IssuerMismatch { received: None, .. })));
/// # Ok::<(), authgate::Error>(())
/// ```
pub fn parse_callback_with_issuer(
    callback: &str,
    expected_state: &str,
    expected_issuer: Option<&str>,
    issuer_required: bool,
) -> Result<AuthorizationCode> {
    if expected_state.is_empty() {
        return Err(Error::InvalidArgument("expected_state is empty".into()));
    }
    if issuer_required && expected_issuer.is_none() {
        return Err(Error::InvalidArgument(
            "issuer_required needs the expected issuer".into(),
        ));
    }
    let callback = callback.trim();
    if callback.is_empty() {
        return Err(Error::InvalidArgument("the callback is empty".into()));
    }
    let query = match Url::parse(callback) {
        Ok(url) => url.query().unwrap_or("").to_owned(),
        Err(_) => callback
            .split_once('?')
            .map_or(callback, |(_, q)| q)
            .split('#')
            .next()
            .unwrap_or("")
            .to_owned(),
    };

    let mut code = None;
    let mut state = None;
    let mut iss = None;
    let mut error = None;
    let mut description = None;
    let mut uri = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match form_decode(k).as_slice() {
            b"code" => &mut code,
            b"state" => &mut state,
            b"iss" => &mut iss,
            b"error" => &mut error,
            b"error_description" => &mut description,
            b"error_uri" => &mut uri,
            _ => continue,
        };
        // RFC 6749 §3.1: parameters must not appear more than once.
        if slot.replace(form_decode(v)).is_some() {
            return Err(Error::InvalidArgument(format!(
                "the callback carries `{}` more than once",
                String::from_utf8_lossy(&form_decode(k))
            )));
        }
    }

    if let Some(expected) = expected_issuer {
        let matches = iss.as_deref().map(|i| i == expected.as_bytes());
        if matches == Some(false) || (matches.is_none() && issuer_required) {
            return Err(Error::IssuerMismatch {
                expected: expected.to_owned(),
                received: iss.map(|i| truncate(&String::from_utf8_lossy(&i))),
            });
        }
    }
    let state_ok = state
        .as_deref()
        .is_some_and(|s| bool::from(s.ct_eq(expected_state.as_bytes())));
    // Display text from the front channel: anyone can craft the redirect, so it is capped.
    let text = |v: Option<Vec<u8>>| v.map(|v| truncate(&String::from_utf8_lossy(&v)));
    if let Some(error) = text(error) {
        // An error without state is still reported: it can only deny, never sign in.
        if state.is_some() && !state_ok {
            return Err(Error::StateMismatch);
        }
        return Err(Error::OAuth(Box::new(OAuthError {
            error,
            description: text(description),
            uri: text(uri),
            status: None,
            www_authenticate: None,
            retry_after: None,
        })));
    }
    if !state_ok {
        return Err(Error::StateMismatch);
    }
    match code.map(String::from_utf8) {
        Some(Ok(c)) if !c.is_empty() => Ok(AuthorizationCode::new(c)),
        Some(Err(_)) => Err(Error::InvalidArgument(
            "the callback's `code` is not UTF-8 once percent-decoded; authgate does not alter \
             codes, so it cannot be exchanged (a provider or proxy mangled the redirect)"
                .into(),
        )),
        _ => Err(Error::InvalidArgument(
            "the callback carries neither `code` nor `error`".into(),
        )),
    }
}

/// Decodes one `application/x-www-form-urlencoded` component to its bytes: `+` is a
/// space, `%XX` a byte (a `%` without two hex digits stays as it is).
fn form_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;

    fn client() -> Client {
        Client::builder(Provider::Taxcom)
            .base_url("https://auth-x.taxcom.example")
            .client_id("app 1")
            .client_secret("s")
            .redirect_uri("https://pos.example/cb?x=1")
            .redirect_param("redirect_url")
            .build()
            .unwrap()
    }

    #[test]
    fn state_nonce_and_verifier_are_distinct_draws_of_full_length() {
        let req = client()
            .authorization_url()
            .scopes(["openid"])
            .build()
            .unwrap();
        let nonce = req.nonce.clone().unwrap();
        let verifier = req.pkce_verifier.as_ref().unwrap().secret().to_owned();
        assert_eq!((req.state.len(), nonce.len(), verifier.len()), (22, 22, 43));
        assert!(req.state != nonce && !verifier.starts_with(&req.state));
        assert!(!verifier.contains(&nonce));
        let again = client().authorization_url().build().unwrap();
        assert_ne!(again.state, req.state);
    }

    #[test]
    fn url_has_every_parameter_encoded() {
        let v = "a".repeat(43);
        let req = client()
            .authorization_url()
            .state("st")
            .pkce_verifier(v.as_str())
            .param("prompt", "login")
            .build()
            .unwrap();
        assert_eq!(
            req.url,
            format!(
                "https://auth-x.taxcom.example/core/connect/authorize?response_type=code&client_id=app+1\
                 &redirect_url=https%3A%2F%2Fpos.example%2Fcb%3Fx%3D1&scope=api&state=st\
                 &code_challenge={}&code_challenge_method=S256&prompt=login",
                pkce_challenge(&v)
            )
        );
        assert!(req.nonce.is_none());
    }

    /// The head encoded at build time, the request's own values copied without the
    /// encoder and the extras encoded at the end give the URL the `url` crate would build
    /// from the same pairs, whatever is overridden per request.
    #[test]
    fn the_url_is_the_one_url_would_build_from_the_same_pairs() {
        let client = Client::builder(Provider::Generic)
            .authorization_endpoint("https://a.example/authorize?tenant=t%201")
            .token_endpoint("https://a.example/token")
            .client_id("pos 42/ä")
            .auth_method(crate::AuthMethod::None)
            .redirect_uri("https://pos.example/cb?x=1&y=*-._~")
            .scopes(["openid", "read:all"])
            .authorization_param("ui_locales", "ru en")
            .authorization_param("acr", "*-._")
            .build()
            .unwrap();
        let v = "A-._~".repeat(9);
        type Step = fn(AuthorizationUrlBuilder) -> AuthorizationUrlBuilder;
        let cases: [(&str, Step); 4] = [
            ("defaults", |b| b),
            ("own scopes", |b| b.scopes(["a+b", "c&d"])),
            ("own redirect", |b| b.redirect_uri("http://127.0.0.1:1/ cb")),
            ("own values", |b| {
                b.state("s t&=")
                    .nonce("n%")
                    .param("prompt", "login consent")
                    .param("x", "")
            }),
        ];
        for (name, step) in cases {
            let b = step(client.authorization_url()).pkce_verifier(v.as_str());
            let req = b.build().unwrap();
            let scope = match name {
                "own scopes" => "a+b c&d",
                _ => "openid read:all",
            };
            let challenge = pkce_challenge(&v);
            let mut pairs = vec![
                ("response_type", "code"),
                ("client_id", "pos 42/ä"),
                ("redirect_uri", req.redirect_uri.as_deref().unwrap()),
                ("scope", scope),
                ("state", &req.state),
            ];
            // A nonce goes with the openid scope, or when one is given.
            pairs.extend(req.nonce.as_deref().map(|n| ("nonce", n)));
            pairs.extend([
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("ui_locales", "ru en"),
                ("acr", "*-._"),
            ]);
            if name == "own values" {
                pairs.extend([("prompt", "login consent"), ("x", "")]);
            }
            let mut expected = Url::parse("https://a.example/authorize?tenant=t%201").unwrap();
            expected.query_pairs_mut().extend_pairs(&pairs);
            assert_eq!(req.url, expected.as_str(), "{name}");
        }
    }

    #[test]
    fn the_query_is_appended_as_url_would_append_it() {
        for endpoint in [
            "https://a.example/authorize",
            "https://a.example/authorize?",
            "https://a.example/authorize?tenant=t%201",
            "http://127.0.0.1:8080",
        ] {
            let endpoint = Url::parse(endpoint).unwrap();
            let pairs = [("response_type", "code"), ("scope", "a b"), ("x", "ä&=+")];
            let mut expected = endpoint.clone();
            expected.query_pairs_mut().extend_pairs(pairs);
            let mut q = query_appender(&endpoint);
            q.extend_pairs(pairs);
            assert_eq!(q.finish(), expected.as_str());
        }
    }

    #[test]
    fn s256_matches_an_independent_implementation() {
        // Expected value from Python: urlsafe_b64encode(sha256(verifier).digest()), unpadded.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "ngF5GsXcbwljx6u133FFr3Xht9xooA_DuaX_3QwODtc"
        );
    }

    #[test]
    fn random_values_are_fresh_and_long_enough() {
        let a = client().authorization_url().build().unwrap();
        let b = client().authorization_url().build().unwrap();
        assert_ne!(a.state, b.state);
        assert_eq!(a.pkce_verifier.as_ref().unwrap().secret().len(), 43);
        assert!(check_verifier(a.pkce_verifier.unwrap().secret()).is_ok());
    }

    #[test]
    fn bad_arguments() {
        assert!(client()
            .authorization_url()
            .pkce_verifier("short")
            .build()
            .is_err());
        assert!(client().authorization_url().state("").build().is_err());
        assert!(client()
            .authorization_url()
            .scopes(["a b"])
            .build()
            .is_err());
        assert!(parse_callback("", "s").is_err());
        assert!(parse_callback("code=1&state=s", "").is_err());
        assert!(matches!(
            parse_callback("code=1&code=2&state=s", "s"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            parse_callback("code=1", "s"),
            Err(Error::StateMismatch)
        ));
        assert!(matches!(
            parse_callback("state=s", "s"),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn form_decoding_keeps_bytes() {
        assert_eq!(form_decode("a+b%2B%ff%F"), b"a b+\xff%F");
        assert_eq!(form_decode("%"), b"%");
        assert_eq!(form_decode("%4"), b"%4");
        assert_eq!(form_decode("%41"), b"A");
    }

    #[test]
    fn a_huge_error_description_in_the_callback_is_capped() {
        let long = "x".repeat(60_000);
        let e = parse_callback(
            &format!("?error=access_denied&error_description={long}&state=s"),
            "s",
        )
        .unwrap_err();
        assert!(e.to_string().len() < 1_000, "{} bytes", e.to_string().len());
    }

    #[test]
    fn callback_forms() {
        for cb in [
            "https://pos.example/cb?code=c%2B1&state=s",
            "?code=c%2B1&state=s",
            "code=c%2B1&state=s",
            "/cb?code=c%2B1&state=s#frag",
        ] {
            assert_eq!(parse_callback(cb, "s").unwrap().secret(), "c+1", "{cb}");
        }
        let e = parse_callback(
            "?error=access_denied&error_description=User+said+no&state=s",
            "s",
        )
        .unwrap_err();
        let o = e.oauth().unwrap();
        assert_eq!(o.description.as_deref(), Some("User said no"));
        assert!(e.is_terminal());
        assert!(matches!(
            parse_callback("?error=access_denied&state=other", "s"),
            Err(Error::StateMismatch)
        ));
    }
}
