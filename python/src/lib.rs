//! The Python binding of authgate: the private extension module `authgate._native`.
//!
//! A thin translation of the core's concepts. Configuration goes through
//! [`authgate::ClientBuilder::from_json`], so Python and C validate it identically; errors
//! are raised as the exception classes defined in pure Python (`authgate/_errors.py`),
//! because those need multiple inheritance (`ConfigError(Error, ValueError)`, …) that
//! `create_exception!` cannot express. Every network call releases the GIL. The core's log
//! records go to Python's `logging`, logger `authgate` (see `log_bridge`).

use std::sync::mpsc::{channel, sync_channel, Receiver, RecvTimeoutError, SendError, Sender};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use serde_json::{Map, Value};

/// How often a call waiting on the main thread looks for a pending signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

mod log_bridge;
mod manager;
mod oidc;

use manager::{FileStore, MemoryStore, TokenManager};
use oidc::{CancelToken, DeviceAuthorization, Introspection};

// ---------------------------------------------------------------------------------------
// Errors

/// Builds the Python exception for a core error by handing its fields to
/// `authgate._errors._from_native`, which picks the class.
pub(crate) fn to_pyerr(py: Python<'_>, e: authgate::Error) -> PyErr {
    match build_exception(py, &e) {
        Ok(exc) => PyErr::from_value(exc),
        // Only if the pure-Python half is missing or broken; still no secret in it.
        Err(err) => err,
    }
}

fn id_token_kind(kind: authgate::IdTokenError) -> &'static str {
    match kind {
        authgate::IdTokenError::Malformed => "malformed",
        authgate::IdTokenError::Algorithm => "algorithm",
        authgate::IdTokenError::UnknownKey => "unknown_key",
        authgate::IdTokenError::Signature => "signature",
        authgate::IdTokenError::Issuer => "issuer",
        authgate::IdTokenError::Audience => "audience",
        authgate::IdTokenError::Expired => "expired",
        authgate::IdTokenError::NotYetValid => "not_yet_valid",
        authgate::IdTokenError::Nonce => "nonce",
        _ => "other",
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
            fields.set_item("kind", id_token_kind(*kind))?;
            "IdTokenError"
        }
        _ => "Error",
    };
    factory.call1((class, message, fields))
}

// ---------------------------------------------------------------------------------------
// Argument conversion: wrong Python types are a TypeError naming the argument.

pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

pub(crate) fn type_error(name: &str, expected: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("{name} must be {expected}, not {}", type_name(obj)))
}

pub(crate) fn req_str(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => s.extract(),
        Err(_) => Err(type_error(name, "a str", obj)),
    }
}

pub(crate) fn opt_str(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => req_str(name, o).map(Some),
    }
}

/// A scope list: a space-separated str or an iterable of str.
pub(crate) fn opt_scopes(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<String>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if let Ok(s) = obj.cast::<PyString>() {
        let s: String = s.extract()?;
        return Ok(Some(s.split_whitespace().map(str::to_owned).collect()));
    }
    if obj.is_instance_of::<pyo3::types::PyBytes>() || obj.is_instance_of::<pyo3::types::PyDict>() {
        return Err(type_error("scopes", "a str or an iterable of str", obj));
    }
    let iter = obj
        .try_iter()
        .map_err(|_| type_error("scopes", "a str or an iterable of str", obj))?;
    let mut scopes = Vec::new();
    for item in iter {
        let item = item?;
        let s = req_str("each scope", &item)?;
        if s.is_empty() || s.chars().any(char::is_whitespace) {
            return Err(PyValueError::new_err(
                "each scope must be one non-empty word without spaces",
            ));
        }
        scopes.push(s);
    }
    Ok(Some(scopes))
}

/// Extra parameters: a mapping of str to str.
fn opt_params(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let items = obj
        .call_method0("items")
        .map_err(|_| type_error(name, "a mapping of str to str", obj))?;
    let mut out = Vec::new();
    for pair in items.try_iter()? {
        let pair = pair?;
        let pair = pair
            .cast::<PyTuple>()
            .map_err(|_| type_error(name, "a mapping of str to str", obj))?;
        let key = req_str(&format!("each key of {name}"), &pair.get_item(0)?)?;
        let value = req_str(&format!("{name}[{}]", repr(Some(&key))), &pair.get_item(1)?)?;
        out.push((key, value));
    }
    Ok(out)
}

pub(crate) fn opt_bool(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<bool>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => match o.cast::<PyBool>() {
            Ok(b) => Ok(Some(b.is_true())),
            Err(_) => Err(type_error(name, "a bool", o)),
        },
    }
}

/// Seconds as an int, a float or a `datetime.timedelta`.
pub(crate) fn seconds(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    static TIMEDELTA: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let py = obj.py();
    let secs: f64 = if obj.is_instance_of::<PyBool>() {
        return Err(type_error(
            name,
            "a number of seconds or a datetime.timedelta",
            obj,
        ));
    } else if obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>() {
        obj.extract()?
    } else if obj.is_instance(TIMEDELTA.import(py, "datetime", "timedelta")?)? {
        obj.call_method0("total_seconds")?.extract()?
    } else {
        return Err(type_error(
            name,
            "a number of seconds or a datetime.timedelta",
            obj,
        ));
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(PyValueError::new_err(format!(
            "{name} must be a finite number of seconds, zero or more"
        )));
    }
    Ok(secs)
}

pub(crate) fn timeout_ms(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let secs = seconds(name, obj)?;
    if secs <= 0.0 {
        return Err(PyValueError::new_err(format!(
            "{name} must be greater than zero"
        )));
    }
    // Sub-millisecond timeouts round up rather than to zero.
    Ok(Some(((secs * 1000.0).ceil() as u64).max(1)))
}

