//! The token manager and the token stores.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};

use crate::{repr, run_blocking, seconds, to_pyerr, type_error, CallbackSlot, Client, TokenSet};

fn duration(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Duration> {
    Ok(Duration::from_secs_f64(seconds(name, obj)?.min(1e12)))
}

fn token_set_arg<'a, 'py>(
    name: &str,
    obj: &'a Bound<'py, PyAny>,
) -> PyResult<&'a Bound<'py, TokenSet>> {
    obj.cast::<TokenSet>()
        .map_err(|_| type_error(name, "an authgate.TokenSet", obj))
}

// ---------------------------------------------------------------------------------------
// Stores

/// Keeps the token set in memory: for one process that signs in again after a restart.
/// The default store of :class:`TokenManager`.
#[pyclass(frozen, module = "authgate", name = "MemoryStore")]
pub(crate) struct MemoryStore {
    inner: Arc<authgate::MemoryStore>,
}

/// Keeps the token set in one JSON file, shared safely by several processes: writes are
/// atomic (a temporary file, flushed, renamed over the store), the file is readable by its
/// owner only (mode 0600 on Unix), and a :class:`TokenManager` holds the lock file
/// ``<path>.lock`` while it refreshes, so that two processes never spend the same
/// rotating refresh token. The folder must exist; the file is created on the first save.
#[pyclass(frozen, module = "authgate", name = "FileStore")]
pub(crate) struct FileStore {
    inner: Arc<authgate::FileStore>,
    path: Py<PyAny>,
}

fn store_load(py: Python<'_>, store: Arc<dyn authgate::TokenStore>) -> PyResult<Option<TokenSet>> {
    py.detach(move || store.load())
        .map(|t| t.map(TokenSet::new))
        .map_err(|e| to_pyerr(py, e))
}

fn store_save(
    py: Python<'_>,
    store: Arc<dyn authgate::TokenStore>,
    tokens: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let tokens = token_set_arg("tokens", tokens)?.get().inner.clone();
    py.detach(move || store.save(&tokens))
        .map_err(|e| to_pyerr(py, e))
}

fn store_clear(py: Python<'_>, store: Arc<dyn authgate::TokenStore>) -> PyResult<()> {
    py.detach(move || store.clear())
        .map_err(|e| to_pyerr(py, e))
}

#[pymethods]
impl MemoryStore {
    #[new]
    fn new() -> Self {
        MemoryStore {
            inner: Arc::new(authgate::MemoryStore::new()),
        }
    }

    /// The stored token set, or None.
    fn load(&self, py: Python<'_>) -> PyResult<Option<TokenSet>> {
        store_load(py, self.inner.clone())
    }

    /// Replaces the stored token set.
    fn save(&self, py: Python<'_>, tokens: &Bound<'_, PyAny>) -> PyResult<()> {
        store_save(py, self.inner.clone(), tokens)
    }

    /// Removes the stored token set.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        store_clear(py, self.inner.clone())
    }

    fn __repr__(&self) -> &'static str {
        "MemoryStore()"
    }
}

#[pymethods]
impl FileStore {
    #[new]
    fn new(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Self> {
        let fspath = py
            .import("os")?
            .call_method1("fspath", (path,))
            .map_err(|_| type_error("path", "a str or an os.PathLike", path))?;
        let text: String = fspath
            .cast::<PyString>()
            .map_err(|_| type_error("path", "a str or an os.PathLike of str", path))?
            .extract()?;
        if text.is_empty() {
            return Err(PyValueError::new_err("path is empty"));
        }
        Ok(FileStore {
            inner: Arc::new(authgate::FileStore::new(text)),
            path: path.clone().unbind(),
        })
    }

    /// The path given.
    #[getter]
    fn path(&self, py: Python<'_>) -> Py<PyAny> {
        self.path.clone_ref(py)
    }

    /// The stored token set, or None if the file does not exist. A file that does not
    /// hold a token set raises :class:`StoreError`.
    fn load(&self, py: Python<'_>) -> PyResult<Option<TokenSet>> {
        store_load(py, self.inner.clone())
    }

    /// Replaces the stored token set (atomically; the file is created with mode 0600).
    fn save(&self, py: Python<'_>, tokens: &Bound<'_, PyAny>) -> PyResult<()> {
        store_save(py, self.inner.clone(), tokens)
    }

    /// Removes the file (no error if it does not exist).
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        store_clear(py, self.inner.clone())
    }

    fn __repr__(&self) -> String {
        format!(
            "FileStore({})",
            repr(Some(&self.inner.path().display().to_string()))
        )
    }
}

// ---------------------------------------------------------------------------------------
// TokenManager

/// The binding's copy of the manager's current token set with its deadline on the
/// monotonic clock, as the core computes it. It lets a cached `access_token()` return
/// without a round trip through a helper thread (which the main thread needs for every
/// call into the core that may block, to stay interruptible).
// TODO(core): a non-blocking `TokenManager::cached_token_set(min)` would make this copy
// unnecessary.
#[derive(Default)]
struct Fast {
    /// Bumped by `invalidate`, `set_tokens` and `clear`: an answer obtained before the
    /// bump must not overwrite what they did.
    epoch: u64,
    current: Option<(authgate::TokenSet, Option<Instant>)>,
}

