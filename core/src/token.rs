//! The back channel: the four grants at the token endpoint (RFC 6749 §4.1.3, §4.3, §4.4, §6)
//! and the classification of the answer.

use std::time::SystemTime;

use crate::client::Client;
use crate::endpoint::json_answer_repaired;
use crate::error::{Endpoint, Error, Result};
use crate::http::HttpResponse;
use crate::redact::Scrubber;
use crate::secret::{AuthorizationCode, DeviceCode, Password, PkceVerifier, RefreshToken};
use crate::token_set::TokenSet;
use crate::validate;

enum Grant {
    AuthorizationCode(AuthorizationCode),
    RefreshToken(RefreshToken),
    Password(String, Password),
    ClientCredentials,
    DeviceCode(DeviceCode),
}

/// One token request, built by [`Client::exchange_code`], [`Client::refresh`],
/// [`Client::password`] or [`Client::client_credentials`] and sent with [`send`](Self::send).
///
/// It owns what it needs (a clone of the client, which is cheap, and its inputs), so it is
/// `Send + 'static`: build it on one thread, send it on another.
///
/// ```no_run
/// # use authgate::{Client, Provider};
/// # let client = Client::builder(Provider::Cuba).base_url("http://127.0.0.1:8080")
/// #     .client_id("client").client_secret("secret").build()?;
/// let request = client.password("кассир", "p&s=w+o%rd 1");
/// let tokens = std::thread::spawn(move || request.send()).join().unwrap()?;
/// # Ok::<(), authgate::Error>(())
/// ```
#[must_use = "call .send() to make the request"]
pub struct TokenRequest {
    client: Client,
    grant: Grant,
    scopes: Option<Vec<String>>,
    /// The scopes asked for at an earlier step (the authorization URL, the device
    /// authorization): compared with the granted ones, never sent.
    asked: Option<Vec<String>>,
    params: Vec<(String, String)>,
    pkce_verifier: Option<PkceVerifier>,
    redirect_uri: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type())
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Exchanges an authorization code for tokens (RFC 6749 §4.1.3). Pass the PKCE
    /// verifier of the authorization request.
    ///
    /// ```no_run
    /// # use authgate::{Client, Provider};
    /// # let client = Client::builder(Provider::GearCode).base_url("https://gc.example")
    /// #     .client_id("id").client_secret("s").redirect_uri("https://pos.example/cb").build()?;
    /// let req = client.authorization_url().build()?;
    /// // … the user signs in; the browser comes back to the redirect URI …
    /// # let callback = "";
    /// let code = req.parse_callback(callback)?;
    /// let tokens = client
    ///     .exchange_code(code)
    ///     .pkce_verifier(req.pkce_verifier.unwrap())
    ///     .send()?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn exchange_code(&self, code: impl Into<AuthorizationCode>) -> TokenRequest {
        self.token_request(Grant::AuthorizationCode(code.into()))
    }

    /// Refreshes tokens (RFC 6749 §6). If the answer carries no new refresh token, the
    /// returned token set keeps this one; if it does (rotation, as GearCode), the old one
    /// is dead: store the new set before using it.
    ///
    /// ```no_run
    /// # use authgate::{Client, Provider, TokenSet};
    /// # let client = Client::builder(Provider::Cuba).base_url("http://127.0.0.1:8080")
    /// #     .client_id("client").client_secret("secret").build()?;
    /// # let tokens = TokenSet::parse(r#"{"access_token":"a","refresh_token":"r"}"#)?;
    /// let fresh = client.refresh(tokens.refresh_token().unwrap()).send()?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn refresh(&self, refresh_token: impl Into<RefreshToken>) -> TokenRequest {
        self.token_request(Grant::RefreshToken(refresh_token.into()))
    }

    /// The resource owner password grant (RFC 6749 §4.3), as CUBA uses it. The form body
    /// is encoded exactly, in UTF-8, whatever the login and password contain.
    ///
    /// ```no_run
    /// # use authgate::{Client, Provider};
    /// let client = Client::builder(Provider::Cuba)
    ///     .base_url("http://127.0.0.1:8080")
    ///     .client_id("client")
    ///     .client_secret("secret")
    ///     .build()?;
    /// let tokens = client.password("кассир", "p&s=w+o%rd 1").send()?;
    /// println!("expires in {:?} s", tokens.expires_in());
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn password(
        &self,
        username: impl Into<String>,
        password: impl Into<Password>,
    ) -> TokenRequest {
        self.token_request(Grant::Password(username.into(), password.into()))
    }

    /// The client credentials grant (RFC 6749 §4.4): the client acting on its own behalf.
    ///
    /// ```no_run
    /// # use authgate::{Client, Provider};
    /// # let client = Client::builder(Provider::GearCode).base_url("https://gc.example")
    /// #     .client_id("id").client_secret("s").build()?;
    /// let tokens = client.client_credentials().scopes(["read"]).send()?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn client_credentials(&self) -> TokenRequest {
        self.token_request(Grant::ClientCredentials)
    }

    pub(crate) fn device_token_request(&self, code: &DeviceCode) -> TokenRequest {
        self.token_request(Grant::DeviceCode(code.clone()))
    }

    fn token_request(&self, grant: Grant) -> TokenRequest {
        TokenRequest {
            client: self.clone(),
            grant,
            scopes: None,
            asked: None,
            params: Vec::new(),
            pkce_verifier: None,
            redirect_uri: None,
        }
    }
}

