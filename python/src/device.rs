//! The device flow (RFC 8628): the codes to show the user, and polling for the tokens.

use pyo3::prelude::*;

use crate::args::{repr, type_error};
use crate::client::Client;
use crate::error::to_pyerr;
use crate::json::datetime_utc;
use crate::oidc::cancel_arg;
use crate::runtime::run_cancellable;
use crate::token_set::TokenSet;

/// What :meth:`Client.device_authorization` returns (RFC 8628 §3.2): show the user
/// :attr:`user_code` and :attr:`verification_uri` (or the QR code of
/// :attr:`verification_uri_complete`), then poll. The device code itself stays inside:
/// whoever has it can collect the tokens, so ``repr`` never shows it.
#[pyclass(frozen, module = "authgate", name = "DeviceAuthorization")]
pub(crate) struct DeviceAuthorization {
    /// Its clones, polled without the GIL, share its interval (the core's rule): a
    /// `slow_down` answer lengthens it for every later poll.
    inner: authgate::DeviceAuthorization,
}

impl DeviceAuthorization {
    pub(crate) fn new(inner: authgate::DeviceAuthorization) -> Self {
        DeviceAuthorization { inner }
    }
}

#[pymethods]
impl DeviceAuthorization {
    /// The code the user types, e.g. ``WDJB-MJHT``.
    #[getter]
    fn user_code(&self) -> &str {
        &self.inner.user_code
    }

    /// Where the user goes to type it.
    #[getter]
    fn verification_uri(&self) -> &str {
        &self.inner.verification_uri
    }

    /// The same with the code filled in, or None: the QR code's target.
    #[getter]
    fn verification_uri_complete(&self) -> Option<&str> {
        self.inner.verification_uri_complete.as_deref()
    }

    /// How long the codes stayed valid when the server issued them, in seconds.
    #[getter]
    fn expires_in(&self) -> u64 {
        self.inner.expires_in
    }

    /// When the codes expire, as an aware UTC ``datetime``.
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime_utc(py, self.inner.expires_at())
    }

    /// The pause between polls, in seconds; grows by 5 after each ``slow_down``, and
    /// never exceeds 60 whatever the server asks.
    #[getter]
    fn interval(&self) -> u64 {
        self.inner.interval().as_secs()
    }

    /// The scopes asked for (the client's defaults when none were given).
    #[getter]
    fn scopes(&self) -> Vec<String> {
        self.inner.scopes().to_vec()
    }

    /// The authorization as a JSON string, to keep while the user approves and resume
    /// with :meth:`from_json` after a restart: the codes, the absolute expiry, the
    /// scopes asked for and the current interval. It holds the device code, a secret
    /// (whoever reads it can collect the user's tokens): store it like a refresh token.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Reads back what :meth:`to_json` wrote, for any client of the same registration to
    /// poll on (:meth:`Client.wait_for_device_token`). Codes that expired meanwhile are
    /// not polled for: polling raises :class:`OAuthError` ``expired_token`` at once.
    /// Raises :class:`InvalidArgument` (a ``ValueError``) when the text is not such JSON.
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &str) -> PyResult<DeviceAuthorization> {
        authgate::DeviceAuthorization::from_json(json)
            .map(DeviceAuthorization::new)
            .map_err(|e| to_pyerr(py, e))
    }

    /// Whether the codes have expired (measured on the monotonic clock).
    fn is_expired(&self) -> bool {
        self.inner.is_expired()
    }

    /// The QR code of :attr:`verification_uri_complete` (else :attr:`verification_uri`)
    /// as an SVG document, for a screen.
    fn qr_svg(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.qr_svg().map_err(|e| to_pyerr(py, e))
    }

    /// The same QR code as text for a terminal (Unicode half blocks).
    fn qr_text(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.qr_text().map_err(|e| to_pyerr(py, e))
    }

    fn __repr__(&self) -> String {
        format!(
            "DeviceAuthorization(user_code={}, verification_uri={}, verification_uri_complete={}, expires_in={}, interval={}, device_code='[redacted]')",
            repr(Some(&self.inner.user_code)),
            repr(Some(&self.inner.verification_uri)),
            repr(self.inner.verification_uri_complete.as_deref()),
            self.inner.expires_in,
            self.inner.interval().as_secs(),
        )
    }
}

/// The core's authorization behind an `auth=` argument (its clones share the interval).
pub(crate) fn device_arg(auth: &Bound<'_, PyAny>) -> PyResult<authgate::DeviceAuthorization> {
    match auth.cast::<DeviceAuthorization>() {
        Ok(a) => Ok(a.get().inner.clone()),
        Err(_) => Err(type_error("auth", "an authgate.DeviceAuthorization", auth)),
    }
}

#[pymethods]
impl Client {
    /// Polls until the user has signed in, honouring ``auth.interval`` and
    /// ``slow_down``, and returns the token set. Raises :class:`OAuthError` when the user
    /// denies (``access_denied``) or the codes expire (``expired_token``), and
    /// :class:`Cancelled` when ``cancel`` is cancelled (Ctrl-C cancels it too).
    #[pyo3(signature = (auth, *, cancel = None))]
    fn wait_for_device_token(
        &self,
        py: Python<'_>,
        auth: &Bound<'_, PyAny>,
        cancel: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        let auth = device_arg(auth)?;
        let cancel = cancel_arg(cancel)?;
        let (client, token) = (self.inner.clone(), cancel.clone());
        run_cancellable(py, Some(cancel), move || {
            client.wait_for_device_token(&auth, &token)
        })?
        .map(TokenSet::new)
        .map_err(|e| to_pyerr(py, e))
    }
}
