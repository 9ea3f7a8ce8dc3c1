//! Core errors as Python exceptions, and the error-code table the Python side mirrors.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// Builds the Python exception for a core error by handing its fields to
/// `authgate._errors._from_native`, which picks the class.
pub(crate) fn to_pyerr(py: Python<'_>, e: authgate::Error) -> PyErr {
    match build_exception(py, &e) {
        Ok(exc) => PyErr::from_value(exc),
        // Only if the pure-Python half is missing or broken; still no secret in it.
        Err(err) => err,
    }
}

/// A Python exception raised inside a callback the core called (a credentials callback,
/// a browser opener). The core only sees [`callback_failed`]; the binding raises the
/// original exception instead.
#[derive(Clone, Default)]
pub(crate) struct CallbackSlot(std::sync::Arc<Mutex<Option<PyErr>>>);

const CALLBACK_FAILED: &str = "a Python callback raised an exception";

impl CallbackSlot {
    /// Keeps `err` and returns the marker error to hand to the core.
    pub(crate) fn fail(&self, err: PyErr) -> authgate::Error {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(err);
        authgate::Error::InvalidArgument(CALLBACK_FAILED.into())
    }

    /// The Python exception for a core error: the callback's own when it is the cause.
    pub(crate) fn to_pyerr(&self, py: Python<'_>, e: authgate::Error) -> PyErr {
        if matches!(&e, authgate::Error::InvalidArgument(m) if m == CALLBACK_FAILED) {
            if let Some(err) = self.0.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                return err.clone_ref(py);
            }
        }
        to_pyerr(py, e)
    }
}

fn build_exception<'py>(py: Python<'py>, e: &authgate::Error) -> PyResult<Bound<'py, PyAny>> {
    static FROM_NATIVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let factory = FROM_NATIVE.import(py, "authgate._errors", "_from_native")?;
    let code = e.code();
    let message = e.to_string();
    let fields = PyDict::new(py);
    fields.set_item("code", code.as_u32())?;
    fields.set_item("is_terminal", e.is_terminal())?;
    fields.set_item("is_transient", e.is_transient())?;
    // Where the request went, for transport and unexpected-answer errors (else None).
    fields.set_item("url", e.url())?;
    fields.set_item("endpoint", e.endpoint().map(|p| p.name()))?;
    let class = match e {
        authgate::Error::Config(_) => "ConfigError",
        authgate::Error::InvalidArgument(_) => "InvalidArgument",
        authgate::Error::StateMismatch => "StateMismatch",
        authgate::Error::IssuerMismatch { expected, received } => {
            fields.set_item("expected", expected)?;
            fields.set_item("received", received)?;
            "IssuerMismatch"
        }
        authgate::Error::OAuth(o) => {
            fields.set_item("error", &o.error)?;
            fields.set_item("description", &o.description)?;
            fields.set_item("uri", &o.uri)?;
            fields.set_item("status", o.status)?;
            fields.set_item("www_authenticate", &o.www_authenticate)?;
            fields.set_item("retry_after", o.retry_after)?;
            match code {
                authgate::ErrorCode::InvalidGrant => "InvalidGrant",
                authgate::ErrorCode::InvalidClient => "InvalidClient",
                _ => "OAuthError",
            }
        }
        authgate::Error::UnexpectedResponse(r) => {
            fields.set_item("status", r.status)?;
            fields.set_item("content_type", &r.content_type)?;
            fields.set_item("reason", &r.reason)?;
            // The core blanks JSON values, even of a body that does not parse.
            fields.set_item("excerpt", &r.excerpt)?;
            fields.set_item("retry_after", r.retry_after)?;
            "UnexpectedResponse"
        }
        authgate::Error::Transport { kind, .. } => {
            let kind = match kind {
                authgate::TransportKind::Dns => "dns",
                authgate::TransportKind::Connect => "connect",
                authgate::TransportKind::Tls => "tls",
                authgate::TransportKind::Proxy => "proxy",
                authgate::TransportKind::Io => "io",
                _ => "other",
            };
            fields.set_item("kind", kind)?;
            "TransportError"
        }
        authgate::Error::Timeout(_) => {
            fields.set_item("kind", "timeout")?;
            "TimeoutError"
        }
        authgate::Error::BodyTooLarge { limit } => {
            fields.set_item("kind", "body_too_large")?;
            fields.set_item("limit", *limit)?;
            "BodyTooLarge"
        }
        authgate::Error::SignInRequired(_) => "SignInRequired",
        authgate::Error::Store(_) => "StoreError",
        authgate::Error::Cancelled => "Cancelled",
        authgate::Error::IdToken { kind, .. } => {
            // The core's name: the variant in snake_case, as the Rust and C sides say it.
            fields.set_item("kind", kind.name())?;
            "IdTokenError"
        }
        _ => "Error",
    };
    factory.call1((class, message, fields))
}

/// The core's table of error codes, ``[(number, name), …]`` in numeric order: what
/// :class:`authgate.ErrorCode` mirrors (checked by the tests).
#[pyfunction(name = "_error_codes")]
pub(crate) fn error_codes() -> Vec<(u32, &'static str)> {
    authgate::ErrorCode::ALL
        .iter()
        .map(|c| (c.as_u32(), c.name()))
        .collect()
}
