//! The token manager and the token stores.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};

use crate::args::{opt_bool, repr, req_str, seconds, type_error, type_name};
use crate::client::Client;
use crate::error::{to_pyerr, CallbackSlot};
use crate::runtime::run_blocking;
use crate::token_set::TokenSet;

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

/// The base type of token stores: this package's :class:`MemoryStore`,
/// :class:`FileStore` and :class:`RedisStore`, and the base for stores written in Python (a database, the OS
/// keyring). A store of your own subclasses it (or just has the same methods) and
/// implements:
///
/// - ``load()``: the JSON text the last successful ``save`` was given (a ``str``; a
///   ``dict``, ``bytes`` or :class:`TokenSet` also do), or None when there is none.
/// - ``save(json)``: stores ``json`` (a ``str``: it holds the tokens). Return only once it
///   is durable (committed): the manager hands a new set out only after ``save`` returns.
///   If it raises, the manager keeps the new set in memory, uses it, raises
///   :class:`StoreError` from the call that obtained it, and calls ``save`` again on each
///   later call, so that a rotated refresh token is never lost.
/// - ``clear()``: removes the stored set (sign-out).
/// - Optionally, for a store shared by several processes, a lock the manager holds from
///   re-reading the store to saving a refreshed set: ``lock(timeout)`` returning a context
///   manager, or ``acquire(timeout)`` (False when it gave up) and ``release()``. Raise
///   ``TimeoutError`` when ``timeout`` (seconds) passes.
///
/// The methods are called from the thread of the manager call that needs them (with the
/// GIL); they may block. An exception becomes :class:`StoreError` (``TimeoutError`` from
/// the lock: :class:`authgate.TimeoutError`) with its type and message.
#[pyclass(subclass, frozen, module = "authgate", name = "TokenStore")]
pub(crate) struct TokenStore {
    /// This package's store; `None` for a subclass written in Python.
    inner: Option<Arc<dyn authgate::TokenStore>>,
}

impl TokenStore {
    fn with(inner: Arc<dyn authgate::TokenStore>) -> PyClassInitializer<Self> {
        PyClassInitializer::from(TokenStore { inner: Some(inner) })
    }

    fn native(&self) -> PyResult<Arc<dyn authgate::TokenStore>> {
        self.inner.clone().ok_or_else(|| {
            pyo3::exceptions::PyNotImplementedError::new_err(
                "a TokenStore subclass implements load(), save(json) and clear()",
            )
        })
    }
}

#[pymethods]
impl TokenStore {
    /// The base of a store written in Python (its arguments go to the subclass's
    /// ``__init__``).
    #[new]
    #[pyo3(signature = (*args, **kwargs))]
    fn py_new(args: &Bound<'_, PyAny>, kwargs: Option<&Bound<'_, PyAny>>) -> Self {
        let _ = (args, kwargs);
        TokenStore { inner: None }
    }

    /// The stored token set, or None (a :class:`FileStore` whose file does not exist).
    /// A stored text that is not a token set raises :class:`StoreError`.
    fn load(&self, py: Python<'_>) -> PyResult<Option<TokenSet>> {
        crate::log_bridge::sync_level(py); // parsing the stored set may log a leniency warning
        let store = self.native()?;
        py.detach(move || store.load())
            .map(|t| t.map(TokenSet::new))
            .map_err(|e| to_pyerr(py, e))
    }

    /// Replaces the stored token set (a :class:`FileStore` writes atomically, mode 0600).
    fn save(&self, py: Python<'_>, tokens: &Bound<'_, PyAny>) -> PyResult<()> {
        let tokens = token_set_arg("tokens", tokens)?.get().inner.clone();
        let store = self.native()?;
        py.detach(move || store.save(&tokens))
            .map_err(|e| to_pyerr(py, e))
    }

    /// Removes the stored token set (a :class:`FileStore`'s file; no error if there is none).
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        let store = self.native()?;
        py.detach(move || store.clear())
            .map_err(|e| to_pyerr(py, e))
    }
}

/// How a store written in Python locks, if it does.
enum LockStyle {
    None,
    /// `with store.lock(timeout):`
    Context,
    /// `store.acquire(timeout)` / `store.release()`
    AcquireRelease,
}

/// A store written in Python, as the core sees it.
struct PyStore {
    obj: Py<PyAny>,
    lock: LockStyle,
}

