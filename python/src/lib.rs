//! The Python binding of authgate: the private extension module `authgate._native`.
//!
//! A thin translation of the core's concepts. Configuration goes through
//! [`authgate::ClientBuilder::from_json`], so Python and C validate it identically; errors
//! are raised as the exception classes defined in pure Python (`authgate/_errors.py`),
//! because those need multiple inheritance (`ConfigError(Error, ValueError)`, …) that
//! `create_exception!` cannot express. Every network call releases the GIL.

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

// ---------------------------------------------------------------------------------------
// Errors

/// Builds the Python exception for a core error by handing its fields to
/// `authgate._errors._from_native`, which picks the class.
fn to_pyerr(py: Python<'_>, e: authgate::Error) -> PyErr {
    match build_exception(py, &e) {
        Ok(exc) => PyErr::from_value(exc),
        // Only if the pure-Python half is missing or broken; still no secret in it.
        Err(err) => err,
    }
}

/// Blanks the string values of a JSON-like text that did not parse (a truncated token
/// answer, say): the core only strips values from bodies that are valid JSON, so
/// `{"access_token": "eyJ…",` would otherwise reach the message.
// TODO(core): move into the core's `redact::excerpt`.
fn redact_json_like(text: &str) -> String {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    // The last significant character outside strings: a string after `:` or inside an
    // array is a value; after `{` or `,` in an object it is a key.
    let mut after_colon = false;
    let mut depth_kinds: Vec<char> = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let is_value = after_colon || depth_kinds.last() == Some(&'[');
                let mut lit = String::new();
                let mut closed = false;
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        lit.push(d);
                        if let Some(e) = chars.next() {
                            lit.push(e);
                        }
                    } else if d == '"' {
                        closed = true;
                        break;
                    } else {
                        lit.push(d);
                    }
                }
                out.push('"');
                out.push_str(if is_value { "…" } else { &lit });
                if closed {
                    out.push('"');
                }
                after_colon = false;
            }
            ':' => {
                after_colon = true;
                out.push(c);
            }
            '{' | '[' => {
                depth_kinds.push(c);
                after_colon = false;
                out.push(c);
            }
            '}' | ']' => {
                depth_kinds.pop();
                after_colon = false;
                out.push(c);
            }
            ',' => {
                after_colon = false;
                out.push(c);
            }
            c if c.is_whitespace() => out.push(c),
            // Numbers, true/false/null: values too.
            _ => {
                if after_colon || depth_kinds.last() == Some(&'[') {
                    while chars
                        .peek()
                        .is_some_and(|d| !matches!(d, ',' | '}' | ']') && !d.is_whitespace())
                    {
                        chars.next();
                    }
                    out.push('…');
                } else {
                    out.push(c);
                }
            }
        }
    }
    out
}

fn build_exception<'py>(py: Python<'py>, e: &authgate::Error) -> PyResult<Bound<'py, PyAny>> {
    static FROM_NATIVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let factory = FROM_NATIVE.import(py, "authgate._errors", "_from_native")?;
    let code = e.code();
    let mut message = e.to_string();
    let fields = PyDict::new(py);
    fields.set_item("code", code.as_u32())?;
    fields.set_item("is_terminal", e.is_terminal())?;
    fields.set_item("is_transient", e.is_transient())?;
    let class = match e {
        authgate::Error::Config(_) => "ConfigError",
        authgate::Error::InvalidArgument(_) => "InvalidArgument",
        authgate::Error::StateMismatch => "StateMismatch",
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
            let excerpt = redact_json_like(&r.excerpt);
            if excerpt != r.excerpt && !r.excerpt.is_empty() {
                message = message.replace(&r.excerpt, &excerpt);
            }
            fields.set_item("excerpt", excerpt)?;
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
        _ => "Error",
    };
    factory.call1((class, message, fields))
}

// ---------------------------------------------------------------------------------------
// Argument conversion: wrong Python types are a TypeError naming the argument.

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn type_error(name: &str, expected: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("{name} must be {expected}, not {}", type_name(obj)))
}

