//! Argument conversion: wrong Python types are a TypeError naming the argument.

use std::ffi::CString;
use std::time::Duration;

use pyo3::exceptions::{PyDeprecationWarning, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyTuple, PyType};

pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

pub(crate) fn type_error(name: &str, expected: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("{name} must be {expected}, not {}", type_name(obj)))
}

/// Warns that `old` is a deprecated name of `new` (a DeprecationWarning at the caller's
/// line; an error when warnings are errors).
pub(crate) fn deprecated(py: Python<'_>, old: &str, new: &str) -> PyResult<()> {
    let message = CString::new(format!("{old} is deprecated: use {new}"))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    PyErr::warn(py, &py.get_type::<PyDeprecationWarning>(), &message, 1)
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
    let Some(obj) = given(obj) else {
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
        // Whether it is one word is the core's rule, checked where the scopes are used.
        scopes.push(req_str("each scope", &item)?);
    }
    Ok(Some(scopes))
}

/// Extra parameters: a mapping of str to str.
pub(crate) fn opt_params(
    name: &str,
    obj: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<(String, String)>> {
    let Some(obj) = given(obj) else {
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

/// An int (not a bool) that fits `T`; `range` says which values fit, for the ValueError.
pub(crate) fn int_arg<T: TryFrom<u64>>(
    name: &str,
    obj: &Bound<'_, PyAny>,
    range: &str,
) -> PyResult<T> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(type_error(name, "an int", obj));
    }
    obj.extract::<u64>()
        .ok()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| PyValueError::new_err(format!("{name} must be {range}")))
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

/// A timeout in milliseconds. Zero passes through: the core refuses it, in the same words
/// as for C.
pub(crate) fn timeout_ms(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    let Some(obj) = given(obj) else {
        return Ok(None);
    };
    // Sub-millisecond timeouts round up rather than to zero.
    Ok(Some((seconds(name, obj)? * 1000.0).ceil() as u64))
}

/// Python's repr of a bool.
pub(crate) fn repr_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// Python's repr of an optional int.
pub(crate) fn repr_u64(n: Option<u64>) -> String {
    n.map_or("None".to_owned(), |n| n.to_string())
}

/// A Python-style repr of an optional str (for `__repr__` output).
pub(crate) fn repr(s: Option<&str>) -> String {
    match s {
        None => "None".into(),
        Some(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
    }
}

/// A duration argument: seconds or a `timedelta` (see [`seconds`]).
pub(crate) fn duration(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Duration> {
    Ok(Duration::from_secs_f64(seconds(name, obj)?.min(1e12)))
}

/// The keyword's value, unless it was not given or is None.
pub(crate) fn given<'a, 'py>(obj: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    obj.filter(|o| !o.is_none())
}

/// A duration keyword (seconds or a `timedelta`), when given.
pub(crate) fn opt_duration(
    name: &str,
    obj: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Duration>> {
    given(obj).map(|o| duration(name, o)).transpose()
}

/// A callback keyword, when given; `what` names what it must be in the TypeError.
pub(crate) fn opt_callable(
    name: &str,
    what: &str,
    obj: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Py<PyAny>>> {
    match given(obj) {
        Some(f) if !f.is_callable() => Err(type_error(name, what, f)),
        f => Ok(f.map(|f| f.clone().unbind())),
    }
}