impl PyStore {
    fn new(obj: &Bound<'_, PyAny>) -> PyResult<PyStore> {
        let callable = |name: &str| obj.getattr(name).map(|a| a.is_callable()).unwrap_or(false);
        if !(callable("load") && callable("save")) {
            return Err(type_error(
                "store",
                "an authgate.TokenStore or an object with load() and save(json)",
                obj,
            ));
        }
        let lock = if callable("lock") {
            LockStyle::Context
        } else if callable("acquire") && callable("release") {
            LockStyle::AcquireRelease
        } else {
            LockStyle::None
        };
        Ok(PyStore {
            obj: obj.clone().unbind(),
            lock,
        })
    }

    /// Calls `method` of the store with the GIL, turning an exception into the core's
    /// error (its type and message, never a traceback).
    fn call<T>(
        &self,
        method: &str,
        args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyTuple>>,
        then: impl for<'py> FnOnce(Bound<'py, PyAny>) -> authgate::Result<T>,
    ) -> authgate::Result<T> {
        Python::attach(|py| {
            let called = args(py).and_then(|a| self.obj.bind(py).call_method1(method, a));
            match called {
                Ok(v) => then(v),
                Err(e) => Err(store_exception(py, method, &e)),
            }
        })
    }
}

/// The core's error for an exception a store method raised.
fn store_exception(py: Python<'_>, method: &str, e: &PyErr) -> authgate::Error {
    let class = e
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an exception".into());
    let message = format!("the store's {method}() raised {class}: {}", e.value(py));
    if e.is_instance_of::<pyo3::exceptions::PyTimeoutError>(py) {
        authgate::Error::Timeout(message)
    } else {
        authgate::Error::store(message)
    }
}

fn no_args(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyTuple>> {
    Ok(pyo3::types::PyTuple::empty(py))
}

impl authgate::TokenStore for PyStore {
    fn load(&self) -> authgate::Result<Option<authgate::TokenSet>> {
        self.call("load", no_args, |v| {
            let py = v.py();
            if v.is_none() {
                return Ok(None);
            }
            if let Ok(t) = v.cast::<TokenSet>() {
                return Ok(Some(t.get().inner.clone()));
            }
            let text: Option<String> =
                if v.is_instance_of::<PyString>() || v.is_instance_of::<pyo3::types::PyBytes>() {
                    v.extract::<String>().ok().or_else(|| {
                        v.extract::<Vec<u8>>()
                            .ok()
                            .and_then(|b| String::from_utf8(b).ok())
                    })
                } else if v.is_instance_of::<pyo3::types::PyDict>() {
                    py.import("json")
                        .and_then(|j| j.call_method1("dumps", (&v,)))
                        .and_then(|s| s.extract())
                        .ok()
                } else {
                    None
                };
            let Some(text) = text else {
                return Err(authgate::Error::store(format!(
                    "the store's load() returned {}: expected the str save() was given, a \
                     dict, a TokenSet or None",
                    type_name(&v)
                )));
            };
            authgate::TokenSet::from_json(&text).map(Some).map_err(|_| {
                authgate::Error::store("the store's load() returned text that is not a token set")
            })
        })
    }

    fn save(&self, tokens: &authgate::TokenSet) -> authgate::Result<()> {
        let json = tokens.to_json();
        self.call(
            "save",
            |py| pyo3::types::PyTuple::new(py, [json.as_str()]),
            |_| Ok(()),
        )
    }

    fn clear(&self) -> authgate::Result<()> {
        self.call("clear", no_args, |_| Ok(()))
    }

    fn lock_within(&self, timeout: Duration) -> authgate::Result<authgate::StoreLock> {
        let secs = timeout.as_secs_f64();
        let timed_out = || {
            authgate::Error::Timeout(format!(
                "the store's lock was not free within {secs} s (another process holds it?)"
            ))
        };
        match self.lock {
            LockStyle::None => Ok(authgate::StoreLock::unlocked()),
            LockStyle::Context => {
                let cm = self.call("lock", |py| (secs,).into_pyobject(py), |cm| Ok(cm.unbind()))?;
                Python::attach(|py| {
                    cm.bind(py)
                        .call_method0("__enter__")
                        .map(drop)
                        .map_err(|e| store_exception(py, "lock", &e))
                })?;
                Ok(authgate::StoreLock::releasing(move || {
                    Python::attach(|py| {
                        let none = py.None();
                        if let Err(e) = cm.bind(py).call_method1("__exit__", (&none, &none, &none))
                        {
                            e.write_unraisable(py, Some(cm.bind(py)));
                        }
                    })
                }))
            }
            LockStyle::AcquireRelease => {
                let got = self.call(
                    "acquire",
                    |py| (secs,).into_pyobject(py),
                    |v| {
                        // Only an explicit False means it gave up (None: a lock without a result).
                        let gave_up =
                            v.is_instance_of::<PyBool>() && !v.is_truthy().unwrap_or(true);
                        Ok(!gave_up)
                    },
                )?;
                if !got {
                    return Err(timed_out());
                }
                let obj = Python::attach(|py| self.obj.clone_ref(py));
                Ok(authgate::StoreLock::releasing(move || {
                    Python::attach(|py| {
                        if let Err(e) = obj.bind(py).call_method0("release") {
                            e.write_unraisable(py, Some(obj.bind(py)));
                        }
                    })
                }))
            }
        }
    }

    fn lock(&self) -> authgate::Result<authgate::StoreLock> {
        self.lock_within(authgate::FileStore::DEFAULT_LOCK_WAIT)
    }
}

/// Keeps the token set in memory: for one process that signs in again after a restart.
/// The default store of :class:`TokenManager`.
#[pyclass(extends = TokenStore, frozen, module = "authgate", name = "MemoryStore")]
pub(crate) struct MemoryStore;

/// Keeps the token set in one JSON file, shared safely by several processes: writes are
/// atomic (a temporary file, flushed, renamed over the store), the file is readable by its
/// owner only (mode 0600 on Unix), and a :class:`TokenManager` holds the lock file
/// ``<path>.lock`` while it refreshes, so that two processes never spend the same
/// rotating refresh token. The folder must exist; the file is created on the first save.
///
/// With ``key`` (32 bytes, kept apart from the file, e.g. in the OS key store) the file is
/// encrypted with ChaCha20-Poly1305 and a new random nonce per save: a copied or backed-up
/// file reveals nothing without the key (a process running as the same user with the key
/// still can). A file encrypted with another key raises :class:`StoreError` saying the
/// key does not match.
#[pyclass(extends = TokenStore, frozen, module = "authgate", name = "FileStore")]
pub(crate) struct FileStore {
    path: Py<PyAny>,
    display: String,
    encrypted: bool,
}

#[pymethods]
impl MemoryStore {
    #[new]
    fn new() -> PyClassInitializer<Self> {
        TokenStore::with(Arc::new(authgate::MemoryStore::new())).add_subclass(MemoryStore)
    }

    fn __repr__(&self) -> &'static str {
        "MemoryStore()"
    }
}

