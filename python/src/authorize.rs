//! The authorization request and reading the redirect back.

use authgate::BuilderSteps;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::args::{deprecated, opt_params, opt_scopes, opt_str, repr, req_str};
use crate::client::Client;
use crate::error::to_pyerr;
use crate::runtime::run_blocking;

/// What :meth:`Client.authorization_url` returns: the URL to open in the browser and the
/// values to keep until the redirect comes back.
#[pyclass(frozen, module = "authgate", name = "AuthorizationRequest")]
pub(crate) struct AuthorizationRequest {
    /// The URL to send the user to.
    #[pyo3(get)]
    url: String,
    /// The ``state`` sent; :meth:`parse_callback` checks it.
    #[pyo3(get)]
    state: String,
    /// The OpenID Connect ``nonce`` sent, or None.
    #[pyo3(get)]
    nonce: Option<String>,
    /// The PKCE verifier to pass to :meth:`Client.exchange_code`, or None.
    #[pyo3(get)]
    pkce_verifier: Option<String>,
    /// The redirect URI sent, or None.
    #[pyo3(get)]
    redirect_uri: Option<String>,
    /// The issuer the redirect's ``iss`` must name (RFC 9207), or None if unknown.
    #[pyo3(get)]
    issuer: Option<String>,
    /// Whether the redirect must carry ``iss`` (the provider's metadata promises it).
    #[pyo3(get)]
    issuer_required: bool,
}

impl AuthorizationRequest {
    pub(crate) fn new(req: authgate::AuthorizationRequest) -> Self {
        AuthorizationRequest {
            pkce_verifier: req.pkce_verifier.as_ref().map(|v| v.secret().to_owned()),
            url: req.url,
            state: req.state,
            nonce: req.nonce,
            redirect_uri: req.redirect_uri,
            issuer: req.issuer,
            issuer_required: req.issuer_required,
        }
    }
}

#[pymethods]
impl AuthorizationRequest {
    /// Deprecated: use :attr:`pkce_verifier`.
    #[getter]
    fn code_verifier(&self, py: Python<'_>) -> PyResult<Option<String>> {
        deprecated(
            py,
            "AuthorizationRequest.code_verifier",
            "AuthorizationRequest.pkce_verifier",
        )?;
        Ok(self.pkce_verifier.clone())
    }

    /// Reads the redirect back with this request's ``state`` and issuer; returns the
    /// one-time code. Raises :class:`IssuerMismatch` when ``iss`` names another issuer,
    /// or is missing although the provider promises it (RFC 9207).
    fn parse_callback(&self, py: Python<'_>, callback: &Bound<'_, PyAny>) -> PyResult<String> {
        let callback = req_str("callback", callback)?;
        authgate::parse_callback_with_issuer(
            &callback,
            &self.state,
            self.issuer.as_deref(),
            self.issuer_required,
        )
        .map(|c| c.secret().to_owned())
        .map_err(|e| to_pyerr(py, e))
    }

    fn __repr__(&self) -> String {
        format!(
            "AuthorizationRequest(url={}, state={}, nonce={}, pkce_verifier={}, redirect_uri={}, issuer={})",
            repr(Some(&self.url)),
            repr(Some(&self.state)),
            repr(self.nonce.as_deref()),
            if self.pkce_verifier.is_some() {
                "'[redacted]'"
            } else {
                "None"
            },
            repr(self.redirect_uri.as_deref()),
            repr(self.issuer.as_deref())
        )
    }
}

