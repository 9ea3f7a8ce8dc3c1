//! JSON objects as Python dicts, and times as aware UTC datetimes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString, PyType};
use serde_json::{Map, Value};

/// A JSON object as a new dict, built from the values themselves: no JSON text of it is
/// made, so no unwiped copy of the tokens it may hold is left in freed memory.
pub(crate) fn map_to_py<'py>(
    py: Python<'py>,
    map: &Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, value_to_py(py, v)?)?;
    }
    Ok(dict)
}

/// A JSON value as what Python's `json.loads` makes of it.
fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u), _) => u.into_pyobject(py)?.into_any(),
            (None, None, Some(f)) => PyFloat::new(py, f).into_any(),
            _ => return Err(PyValueError::new_err("a JSON number out of range")),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => map_to_py(py, map)?.into_any(),
    })
}

/// Unix seconds, if known, as an aware UTC datetime.
pub(crate) fn unix_datetime(
    py: Python<'_>,
    secs: Option<u64>,
) -> PyResult<Option<Bound<'_, PyAny>>> {
    secs.map(|s| datetime_utc(py, UNIX_EPOCH + Duration::from_secs(s)))
        .transpose()
}

pub(crate) fn datetime_utc<'py>(py: Python<'py>, at: SystemTime) -> PyResult<Bound<'py, PyAny>> {
    static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static UTC: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let secs = match at.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    };
    let utc = UTC.import(py, "datetime", "timezone")?.getattr("utc")?;
    let datetime = DATETIME.import(py, "datetime", "datetime")?;
    datetime.call_method1("fromtimestamp", (secs, utc))
}
