//! The `Client` class: configuration, the grants and the other calls to the server.

use authgate::BuilderSteps;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::args::{opt_params, opt_scopes, opt_str, repr, req_str};
use crate::asyncio::twin;
use crate::authorize::pkce_verifier_arg;
use crate::config_json::{build_client, client_config, client_signature};
use crate::device::{device_arg, DeviceAuthorization};
use crate::error::to_pyerr;
use crate::json::map_to_py;
use crate::oidc::Introspection;
use crate::runtime::call;
use crate::token_set::{access_token_arg, id_token_arg, refresh_token_arg, TokenSet};

/// An OAuth 2.0 client for one authorization server, from a provider preset
/// (``"generic"``, ``"taxcom"``, ``"kontur"``, ``"gearcode"``, ``"cuba"``) or explicit endpoints.
///
/// Immutable and safe to share between threads; network calls release the GIL.
/// The configuration is checked at once: a mistake raises :class:`ConfigError`.
///
/// Arguments (keyword-only but ``provider``; ``None`` means "not set"):
///     provider: the preset: ``"generic"`` (default), ``"taxcom"``, ``"kontur"``,
///         ``"gearcode"`` or ``"cuba"``.
///     base_url: the server's base URL; the preset's paths are appended to it.
///     authorization_endpoint: the authorization endpoint, if not base_url + path.
///     token_endpoint: the token endpoint, if not base_url + path (Taxcom's lives
///         on another host).
///     client_id: the client id. Required.
///     client_secret: the client secret; None for a public client.
///     redirect_uri: the redirect URI registered for this client.
///     scopes: the default scopes (a space-separated str or an iterable of str).
///     auth_method: ``"client_secret_basic"``, ``"client_secret_post"``, ``"none"``,
///         ``"private_key_jwt"``, ``"client_secret_jwt"``, ``"tls_client_auth"`` or
///         ``"self_signed_tls_client_auth"`` (mutual TLS).
///         Defaults to the preset's.
///     basic_encoding: ``"form"`` (RFC 6749 §2.3.1) or ``"raw"`` (Spring, CUBA).
///     token_params: extra form parameters for every token request.
///     authorization_params: extra parameters for every authorization URL.
///     redirect_param: the name of the redirect parameter in the authorization URL.
///     pkce: whether authorization URLs carry a PKCE challenge. Defaults to True.
///     allow_insecure_http: allow ``http://`` on hosts other than loopback.
///     accept_unknown_token_type: accept token answers whose ``token_type`` is not
///         ``Bearer`` (refused by default, RFC 6749 §7.1).
///     dpop: sender-constrained tokens with DPoP (RFC 9449): a proof signed with
///         the client's ES256 key on every token request.
///     dpop_key_file: the DPoP key, a P-256 private key in a PKCS#8 PEM file (a
///         key is generated when the client is built if None); turns dpop on.
///     timeout: the time allowed for a whole request (seconds or timedelta; 30 s).
///     connect_timeout: the time allowed to connect (10 s).
///     max_response_bytes: the largest response body accepted (256 KiB).
///     proxy: a proxy URL, ``"env"`` (the default: from the environment), or
///         ``"none"`` / False for none.
///     ca_file: trust only the certificates in this PEM file.
///     trust_roots: ``"bundled"`` (Mozilla's roots, the default) or ``"system"``.
///     tls_client_cert_file: mutual TLS (RFC 8705): the client certificate (PEM) presented
///         in every TLS handshake, with tls_client_key_file.
///     tls_client_key_file: the client certificate's private key (PEM, not encrypted).
///     user_agent: the User-Agent header.
///     issuer: the OpenID Connect issuer (id_tokens' ``iss``); :meth:`discover`
///         sets it and the five endpoints below.
///     jwks_uri: the provider's public keys, to validate id_tokens.
///     userinfo_endpoint: for :meth:`userinfo`.
///     revocation_endpoint: for :meth:`revoke`.
///     introspection_endpoint: for :meth:`introspect`.
///     device_authorization_endpoint: for :meth:`device_authorization`.
///     id_token_leeway: the clock skew allowed on id_token times (seconds or
///         timedelta).
///     client_key: the private key that signs ``private_key_jwt`` assertions: PEM
///         text (PKCS#8 RSA or EC P-256, or PKCS#1 RSA), a private JWK or JWK Set
///         (JSON text; its ``kid`` and ``alg`` are used), or the path of a PEM or
///         JWK file, read once; setting it makes ``private_key_jwt`` the method.
///     client_key_id: the ``kid`` of client assertions.
///     client_assertion_alg: ``"RS256"``, ``"PS256"``, ``"ES256"`` or ``"HS256"``
///         (default: from the key; HS256 for ``client_secret_jwt``).
///     client_assertion_audience: ``"token_endpoint"`` (default) or ``"issuer"``:
///         the ``aud`` of client assertions.
///     pushed_authorization_request_endpoint: the PAR endpoint (RFC 9126).
///     pushed_authorization_requests: push authorization requests first (RFC
///         9126): :meth:`authorization_url` is then a network call returning the
///         short ``request_uri`` URL. On when discovery requires it.
#[pyclass(frozen, module = "authgate", name = "Client")]
pub(crate) struct Client {
    pub(crate) inner: authgate::Client,
}