/// Reads the redirect back: ``callback`` is the full redirect URL or its query string.
/// Returns the one-time code; raises :class:`StateMismatch` when ``state`` differs
/// (compared in constant time) and :class:`OAuthError` when the server sent ``error``.
/// With ``issuer``, an ``iss`` naming another issuer raises :class:`IssuerMismatch`, as
/// does a missing one when ``issuer_required`` (RFC 9207).
#[pyfunction(name = "parse_callback")]
#[pyo3(signature = (callback, expected_state, *, issuer = None, issuer_required = false))]
pub(crate) fn parse_callback_py(
    py: Python<'_>,
    callback: &Bound<'_, PyAny>,
    expected_state: &Bound<'_, PyAny>,
    issuer: Option<&Bound<'_, PyAny>>,
    issuer_required: bool,
) -> PyResult<String> {
    let callback = req_str("callback", callback)?;
    let expected = req_str("expected_state", expected_state)?;
    let issuer = opt_str("issuer", issuer)?;
    authgate::parse_callback_with_issuer(&callback, &expected, issuer.as_deref(), issuer_required)
        .map(|c| c.secret().to_owned())
        .map_err(|e| to_pyerr(py, e))
}

/// The PKCE verifier of a call taking ``pkce_verifier=``, or the deprecated
/// ``code_verifier=`` (with a DeprecationWarning).
pub(crate) fn pkce_verifier_arg(
    pkce_verifier: Option<&Bound<'_, PyAny>>,
    code_verifier: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<String>> {
    let Some(old) = code_verifier.filter(|o| !o.is_none()) else {
        return opt_str("pkce_verifier", pkce_verifier);
    };
    if pkce_verifier.is_some_and(|o| !o.is_none()) {
        return Err(PyTypeError::new_err(
            "give pkce_verifier or code_verifier, not both (code_verifier is its deprecated name)",
        ));
    }
    deprecated(old.py(), "the code_verifier keyword", "pkce_verifier")?;
    opt_str("code_verifier", Some(old))
}

#[pymethods]
impl Client {
    /// Builds an authorization URL with a fresh ``state``, a PKCE verifier (unless the
    /// client disabled PKCE) and, with the ``openid`` scope, a ``nonce``. No network call,
    /// unless the request is pushed (RFC 9126): ``push=True``, or the client's
    /// ``pushed_authorization_requests`` (on when discovery requires it); the GIL is then
    /// released while the parameters are POSTed, and the URL carries only ``client_id``
    /// and ``request_uri``. ``code_verifier`` is the deprecated name of ``pkce_verifier``.
    #[pyo3(signature = (*, scopes = None, state = None, nonce = None, pkce_verifier = None, redirect_uri = None, params = None, code_verifier = None, push = false))]
    #[allow(clippy::too_many_arguments)]
    fn authorization_url(
        &self,
        py: Python<'_>,
        scopes: Option<&Bound<'_, PyAny>>,
        state: Option<&Bound<'_, PyAny>>,
        nonce: Option<&Bound<'_, PyAny>>,
        pkce_verifier: Option<&Bound<'_, PyAny>>,
        redirect_uri: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
        code_verifier: Option<&Bound<'_, PyAny>>,
        push: bool,
    ) -> PyResult<AuthorizationRequest> {
        let client = &self.inner;
        let mut b = client.authorization_url();
        b = b.maybe(opt_scopes(scopes)?, |b, s| b.scopes(s));
        b = b.maybe(opt_str("state", state)?, |b, s| b.state(s));
        b = b.maybe(opt_str("nonce", nonce)?, |b, n| b.nonce(n));
        b = b.maybe(pkce_verifier_arg(pkce_verifier, code_verifier)?, |b, v| {
            b.pkce_verifier(v)
        });
        b = b.maybe(opt_str("redirect_uri", redirect_uri)?, |b, r| {
            b.redirect_uri(r)
        });
        b = b.each(opt_params("params", params)?, |b, (k, v)| b.param(k, v));
        let built = if push {
            run_blocking(py, move || b.push())?
        } else if client.pushes_authorization_requests() {
            run_blocking(py, move || b.build())?
        } else {
            // No network: not worth leaving the GIL (the common, measured case).
            b.build()
        };
        built
            .map(AuthorizationRequest::new)
            .map_err(|e| to_pyerr(py, e))
    }
}
