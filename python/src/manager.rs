//! The token manager.

use std::sync::Arc;

use authgate::BuilderSteps;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::args::{
    duration, given, int_arg, opt_bool, opt_callable, opt_duration, req_str, type_error, type_name,
};
use crate::asyncio::twin;
use crate::client::Client;
use crate::error::{to_pyerr, CallbackSlot};
use crate::runtime::run_blocking;
use crate::store::{MemoryStore, PyStore, TokenStore};
use crate::token_set::{token_set_arg, TokenSet};

/// Keeps an access token fresh for the whole process: :meth:`access_token` returns the
/// cached token while it stays valid for longer than ``leeway`` (60 s by default) and refreshes it
/// otherwise, with the refresh token when there is one, else by the client credentials
/// grant (``allow_client_credentials=True``) or the password grant (with the
/// ``(username, password)`` that ``password_credentials()`` returns).
///
/// One refresh at a time, however many threads ask: the others wait for its result (at
/// most ``wait_timeout``). Every new token set is saved to ``store`` before anyone gets
/// it; with a :class:`FileStore`, processes sharing the file never spend the same rotating
/// refresh token; a failed save raises :class:`StoreError` but keeps the new tokens in use
/// (saved again on later calls). Requests that never reached the server (connection
/// refused) are retried up to ``max_attempts`` times (3 by default), and so are 503 / 429 answers except
/// to a refresh, with a pause that doubles from 0.2 s up to ``max_backoff`` (10 s; a
/// server's ``Retry-After`` is honoured up to it); a refused refresh token raises
/// :class:`SignInRequired` and is not sent again. ``max_attempts=0`` or a zero ``wait_timeout`` raises :class:`ConfigError`.
/// Waits and refreshes release the GIL; Ctrl-C interrupts them on the main thread.
#[pyclass(frozen, module = "authgate", name = "TokenManager")]
pub(crate) struct TokenManager {
    inner: authgate::TokenManager,
    client: Py<Client>,
    store: Py<PyAny>,
    callback: CallbackSlot,
}

impl TokenManager {
    /// Runs `f` on the core manager where it may block (a refresh, a wait for another
    /// thread's, a store read): without the GIL, interruptible on the main thread.
    fn blocking<T: Send + 'static>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&authgate::TokenManager) -> authgate::Result<T> + Send + 'static,
    ) -> PyResult<T> {
        let m = self.inner.clone();
        run_blocking(py, move || f(&m))?.map_err(|e| self.callback.to_pyerr(py, e))
    }

    /// Runs `f`, a quick look at the core manager's state (never a request), without the
    /// GIL. The state's mutex is also held by a thread loading the store, which may log a
    /// warning (a stored set parsed leniently) and so needs the GIL: waiting for that
    /// mutex with the GIL held could deadlock. Costs a GIL release, not a thread.
    fn quick<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&authgate::TokenManager) -> T + Send,
    ) -> T {
        let m = &self.inner;
        py.detach(move || f(m))
    }
}