/// A store's ``key=`` argument: None, or the bytes (their length is the core's to check).
fn store_key<'a, 'py>(
    key: Option<&'a Bound<'py, PyAny>>,
) -> PyResult<Option<&'a Bound<'py, pyo3::types::PyBytes>>> {
    key.filter(|k| !k.is_none())
        .map(|k| {
            k.cast::<pyo3::types::PyBytes>()
                .map_err(|_| type_error("key", "32 bytes", k))
        })
        .transpose()
}

#[pymethods]
impl FileStore {
    #[new]
    #[pyo3(signature = (path, *, key = None))]
    fn new(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<Self>> {
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
        let store = match store_key(key)? {
            None => authgate::FileStore::new(text),
            Some(k) => authgate::FileStore::encrypted_with(text, k.as_bytes())
                .map_err(|e| to_pyerr(py, e))?,
        };
        let display = store.path().display().to_string();
        let encrypted = store.is_encrypted();
        Ok(TokenStore::with(Arc::new(store)).add_subclass(FileStore {
            path: path.clone().unbind(),
            display,
            encrypted,
        }))
    }

    /// The path given.
    #[getter]
    fn path(&self, py: Python<'_>) -> Py<PyAny> {
        self.path.clone_ref(py)
    }

    /// Whether the file is encrypted (a ``key`` was given).
    #[getter]
    fn encrypted(&self) -> bool {
        self.encrypted
    }

    fn __repr__(&self) -> String {
        let key = if self.encrypted { ", key=..." } else { "" };
        format!("FileStore({}{key})", repr(Some(&self.display)))
    }
}

// ---------------------------------------------------------------------------------------
// The async twins

/// A coroutine running `method(*args, **kwargs)` on a worker thread
/// (`authgate._async.run`, or `run_cancellable` for a wait that takes a `cancel=`).
pub(crate) fn off_the_loop<'py>(
    method: Bound<'py, PyAny>,
    args: Bound<'py, pyo3::types::PyTuple>,
    kwargs: Option<&Bound<'py, pyo3::types::PyDict>>,
    cancellable: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let py = method.py();
    let runner = if cancellable {
        "run_cancellable"
    } else {
        "run"
    };
    let run = py.import("authgate._async")?.getattr(runner)?;
    let mut all = vec![method];
    all.extend(args.iter());
    run.call(pyo3::types::PyTuple::new(py, all)?, kwargs)
}