fn deadline(tokens: &authgate::TokenSet) -> Option<Instant> {
    tokens.expires_at().map(|at| {
        Instant::now()
            + at.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
    })
}

fn valid_for(until: Option<Instant>, min: Duration) -> bool {
    until.is_none_or(|u| Instant::now() + min < u)
}

/// Keeps an access token fresh for the whole process: :meth:`access_token` returns the
/// cached token while it stays valid for longer than ``leeway`` and refreshes it
/// otherwise, with the refresh token when there is one, else by the client credentials
/// grant (``allow_client_credentials=True``) or the password grant (with the
/// ``(username, password)`` that ``password_credentials()`` returns).
///
/// One refresh at a time, however many threads ask: the others wait for its result (at
/// most ``wait_timeout``). Every new token set is saved to ``store`` before anyone gets
/// it; with a :class:`FileStore`, processes sharing the file never spend the same rotating
/// refresh token. Connection failures and 503 / 429 answers are retried up to
/// ``max_attempts`` times; a refused refresh token raises :class:`SignInRequired`.
/// Waits and refreshes release the GIL; Ctrl-C interrupts them on the main thread.
#[pyclass(frozen, module = "authgate", name = "TokenManager")]
pub(crate) struct TokenManager {
    inner: authgate::TokenManager,
    client: Py<Client>,
    store: Py<PyAny>,
    leeway: Duration,
    fast: Mutex<Fast>,
    callback: CallbackSlot,
}

impl TokenManager {
    fn fast(&self) -> MutexGuard<'_, Fast> {
        self.fast.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Calls `f` with the cached token set when it stays valid for `min`.
    fn peek<R>(&self, min: Duration, f: impl FnOnce(&authgate::TokenSet) -> R) -> Option<R> {
        let fast = self.fast();
        match &fast.current {
            Some((t, until)) if valid_for(*until, min) => Some(f(t)),
            _ => None,
        }
    }

    /// A token set valid for `min`: the cached one, else the core's (refreshing).
    fn get(&self, py: Python<'_>, min: Duration) -> PyResult<authgate::TokenSet> {
        if let Some(t) = self.peek(min, authgate::TokenSet::clone) {
            return Ok(t);
        }
        let epoch = self.fast().epoch;
        let m = self.inner.clone();
        let leeway = self.leeway;
        let got = run_blocking(py, move || {
            if min > leeway {
                m.access_token_valid_for(min)?;
            }
            // Valid for the leeway (so for `min` too when it is shorter): the set just
            // refreshed, or cached in the core.
            m.token_set()
        })?
        .map_err(|e| self.callback.to_pyerr(py, e))?;
        let until = deadline(&got);
        let mut fast = self.fast();
        // Keep the set that lasts longest: a thread slow to get here must not put back
        // an older one.
        let newer = match &fast.current {
            None => true,
            Some((_, old)) => match (old, until) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(o), Some(n)) => n >= *o,
            },
        };
        if fast.epoch == epoch && newer {
            fast.current = Some((got.clone(), until));
        }
        Ok(got)
    }

    fn forget(&self, tokens: Option<&authgate::TokenSet>) {
        let mut fast = self.fast();
        fast.epoch += 1;
        fast.current = tokens.map(|t| (t.clone(), deadline(t)));
    }
}