fn req_str(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => s.extract(),
        Err(_) => Err(type_error(name, "a str", obj)),
    }
}

fn opt_str(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => req_str(name, o).map(Some),
    }
}

/// A scope list: a space-separated str or an iterable of str.
fn opt_scopes(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<String>>> {
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

fn opt_bool(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<bool>> {
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
fn seconds(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<f64> {
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

fn timeout_ms(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
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
fn repr(s: Option<&str>) -> String {
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
fn run_blocking<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
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
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
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

fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
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

fn map_to_py<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, json_to_py(py, v)?)?;
    }
    Ok(dict)
}

fn datetime_utc<'py>(py: Python<'py>, at: SystemTime) -> PyResult<Bound<'py, PyAny>> {
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
#[pyclass(frozen, module = "authgate", name = "Client")]
struct Client {
    inner: authgate::Client,
}

fn build_client(json: &str) -> Result<authgate::Client, authgate::Error> {
    authgate::ClientBuilder::from_json(json)?.build()
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (
        provider = None, *, base_url = None, authorization_endpoint = None,
        token_endpoint = None, client_id = None, client_secret = None, redirect_uri = None,
        scopes = None, auth_method = None, basic_encoding = None, token_params = None,
        authorization_params = None, redirect_param = None, pkce = None,
        allow_insecure_http = None, timeout = None, connect_timeout = None,
        max_response_bytes = None, proxy = None, ca_file = None, trust_roots = None,
        user_agent = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        provider: Option<&Bound<'_, PyAny>>,
        base_url: Option<&Bound<'_, PyAny>>,
        authorization_endpoint: Option<&Bound<'_, PyAny>>,
        token_endpoint: Option<&Bound<'_, PyAny>>,
        client_id: Option<&Bound<'_, PyAny>>,
        client_secret: Option<&Bound<'_, PyAny>>,
        redirect_uri: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
        auth_method: Option<&Bound<'_, PyAny>>,
        basic_encoding: Option<&Bound<'_, PyAny>>,
        token_params: Option<&Bound<'_, PyAny>>,
        authorization_params: Option<&Bound<'_, PyAny>>,
        redirect_param: Option<&Bound<'_, PyAny>>,
        pkce: Option<&Bound<'_, PyAny>>,
        allow_insecure_http: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        max_response_bytes: Option<&Bound<'_, PyAny>>,
        proxy: Option<&Bound<'_, PyAny>>,
        ca_file: Option<&Bound<'_, PyAny>>,
        trust_roots: Option<&Bound<'_, PyAny>>,
        user_agent: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut cfg = Map::new();
        let mut put = |key: &str, v: Option<Value>| {
            if let Some(v) = v {
                cfg.insert(key.to_owned(), v);
            }
        };
        let s = |name: &str, o| opt_str(name, o).map(|v| v.map(Value::String));
        put("provider", s("provider", provider)?);
        put("base_url", s("base_url", base_url)?);
        put(
            "authorization_endpoint",
            s("authorization_endpoint", authorization_endpoint)?,
        );
        put("token_endpoint", s("token_endpoint", token_endpoint)?);
        put("client_id", s("client_id", client_id)?);
        put("client_secret", s("client_secret", client_secret)?);
        put("redirect_uri", s("redirect_uri", redirect_uri)?);
        put(
            "scopes",
            opt_scopes(scopes)?.map(|v| Value::Array(v.into_iter().map(Value::String).collect())),
        );
        put("auth_method", s("auth_method", auth_method)?);
        put("basic_encoding", s("basic_encoding", basic_encoding)?);
        for (key, obj) in [
            ("token_params", token_params),
            ("authorization_params", authorization_params),
        ] {
            if obj.is_some_and(|o| !o.is_none()) {
                let params = opt_params(key, obj)?;
                put(
                    key,
                    Some(Value::Object(
                        params
                            .into_iter()
                            .map(|(k, v)| (k, Value::String(v)))
                            .collect(),
                    )),
                );
            }
        }
        put("redirect_param", s("redirect_param", redirect_param)?);
        put("pkce", opt_bool("pkce", pkce)?.map(Value::Bool));
        put(
            "allow_insecure_http",
            opt_bool("allow_insecure_http", allow_insecure_http)?.map(Value::Bool),
        );
        put(
            "timeout_ms",
            timeout_ms("timeout", timeout)?.map(Value::from),
        );
        put(
            "connect_timeout_ms",
            timeout_ms("connect_timeout", connect_timeout)?.map(Value::from),
        );
        if let Some(o) = max_response_bytes.filter(|o| !o.is_none()) {
            if o.is_instance_of::<PyBool>() || !o.is_instance_of::<PyInt>() {
                return Err(type_error("max_response_bytes", "an int", o));
            }
            let n: u64 = o
                .extract()
                .map_err(|_| PyValueError::new_err("max_response_bytes must be a positive int"))?;
            put("max_response_bytes", Some(Value::from(n)));
        }
        if let Some(o) = proxy.filter(|o| !o.is_none()) {
            // False disables the proxy; a str is `env`, `none` or a proxy URL.
            let v = if o.is_instance_of::<PyBool>() {
                if o.is_truthy()? {
                    return Err(PyValueError::new_err(
                        "proxy must be a proxy URL, \"env\", \"none\" or False",
                    ));
                }
                "none".to_owned()
            } else {
                req_str("proxy", o)?
            };
            put("proxy", Some(Value::String(v)));
        }
        if let Some(o) = ca_file.filter(|o| !o.is_none()) {
            let path = py
                .import("os")?
                .call_method1("fspath", (o,))
                .map_err(|_| type_error("ca_file", "a str or an os.PathLike", o))?;
            put("ca_file", Some(Value::String(req_str("ca_file", &path)?)));
        }
        put("trust_roots", s("trust_roots", trust_roots)?);
        put("user_agent", s("user_agent", user_agent)?);

        let json = Value::Object(cfg).to_string();
        build_client(&json)
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
}

#[pymethods]
impl AuthorizationRequest {
    /// Reads the redirect back with this request's ``state``; returns the one-time code.
    fn parse_callback(&self, py: Python<'_>, callback: &Bound<'_, PyAny>) -> PyResult<String> {
        let callback = req_str("callback", callback)?;
        authgate::parse_callback(&callback, &self.state)
            .map(|c| c.secret().to_owned())
            .map_err(|e| to_pyerr(py, e))
    }

    fn __repr__(&self) -> String {
        format!(
            "AuthorizationRequest(url={}, state={}, nonce={}, code_verifier={}, redirect_uri={})",
            repr(Some(&self.url)),
            repr(Some(&self.state)),
            repr(self.nonce.as_deref()),
            if self.code_verifier.is_some() {
                "'[redacted]'"
            } else {
                "None"
            },
            repr(self.redirect_uri.as_deref())
        )
    }
}

/// Reads the redirect back: ``callback`` is the full redirect URL or its query string.
/// Returns the one-time code; raises :class:`StateMismatch` when ``state`` differs
/// (compared in constant time) and :class:`OAuthError` when the server sent ``error``.
#[pyfunction(name = "parse_callback")]
fn parse_callback_py(
    py: Python<'_>,
    callback: &Bound<'_, PyAny>,
    expected_state: &Bound<'_, PyAny>,
) -> PyResult<String> {
    let callback = req_str("callback", callback)?;
    let expected = req_str("expected_state", expected_state)?;
    authgate::parse_callback(&callback, &expected)
        .map(|c| c.secret().to_owned())
        .map_err(|e| to_pyerr(py, e))
}

// ---------------------------------------------------------------------------------------
// TokenSet

/// The tokens an authorization server issued. ``repr`` shows which tokens are present,
/// never their values.
#[pyclass(frozen, module = "authgate", name = "TokenSet")]
struct TokenSet {
    inner: authgate::TokenSet,
    /// The absolute expiry. The core computes it on receipt; a set read back with
    /// `from_json` keeps the one saved.
    expires_at: Option<SystemTime>,
    /// The answer as received, when it differs from `inner.raw()` (read back from JSON).
    raw: Option<Map<String, Value>>,
}

impl TokenSet {
    fn new(inner: authgate::TokenSet) -> Self {
        TokenSet {
            expires_at: inner.expires_at(),
            inner,
            raw: None,
        }
    }

    fn raw_map(&self) -> &Map<String, Value> {
        self.raw.as_ref().unwrap_or_else(|| self.inner.raw())
    }
}

fn invalid(msg: impl Into<String>) -> authgate::Error {
    authgate::Error::InvalidArgument(msg.into())
}

fn token_set_from_json(json: &str) -> Result<TokenSet, authgate::Error> {
    let obj = match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(obj)) => obj,
        _ => return Err(invalid("a token set must be a JSON object")),
    };
    let Some(Value::Object(raw)) = obj.get("raw") else {
        // A token answer as a server sends it, received now.
        return Ok(TokenSet::new(authgate::TokenSet::parse(json)?));
    };
    // What `to_json` wrote: the typed fields (which may differ from the answer, e.g. a
    // refresh token kept across a refresh) over the answer as received.
    let mut merged = raw.clone();
    for key in [
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "id_token",
    ] {
        match obj.get(key) {
            Some(Value::Null) | None => {
                merged.remove(key);
            }
            Some(v) => {
                merged.insert(key.to_owned(), v.clone());
            }
        }
    }
    let mut set = TokenSet::new(authgate::TokenSet::parse(
        &Value::Object(merged).to_string(),
    )?);
    set.expires_at = match obj.get("expires_at") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => {
            let secs = n
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e12)
                .ok_or_else(|| invalid("expires_at must be seconds since the Unix epoch"))?;
            Some(UNIX_EPOCH + Duration::from_secs_f64(secs))
        }
        Some(_) => return Err(invalid("expires_at must be seconds since the Unix epoch")),
    };
    set.raw = Some(raw.clone());
    Ok(set)
}

#[pymethods]
impl TokenSet {
    /// Reads a token set back from :meth:`to_json`'s output, or parses a token answer as a
    /// server sends it (then received now).
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &Bound<'_, PyAny>) -> PyResult<Self> {
        let json = req_str("json", json)?;
        token_set_from_json(&json).map_err(|e| to_pyerr(py, e))
    }

    /// The token set as JSON, to store it (it holds the tokens: keep it safe). The typed
    /// fields, ``expires_at`` in seconds since the Unix epoch, and ``raw``.
    fn to_json(&self) -> String {
        let t = &self.inner;
        let mut obj = Map::new();
        obj.insert("access_token".into(), t.access_token().secret().into());
        obj.insert("token_type".into(), t.token_type().into());
        obj.insert("expires_in".into(), t.expires_in().into());
        obj.insert(
            "expires_at".into(),
            self.expires_at
                .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs_f64())
                .into(),
        );
        obj.insert(
            "refresh_token".into(),
            t.refresh_token().map(|r| r.secret()).into(),
        );
        obj.insert("scope".into(), t.scope().into());
        obj.insert("id_token".into(), t.id_token().map(|i| i.secret()).into());
        obj.insert("raw".into(), Value::Object(self.raw_map().clone()));
        Value::Object(obj).to_string()
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
        self.expires_at.map(|at| datetime_utc(py, at)).transpose()
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
        map_to_py(py, self.raw_map())
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
        Ok(match self.expires_at {
            Some(at) => SystemTime::now() + leeway >= at,
            None => false,
        })
    }

    fn __repr__(&self) -> String {
        let t = &self.inner;
        let present = |b: bool| if b { "'[redacted]'" } else { "None" };
        let expires_at = self
            .expires_at
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map_or("None".to_owned(), |d| d.as_secs().to_string());
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

/// The private extension module of the ``authgate`` package; import ``authgate`` instead.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("core_version", authgate::VERSION)?;
    m.add_class::<Client>()?;
    m.add_class::<AuthorizationRequest>()?;
    m.add_class::<TokenSet>()?;
    m.add_function(wrap_pyfunction!(parse_callback_py, m)?)?;
    Ok(())
}