/// The coroutine of `obj.method()`, a method without arguments, off the event loop.
fn twin<'py>(obj: &Bound<'py, TokenManager>, method: &str) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    off_the_loop(
        obj.getattr(method)?,
        pyo3::types::PyTuple::empty(py),
        None,
        false,
    )
}

/// Keeps the token set in Redis (or Valkey), shared by every process on every machine that
/// uses ``client``'s registration: for a fleet of servers or tills with one client id and a
/// rotating refresh token (one of them refreshes, the others use its new set).
///
/// ``url`` is ``redis://[user:password@]host[:port][/db]`` or
/// ``redis+unix:///path/to/socket`` (no TLS). The set lives under one key per client (token
/// endpoint and client id). A :class:`TokenManager` refreshes under a lock in Redis that it
/// keeps alive while it works and that frees itself ``lock_expiry`` seconds after a holder
/// died (default 10); a holder whose lock expired during a pause cannot overwrite a newer
/// set (fencing: its save raises :class:`StoreError`). ``timeout`` (default 2 s) bounds
/// each Redis command. ``key`` (32 bytes, as for :class:`FileStore`) seals the stored set
/// with ChaCha20-Poly1305, so that Redis's dumps and replicas hold no token; every process
/// sharing the set needs the same key. Nothing is connected until the first use; an
/// unreachable Redis raises :class:`StoreError` with ``is_transient`` true (a manager
/// keeps handing out a still-valid cached token meanwhile). Run Redis with ``appendonly yes`` and ``appendfsync always``.
///
/// The wheel carries Redis support; a build of the module without the cargo feature
/// ``redis`` raises :class:`ConfigError` here.
#[pyclass(extends = TokenStore, frozen, module = "authgate", name = "RedisStore")]
pub(crate) struct RedisStore {
    key: String,
    encrypted: bool,
}

#[pymethods]
impl RedisStore {
    #[new]
    #[pyo3(signature = (url, client, *, key = None, lock_expiry = None, timeout = None))]
    fn new(
        url: &Bound<'_, PyAny>,
        client: &Bound<'_, PyAny>,
        key: Option<&Bound<'_, PyAny>>,
        lock_expiry: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let py = url.py();
        let url: String = url
            .cast::<PyString>()
            .map_err(|_| type_error("url", "a str", url))?
            .extract()?;
        let client = client
            .cast::<Client>()
            .map_err(|_| type_error("client", "an authgate.Client", client))?;
        let lock_expiry = lock_expiry
            .filter(|o| !o.is_none())
            .map(|o| duration("lock_expiry", o))
            .transpose()?;
        let timeout = timeout
            .filter(|o| !o.is_none())
            .map(|o| duration("timeout", o))
            .transpose()?;
        let key = store_key(key)?;
        #[cfg(feature = "redis")]
        {
            let mut store = authgate::RedisStore::new(&url, &client.get().inner)
                .map_err(|e| to_pyerr(py, e))?;
            if let Some(k) = key {
                store = store
                    .encrypted_with(k.as_bytes())
                    .map_err(|e| to_pyerr(py, e))?;
            }
            if let Some(d) = lock_expiry {
                store = store.lock_expiry(d);
            }
            if let Some(d) = timeout {
                store = store.timeout(d);
            }
            let encrypted = store.is_encrypted();
            let key = store.key().to_owned();
            Ok(TokenStore::with(Arc::new(store)).add_subclass(RedisStore { key, encrypted }))
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = (url, client, key, lock_expiry, timeout);
            Err(to_pyerr(
                py,
                authgate::Error::Config(
                    "this build has no Redis support; build the module with the cargo \
                     feature redis (the published wheel has it)"
                        .into(),
                ),
            ))
        }
    }

    /// The Redis key of the token set (a hash: fields ``set`` and ``gen``).
    #[getter]
    fn key(&self) -> &str {
        &self.key
    }