/// A Python-style repr of an optional str (for `__repr__` output).
pub(crate) fn repr(s: Option<&str>) -> String {
    match s {
        None => "None".into(),
        Some(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
    }
}

// ---------------------------------------------------------------------------------------
// Running network calls without the GIL

fn on_main_thread(py: Python<'_>) -> PyResult<bool> {
    static GET_IDENT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static MAIN_IDENT: PyOnceLock<u64> = PyOnceLock::new();
    let main = MAIN_IDENT.get_or_try_init(py, || -> PyResult<u64> {
        py.import("threading")?
            .call_method0("main_thread")?
            .getattr("ident")?
            .extract()
    })?;
    let current: u64 = GET_IDENT
        .import(py, "_thread", "get_ident")?
        .call0()?
        .extract()?;
    Ok(current == *main)
}

type Job = Box<dyn FnOnce() + Send>;

/// Idle helper threads, each waiting on its job channel. Threads are started on demand
/// and reused: starting one per call would cost more than a loopback request.
static IDLE_HELPERS: Mutex<Vec<Sender<Job>>> = Mutex::new(Vec::new());
/// Idle helpers kept beyond this many exit.
const MAX_IDLE_HELPERS: usize = 4;

fn helper_loop(jobs: Receiver<Job>, me: Sender<Job>) {
    while let Ok(job) = jobs.recv() {
        job();
        let mut idle = IDLE_HELPERS.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() >= MAX_IDLE_HELPERS {
            return;
        }
        idle.push(me.clone());
    }
}

/// Hands `job` to an idle helper thread, or to a new one.
fn dispatch(job: Job) -> PyResult<()> {
    let idle = IDLE_HELPERS.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let job = match idle {
        // A helper whose thread is gone hands the job back; start a new one then.
        Some(tx) => match tx.send(job) {
            Ok(()) => return Ok(()),
            Err(SendError(job)) => job,
        },
        None => job,
    };
    let (tx, rx) = channel::<Job>();
    let me = tx.clone();
    std::thread::Builder::new()
        .name("authgate-request".into())
        .spawn(move || helper_loop(rx, me))
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a thread: {e}")))?;
    tx.send(job)
        .map_err(|_| PyRuntimeError::new_err("authgate: the request thread did not start"))
}

/// Runs `f` (a network call) without the GIL. Only the main thread runs Python's signal
/// handlers, so there the call runs on a helper thread while the main thread waits in
/// short slices, checking for signals: Ctrl-C interrupts the wait at once (the abandoned
/// request ends on its own within the client's timeout). Other threads run `f` inline.
///
/// The main thread waits with the GIL released: the helper thread needs the GIL for the
/// core's log records (and for Python callbacks), so waiting with it held would deadlock.
pub(crate) fn run_blocking<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    run_cancellable(py, None, f)
}

/// As [`run_blocking`], for a long wait that `cancel` stops: a signal on the main thread
/// (Ctrl-C) also cancels it, so that the abandoned operation ends at once instead of
/// holding a port or polling on until its own timeout.
pub(crate) fn run_cancellable<T, F>(
    py: Python<'_>,
    cancel: Option<authgate::CancelToken>,
    f: F,
) -> PyResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    log_bridge::sync_level(py);
    if !on_main_thread(py)? {
        return Ok(py.detach(f));
    }
    let (tx, rx) = sync_channel(1);
    dispatch(Box::new(move || {
        let _ = tx.send(f());
    }))?;
    let mut rx = rx;
    loop {
        // The receiver is not Sync: it moves into the GIL-free closure and back.
        let (back, got) = py.detach(move || {
            let got = rx.recv_timeout(SIGNAL_POLL);
            (rx, got)
        });
        rx = back;
        match got {
            Ok(v) => return Ok(v),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    if let Some(c) = &cancel {
                        c.cancel();
                    }
                    return Err(e);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "authgate: the request thread stopped without an answer",
                ))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// JSON ↔ Python

pub(crate) fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => map_to_py(py, map)?.into_any(),
    })
}

pub(crate) fn map_to_py<'py>(
    py: Python<'py>,
    map: &Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, json_to_py(py, v)?)?;
    }
    Ok(dict)
}

pub(crate) fn datetime_utc<'py>(py: Python<'py>, at: SystemTime) -> PyResult<Bound<'py, PyAny>> {
    static FROMTIMESTAMP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let secs = match at.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    };
    let utc = UTC.import(py, "datetime", "timezone")?.getattr("utc")?;
    let fromtimestamp = FROMTIMESTAMP.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("datetime")?
            .getattr("datetime")?
            .getattr("fromtimestamp")?
            .unbind())
    })?;
    fromtimestamp.bind(py).call1((secs, utc))
}

// ---------------------------------------------------------------------------------------
// Client

