//! Signing in through the browser with a redirect to a loopback port (RFC 8252 §7.3).

use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};

use crate::args::{opt_scopes, opt_str, timeout_ms, type_error};
use crate::error::CallbackSlot;
use crate::oidc::cancel_arg;
use crate::runtime::run_cancellable;
use crate::token_set::TokenSet;

#[allow(clippy::too_many_arguments)]
/// The body of `Client.sign_in_loopback` (documented there).
pub(crate) fn sign_in_loopback(
    py: Python<'_>,
    client: &authgate::Client,
    timeout: Option<&Bound<'_, PyAny>>,
    cancel: Option<&Bound<'_, PyAny>>,
    open_browser: Option<&Bound<'_, PyAny>>,
    browser_command: Option<&Bound<'_, PyAny>>,
    scopes: Option<&Bound<'_, PyAny>>,
    port: Option<&Bound<'_, PyAny>>,
    path: Option<&Bound<'_, PyAny>>,
) -> PyResult<TokenSet> {
    let cancel = cancel_arg(cancel)?;
    let mut sign_in = client.sign_in_loopback().cancel_token(&cancel);
    if let Some(t) = timeout_ms("timeout", timeout)? {
        sign_in = sign_in.timeout(Duration::from_millis(t));
    }
    let opener = open_browser.filter(|o| !o.is_none()).cloned();
    if let Some(o) = &opener {
        if !o.is_callable() {
            return Err(type_error("open_browser", "a callable taking the URL", o));
        }
    }
    let command = opt_str("browser_command", browser_command)?;
    if opener.is_some() && command.is_some() {
        return Err(PyValueError::new_err(
            "give open_browser or browser_command, not both",
        ));
    }
    if let Some(c) = &command {
        sign_in = sign_in.browser_command(c);
    }
    if let Some(s) = opt_scopes(scopes)? {
        sign_in = sign_in.scopes(s);
    }
    match port.filter(|o| !o.is_none()) {
        None => {}
        Some(p) if p.is_instance_of::<PyBool>() || !p.is_instance_of::<PyInt>() => {
            return Err(type_error("port", "an int", p))
        }
        Some(p) => {
            sign_in = sign_in.port(
                p.extract()
                    .map_err(|_| PyValueError::new_err("port must be an int from 0 to 65535"))?,
            )
        }
    }
    if let Some(p) = opt_str("path", path)? {
        sign_in = sign_in.path(p);
    }
    let slot = CallbackSlot::default();
    if let Some(open) = opener.map(Bound::unbind) {
        let slot = slot.clone();
        // The core calls the opener on the thread running the sign-in, which does not
        // hold the GIL.
        sign_in = sign_in.open_with(move |url| {
            Python::attach(|py| match open.bind(py).call1((url,)) {
                Ok(_) => Ok(()),
                Err(e) => Err(slot.fail(e)),
            })
        });
    }
    let result = run_cancellable(py, Some(cancel), move || sign_in.run())?;
    result.map(TokenSet::new).map_err(|e| slot.to_pyerr(py, e))
}
