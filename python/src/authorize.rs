//! The authorization request and reading the redirect back.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::args::{deprecated, given, opt_params, opt_scopes, opt_str, repr, req_str};
use crate::client::Client;
use crate::error::to_pyerr;
use crate::runtime::run_blocking;

/// What :meth:`Client.authorization_url` returns: the URL to open in the browser and the
/// values to keep until the redirect comes back.
///
/// The values a caller reads (URL, state, nonce, verifier) are Python objects made once,
/// when the request is built, and read as plain struct members: no getter call, no copy.
/// The core's copy of the verifier is wiped as soon as its Python string exists.
#[pyclass(frozen, module = "authgate", name = "AuthorizationRequest")]
pub(crate) struct AuthorizationRequest {
    /// The URL to send the user to.
    #[pyo3(get)]
    url: Py<PyString>,
    /// The ``state`` sent; :meth:`parse_callback` checks it.
    #[pyo3(get)]
    state: Py<PyString>,
    /// The OpenID Connect ``nonce`` sent, or None.
    #[pyo3(get)]
    nonce: Py<PyAny>,
    /// The PKCE verifier to pass to :meth:`Client.exchange_code`, or None.
    #[pyo3(get)]
    pkce_verifier: Py<PyAny>,
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
    pub(crate) fn new(py: Python<'_>, req: authgate::AuthorizationRequest) -> Self {
        let text = |s: &str| PyString::new(py, s).unbind();
        // A str or None: `Option<Py<_>>` would be read through a getter function.
        let or_none = |s: Option<&str>| s.map_or_else(|| py.None(), |s| text(s).into_any());
        AuthorizationRequest {
            url: text(&req.url),
            state: text(&req.state),
            nonce: or_none(req.nonce.as_deref()),
            // `req` (and with it the core's verifier, wiped on drop) goes when this returns.
            pkce_verifier: or_none(req.pkce_verifier.as_ref().map(|v| v.secret())),
            redirect_uri: req.redirect_uri,
            issuer: req.issuer,
            issuer_required: req.issuer_required,
        }
    }

    /// The request the core built, or its error raised as the matching exception.
    fn from_core(
        py: Python<'_>,
        built: authgate::Result<authgate::AuthorizationRequest>,
    ) -> PyResult<Self> {
        built.map(|r| Self::new(py, r)).map_err(|e| to_pyerr(py, e))
    }
}

#[pymethods]
impl AuthorizationRequest {
    /// Deprecated: use :attr:`pkce_verifier`.
    #[getter]
    fn code_verifier(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        deprecated(
            py,
            "AuthorizationRequest.code_verifier",
            "AuthorizationRequest.pkce_verifier",
        )?;
        Ok(self.pkce_verifier.clone_ref(py))
    }

    /// Reads the redirect back with this request's ``state`` and issuer; returns the
    /// one-time code. Raises :class:`IssuerMismatch` when ``iss`` names another issuer,
    /// or is missing although the provider promises it (RFC 9207).
    fn parse_callback(&self, py: Python<'_>, callback: &Bound<'_, PyAny>) -> PyResult<String> {
        let callback = req_str("callback", callback)?;
        let state = self.state.to_cow(py)?;
        authgate::parse_callback_with_issuer(
            &callback,
            &state,
            self.issuer.as_deref(),
            self.issuer_required,
        )
        .map(|c| c.secret().to_owned())
        .map_err(|e| to_pyerr(py, e))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let text = |s: &Bound<'_, PyAny>| match s.cast::<PyString>() {
            Ok(s) => s.to_cow().map(|t| repr(Some(&t))),
            Err(_) => Ok(repr(None)),
        };
        Ok(format!(
            "AuthorizationRequest(url={}, state={}, nonce={}, pkce_verifier={}, redirect_uri={}, issuer={})",
            text(self.url.bind(py).as_any())?,
            text(self.state.bind(py).as_any())?,
            text(self.nonce.bind(py))?,
            if !self.pkce_verifier.is_none(py) {
                "'[redacted]'"
            } else {
                "None"
            },
            repr(self.redirect_uri.as_deref()),
            repr(self.issuer.as_deref())
        ))
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
    let Some(old) = given(code_verifier) else {
        return opt_str("pkce_verifier", pkce_verifier);
    };
    if given(pkce_verifier).is_some() {
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
        let options = [
            scopes,
            state,
            nonce,
            pkce_verifier,
            redirect_uri,
            params,
            code_verifier,
        ];
        if !push
            && !client.pushes_authorization_requests()
            && options.iter().all(|o| given(*o).is_none())
        {
            // The common call, measured: nothing given, no network. The builder is built
            // in place (no copy of it, no call per absent option), and the GIL is kept.
            return AuthorizationRequest::from_core(py, client.authorization_url().build());
        }
        // Each step only when its argument is given.
        let mut b = client.authorization_url();
        if let Some(s) = opt_scopes(scopes)? {
            b = b.scopes(s);
        }
        if let Some(s) = opt_str("state", state)? {
            b = b.state(s);
        }
        if let Some(n) = opt_str("nonce", nonce)? {
            b = b.nonce(n);
        }
        if let Some(v) = pkce_verifier_arg(pkce_verifier, code_verifier)? {
            b = b.pkce_verifier(v);
        }
        if let Some(r) = opt_str("redirect_uri", redirect_uri)? {
            b = b.redirect_uri(r);
        }
        for (k, v) in opt_params("params", params)? {
            b = b.param(k, v);
        }
        let built = if push {
            run_blocking(py, move || b.push())?
        } else if client.pushes_authorization_requests() {
            run_blocking(py, move || b.build())?
        } else {
            // No network: not worth leaving the GIL.
            b.build()
        };
        AuthorizationRequest::from_core(py, built)
    }
}
