//! The async twins (`*_async` methods): the blocking method on a worker thread, awaited
//! from `asyncio` (the runners are in `authgate/_async.py`).

use pyo3::prelude::*;

/// A coroutine running `method(*args, **kwargs)` on a worker thread
/// (`authgate._async.run`, or `run_cancellable` for a wait that takes a `cancel=`).
fn off_the_loop<'py>(
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

/// The coroutine of `obj.method(*args, **kwargs)` off the event loop (see [`off_the_loop`]).
pub(crate) fn twin<'py, T>(
    obj: &Bound<'py, T>,
    method: &str,
    args: &[&Bound<'py, PyAny>],
    kwargs: Option<&Bound<'py, pyo3::types::PyDict>>,
    cancellable: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let args = pyo3::types::PyTuple::new(obj.py(), args.iter().copied())?;
    off_the_loop(obj.as_any().getattr(method)?, args, kwargs, cancellable)
}
