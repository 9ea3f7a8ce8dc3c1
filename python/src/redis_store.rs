//! `RedisStore`: the token set in Redis, shared by a fleet.

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::args::{opt_duration, repr, type_error};
use crate::client::Client;
use crate::error::to_pyerr;
use crate::store::{store_key, TokenStore};

/// Keeps the token set in Redis (or Valkey), shared by every process on every machine that
/// uses ``client``'s registration: for a fleet of servers or tills with one client id and a
/// rotating refresh token (one of them refreshes, the others use its new set).
///
/// ``url`` is ``redis://[user:password@]host[:port][/db]`` or
/// ``redis+unix:///path/to/socket``, or ``rediss://…`` for TLS: the server's certificate is
/// checked against the client's trust roots, or against ``ca_file`` (the PEM file of the
/// Redis server's CA) when given; a refused certificate raises :class:`StoreError` saying
/// why, with ``is_transient`` false. The set lives under one key per client (token
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
    #[pyo3(signature = (url, client, *, key = None, lock_expiry = None, timeout = None, ca_file = None))]
    fn new(
        url: &Bound<'_, PyAny>,
        client: &Bound<'_, PyAny>,
        key: Option<&Bound<'_, PyAny>>,
        lock_expiry: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        ca_file: Option<std::path::PathBuf>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let py = url.py();
        let url: String = url
            .cast::<PyString>()
            .map_err(|_| type_error("url", "a str", url))?
            .extract()?;
        let client = client
            .cast::<Client>()
            .map_err(|_| type_error("client", "an authgate.Client", client))?;
        let lock_expiry = opt_duration("lock_expiry", lock_expiry)?;
        let timeout = opt_duration("timeout", timeout)?;
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
            if let Some(path) = ca_file {
                store = store.ca_file(path).map_err(|e| to_pyerr(py, e))?;
            }
            let encrypted = store.is_encrypted();
            let key = store.key().to_owned();
            Ok(TokenStore::with(std::sync::Arc::new(store))
                .add_subclass(RedisStore { key, encrypted }))
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = (url, client, key, lock_expiry, timeout, ca_file);
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