    /// Whether the stored set is sealed (a ``key`` was given).
    #[getter]
    fn encrypted(&self) -> bool {
        self.encrypted
    }

    fn __repr__(&self) -> String {
        format!(
            "RedisStore(key={}, encrypted={})",
            repr(Some(&self.key)),
            if self.encrypted { "True" } else { "False" }
        )
    }
}

// ---------------------------------------------------------------------------------------
// TokenManager

/// Keeps an access token fresh for the whole process: :meth:`access_token` returns the
/// cached token while it stays valid for longer than ``leeway`` and refreshes it
/// otherwise, with the refresh token when there is one, else by the client credentials
/// grant (``allow_client_credentials=True``) or the password grant (with the
/// ``(username, password)`` that ``password_credentials()`` returns).
///
/// One refresh at a time, however many threads ask: the others wait for its result (at
/// most ``wait_timeout``). Every new token set is saved to ``store`` before anyone gets
/// it; with a :class:`FileStore`, processes sharing the file never spend the same rotating
/// refresh token; a failed save raises :class:`StoreError` but keeps the new tokens in use
/// (saved again on later calls). Requests that never reached the server (connection
/// refused) are retried up to ``max_attempts`` times, and so are 503 / 429 answers except
/// to a refresh, with a pause that doubles from 0.2 s up to ``max_backoff`` (10 s; a
/// server's ``Retry-After`` is honoured up to it); a refused refresh token raises
/// :class:`SignInRequired` and is not sent again. ``max_attempts=0`` or a zero ``wait_timeout`` raises :class:`ConfigError`.
/// Waits and refreshes release the GIL; Ctrl-C interrupts them on the main thread.
#[pyclass(frozen, module = "authgate", name = "TokenManager")]
pub(crate) struct TokenManager {
    inner: authgate::TokenManager,
    client: Py<Client>,
    store: Py<PyAny>,
    leeway: Duration,
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
        text_signature = "(client, *, store=None, leeway=60, allow_client_credentials=False, password_credentials=None, max_attempts=3, wait_timeout=None, max_backoff=10, on_tokens_changed=None)"
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
        let store: Bound<'_, PyAny> = match store.filter(|s| !s.is_none()) {
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
        let leeway = match leeway.filter(|o| !o.is_none()) {
            Some(o) => duration("leeway", o)?,
            None => Duration::from_secs(60),
        };
        b = b.leeway(leeway);
        let allow = opt_bool("allow_client_credentials", allow_client_credentials)?;
        b = b.allow_client_credentials(allow.unwrap_or(false));
        if let Some(n) = max_attempts.filter(|o| !o.is_none()) {
            if n.is_instance_of::<PyBool>() || !n.is_instance_of::<PyInt>() {
                return Err(type_error("max_attempts", "an int", n));
            }
            // Out of u32's range cannot be a count of attempts; 0 is refused by the core,
            // with the same ConfigError as in Rust and C.
            let attempts: u32 = n.extract().map_err(|_| {
                PyValueError::new_err("max_attempts must be an int from 1 to 4294967295")
            })?;
            b = b.max_attempts(attempts);
        }
        if let Some(o) = wait_timeout.filter(|o| !o.is_none()) {
            b = b.wait_timeout(duration("wait_timeout", o)?);
        }
        if let Some(o) = max_backoff.filter(|o| !o.is_none()) {
            b = b.max_backoff(duration("max_backoff", o)?);
        }
        if let Some(hook) = on_tokens_changed.filter(|o| !o.is_none()) {
            if !hook.is_callable() {
                return Err(type_error(
                    "on_tokens_changed",
                    "a callable taking a TokenSet",
                    hook,
                ));
            }
            let hook = hook.clone().unbind();
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
            leeway,
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
        twin(slf, "access_token")
    }

    /// ``await manager.access_token_valid_for_async(min)``: :meth:`access_token_valid_for`
    /// off the event loop.
    fn access_token_valid_for_async<'py>(
        slf: &Bound<'py, Self>,
        min: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let args = pyo3::types::PyTuple::new(py, [min])?;
        off_the_loop(slf.getattr("access_token_valid_for")?, args, None, false)
    }

    /// ``await manager.token_set_async()``: :meth:`token_set` off the event loop.
    fn token_set_async<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        twin(slf, "token_set")
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
        let token = match min.filter(|o| !o.is_none()) {
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
            self.leeway.as_secs_f64()
        ))
    }
}