#[pymethods]
impl TokenManager {
    #[new]
    #[pyo3(
        signature = (client, *, store = None, leeway = None, allow_client_credentials = None, password_credentials = None, max_attempts = None, wait_timeout = None, max_backoff = None, on_tokens_changed = None),
        text_signature = "(client, *, store=None, leeway=None, allow_client_credentials=None, password_credentials=None, max_attempts=None, wait_timeout=None, max_backoff=None, on_tokens_changed=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        client: &Bound<'_, PyAny>,
        store: Option<&Bound<'_, PyAny>>,
        leeway: Option<&Bound<'_, PyAny>>,
        allow_client_credentials: Option<&Bound<'_, PyAny>>,
        password_credentials: Option<&Bound<'_, PyAny>>,
        max_attempts: Option<&Bound<'_, PyAny>>,
        wait_timeout: Option<&Bound<'_, PyAny>>,
        max_backoff: Option<&Bound<'_, PyAny>>,
        on_tokens_changed: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let client = client
            .cast::<Client>()
            .map_err(|_| type_error("client", "an authgate.Client", client))?;
        let mut b = authgate::TokenManager::builder(client.get().inner.clone());
        let store: Bound<'_, PyAny> = match given(store) {
            None => Bound::new(py, MemoryStore::new())?.into_any(),
            Some(s) => s.clone(),
        };
        // This package's stores run natively; any other (a TokenStore subclass, or an
        // object with load() and save()) is called through Python.
        let native = store
            .cast::<TokenStore>()
            .ok()
            .and_then(|s| s.get().inner.clone());
        b = match native {
            Some(s) => b.store(s),
            None => b.store(Arc::new(PyStore::new(&store)?)),
        };
        // Only what was given reaches the builder: the core owns the defaults.
        let leeway = opt_duration("leeway", leeway)?;
        b = b.maybe(leeway, |b, d| b.leeway(d));
        let allow = opt_bool("allow_client_credentials", allow_client_credentials)?;
        b = b.maybe(allow, |b, a| b.allow_client_credentials(a));
        // Out of u32's range cannot be a count of attempts; 0 is refused by the core, with
        // the same ConfigError as in Rust and C.
        let attempts = given(max_attempts)
            .map(|n| int_arg::<u32>("max_attempts", n, "an int from 1 to 4294967295"))
            .transpose()?;
        b = b.maybe(attempts, |b, n| b.max_attempts(n));
        let wait = opt_duration("wait_timeout", wait_timeout)?;
        b = b.maybe(wait, |b, d| b.wait_timeout(d));
        let backoff = opt_duration("max_backoff", max_backoff)?;
        b = b.maybe(backoff, |b, d| b.max_backoff(d));
        let hook = opt_callable(
            "on_tokens_changed",
            "a callable taking a TokenSet",
            on_tokens_changed,
        )?;
        if let Some(hook) = hook {
            // Called by the core on the refreshing thread, which does not hold the GIL. An
            // exception cannot reach the caller (the refresh succeeded): it goes to
            // sys.unraisablehook, and the new tokens stay in use.
            b = b.on_tokens_changed(move |t| {
                Python::attach(|py| {
                    if let Err(e) = hook.bind(py).call1((TokenSet::new(t.clone()),)) {
                        e.write_unraisable(py, Some(hook.bind(py)));
                    }
                })
            });
        }
        let callback = CallbackSlot::default();
        let cb = opt_callable(
            "password_credentials",
            "a callable returning (username, password)",
            password_credentials,
        )?;
        if let Some(cb) = cb {
            let slot = callback.clone();
            // Called by the core on the refreshing thread, which does not hold the GIL.
            b = b.password_credentials(move || {
                Python::attach(|py| {
                    // None: no credentials to offer; the core then says why a sign-in is needed.
                    let got = cb.bind(py).call0().and_then(|v| {
                        if v.is_none() {
                            return Ok(None);
                        }
                        v.extract::<(String, String)>().map(Some).map_err(|_| {
                            PyTypeError::new_err(format!(
                                "password_credentials must return a (username, password) tuple of str or None, not {}",
                                type_name(&v)
                            ))
                        })
                    });
                    match got {
                        Ok(Some((user, password))) => {
                            Ok(Some((user, authgate::Password::new(password))))
                        }
                        Ok(None) => Ok(None),
                        Err(e) => Err(slot.fail(e)),
                    }
                })
            });
        }
        Ok(TokenManager {
            inner: b.build().map_err(|e| to_pyerr(py, e))?,
            client: client.clone().unbind(),
            store: store.unbind(),
            callback,
        })
    }

    /// The client the manager gets tokens from.
    #[getter]
    fn client(&self, py: Python<'_>) -> Py<Client> {
        self.client.clone_ref(py)
    }

    /// The store the manager saves token sets to.
    #[getter]
    fn store(&self, py: Python<'_>) -> Py<PyAny> {
        self.store.clone_ref(py)
    }

    /// A token set valid for longer than ``leeway`` is refreshed only after that.
    #[getter]
    fn leeway<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("datetime")?
            .getattr("timedelta")?
            .call1((0, self.inner.leeway().as_secs_f64()))
    }

    /// A valid access token: the cached one while it stays valid for longer than the
    /// leeway, else a refreshed one. Raises :class:`SignInRequired` when only the user can
    /// help (no tokens yet, or the refresh token was refused).
    fn access_token<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        // The cached token costs one uncontended mutex, taken without waiting (so with the
        // GIL held): no helper thread, no GIL release.
        let t = match self.inner.access_token_if_cached() {
            Some(t) => t,
            None => self.blocking(py, |m| m.access_token())?,
        };
        Ok(PyString::new(py, t.secret()))
    }

    /// An access token that stays valid at least ``min`` (seconds or a ``timedelta``),
    /// refreshing first if needed: for an operation that must not fail halfway.
    fn access_token_valid_for<'py>(
        &self,
        py: Python<'py>,
        min: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyString>> {
        let min = duration("min", min)?;
        let t = match self.quick(py, move |m| m.cached_access_token(min)) {
            Some(t) => t,
            None => self.blocking(py, move |m| m.access_token_valid_for(min))?,
        };
        Ok(PyString::new(py, t.secret()))
    }

    /// The whole current token set, valid for longer than the leeway.
    fn token_set(&self, py: Python<'_>) -> PyResult<TokenSet> {
        self.blocking(py, |m| m.token_set()).map(TokenSet::new)
    }

    /// ``await manager.access_token_async()``: :meth:`access_token` for ``asyncio``; a
    /// refresh (or a wait for another thread's) runs on a worker thread, not the event loop.
    fn access_token_async<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        twin(slf, "access_token", &[], None, false)
    }

    /// ``await manager.access_token_valid_for_async(min)``: :meth:`access_token_valid_for`
    /// off the event loop.
    fn access_token_valid_for_async<'py>(
        slf: &Bound<'py, Self>,
        min: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        twin(slf, "access_token_valid_for", &[min], None, false)
    }

    /// ``await manager.token_set_async()``: :meth:`token_set` off the event loop.
    fn token_set_async<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        twin(slf, "token_set", &[], None, false)
    }

    /// Hands the manager the tokens of a sign-in; they are saved to the store at once.
    fn set_tokens(&self, py: Python<'_>, tokens: &Bound<'_, PyAny>) -> PyResult<()> {
        let tokens = token_set_arg("tokens", tokens)?.get().inner.clone();
        let m = self.inner.clone();
        run_blocking(py, move || m.set_tokens(tokens))?.map_err(|e| to_pyerr(py, e))
    }

    /// After a 401 from a resource server: the next call refreshes, whatever the expiry
    /// said.
    fn invalidate(&self, py: Python<'_>) {
        self.quick(py, |m| m.invalidate());
    }

    /// After a 401 for the access token ``rejected``: invalidates only if it is still the
    /// current token, so that many requests refused with the same token cause one
    /// refresh. Returns whether it invalidated. Never blocks.
    fn invalidate_token(&self, py: Python<'_>, rejected: &Bound<'_, PyAny>) -> PyResult<bool> {
        let rejected = req_str("rejected", rejected)?;
        Ok(self.quick(py, move |m| m.invalidate_token(&rejected)))
    }

    /// Forgets the tokens, here and in the store (sign-out).
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        let m = self.inner.clone();
        run_blocking(py, move || m.clear())?.map_err(|e| to_pyerr(py, e))
    }

    /// How many token requests this manager has made (for tests and metrics).
    #[getter]
    fn refresh_count(&self, py: Python<'_>) -> u64 {
        self.quick(py, |m| m.refresh_count())
    }

    /// The cached access token if it stays valid for ``min`` seconds (default: what
    /// :meth:`access_token` would return without a refresh or a save), else None; never
    /// blocks. For the HTTP adapters.
    #[pyo3(signature = (min = None))]
    fn _peek<'py>(
        &self,
        py: Python<'py>,
        min: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyString>>> {
        let token = match given(min) {
            Some(o) => {
                let min = duration("min", o)?;
                self.quick(py, move |m| m.cached_access_token(min))
            }
            None => self.quick(py, |m| m.access_token_if_cached()),
        };
        Ok(token.map(|t| PyString::new(py, t.secret())))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "TokenManager(client={}, store={}, leeway={})",
            self.client.bind(py).repr()?,
            self.store.bind(py).repr()?,
            self.inner.leeway().as_secs_f64()
        ))
    }
}