/// An OAuth 2.0 client for one authorization server, from a provider preset
/// (``"generic"``, ``"taxcom"``, ``"kontur"``, ``"gearcode"``, ``"cuba"``) or explicit endpoints.
///
/// Immutable and safe to share between threads; network calls release the GIL.
/// The configuration is checked at once: a mistake raises :class:`ConfigError`.
///
/// Arguments (keyword-only but ``provider``; ``None`` means "not set"):
///     provider: the preset: ``"generic"`` (default), ``"taxcom"``, ``"kontur"``,
///         ``"gearcode"`` or ``"cuba"``.
///     base_url: the server's base URL; the preset's paths are appended to it.
///     authorization_endpoint: the authorization endpoint, if not base_url + path.
///     token_endpoint: the token endpoint, if not base_url + path (Taxcom's lives
///         on another host).
///     client_id: the client id. Required.
///     client_secret: the client secret; None for a public client.
///     redirect_uri: the redirect URI registered for this client.
///     scopes: the default scopes (a space-separated str or an iterable of str).
///     auth_method: ``"client_secret_basic"``, ``"client_secret_post"`` or ``"none"``.
///         Defaults to the preset's.
///     basic_encoding: ``"form"`` (RFC 6749 §2.3.1) or ``"raw"`` (Spring, CUBA).
///     token_params: extra form parameters for every token request.
///     authorization_params: extra parameters for every authorization URL.
///     redirect_param: the name of the redirect parameter in the authorization URL.
///     pkce: whether authorization URLs carry a PKCE challenge. Defaults to True.
///     allow_insecure_http: allow ``http://`` on hosts other than loopback.
///     accept_unknown_token_type: accept token answers whose ``token_type`` is not
///         ``Bearer`` (refused by default, RFC 6749 §7.1).
///     timeout: the time allowed for a whole request (seconds or timedelta; 30 s).
///     connect_timeout: the time allowed to connect (10 s).
///     max_response_bytes: the largest response body accepted (256 KiB).
///     proxy: a proxy URL, ``"env"`` (the default: from the environment), or
///         ``"none"`` / False for none.
///     ca_file: trust only the certificates in this PEM file.
///     trust_roots: ``"bundled"`` (Mozilla's roots, the default) or ``"system"``.
///     user_agent: the User-Agent header.
///     issuer: the OpenID Connect issuer (id_tokens' ``iss``); :meth:`discover`
///         sets it and the five endpoints below.
///     jwks_uri: the provider's public keys, to validate id_tokens.
///     userinfo_endpoint: for :meth:`userinfo`.
///     revocation_endpoint: for :meth:`revoke`.
///     introspection_endpoint: for :meth:`introspect`.
///     device_authorization_endpoint: for :meth:`device_authorization`.
///     id_token_leeway: the clock skew allowed on id_token times (seconds or
///         timedelta).
#[pyclass(frozen, module = "authgate", name = "Client")]
pub(crate) struct Client {
    pub(crate) inner: authgate::Client,
}

fn build_client(json: &str) -> Result<authgate::Client, authgate::Error> {
    authgate::ClientBuilder::from_json(json)?.build()
}

/// The keyword arguments of `Client(...)` that are plain strings, under their JSON keys.
const STR_OPTIONS: &[&str] = &[
    "base_url",
    "authorization_endpoint",
    "token_endpoint",
    "client_id",
    "client_secret",
    "redirect_uri",
    "auth_method",
    "basic_encoding",
    "redirect_param",
    "trust_roots",
    "user_agent",
    "issuer",
    "jwks_uri",
    "userinfo_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
    "device_authorization_endpoint",
];

/// Turns the keyword arguments of `Client(...)` / `Client.discover(...)` into the core's
/// JSON configuration, so that Python and C validate it identically. A wrong Python type
/// is a TypeError naming the argument; None means "not set".
fn client_config(
    py: Python<'_>,
    function: &str,
    provider: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let mut cfg = Map::new();
    if let Some(p) = opt_str("provider", provider)? {
        cfg.insert("provider".into(), Value::String(p));
    }
    let Some(kwargs) = kwargs else {
        return Ok(Value::Object(cfg).to_string());
    };
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        let o = Some(&value);
        let (json_key, v): (&str, Value) = match key.as_str() {
            k if STR_OPTIONS.contains(&k) => (k, Value::String(req_str(k, &value)?)),
            "scopes" => (
                "scopes",
                Value::Array(
                    opt_scopes(o)?
                        .unwrap_or_default()
                        .into_iter()
                        .map(Value::String)
                        .collect(),
                ),
            ),
            k @ ("token_params" | "authorization_params") => (
                k,
                Value::Object(
                    opt_params(k, o)?
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect(),
                ),
            ),
            k @ ("pkce" | "allow_insecure_http" | "accept_unknown_token_type") => {
                (k, Value::Bool(opt_bool(k, o)?.unwrap_or_default()))
            }
            "timeout" => ("timeout_ms", Value::from(timeout_ms("timeout", o)?)),
            "connect_timeout" => (
                "connect_timeout_ms",
                Value::from(timeout_ms("connect_timeout", o)?),
            ),
            "id_token_leeway" => (
                "id_token_leeway_ms",
                Value::from((seconds("id_token_leeway", &value)? * 1000.0).round() as u64),
            ),
            "max_response_bytes" => {
                if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
                    return Err(type_error("max_response_bytes", "an int", &value));
                }
                let n: u64 = value.extract().map_err(|_| {
                    PyValueError::new_err("max_response_bytes must be a positive int")
                })?;
                ("max_response_bytes", Value::from(n))
            }
            "proxy" => {
                // False disables the proxy; a str is `env`, `none` or a proxy URL.
                let v = if value.is_instance_of::<PyBool>() {
                    if value.is_truthy()? {
                        return Err(PyValueError::new_err(
                            "proxy must be a proxy URL, \"env\", \"none\" or False",
                        ));
                    }
                    "none".to_owned()
                } else {
                    req_str("proxy", &value)?
                };
                ("proxy", Value::String(v))
            }
            "ca_file" => {
                let path = py
                    .import("os")?
                    .call_method1("fspath", (&value,))
                    .map_err(|_| type_error("ca_file", "a str or an os.PathLike", &value))?;
                ("ca_file", Value::String(req_str("ca_file", &path)?))
            }
            other => {
                return Err(PyTypeError::new_err(format!(
                    "{function}() got an unexpected keyword argument '{other}'"
                )))
            }
        };
        cfg.insert(json_key.to_owned(), v);
    }
    Ok(Value::Object(cfg).to_string())
}