impl Client {
    /// Runs `f` with this client without the GIL (see [`call`]).
    fn call<T, F>(&self, py: Python<'_>, f: F) -> PyResult<T>
    where
        F: FnOnce(authgate::Client) -> authgate::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let client = self.inner.clone();
        call(py, move || f(client))
    }
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (provider = None, **options))]
    fn new(
        py: Python<'_>,
        provider: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let json = client_config(py, "Client", provider, options)?;
        build_client(&json)
            .map(|inner| Client { inner })
            .map_err(|e| to_pyerr(py, e))
    }

    /// The parameters of ``Client(...)``, for help() and inspect.signature: ``provider``,
    /// then each option of the core's table by its Python name, keyword-only.
    #[classattr]
    #[pyo3(name = "__signature__")]
    fn signature(py: Python<'_>) -> PyResult<Py<PyAny>> {
        client_signature(py)
    }

    /// Builds a client from the provider's OpenID Connect discovery document
    /// (``<issuer>/.well-known/openid-configuration``, cached for an hour in the process):
    /// every endpoint not given explicitly, the issuer, and the client authentication
    /// method when the preset's is not supported. Takes the same keyword arguments as
    /// :class:`Client`. The document's ``issuer`` must be ``issuer``.
    #[staticmethod]
    #[pyo3(signature = (issuer, provider = None, **options))]
    fn discover(
        py: Python<'_>,
        issuer: &Bound<'_, PyAny>,
        provider: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let issuer = req_str("issuer", issuer)?;
        let json = client_config(py, "Client.discover", provider, options)?;
        let builder = authgate::ClientBuilder::from_json(&json).map_err(|e| to_pyerr(py, e))?;
        let inner = call(py, move || builder.discover(&issuer)?.build())?;
        Ok(Client { inner })
    }

    /// Builds a client from a JSON configuration object, the same one the C ABI reads:
    /// the keys of docs/configuration.md (``provider``, ``base_url``, ``client_id``,
    /// ``timeout_ms``, …), the keyword arguments of :class:`Client` with durations in
    /// milliseconds.
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &Bound<'_, PyAny>) -> PyResult<Self> {
        let json = req_str("json", json)?;
        build_client(&json)
            .map(|inner| Client { inner })
            .map_err(|e| to_pyerr(py, e))
    }

    /// The preset's short name: ``generic``, ``taxcom``, ``kontur``, ``gearcode`` or ``cuba``.
    #[getter]
    fn provider(&self) -> &'static str {
        self.inner.provider().name()
    }

    /// The client id.
    #[getter]
    fn client_id(&self) -> &str {
        self.inner.client_id()
    }

    /// The token endpoint URL.
    #[getter]
    fn token_endpoint(&self) -> &str {
        self.inner.token_endpoint()
    }

    /// The authorization endpoint URL, or None (CUBA has none).
    #[getter]
    fn authorization_endpoint(&self) -> Option<&str> {
        self.inner.authorization_endpoint()
    }

    /// How the client authenticates: ``client_secret_basic``, ``client_secret_post``,
    /// ``none``, ``private_key_jwt`` or ``client_secret_jwt``.
    #[getter]
    fn auth_method(&self) -> &'static str {
        self.inner.auth_method().name()
    }

    /// The default scopes.
    #[getter]
    fn scopes(&self) -> Vec<String> {
        self.inner.scopes().to_vec()
    }

    /// The configured redirect URI, or None.
    #[getter]
    fn redirect_uri(&self) -> Option<&str> {
        self.inner.redirect_uri()
    }

    fn __repr__(&self) -> String {
        format!(
            "Client(provider={}, client_id={}, token_endpoint={})",
            repr(Some(self.inner.provider().name())),
            repr(Some(self.inner.client_id())),
            repr(Some(self.inner.token_endpoint()))
        )
    }

    /// Exchanges an authorization code for tokens (RFC 6749 §4.1.3). Pass the
    /// ``pkce_verifier`` of the :class:`AuthorizationRequest` (``code_verifier`` is its
    /// deprecated name).
    #[pyo3(signature = (code, *, pkce_verifier = None, redirect_uri = None, scopes = None, params = None, code_verifier = None))]
    #[allow(clippy::too_many_arguments)]
    fn exchange_code(
        &self,
        py: Python<'_>,
        code: &Bound<'_, PyAny>,
        pkce_verifier: Option<&Bound<'_, PyAny>>,
        redirect_uri: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
        code_verifier: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        let mut r = self.inner.exchange_code(req_str("code", code)?);
        r = r.maybe(pkce_verifier_arg(pkce_verifier, code_verifier)?, |b, v| {
            b.pkce_verifier(v)
        });
        r = r.maybe(opt_str("redirect_uri", redirect_uri)?, |b, u| {
            b.redirect_uri(u)
        });
        send(py, with_options(r, scopes, params)?)
    }

    /// Refreshes tokens (RFC 6749 §6) with a refresh token or a :class:`TokenSet` holding
    /// one. When the server rotates refresh tokens (GearCode), store the result at once.
    #[pyo3(signature = (refresh_token, *, scopes = None, params = None))]
    fn refresh(
        &self,
        py: Python<'_>,
        refresh_token: &Bound<'_, PyAny>,
        scopes: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        let r = self.inner.refresh(refresh_token_arg(refresh_token)?);
        send(py, with_options(r, scopes, params)?)
    }

    /// The resource owner password grant (RFC 6749 §4.3), as CUBA uses it.
    #[pyo3(signature = (username, password, *, scopes = None, params = None))]
    fn password(
        &self,
        py: Python<'_>,
        username: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
        scopes: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        let username = req_str("username", username)?;
        let password = authgate::Password::new(req_str("password", password)?);
        let r = self.inner.password(username, password);
        send(py, with_options(r, scopes, params)?)
    }

    /// The client credentials grant (RFC 6749 §4.4).
    #[pyo3(signature = (*, scopes = None, params = None))]
    fn client_credentials(
        &self,
        py: Python<'_>,
        scopes: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        send(
            py,
            with_options(self.inner.client_credentials(), scopes, params)?,
        )
    }

    /// Validates an OpenID Connect id_token and returns its claims as a dict: the
    /// signature against the provider's JWKS (``none`` and HMAC algorithms are refused),
    /// ``iss``, ``aud`` / ``azp``, ``exp`` / ``iat`` / ``nbf`` (with the client's
    /// ``id_token_leeway``), and ``nonce`` when given. ``id_token`` is the token or a
    /// :class:`TokenSet` holding one. Needs the issuer and the JWKS URI (``discover``).
    /// Raises :class:`IdTokenError` with the failed check in ``kind``.
    #[pyo3(signature = (id_token, *, nonce = None))]
    fn validate_id_token<'py>(
        &self,
        py: Python<'py>,
        id_token: &Bound<'py, PyAny>,
        nonce: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let token = id_token_arg(id_token)?;
        let nonce = opt_str("nonce", nonce)?;
        let claims = self.call(py, move |c| c.validate_id_token(&token, nonce.as_deref()))?;
        map_to_py(py, claims.raw())
    }

    /// Asks the UserInfo endpoint about the signed-in user (OpenID Connect Core §5.3);
    /// ``access_token`` is the token or a :class:`TokenSet`. Returns the claims as a dict.
    /// A client with DPoP on presents the token as ``DPoP`` with a proof (RFC 9449 §7.1).
    fn userinfo<'py>(
        &self,
        py: Python<'py>,
        access_token: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let token = access_token_arg(access_token)?;
        map_to_py(py, &self.call(py, move |c| c.userinfo(&token))?)
    }

    /// Revokes a token (RFC 7009). ``token_type_hint`` is ``"access_token"`` or
    /// ``"refresh_token"`` when known. Revoking an unknown or already revoked token
    /// succeeds, as the RFC says.
    #[pyo3(signature = (token, *, token_type_hint = None))]
    fn revoke(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        token_type_hint: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let token = req_str("token", token)?;
        let hint = opt_str("token_type_hint", token_type_hint)?;
        self.call(py, move |c| c.revoke(&token, hint.as_deref()))
    }

    /// Asks whether a token is active (RFC 7662).
    fn introspect(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<Introspection> {
        let token = req_str("token", token)?;
        let inner = self.call(py, move |c| c.introspect(&token))?;
        Ok(Introspection { inner })
    }

    /// Starts a device sign-in (RFC 8628 §3.1), for a till or terminal without a
    /// browser: returns the codes to show the user. Then call
    /// :meth:`wait_for_device_token`, or :meth:`poll_device_token` from your own loop.
    #[pyo3(signature = (*, scopes = None))]
    fn device_authorization(
        &self,
        py: Python<'_>,
        scopes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<DeviceAuthorization> {
        let scopes = opt_scopes(scopes)?;
        let auth = self.call(py, move |c| {
            let refs: Option<Vec<&str>> = scopes
                .as_ref()
                .map(|s| s.iter().map(String::as_str).collect());
            c.device_authorization(refs.as_deref())
        })?;
        Ok(DeviceAuthorization::new(auth))
    }

    /// Polls the token endpoint once (RFC 8628 §3.4), for a caller running its own loop
    /// (a UI timer): the token set once the user approved, None while the sign-in is
    /// pending. On ``slow_down`` it also returns None and adds 5 seconds to
    /// ``auth.interval`` (at most 60): wait that long before the next poll. A denial
    /// raises :class:`OAuthError` (``access_denied``), expired codes ``expired_token``
    /// (at once, without a request, when they are known to have expired).
    fn poll_device_token(
        &self,
        py: Python<'_>,
        auth: &Bound<'_, PyAny>,
    ) -> PyResult<Option<TokenSet>> {
        let auth = device_arg(auth)?;
        match self.call(py, move |c| c.poll_device_token(&auth))? {
            authgate::DevicePoll::Tokens(t) => Ok(Some(TokenSet::new(t))),
            _ => Ok(None),
        }
    }

    /// ``await client.wait_for_device_token_async(auth)``: :meth:`wait_for_device_token`
    /// on a worker thread; cancelling the awaiting task cancels the wait (through
    /// ``cancel``, or a new :class:`CancelToken`).
    #[pyo3(signature = (auth, *, cancel = None))]
    fn wait_for_device_token_async<'py>(
        slf: &Bound<'py, Self>,
        auth: &Bound<'py, PyAny>,
        cancel: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = PyDict::new(slf.py());
        kwargs.set_item("cancel", cancel)?;
        twin(slf, "wait_for_device_token", &[auth], Some(&kwargs), true)
    }

    /// ``await client.sign_in_loopback_async(...)``: :meth:`sign_in_loopback` (same
    /// keyword arguments) on a worker thread; cancelling the awaiting task cancels the
    /// sign-in.
    #[pyo3(signature = (**kwargs))]
    fn sign_in_loopback_async<'py>(
        slf: &Bound<'py, Self>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        twin(slf, "sign_in_loopback", &[], kwargs, true)
    }
}

/// Adds the optional `scopes=` and `params=` of a Python call to a request.
fn with_options(
    mut r: authgate::TokenRequest,
    scopes: Option<&Bound<'_, PyAny>>,
    params: Option<&Bound<'_, PyAny>>,
) -> PyResult<authgate::TokenRequest> {
    r = r.maybe(opt_scopes(scopes)?, |b, s| b.scopes(s));
    r = r.each(opt_params("params", params)?, |b, (k, v)| b.param(k, v));
    Ok(r)
}

/// Sends a request without the GIL (the core's request owns what it needs).
fn send(py: Python<'_>, request: authgate::TokenRequest) -> PyResult<TokenSet> {
    call(py, move || request.send()).map(TokenSet::new)
}