impl TokenRequest {
    /// Sends this scope with the request. By default the password and client credentials
    /// grants send the client's default scopes, the other grants none.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// The scopes asked for at an earlier step of this sign-in (the authorization URL,
    /// the device authorization), which the granted scope is compared with and which
    /// stands for it when the server omits it (RFC 6749 §5.1). Not sent.
    pub(crate) fn asked_scopes(mut self, scopes: &[String]) -> Self {
        self.asked = Some(scopes.to_vec());
        self
    }

    /// Adds a form parameter to this request only. Not one authgate sets itself
    /// (`grant_type`, `code`, `code_verifier`, `refresh_token`, `username`, `password`,
    /// `client_secret`): [`send`](Self::send) refuses those, as `build()` refuses them in
    /// [`ClientBuilder::token_param`](crate::ClientBuilder::token_param).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// The PKCE verifier of the authorization request (code grant only).
    pub fn pkce_verifier(mut self, verifier: impl Into<PkceVerifier>) -> Self {
        self.pkce_verifier = Some(verifier.into());
        self
    }

    /// The redirect URI sent in the authorization request, if it differs from the client's
    /// (code grant only).
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    fn grant_type(&self) -> &'static str {
        match self.grant {
            Grant::AuthorizationCode(_) => "authorization_code",
            Grant::RefreshToken(_) => "refresh_token",
            Grant::Password(..) => "password",
            Grant::ClientCredentials => "client_credentials",
            Grant::DeviceCode(_) => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    /// The form body and headers, and the secrets they carry (for scrubbing).
    fn encode(&self) -> Result<(String, Option<String>, Option<String>)> {
        let inner = &self.client.inner;
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", self.grant_type());
        match &self.grant {
            Grant::AuthorizationCode(code) => {
                if code.secret().is_empty() {
                    return Err(Error::InvalidArgument(
                        "the authorization code is empty".into(),
                    ));
                }
                form.append_pair("code", code.secret());
                if let Some(r) = self.redirect_uri.as_ref().or(inner.redirect_uri.as_ref()) {
                    form.append_pair("redirect_uri", r);
                }
                if let Some(v) = &self.pkce_verifier {
                    form.append_pair("code_verifier", v.secret());
                }
            }
            Grant::RefreshToken(rt) => {
                if rt.secret().is_empty() {
                    return Err(Error::InvalidArgument("the refresh token is empty".into()));
                }
                form.append_pair("refresh_token", rt.secret());
            }
            Grant::Password(user, password) => {
                if user.is_empty() {
                    return Err(Error::InvalidArgument("the username is empty".into()));
                }
                form.append_pair("username", user);
                form.append_pair("password", password.secret());
            }
            Grant::ClientCredentials => {}
            Grant::DeviceCode(c) => {
                form.append_pair("device_code", c.secret());
            }
        }
        if self.pkce_verifier.is_some() && !matches!(self.grant, Grant::AuthorizationCode(_)) {
            return Err(Error::InvalidArgument(
                "a PKCE verifier belongs to the authorization code grant only".into(),
            ));
        }
        let scope = self.requested_scope();
        if self.scopes.is_some() || self.sends_default_scopes() {
            if let Some(s) = &scope {
                form.append_pair("scope", s);
            }
        }

        let authorization = self.client.authenticate(&mut form)?;
        for (k, v) in inner.token_params.iter().chain(&self.params) {
            form.append_pair(k, v);
        }
        Ok((form.finish(), authorization, scope))
    }

    fn sends_default_scopes(&self) -> bool {
        matches!(self.grant, Grant::Password(..) | Grant::ClientCredentials)
    }

    /// The scope asked for, as one string: explicit scopes, those asked at an earlier
    /// step, or the client's defaults for the grants that were asked with them (the code
    /// grant asked in the authorization URL).
    fn requested_scope(&self) -> Option<String> {
        let scopes = match (self.scopes.as_ref().or(self.asked.as_ref()), &self.grant) {
            (Some(s), _) => s.clone(),
            (None, Grant::RefreshToken(_)) => return None,
            (None, _) => self.client.inner.scopes.clone(),
        };
        (!scopes.is_empty()).then(|| scopes.join(" "))
    }

    /// The checks [`send`](Self::send) makes before anything is sent, for a caller that
    /// sends later (on another thread) and wants a mistake reported now.
    ///
    /// Errors: [`Error::InvalidArgument`] for a scope that is not one word, or a
    /// [`param`](Self::param) with an empty name or one authgate sets itself.
    pub fn check(&self) -> Result<()> {
        if let Some(scopes) = &self.scopes {
            validate::scopes(scopes, Error::InvalidArgument)?;
        }
        validate::params(
            "param",
            &self.params,
            validate::RESERVED_TOKEN_PARAMS,
            Error::InvalidArgument,
        )
    }

    /// Sends the request and parses the answer.
    ///
    /// Errors: [`Error::InvalidArgument`] before anything is sent for a scope that is not
    /// one word, a [`param`](Self::param) with an empty name or one authgate sets itself
    /// (`grant_type`, `code`, …), an empty code, refresh token or username; then what the
    /// server answered. With DPoP, a `use_dpop_nonce` refusal that brings a new nonce is
    /// sent once more with it; a server that asks again gives that [`Error::OAuth`].
    pub fn send(self) -> Result<TokenSet> {
        self.check()?;
        let inner = &self.client.inner;
        let (body, authorization, scope) = self.encode()?;
        log::debug!(
            target: "authgate",
            "POST {} grant_type={}",
            inner.token_endpoint,
            self.grant_type()
        );
        let mut resp = self.post(&body, authorization.as_deref())?;
        if inner.dpop.is_some() {
            // RFC 9449 §8: a server that wants a (new) nonce refuses with `use_dpop_nonce`
            // before looking at the grant, so the same request is sent once more with it.
            let url = inner.token_endpoint.as_str();
            let fresh = resp
                .dpop_nonce
                .as_ref()
                .is_some_and(|n| self.client.remember_dpop_nonce(url, n.untrusted()));
            if fresh && asks_for_nonce(&resp) {
                log::debug!(target: "authgate", "the token endpoint asked for a DPoP nonce: sending again with it");
                resp = self.post(&body, authorization.as_deref())?;
                if let Some(n) = &resp.dpop_nonce {
                    self.client.remember_dpop_nonce(url, n.untrusted());
                }
            }
        }

        let assertion = self.client.sent_assertion(&body);
        let mut scrubber = Scrubber::default();
        if let Some(s) = &inner.client_secret {
            scrubber.add(s.secret());
        }
        if let Some(a) = &assertion {
            scrubber.add(a);
        }
        if let Some(v) = &self.pkce_verifier {
            scrubber.add(v.secret());
        }
        let previous_refresh = match &self.grant {
            Grant::AuthorizationCode(c) => {
                scrubber.add(c.secret());
                None
            }
            Grant::RefreshToken(rt) => {
                scrubber.add(rt.secret());
                Some(rt)
            }
            Grant::Password(_, p) => {
                scrubber.add(p.secret());
                None
            }
            Grant::ClientCredentials => None,
            Grant::DeviceCode(c) => {
                scrubber.add(c.secret());
                None
            }
        };
        let mut tokens = token_response(
            resp,
            &scrubber,
            scope.as_deref(),
            previous_refresh,
            inner.accept_unknown_token_type,
            inner.dpop.is_some(),
        )?;
        tokens.set_owner(self.client.owner());
        Ok(tokens)
    }
}

impl TokenRequest {
    /// POSTs the form to the token endpoint, with a fresh DPoP proof when the client uses
    /// DPoP.
    fn post(&self, body: &str, authorization: Option<&str>) -> Result<HttpResponse> {
        let inner = &self.client.inner;
        let url = inner.token_endpoint.as_str();
        let proof = match &inner.dpop {
            Some(d) => Some(d.proof("POST", url, None)?),
            None => None,
        };
        let headers: Vec<(&str, &str)> =
            [("Authorization", authorization), ("DPoP", proof.as_deref())]
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect();
        inner.http.post_form(Endpoint::Token, url, &headers, body)
    }
}

/// Whether an answer is the `use_dpop_nonce` error (RFC 9449 §8).
fn asks_for_nonce(resp: &HttpResponse) -> bool {
    matches!(resp.status, 400 | 401)
        && serde_json::from_slice::<serde_json::Value>(&resp.body)
            .is_ok_and(|v| v.get("error").and_then(|e| e.as_str()) == Some("use_dpop_nonce"))
}

/// Classifies a token endpoint answer: tokens, an OAuth error, or something unusable.
pub(crate) fn token_response(
    resp: HttpResponse,
    scrubber: &Scrubber<'_>,
    requested_scope: Option<&str>,
    previous_refresh: Option<&RefreshToken>,
    accept_unknown_token_type: bool,
    dpop: bool,
) -> Result<TokenSet> {
    let (object, json_type, repairs) = json_answer_repaired(&resp, scrubber)?;
    let patched = repairs
        .iter()
        .map(|r| r.check(&object, scrubber))
        .collect::<Result<Vec<_>>>()
        .map_err(|e| resp.blame(e))?;
    let mut tokens = TokenSet::from_object(
        object,
        requested_scope,
        previous_refresh,
        SystemTime::now(),
        accept_unknown_token_type,
        dpop,
        scrubber,
    )
    .map_err(|e| resp.blame(e))?;
    for warning in patched {
        tokens.add_warning(warning);
    }
    if !json_type {
        let mime = match &resp.content_type {
            Some(c) => scrubber.media_type(c),
            None => "no content type".into(),
        };
        tokens.add_warning(format!("the token answer is JSON but came with {mime}"));
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;

    fn assert_send_static<T: Send + 'static>() {}

    /// Requests are built on one thread and run on another (the C ABI's operations, the
    /// Python module's GIL-free calls): this fails to compile if one borrows again.
    #[test]
    fn requests_are_send_and_static() {
        assert_send_static::<TokenRequest>();
        assert_send_static::<crate::LoopbackSignIn>();
        assert_send_static::<crate::AuthorizationUrlBuilder>();
        assert_send_static::<crate::DeviceAuthorization>();
    }

    fn client() -> Client {
        // Nothing listens there: each case must fail before anything is sent.
        Client::builder(Provider::Cuba)
            .base_url("http://127.0.0.1:9")
            .client_id("client")
            .client_secret("secret")
            .build()
            .unwrap()
    }

    #[test]
    fn a_request_parameter_is_checked_like_a_token_param() {
        let e = client()
            .password("user", "pw")
            .param("grant_type", "client_credentials")
            .send()
            .unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "invalid argument: param `grant_type` is set by authgate itself and cannot be overridden"
        );
        let e = client()
            .client_credentials()
            .param("", "x")
            .send()
            .unwrap_err();
        assert!(e.to_string().contains("param with an empty name"), "{e}");
        let e = client().refresh("rt").scopes(["a\tb"]).send().unwrap_err();
        assert!(
            e.to_string()
                .contains("each scope must be one non-empty word"),
            "{e}"
        );
    }
}
