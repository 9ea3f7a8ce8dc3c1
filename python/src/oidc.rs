//! The OpenID Connect side of the binding: introspection results, and the cancel token
//! for long waits.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::args::{deprecated, given, repr, repr_bool, repr_u64, type_error};
use crate::json::{map_to_py, unix_datetime};

/// Stops a long operation (:meth:`Client.wait_for_device_token`,
/// :meth:`Client.sign_in_loopback`) from another thread: call :meth:`cancel` and the
/// operation raises :class:`Cancelled` soon after. Ctrl-C on the main thread cancels the
/// token of the operation it interrupts.
#[pyclass(frozen, module = "authgate", name = "CancelToken")]
pub(crate) struct CancelToken {
    inner: authgate::CancelToken,
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
    fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    /// Deprecated: use :meth:`is_cancelled`.
    #[getter]
    fn cancelled(&self, py: Python<'_>) -> PyResult<bool> {
        deprecated(py, "CancelToken.cancelled", "CancelToken.is_cancelled()")?;
        Ok(self.inner.is_cancelled())
    }

    fn __repr__(&self) -> String {
        format!(
            "CancelToken(cancelled={})",
            repr_bool(self.inner.is_cancelled())
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
        unix_datetime(py, self.inner.expires_at)
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
            repr_bool(self.inner.active),
            repr(self.inner.scope.as_deref()),
            repr(self.inner.client_id.as_deref()),
            repr(self.inner.subject.as_deref()),
            repr_u64(self.inner.expires_at),
        )
    }
}

/// The core token of an optional `cancel=` argument (a fresh one when None).
pub(crate) fn cancel_arg(cancel: Option<&Bound<'_, PyAny>>) -> PyResult<authgate::CancelToken> {
    match given(cancel) {
        None => Ok(authgate::CancelToken::new()),
        Some(c) => c
            .cast::<CancelToken>()
            .map(|c| c.get().inner.clone())
            .map_err(|_| type_error("cancel", "an authgate.CancelToken", c)),
    }
}