#[pymethods]
impl TokenManager {
    #[new]
    #[pyo3(
        signature = (client, *, store = None, leeway = None, allow_client_credentials = None, password_credentials = None, max_attempts = None, wait_timeout = None),
        text_signature = "(client, *, store=None, leeway=60, allow_client_credentials=False, password_credentials=None, max_attempts=3, wait_timeout=None)"
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
    ) -> PyResult<Self> {
        let client = client
            .cast::<Client>()
            .map_err(|_| type_error("client", "an authgate.Client", client))?;
        let mut b = authgate::TokenManager::builder(client.get().inner.clone());
        let store: Bound<'_, PyAny> = match store.filter(|s| !s.is_none()) {
            None => Bound::new(py, MemoryStore::new())?.into_any(),
            Some(s) => s.clone(),
        };
        let dyn_store: Arc<dyn authgate::TokenStore> = if let Ok(m) = store.cast::<MemoryStore>() {
            m.get().inner.clone()
        } else if let Ok(f) = store.cast::<FileStore>() {
            f.get().inner.clone()
        } else {
            return Err(type_error(
                "store",
                "an authgate.MemoryStore or an authgate.FileStore",
                &store,
            ));
        };
        b = b.store(dyn_store);
        let leeway = match leeway.filter(|o| !o.is_none()) {
            Some(o) => duration("leeway", o)?,
            None => Duration::from_secs(60),
        };
        b = b.leeway(leeway);
        let allow = crate::opt_bool("allow_client_credentials", allow_client_credentials)?;
        b = b.allow_client_credentials(allow.unwrap_or(false));
        if let Some(n) = max_attempts.filter(|o| !o.is_none()) {
            if n.is_instance_of::<PyBool>() || !n.is_instance_of::<PyInt>() {
                return Err(type_error("max_attempts", "an int", n));
            }
            let attempts: u32 = n
                .extract()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| PyValueError::new_err("max_attempts must be an int from 1"))?;
            b = b.max_attempts(attempts);
        }
        if let Some(o) = wait_timeout.filter(|o| !o.is_none()) {
            let d = duration("wait_timeout", o)?;
            if d.is_zero() {
                return Err(PyValueError::new_err(
                    "wait_timeout must be greater than zero",
                ));
            }
            b = b.wait_timeout(d);
        }
        let callback = CallbackSlot::default();
        if let Some(cb) = password_credentials.filter(|o| !o.is_none()) {
            if !cb.is_callable() {
                return Err(type_error(
                    "password_credentials",
                    "a callable returning (username, password)",
                    cb,
                ));
            }
            let cb = cb.clone().unbind();
            let slot = callback.clone();
            // Called by the core on the refreshing thread, which does not hold the GIL.
            b = b.password_credentials(move || {
                Python::attach(|py| {
                    let got = cb.bind(py).call0().and_then(|v| {
                        v.extract::<(String, String)>().map_err(|_| {
                            PyTypeError::new_err(format!(
                                "password_credentials must return a (username, password) tuple of str, not {}",
                                crate::type_name(&v)
                            ))
                        })
                    });
                    match got {
                        Ok((user, password)) => Ok((user, authgate::Password::new(password))),
                        Err(e) => Err(slot.fail(e)),
                    }
                })
            });
        }
        Ok(TokenManager {
            inner: b.build(),
            client: client.clone().unbind(),
            store: store.unbind(),
            leeway,
            fast: Mutex::new(Fast::default()),
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
            .call1((0, self.leeway.as_secs_f64()))
    }

    /// A valid access token: the cached one while it stays valid for longer than the
    /// leeway, else a refreshed one. Raises :class:`SignInRequired` when only the user can
    /// help (no tokens yet, or the refresh token was refused).
    fn access_token<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        if let Some(s) = self.peek(self.leeway, |t| {
            PyString::new(py, t.access_token().secret())
        }) {
            return Ok(s);
        }
        let t = self.get(py, self.leeway)?;
        Ok(PyString::new(py, t.access_token().secret()))
    }

    /// An access token that stays valid at least ``min`` (seconds or a ``timedelta``),
    /// refreshing first if needed: for an operation that must not fail halfway.
    fn access_token_valid_for<'py>(
        &self,
        py: Python<'py>,
        min: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyString>> {
        let min = duration("min", min)?;
        let t = self.get(py, min)?;
        Ok(PyString::new(py, t.access_token().secret()))
    }

    /// The whole current token set, valid for longer than the leeway.
    fn token_set(&self, py: Python<'_>) -> PyResult<TokenSet> {
        self.get(py, self.leeway).map(TokenSet::new)
    }

    /// Hands the manager the tokens of a sign-in; they are saved to the store at once.
    fn set_tokens(&self, py: Python<'_>, tokens: &Bound<'_, PyAny>) -> PyResult<()> {
        let tokens = token_set_arg("tokens", tokens)?.get().inner.clone();
        let m = self.inner.clone();
        let t = tokens.clone();
        run_blocking(py, move || m.set_tokens(t))?.map_err(|e| to_pyerr(py, e))?;
        self.forget(Some(&tokens));
        Ok(())
    }

    /// After a 401 from a resource server: the next call refreshes, whatever the expiry
    /// said.
    fn invalidate(&self, py: Python<'_>) {
        // The core first: a call that reads the core after this gets a refreshed token,
        // and one that read it before cannot write back over `forget` (the epoch moved).
        let m = self.inner.clone();
        py.detach(move || m.invalidate());
        self.forget(None);
    }

    /// Forgets the tokens, here and in the store (sign-out).
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        self.forget(None);
        let m = self.inner.clone();
        run_blocking(py, move || m.clear())?.map_err(|e| to_pyerr(py, e))?;
        self.forget(None);
        Ok(())
    }

    /// How many token requests this manager has made (for tests and metrics).
    #[getter]
    fn refresh_count(&self) -> u64 {
        self.inner.refresh_count()
    }

    /// The cached access token if it stays valid for ``min`` seconds (default: the
    /// leeway), else None; never blocks. For the HTTP adapters.
    #[pyo3(signature = (min = None))]
    fn _peek<'py>(
        &self,
        py: Python<'py>,
        min: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyString>>> {
        let min = match min.filter(|o| !o.is_none()) {
            Some(o) => duration("min", o)?,
            None => self.leeway,
        };
        Ok(self.peek(min, |t| PyString::new(py, t.access_token().secret())))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "TokenManager(client={}, store={}, leeway={})",
            self.client.bind(py).repr()?,
            self.store.bind(py).repr()?,
            self.leeway.as_secs_f64()
        ))
    }
}
