//! DPoP (RFC 9449) and mutual TLS (RFC 8705) on the Python `Client`: the headers for an
//! API call with a sender-constrained token, and the certificate files to present.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::args::req_str;
use crate::client::Client;
use crate::error::to_pyerr;
use crate::token_set::access_token_arg;

#[pymethods]
impl Client {
    /// The client certificate and key files (mutual TLS), or None: give them to the HTTP
    /// client that calls your APIs with a certificate-bound token (``cert=`` in requests).
    #[getter]
    fn client_cert(&self) -> Option<(String, String)> {
        self.inner.client_cert_files().map(|(c, k)| {
            (
                c.to_string_lossy().into_owned(),
                k.to_string_lossy().into_owned(),
            )
        })
    }

    /// Whether the client proves possession of a DPoP key (``dpop=True``).
    #[getter]
    fn uses_dpop(&self) -> bool {
        self.inner.uses_dpop()
    }

    /// The headers for one request to an API with a DPoP-bound access token (RFC 9449
    /// §7): ``{"Authorization": "DPoP <token>", "DPoP": <proof>}`` for this method and
    /// URL. Build them for every request: a proof is good for one. ``access_token`` is
    /// the token or a :class:`TokenSet`. Raises :class:`ConfigError` without DPoP.
    fn dpop_headers<'py>(
        &self,
        py: Python<'py>,
        method: &Bound<'py, PyAny>,
        url: &Bound<'py, PyAny>,
        access_token: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let method = req_str("method", method)?;
        let url = req_str("url", url)?;
        let token = access_token_arg(access_token)?;
        let headers = self
            .inner
            .dpop_headers(&method, &url, &token)
            .map_err(|e| to_pyerr(py, e))?;
        let out = PyDict::new(py);
        out.set_item("Authorization", headers.authorization.as_str())?;
        out.set_item("DPoP", headers.dpop.as_str())?;
        Ok(out)
    }

    /// Remembers the ``DPoP-Nonce`` a server answered with, for the next proofs to that
    /// server (scheme, host and port). Returns True when it is new: a request refused
    /// with ``use_dpop_nonce`` is then worth sending once more.
    fn remember_dpop_nonce(
        &self,
        url: &Bound<'_, PyAny>,
        nonce: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let url = req_str("url", url)?;
        let nonce = req_str("nonce", nonce)?;
        Ok(self.inner.remember_dpop_nonce(&url, &nonce))
    }
}
