//! The token stores: the `TokenStore` base, this package's `MemoryStore` and `FileStore`,
//! and the adapter that lets a store written in Python be the core's `TokenStore`.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};

use crate::args::{given, repr, type_error, type_name};
use crate::error::to_pyerr;
use crate::token_set::{token_set_arg, TokenSet};

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
/// the lock: :class:`authgate.TimeoutError`) with its type and message, less any token,
/// the client secret and the value of any token-named field it quotes.
#[pyclass(subclass, frozen, module = "authgate", name = "TokenStore")]
pub(crate) struct TokenStore {
    /// This package's store; `None` for a subclass written in Python.
    pub(crate) inner: Option<Arc<dyn authgate::TokenStore>>,
}

impl TokenStore {
    pub(crate) fn with(inner: Arc<dyn authgate::TokenStore>) -> PyClassInitializer<Self> {
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
pub(crate) struct PyStore {
    obj: Py<PyAny>,
    lock: LockStyle,
}

impl PyStore {
    pub(crate) fn new(obj: &Bound<'_, PyAny>) -> PyResult<PyStore> {
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
    pub(crate) fn new() -> PyClassInitializer<Self> {
        TokenStore::with(Arc::new(authgate::MemoryStore::new())).add_subclass(MemoryStore)
    }

    fn __repr__(&self) -> &'static str {
        "MemoryStore()"
    }
}

/// A store's ``key=`` argument: None, or the bytes (their length is the core's to check).
pub(crate) fn store_key<'a, 'py>(
    key: Option<&'a Bound<'py, PyAny>>,
) -> PyResult<Option<&'a Bound<'py, pyo3::types::PyBytes>>> {
    given(key)
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