#[pymethods]
impl Client {
    #[new]
    // The keywords `client_config` accepts, for help() and inspect.signature (pinned by
    // tests/python/test_install.py against the .pyi).
    #[pyo3(
        signature = (provider = None, **options),
        text_signature = "(provider=None, *, base_url=None, authorization_endpoint=None, token_endpoint=None, client_id=None, client_secret=None, redirect_uri=None, scopes=None, auth_method=None, basic_encoding=None, token_params=None, authorization_params=None, redirect_param=None, pkce=None, allow_insecure_http=None, accept_unknown_token_type=None, timeout=None, connect_timeout=None, max_response_bytes=None, proxy=None, ca_file=None, trust_roots=None, user_agent=None, issuer=None, jwks_uri=None, userinfo_endpoint=None, revocation_endpoint=None, introspection_endpoint=None, device_authorization_endpoint=None, id_token_leeway=None)"
    )]
    fn new(
        py: Python<'_>,
        provider: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let json = client_config(py, "Client", provider, options)?;
        build_client(&json)
            .map(|inner| Client { inner })
            .map_err(|e| to_pyerr(py, e))
    }

    /// Builds a client from the provider's OpenID Connect discovery document
    /// (``<issuer>/.well-known/openid-configuration``, cached for an hour in the process):
    /// every endpoint not given explicitly, the issuer, and the client authentication
    /// method when the preset's is not supported. Takes the same keyword arguments as
    /// :class:`Client`. The document's ``issuer`` must be ``issuer``.
    #[staticmethod]
    #[pyo3(signature = (issuer, provider = None, **options))]
    fn discover(
        py: Python<'_>,
        issuer: &Bound<'_, PyAny>,
        provider: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let issuer = req_str("issuer", issuer)?;
        let json = client_config(py, "Client.discover", provider, options)?;
        let builder = authgate::ClientBuilder::from_json(&json).map_err(|e| to_pyerr(py, e))?;
        run_blocking(py, move || builder.discover(&issuer)?.build())?
            .map(|inner| Client { inner })
            .map_err(|e| to_pyerr(py, e))
    }

    /// Builds a client from a JSON configuration object, the same one the C ABI reads
    /// (keys ``provider``, ``base_url``, ``client_id``, ``client_secret``, ``timeout_ms``, …).
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &Bound<'_, PyAny>) -> PyResult<Self> {
        let json = req_str("json", json)?;
        build_client(&json)
            .map(|inner| Client { inner })
            .map_err(|e| to_pyerr(py, e))
    }

    /// The preset's short name: ``generic``, ``taxcom``, ``kontur``, ``gearcode`` or ``cuba``.
    #[getter]
    fn provider(&self) -> &'static str {
        self.inner.provider().name()
    }

    /// The client id.
    #[getter]
    fn client_id(&self) -> &str {
        self.inner.client_id()
    }

    /// The token endpoint URL.
    #[getter]
    fn token_endpoint(&self) -> &str {
        self.inner.token_endpoint()
    }

    /// The authorization endpoint URL, or None (CUBA has none).
    #[getter]
    fn authorization_endpoint(&self) -> Option<&str> {
        self.inner.authorization_endpoint()
    }

    /// How the client authenticates: ``client_secret_basic``, ``client_secret_post`` or ``none``.
    #[getter]
    fn auth_method(&self) -> &'static str {
        self.inner.auth_method().name()
    }

    /// The default scopes.
    #[getter]
    fn scopes(&self) -> Vec<String> {
        self.inner.scopes().to_vec()
    }

    /// The configured redirect URI, or None.
    #[getter]
    fn redirect_uri(&self) -> Option<&str> {
        self.inner.redirect_uri()
    }

    fn __repr__(&self) -> String {
        format!(
            "Client(provider={}, client_id={}, token_endpoint={})",
            repr(Some(self.inner.provider().name())),
            repr(Some(self.inner.client_id())),
            repr(Some(self.inner.token_endpoint()))
        )
    }

    /// Builds an authorization URL with a fresh ``state``, a PKCE verifier (unless the
    /// client disabled PKCE) and, with the ``openid`` scope, a ``nonce``. No network call.
    #[pyo3(signature = (*, scopes = None, state = None, nonce = None, code_verifier = None, redirect_uri = None, params = None))]
    #[allow(clippy::too_many_arguments)]
    fn authorization_url(
        &self,
        py: Python<'_>,
        scopes: Option<&Bound<'_, PyAny>>,
        state: Option<&Bound<'_, PyAny>>,
        nonce: Option<&Bound<'_, PyAny>>,
        code_verifier: Option<&Bound<'_, PyAny>>,
        redirect_uri: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<AuthorizationRequest> {
        let mut b = self.inner.authorization_url();
        if let Some(s) = opt_scopes(scopes)? {
            b = b.scopes(s);
        }
        if let Some(s) = opt_str("state", state)? {
            b = b.state(s);
        }
        if let Some(n) = opt_str("nonce", nonce)? {
            b = b.nonce(n);
        }
        if let Some(v) = opt_str("code_verifier", code_verifier)? {
            b = b.pkce_verifier(v);
        }
        if let Some(r) = opt_str("redirect_uri", redirect_uri)? {
            b = b.redirect_uri(r);
        }
        for (k, v) in opt_params("params", params)? {
            b = b.param(k, v);
        }
        let req = b.build().map_err(|e| to_pyerr(py, e))?;
        Ok(AuthorizationRequest {
            code_verifier: req.pkce_verifier.as_ref().map(|v| v.secret().to_owned()),
            url: req.url,
            state: req.state,
            nonce: req.nonce,
            redirect_uri: req.redirect_uri,
            issuer: req.issuer,
            issuer_required: req.issuer_required,
        })
    }

    /// Exchanges an authorization code for tokens (RFC 6749 §4.1.3). Pass the
    /// ``code_verifier`` of the :class:`AuthorizationRequest`.
    #[pyo3(signature = (code, *, code_verifier = None, redirect_uri = None, scopes = None, params = None))]
    fn exchange_code(
        &self,
        py: Python<'_>,
        code: &Bound<'_, PyAny>,
        code_verifier: Option<&Bound<'_, PyAny>>,
        redirect_uri: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        let code = req_str("code", code)?;
        let verifier = opt_str("code_verifier", code_verifier)?;
        let redirect = opt_str("redirect_uri", redirect_uri)?;
        let scopes = opt_scopes(scopes)?;
        let params = opt_params("params", params)?;
        let client = self.inner.clone();
        send(py, move || {
            let mut r = client.exchange_code(code);
            if let Some(v) = verifier {
                r = r.pkce_verifier(v);
            }
            if let Some(u) = redirect {
                r = r.redirect_uri(u);
            }
            finish(r, scopes, params)
        })
    }

    /// Refreshes tokens (RFC 6749 §6) with a refresh token or a :class:`TokenSet` holding
    /// one. When the server rotates refresh tokens (GearCode), store the result at once.
    #[pyo3(signature = (refresh_token, *, scopes = None, params = None))]
    fn refresh(
        &self,
        py: Python<'_>,
        refresh_token: &Bound<'_, PyAny>,
        scopes: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        let rt = if let Ok(t) = refresh_token.cast::<TokenSet>() {
            match t.get().inner.refresh_token() {
                Some(rt) => rt.clone(),
                None => return Err(PyValueError::new_err("this token set has no refresh token")),
            }
        } else if let Ok(s) = refresh_token.cast::<PyString>() {
            authgate::RefreshToken::new(s.extract::<String>()?)
        } else {
            return Err(type_error(
                "refresh_token",
                "a str or a TokenSet",
                refresh_token,
            ));
        };
        let scopes = opt_scopes(scopes)?;
        let params = opt_params("params", params)?;
        let client = self.inner.clone();
        send(py, move || finish(client.refresh(rt), scopes, params))
    }

    /// The resource owner password grant (RFC 6749 §4.3), as CUBA uses it.
    #[pyo3(signature = (username, password, *, scopes = None, params = None))]
    fn password(
        &self,
        py: Python<'_>,
        username: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
        scopes: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        let username = req_str("username", username)?;
        let password = authgate::Password::new(req_str("password", password)?);
        let scopes = opt_scopes(scopes)?;
        let params = opt_params("params", params)?;
        let client = self.inner.clone();
        send(py, move || {
            finish(client.password(username, password), scopes, params)
        })
    }

    /// The client credentials grant (RFC 6749 §4.4).
    #[pyo3(signature = (*, scopes = None, params = None))]
    fn client_credentials(
        &self,
        py: Python<'_>,
        scopes: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        let scopes = opt_scopes(scopes)?;
        let params = opt_params("params", params)?;
        let client = self.inner.clone();
        send(py, move || {
            finish(client.client_credentials(), scopes, params)
        })
    }

    /// Validates an OpenID Connect id_token and returns its claims as a dict: the
    /// signature against the provider's JWKS (``none`` and HMAC algorithms are refused),
    /// ``iss``, ``aud`` / ``azp``, ``exp`` / ``iat`` / ``nbf`` (with the client's
    /// ``id_token_leeway``), and ``nonce`` when given. ``id_token`` is the token or a
    /// :class:`TokenSet` holding one. Needs the issuer and the JWKS URI (``discover``).
    /// Raises :class:`IdTokenError` with the failed check in ``kind``.
    #[pyo3(signature = (id_token, *, nonce = None))]
    fn validate_id_token<'py>(
        &self,
        py: Python<'py>,
        id_token: &Bound<'py, PyAny>,
        nonce: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let token = if let Ok(t) = id_token.cast::<TokenSet>() {
            match t.get().inner.id_token() {
                Some(i) => i.clone(),
                None => return Err(PyValueError::new_err("this token set has no id_token")),
            }
        } else if let Ok(s) = id_token.cast::<PyString>() {
            authgate::IdToken::new(s.extract::<String>()?)
        } else {
            return Err(type_error("id_token", "a str or a TokenSet", id_token));
        };
        let nonce = opt_str("nonce", nonce)?;
        let client = self.inner.clone();
        let claims = run_blocking(py, move || {
            client
                .validate_id_token(&token, nonce.as_deref())
                .map(|c| c.raw().clone())
        })?
        .map_err(|e| to_pyerr(py, e))?;
        map_to_py(py, &claims)
    }

    /// Asks the UserInfo endpoint about the signed-in user (OpenID Connect Core §5.3);
    /// ``access_token`` is the token or a :class:`TokenSet`. Returns the claims as a dict.
    fn userinfo<'py>(
        &self,
        py: Python<'py>,
        access_token: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let token = if let Ok(t) = access_token.cast::<TokenSet>() {
            t.get().inner.access_token().clone()
        } else if let Ok(s) = access_token.cast::<PyString>() {
            authgate::AccessToken::new(s.extract::<String>()?)
        } else {
            return Err(type_error(
                "access_token",
                "a str or a TokenSet",
                access_token,
            ));
        };
        let client = self.inner.clone();
        let info =
            run_blocking(py, move || client.userinfo(&token))?.map_err(|e| to_pyerr(py, e))?;
        map_to_py(py, &info)
    }

    /// Revokes a token (RFC 7009). ``token_type_hint`` is ``"access_token"`` or
    /// ``"refresh_token"`` when known. Revoking an unknown or already revoked token
    /// succeeds, as the RFC says.
    #[pyo3(signature = (token, *, token_type_hint = None))]
    fn revoke(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        token_type_hint: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let token = req_str("token", token)?;
        let hint = opt_str("token_type_hint", token_type_hint)?;
        let client = self.inner.clone();
        run_blocking(py, move || client.revoke(&token, hint.as_deref()))?
            .map_err(|e| to_pyerr(py, e))
    }

    /// Asks whether a token is active (RFC 7662).
    fn introspect(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<Introspection> {
        let token = req_str("token", token)?;
        let client = self.inner.clone();
        run_blocking(py, move || client.introspect(&token))?
            .map(|inner| Introspection { inner })
            .map_err(|e| to_pyerr(py, e))
    }

    /// Starts a device sign-in (RFC 8628 §3.1), for a till or terminal without a
    /// browser: returns the codes to show the user. Then call
    /// :meth:`wait_for_device_token`, or :meth:`poll_device_token` from your own loop.
    #[pyo3(signature = (*, scopes = None))]
    fn device_authorization(
        &self,
        py: Python<'_>,
        scopes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<DeviceAuthorization> {
        let scopes = opt_scopes(scopes)?;
        let client = self.inner.clone();
        run_blocking(py, move || {
            let refs: Option<Vec<&str>> = scopes
                .as_ref()
                .map(|s| s.iter().map(String::as_str).collect());
            client.device_authorization(refs.as_deref())
        })?
        .map(DeviceAuthorization::new)
        .map_err(|e| to_pyerr(py, e))
    }

    /// Polls the token endpoint once (RFC 8628 §3.4), for a caller running its own loop
    /// (a UI timer): the token set once the user approved, None while the sign-in is
    /// pending. On ``slow_down`` it also returns None and adds 5 seconds to
    /// ``auth.interval`` (at most 60): wait that long before the next poll. A denial
    /// raises :class:`OAuthError` (``access_denied``), expired codes ``expired_token``
    /// (at once, without a request, when they are known to have expired).
    fn poll_device_token(
        &self,
        py: Python<'_>,
        auth: &Bound<'_, PyAny>,
    ) -> PyResult<Option<TokenSet>> {
        let auth = auth
            .cast::<DeviceAuthorization>()
            .map_err(|_| type_error("auth", "an authgate.DeviceAuthorization", auth))?;
        let core_auth = auth.get().inner.clone();
        let client = self.inner.clone();
        match run_blocking(py, move || client.poll_device_token(&core_auth))? {
            Ok(authgate::DevicePoll::Tokens(t)) => Ok(Some(TokenSet::new(t))),
            Ok(_) => Ok(None),
            Err(e) => Err(to_pyerr(py, e)),
        }
    }

    /// Polls until the user has signed in, honouring ``auth.interval`` and
    /// ``slow_down``, and returns the token set. Raises :class:`OAuthError` when the user
    /// denies (``access_denied``) or the codes expire (``expired_token``), and
    /// :class:`Cancelled` when ``cancel`` is cancelled (Ctrl-C cancels it too).
    #[pyo3(signature = (auth, *, cancel = None))]
    fn wait_for_device_token(
        &self,
        py: Python<'_>,
        auth: &Bound<'_, PyAny>,
        cancel: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenSet> {
        let auth = auth
            .cast::<DeviceAuthorization>()
            .map_err(|_| type_error("auth", "an authgate.DeviceAuthorization", auth))?
            .get()
            .inner
            .clone();
        let cancel = cancel_arg(cancel)?;
        let client = self.inner.clone();
        let token = cancel.clone();
        run_cancellable(py, Some(cancel), move || {
            client.wait_for_device_token(&auth, &token)
        })?
        .map(TokenSet::new)
        .map_err(|e| to_pyerr(py, e))
    }

    /// Signs the user in through the browser (RFC 8252 §7.3): listens on ``127.0.0.1``
    /// (on ``port``, 0 for a free one), opens the authorization URL with PKCE, ``state``
    /// and (OpenID Connect) a ``nonce`` and the redirect ``http://127.0.0.1:<port>/callback``,
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
        signature = (*, timeout = None, cancel = None, open_browser = None, browser_command = None, scopes = None, port = None),
        text_signature = "($self, *, timeout=300, cancel=None, open_browser=None, browser_command=None, scopes=None, port=0)"
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
    ) -> PyResult<TokenSet> {
        let timeout = timeout_ms("timeout", timeout)?.map(Duration::from_millis);
        let cancel = cancel_arg(cancel)?;
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
        let scopes = opt_scopes(scopes)?;
        let port: u16 = match port.filter(|o| !o.is_none()) {
            None => 0,
            Some(p) if p.is_instance_of::<PyBool>() || !p.is_instance_of::<PyInt>() => {
                return Err(type_error("port", "an int", p))
            }
            Some(p) => p
                .extract()
                .map_err(|_| PyValueError::new_err("port must be an int from 0 to 65535"))?,
        };
        let slot = CallbackSlot::default();
        let opener = opener.map(|o| (o.unbind(), slot.clone()));
        let client = self.inner.clone();
        let token = cancel.clone();
        let result = run_cancellable(py, Some(cancel), move || {
            let mut sign_in = client.sign_in_loopback().cancel_token(&token).port(port);
            if let Some(t) = timeout {
                sign_in = sign_in.timeout(t);
            }
            if let Some(s) = scopes {
                sign_in = sign_in.scopes(s);
            }
            if let Some(c) = &command {
                sign_in = sign_in.browser_command(c);
            }
            if let Some((open, slot)) = opener {
                // The core calls the opener on the thread running the sign-in, which does
                // not hold the GIL.
                sign_in = sign_in.open_with(move |url| {
                    Python::attach(|py| match open.bind(py).call1((url,)) {
                        Ok(_) => Ok(()),
                        Err(e) => Err(slot.fail(e)),
                    })
                });
            }
            sign_in.run()
        })?;
        result.map(TokenSet::new).map_err(|e| slot.to_pyerr(py, e))
    }
}

/// The core token of an optional `cancel=` argument (a fresh one when None).
fn cancel_arg(cancel: Option<&Bound<'_, PyAny>>) -> PyResult<authgate::CancelToken> {
    match cancel.filter(|o| !o.is_none()) {
        None => Ok(authgate::CancelToken::new()),
        Some(c) => c
            .cast::<CancelToken>()
            .map(|c| c.get().inner.clone())
            .map_err(|_| type_error("cancel", "an authgate.CancelToken", c)),
    }
}

fn finish(
    mut r: authgate::TokenRequest<'_>,
    scopes: Option<Vec<String>>,
    params: Vec<(String, String)>,
) -> Result<authgate::TokenSet, authgate::Error> {
    if let Some(s) = scopes {
        r = r.scopes(s);
    }
    for (k, v) in params {
        r = r.param(k, v);
    }
    r.send()
}

fn send<F>(py: Python<'_>, f: F) -> PyResult<TokenSet>
where
    F: FnOnce() -> Result<authgate::TokenSet, authgate::Error> + Send + 'static,
{
    match run_blocking(py, f)? {
        Ok(t) => Ok(TokenSet::new(t)),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

// ---------------------------------------------------------------------------------------
// AuthorizationRequest

/// What :meth:`Client.authorization_url` returns: the URL to open in the browser and the
/// values to keep until the redirect comes back.
#[pyclass(frozen, module = "authgate", name = "AuthorizationRequest")]
struct AuthorizationRequest {
    /// The URL to send the user to.
    #[pyo3(get)]
    url: String,
    /// The ``state`` sent; :meth:`parse_callback` checks it.
    #[pyo3(get)]
    state: String,
    /// The OpenID Connect ``nonce`` sent, or None.
    #[pyo3(get)]
    nonce: Option<String>,
    /// The PKCE verifier to pass to :meth:`Client.exchange_code`, or None.
    #[pyo3(get)]
    code_verifier: Option<String>,
    /// The redirect URI sent, or None.
    #[pyo3(get)]
    redirect_uri: Option<String>,
    /// The issuer the redirect's ``iss`` must name (RFC 9207), or None if unknown.
    #[pyo3(get)]
    issuer: Option<String>,
    /// Whether the redirect must carry ``iss`` (the provider's metadata promises it).
    #[pyo3(get)]
    issuer_required: bool,
}

#[pymethods]
impl AuthorizationRequest {
    /// Reads the redirect back with this request's ``state`` and issuer; returns the
    /// one-time code. Raises :class:`IssuerMismatch` when ``iss`` names another issuer,
    /// or is missing although the provider promises it (RFC 9207).
    fn parse_callback(&self, py: Python<'_>, callback: &Bound<'_, PyAny>) -> PyResult<String> {
        let callback = req_str("callback", callback)?;
        authgate::parse_callback_with_issuer(
            &callback,
            &self.state,
            self.issuer.as_deref(),
            self.issuer_required,
        )
        .map(|c| c.secret().to_owned())
        .map_err(|e| to_pyerr(py, e))
    }

    fn __repr__(&self) -> String {
        format!(
            "AuthorizationRequest(url={}, state={}, nonce={}, code_verifier={}, redirect_uri={}, issuer={})",
            repr(Some(&self.url)),
            repr(Some(&self.state)),
            repr(self.nonce.as_deref()),
            if self.code_verifier.is_some() {
                "'[redacted]'"
            } else {
                "None"
            },
            repr(self.redirect_uri.as_deref()),
            repr(self.issuer.as_deref())
        )
    }
}

/// Reads the redirect back: ``callback`` is the full redirect URL or its query string.
/// Returns the one-time code; raises :class:`StateMismatch` when ``state`` differs
/// (compared in constant time) and :class:`OAuthError` when the server sent ``error``.
/// With ``issuer``, an ``iss`` naming another issuer raises :class:`IssuerMismatch`, as
/// does a missing one when ``issuer_required`` (RFC 9207).
#[pyfunction(name = "parse_callback")]
#[pyo3(signature = (callback, expected_state, *, issuer = None, issuer_required = false))]
fn parse_callback_py(
    py: Python<'_>,
    callback: &Bound<'_, PyAny>,
    expected_state: &Bound<'_, PyAny>,
    issuer: Option<&Bound<'_, PyAny>>,
    issuer_required: bool,
) -> PyResult<String> {
    let callback = req_str("callback", callback)?;
    let expected = req_str("expected_state", expected_state)?;
    let issuer = opt_str("issuer", issuer)?;
    authgate::parse_callback_with_issuer(&callback, &expected, issuer.as_deref(), issuer_required)
        .map(|c| c.secret().to_owned())
        .map_err(|e| to_pyerr(py, e))
}

// ---------------------------------------------------------------------------------------
// TokenSet

/// The tokens an authorization server issued. ``repr`` shows which tokens are present,
/// never their values.
#[pyclass(frozen, module = "authgate", name = "TokenSet")]
pub(crate) struct TokenSet {
    pub(crate) inner: authgate::TokenSet,
}

impl TokenSet {
    pub(crate) fn new(inner: authgate::TokenSet) -> Self {
        TokenSet { inner }
    }
}

#[pymethods]
impl TokenSet {
    /// Reads a token set back from :meth:`to_json`'s output (the absolute expiry and the
    /// refresh token kept), or parses a token answer as a server sends it (then received
    /// now).
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &Bound<'_, PyAny>) -> PyResult<Self> {
        let json = req_str("json", json)?;
        log_bridge::sync_level(py); // parsing may log a leniency warning
        authgate::TokenSet::from_json(&json)
            .map(TokenSet::new)
            .map_err(|e| to_pyerr(py, e))
    }

    /// The token set as one JSON object, to store it (it holds the tokens: keep it safe):
    /// the server's answer with the current tokens and ``expires_at`` in Unix seconds.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The access token.
    #[getter]
    fn access_token(&self) -> &str {
        self.inner.access_token().secret()
    }

    /// The token type; any case of ``bearer`` becomes ``Bearer``.
    #[getter]
    fn token_type(&self) -> &str {
        self.inner.token_type()
    }

    /// The lifetime in seconds as the server sent it, or None.
    #[getter]
    fn expires_in(&self) -> Option<u64> {
        self.inner.expires_in()
    }

    /// When the access token expires, as an aware UTC ``datetime``, or None if unknown.
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        // Whole seconds, as stored: a set read back from `to_json` compares equal.
        self.inner
            .expires_at_unix()
            .map(|secs| datetime_utc(py, UNIX_EPOCH + Duration::from_secs(secs)))
            .transpose()
    }

    /// The refresh token, or None (after a refresh without a new one, the old one).
    #[getter]
    fn refresh_token(&self) -> Option<&str> {
        self.inner.refresh_token().map(|r| r.secret())
    }

    /// The granted scope (space separated); the requested one if the server omitted it.
    #[getter]
    fn scope(&self) -> Option<&str> {
        self.inner.scope()
    }

    /// The OpenID Connect id_token, or None.
    #[getter]
    fn id_token(&self) -> Option<&str> {
        self.inner.id_token().map(|i| i.secret())
    }

    /// The whole answer as a new dict. It holds the tokens: keep it out of logs.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, self.inner.raw())
    }

    /// What the provider got wrong, as parsed leniently (no secrets).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings().to_vec()
    }

    /// The ``Authorization`` header value: ``Bearer <access token>``.
    #[getter]
    fn authorization_header(&self) -> String {
        self.inner.authorization_header()
    }

    /// Whether the access token expires within ``leeway`` (seconds or a ``timedelta``)
    /// from now. A token without a known expiry is never considered expired.
    #[pyo3(signature = (leeway = None))]
    fn is_expired(&self, leeway: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let leeway = match leeway.filter(|o| !o.is_none()) {
            Some(o) => Duration::from_secs_f64(seconds("leeway", o)?.min(1e12)),
            None => Duration::ZERO,
        };
        Ok(self.inner.is_expired(leeway))
    }

    fn __repr__(&self) -> String {
        let t = &self.inner;
        let present = |b: bool| if b { "'[redacted]'" } else { "None" };
        let expires_at = t
            .expires_at_unix()
            .map_or("None".to_owned(), |s| s.to_string());
        format!(
            "TokenSet(access_token='[redacted]', token_type={}, expires_in={}, expires_at_unix={}, refresh_token={}, scope={}, id_token={}, warnings={})",
            repr(Some(t.token_type())),
            t.expires_in().map_or("None".to_owned(), |e| e.to_string()),
            expires_at,
            present(t.refresh_token().is_some()),
            repr(t.scope()),
            present(t.id_token().is_some()),
            t.warnings().len(),
        )
    }
}

