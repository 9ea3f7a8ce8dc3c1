//! The `TokenSet` class, and the arguments that take a token or a `TokenSet` holding it.

use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::args::{given, repr, repr_u64, req_str, seconds, type_error};
use crate::error::to_pyerr;
use crate::json::{map_to_py, unix_datetime};
use crate::log_bridge;

/// The tokens an authorization server issued. ``repr`` shows which tokens are present,
/// never their values, and a ``token_type`` or ``scope`` that may repeat a secret only by
/// its length.
#[pyclass(frozen, module = "authgate", name = "TokenSet")]
pub(crate) struct TokenSet {
    pub(crate) inner: authgate::TokenSet,
}

impl TokenSet {
    pub(crate) fn new(inner: authgate::TokenSet) -> Self {
        TokenSet { inner }
    }
}

#[pymethods]
impl TokenSet {
    /// Reads a token set back from :meth:`to_json`'s output (the absolute expiry and the
    /// refresh token kept), or parses a token answer as a server sends it (then received
    /// now).
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &Bound<'_, PyAny>) -> PyResult<Self> {
        let json = req_str("json", json)?;
        log_bridge::sync_level(py); // parsing may log a leniency warning
        authgate::TokenSet::from_json(&json)
            .map(TokenSet::new)
            .map_err(|e| to_pyerr(py, e))
    }

    /// The token set as one JSON object, to store it (it holds the tokens: keep it safe):
    /// the server's answer with the current tokens and ``expires_at`` in Unix seconds.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The token set as a new ``dict`` (what :meth:`to_json` writes, parsed), like
    /// authlib's ``OAuth2Token``: to keep it in a document database or a session. It holds
    /// the tokens.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?
            .call_method1("loads", (self.inner.to_json(),))
    }

    /// Reads a token set back from :meth:`to_dict`'s output (or a token answer as a
    /// server sends it, as a dict).
    #[staticmethod]
    fn from_dict(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        if !data.is_instance_of::<PyDict>() {
            return Err(type_error("data", "a dict", data));
        }
        let json = py.import("json")?.call_method1("dumps", (data,))?;
        TokenSet::from_json(py, &json)
    }

    /// Pickles as its JSON (it holds the tokens: keep pickles as safe as the tokens).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_json = py.get_type::<TokenSet>().getattr("from_json")?;
        Ok((from_json, (self.inner.to_json(),)))
    }

    /// The access token.
    #[getter]
    fn access_token(&self) -> &str {
        self.inner.access_token().secret()
    }

    /// The token type; any case of ``bearer`` becomes ``Bearer``.
    #[getter]
    fn token_type(&self) -> &str {
        self.inner.token_type()
    }

    /// The lifetime in seconds as the server sent it, or None.
    #[getter]
    fn expires_in(&self) -> Option<u64> {
        self.inner.expires_in()
    }

    /// When the access token expires, as an aware UTC ``datetime``, or None if unknown.
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        // Whole seconds, as stored: a set read back from `to_json` compares equal.
        unix_datetime(py, self.inner.expires_at_unix())
    }

    /// The refresh token, or None (after a refresh without a new one, the old one).
    #[getter]
    fn refresh_token(&self) -> Option<&str> {
        self.inner.refresh_token().map(|r| r.secret())
    }

    /// The granted scope (space separated); the requested one if the server omitted it.
    #[getter]
    fn scope(&self) -> Option<&str> {
        self.inner.scope()
    }

    /// The OpenID Connect id_token, or None.
    #[getter]
    fn id_token(&self) -> Option<&str> {
        self.inner.id_token().map(|i| i.secret())
    }

    /// The whole answer as a new dict. It holds the tokens: keep it out of logs.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, self.inner.raw())
    }

    /// What the provider got wrong, as parsed leniently (no secrets).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings().to_vec()
    }

    /// The ``Authorization`` header value: ``Bearer <access token>``.
    #[getter]
    fn authorization_header(&self) -> String {
        self.inner.authorization_header()
    }

    /// Whether the access token expires within ``leeway`` (seconds or a ``timedelta``)
    /// from now. A token without a known expiry is never considered expired.
    #[pyo3(signature = (leeway = None))]
    fn is_expired(&self, leeway: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let leeway = match given(leeway) {
            Some(o) => Duration::from_secs_f64(seconds("leeway", o)?.min(1e12)),
            None => Duration::ZERO,
        };
        Ok(self.inner.is_expired(leeway))
    }

    fn __repr__(&self) -> String {
        let t = &self.inner;
        let present = |b: bool| if b { "'[redacted]'" } else { "None" };
        format!(
            "TokenSet(access_token='[redacted]', token_type={}, expires_in={}, expires_at_unix={}, refresh_token={}, scope={}, id_token={}, warnings={})",
            repr(Some(&t.token_type_for_log())),
            repr_u64(t.expires_in()),
            repr_u64(t.expires_at_unix()),
            present(t.refresh_token().is_some()),
            repr(t.scope_for_log().as_deref()),
            present(t.id_token().is_some()),
            t.warnings().len(),
        )
    }
}

/// A token given as a str or taken from a :class:`TokenSet` (`what` names it when the
/// set has none).
fn token_arg<T: Clone>(
    obj: &Bound<'_, PyAny>,
    name: &str,
    what: &str,
    from_set: impl FnOnce(&authgate::TokenSet) -> Option<&T>,
    new: impl FnOnce(String) -> T,
) -> PyResult<T> {
    if let Ok(t) = obj.cast::<TokenSet>() {
        let token = from_set(&t.get().inner).cloned();
        token.ok_or_else(|| PyValueError::new_err(format!("this token set has no {what}")))
    } else if let Ok(s) = obj.cast::<PyString>() {
        Ok(new(s.extract()?))
    } else {
        Err(type_error(name, "a str or a TokenSet", obj))
    }
}

pub(crate) fn refresh_token_arg(obj: &Bound<'_, PyAny>) -> PyResult<authgate::RefreshToken> {
    token_arg(
        obj,
        "refresh_token",
        "refresh token",
        |t| t.refresh_token(),
        authgate::RefreshToken::new,
    )
}

pub(crate) fn id_token_arg(obj: &Bound<'_, PyAny>) -> PyResult<authgate::IdToken> {
    token_arg(
        obj,
        "id_token",
        "id_token",
        |t| t.id_token(),
        authgate::IdToken::new,
    )
}

pub(crate) fn access_token_arg(obj: &Bound<'_, PyAny>) -> PyResult<authgate::AccessToken> {
    token_arg(
        obj,
        "access_token",
        "access token",
        |t| Some(t.access_token()),
        authgate::AccessToken::new,
    )
}

/// An argument that must be a :class:`TokenSet`.
pub(crate) fn token_set_arg<'a, 'py>(
    name: &str,
    obj: &'a Bound<'py, PyAny>,
) -> PyResult<&'a Bound<'py, TokenSet>> {
    obj.cast::<TokenSet>()
        .map_err(|_| type_error(name, "an authgate.TokenSet", obj))
}
