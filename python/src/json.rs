//! JSON objects as Python dicts, and times as aware UTC datetimes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};
use serde_json::{Map, Value};

/// A JSON object as a new dict, read by Python's own `json` module.
pub(crate) fn map_to_py<'py>(
    py: Python<'py>,
    map: &Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let text = serde_json::to_string(map).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(LOADS
        .import(py, "json", "loads")?
        .call1((text,))?
        .cast_into()?)
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