// ---------------------------------------------------------------------------------------

/// The core's table of error codes, ``[(number, name), …]`` in numeric order: what
/// :class:`authgate.ErrorCode` mirrors (checked by the tests).
#[pyfunction(name = "_error_codes")]
fn error_codes() -> Vec<(u32, &'static str)> {
    authgate::ErrorCode::ALL
        .iter()
        .map(|c| (c.as_u32(), c.name()))
        .collect()
}

/// The private extension module of the ``authgate`` package; import ``authgate`` instead.
/// Runs the `authgate` command-line tool with `argv` (the program name first) and
/// returns its exit code: what `python -m authgate` calls. Its log records (`--trace`,
/// `-v`) reach Python's `logging`, as every record of the core does.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> u8 {
    log_bridge::sync_level(py);
    py.detach(move || authgate_cli::run(argv))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    log_bridge::install(m.py())?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("core_version", authgate::VERSION)?;
    m.add_class::<Client>()?;
    m.add_class::<AuthorizationRequest>()?;
    m.add_class::<TokenSet>()?;
    m.add_class::<TokenManager>()?;
    m.add_class::<MemoryStore>()?;
    m.add_class::<FileStore>()?;
    m.add_class::<CancelToken>()?;
    m.add_class::<Introspection>()?;
    m.add_class::<DeviceAuthorization>()?;
    m.add_function(wrap_pyfunction!(parse_callback_py, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    Ok(())
}
