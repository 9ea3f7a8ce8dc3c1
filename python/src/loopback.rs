//! The loopback sign-in (`Client.sign_in_loopback`): the browser comes back to a local
//! listener.

use std::time::Duration;

use authgate::BuilderSteps;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::args::{given, int_arg, opt_scopes, opt_str, timeout_ms, type_error};
use crate::client::Client;
use crate::error::CallbackSlot;
use crate::oidc::cancel_arg;
use crate::runtime::run_cancellable;
use crate::token_set::TokenSet;

#[pymethods]
impl Client {
    /// Signs the user in through the browser (RFC 8252 §7.3): listens on ``127.0.0.1``
    /// (on ``port``, 0 for a free one), opens the authorization URL with PKCE, ``state``
    /// and (OpenID Connect) a ``nonce`` and the redirect ``http://127.0.0.1:<port><path>``
    /// (``path`` defaults to ``/callback``),
    /// waits for the browser to come back, exchanges the code and, when the client knows
    /// its issuer and an id_token came, validates it.
    ///
    /// The URL is opened with ``open_browser(url)`` when given (a kiosk's browser, a
    /// test), else with ``browser_command`` (a program, its arguments split on spaces,
    /// no shell), else with the system browser. ``open_browser`` must return promptly:
    /// the redirect is only read after it returns. Raises :class:`TimeoutError` after
    /// ``timeout`` (seconds or a ``timedelta``; None: 5 minutes), :class:`Cancelled` when
    /// ``cancel`` is cancelled (Ctrl-C cancels it too). A request for another path or with
    /// another ``state`` (an old tab, another local program) is answered with an error page
    /// and ignored; no local connection, however slow, holds the wait past ``timeout``.
    #[pyo3(
        signature = (*, timeout = None, cancel = None, open_browser = None, browser_command = None, scopes = None, port = None, path = None),
        text_signature = "($self, *, timeout=300, cancel=None, open_browser=None, browser_command=None, scopes=None, port=0, path='/callback')"
    )]
    #[allow(clippy::too_many_arguments)]
    fn sign_in_loopback(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
        cancel: Option<&Bound<'_, PyAny>>,
        open_browser: Option<&Bound<'_, PyAny>>,
        browser_command: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
        port: Option<&Bound<'_, PyAny>>,
        path: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        let client = &self.inner;
        let cancel = cancel_arg(cancel)?;
        let mut sign_in = client.sign_in_loopback().cancel_token(&cancel);
        let timeout = timeout_ms("timeout", timeout)?.map(Duration::from_millis);
        sign_in = sign_in.maybe(timeout, |b, t| b.timeout(t));
        let opener = given(open_browser).cloned();
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
        sign_in = sign_in.maybe(command.as_deref(), |b, c| b.browser_command(c));
        sign_in = sign_in.maybe(opt_scopes(scopes)?, |b, s| b.scopes(s));
        if let Some(p) = given(port) {
            sign_in = sign_in.port(int_arg("port", p, "an int from 0 to 65535")?);
        }
        sign_in = sign_in.maybe(opt_str("path", path)?, |b, p| b.path(p));
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
}
