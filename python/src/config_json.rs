//! The keyword arguments of `Client(...)` as the core's JSON configuration, and its
//! signature: each keyword is a row of `authgate::CONFIG_OPTIONS` (its `name`),
//! converted by the row's type.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyBool, PyDict};
use serde_json::{Map, Value};

use authgate::{OptionType, CONFIG_OPTIONS};

use crate::args::{
    int_arg, opt_bool, opt_params, opt_scopes, opt_str, req_str, seconds, type_error,
};

/// Builds a client from the core's JSON configuration.
pub(crate) fn build_client(json: &str) -> Result<authgate::Client, authgate::Error> {
    authgate::ClientBuilder::from_json(json)?.build()
}

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
    for (name, value) in kwargs.into_iter().flatten() {
        let name: String = name.extract()?;
        let option = CONFIG_OPTIONS
            .iter()
            .find(|o| o.name() == name && !o.is_preset())
            .ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "{function}() got an unexpected keyword argument '{name}'"
                ))
            })?;
        if value.is_none() {
            continue;
        }
        let v = match (option.key(), option.option_type()) {
            // False disables the proxy; a str is `env`, `none` or a proxy URL.
            ("proxy", _) if value.is_instance_of::<PyBool>() => {
                if value.is_truthy()? {
                    return Err(PyValueError::new_err(
                        "proxy must be a proxy URL, \"env\", \"none\" or False",
                    ));
                }
                Value::from("none")
            }
            // client_key: PEM or JWK text passes through os.fspath unchanged.
            (
                "ca_file"
                | "dpop_key_file"
                | "tls_client_cert_file"
                | "tls_client_key_file"
                | "client_key",
                _,
            ) => {
                let path = py
                    .import("os")?
                    .call_method1("fspath", (&value,))
                    .map_err(|_| type_error(&name, "a str or an os.PathLike", &value))?;
                Value::String(req_str(&name, &path)?)
            }
            (_, OptionType::Bool) => {
                Value::Bool(opt_bool(&name, Some(&value))?.unwrap_or_default())
            }
            // Seconds or a timedelta; a positive duration under a millisecond rounds up,
            // never to zero. The core refuses a zero timeout.
            (_, OptionType::Millis) => {
                Value::from((seconds(&name, &value)? * 1000.0).ceil() as u64)
            }
            (_, OptionType::Integer) => {
                Value::from(int_arg::<u64>(&name, &value, "a positive int")?)
            }
            (_, OptionType::Scopes) => opt_scopes(Some(&value))?.unwrap_or_default().into(),
            (_, OptionType::Params) => Value::Object(
                opt_params(&name, Some(&value))?
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ),
            // Strings and choices (the core names the choices when one is wrong).
            _ => Value::String(req_str(&name, &value)?),
        };
        cfg.insert(option.key().to_owned(), v);
    }
    Ok(Value::Object(cfg).to_string())
}

/// The signature of `Client(...)` (for help() and inspect.signature): ``provider``, then
/// each option of the same table by its Python name, keyword-only.
pub(crate) fn client_signature(py: Python<'_>) -> PyResult<Py<PyAny>> {
    let inspect = py.import("inspect")?;
    let parameter = inspect.getattr("Parameter")?;
    let default = [("default", py.None())].into_py_dict(py)?;
    let params = CONFIG_OPTIONS
        .iter()
        .map(|o| {
            let kind = match o.is_preset() {
                true => "POSITIONAL_OR_KEYWORD",
                false => "KEYWORD_ONLY",
            };
            parameter.call((o.name(), parameter.getattr(kind)?), Some(&default))
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(inspect.getattr("Signature")?.call1((params,))?.unbind())
}
