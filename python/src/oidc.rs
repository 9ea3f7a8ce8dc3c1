//! The OpenID Connect side of the binding: introspection results, the device flow's
//! codes, and the cancel token for long waits.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::{datetime_utc, map_to_py, repr, to_pyerr};

/// Stops a long operation (:meth:`Client.wait_for_device_token`,
/// :meth:`Client.sign_in_loopback`) from another thread: call :meth:`cancel` and the
/// operation raises :class:`Cancelled` soon after. Ctrl-C on the main thread cancels the
/// token of the operation it interrupts.
#[pyclass(frozen, module = "authgate", name = "CancelToken")]
pub(crate) struct CancelToken {
    pub(crate) inner: authgate::CancelToken,
}

#[pymethods]
impl CancelToken {
    #[new]
    fn new() -> Self {
        CancelToken {
            inner: authgate::CancelToken::new(),
        }
    }

    /// Asks the operation to stop. Safe from any thread, any number of times.
    fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether :meth:`cancel` was called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    fn __repr__(&self) -> String {
        format!(
            "CancelToken(cancelled={})",
            if self.inner.is_cancelled() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// What the introspection endpoint says of a token (RFC 7662 §2.2).
#[pyclass(frozen, module = "authgate", name = "Introspection")]
pub(crate) struct Introspection {
    pub(crate) inner: authgate::Introspection,
}

#[pymethods]
impl Introspection {
    /// Whether the token is currently active.
    #[getter]
    fn active(&self) -> bool {
        self.inner.active
    }

    /// The token's scope (space separated), or None.
    #[getter]
    fn scope(&self) -> Option<&str> {
        self.inner.scope.as_deref()
    }

    /// The client the token was issued to, or None.
    #[getter]
    fn client_id(&self) -> Option<&str> {
        self.inner.client_id.as_deref()
    }

    /// ``sub``: the user the token stands for, or None.
    #[getter]
    fn subject(&self) -> Option<&str> {
        self.inner.subject.as_deref()
    }

    /// ``exp`` as an aware UTC ``datetime``, or None.
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .expires_at
            .map(|s| datetime_utc(py, UNIX_EPOCH + Duration::from_secs(s)))
            .transpose()
    }

    /// The whole answer as a new dict.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, &self.inner.raw)
    }

    fn __bool__(&self) -> bool {
        self.inner.active
    }

    fn __repr__(&self) -> String {
        format!(
            "Introspection(active={}, scope={}, client_id={}, subject={}, expires_at_unix={})",
            if self.inner.active { "True" } else { "False" },
            repr(self.inner.scope.as_deref()),
            repr(self.inner.client_id.as_deref()),
            repr(self.inner.subject.as_deref()),
            self.inner
                .expires_at
                .map_or("None".to_owned(), |e| e.to_string()),
        )
    }
}

/// What :meth:`Client.device_authorization` returns (RFC 8628 §3.2): show the user
/// :attr:`user_code` and :attr:`verification_uri` (or the QR code of
/// :attr:`verification_uri_complete`), then poll. The device code itself stays inside:
/// whoever has it can collect the tokens, so ``repr`` never shows it.
#[pyclass(frozen, module = "authgate", name = "DeviceAuthorization")]
pub(crate) struct DeviceAuthorization {
    /// Shared with the polls running without the GIL: a `slow_down` answer lengthens its
    /// interval for every later poll.
    pub(crate) inner: Arc<authgate::DeviceAuthorization>,
}

impl DeviceAuthorization {
    pub(crate) fn new(inner: authgate::DeviceAuthorization) -> Self {
        DeviceAuthorization {
            inner: Arc::new(inner),
        }
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
