//! The keyword arguments of `Client(...)` as the core's JSON configuration.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt};
use serde_json::{Map, Value};

use crate::args::{
    opt_bool, opt_params, opt_scopes, opt_str, req_str, seconds, timeout_ms, type_error,
};

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
pub(crate) fn client_config(
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
