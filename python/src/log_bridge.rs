//! The core's `log` records, forwarded to Python's `logging`: the core logs under the
//! target `authgate`, which becomes the logger `logging.getLogger("authgate")`.
//!
//! A record needs the GIL. The core logs on the thread that runs a request, which never
//! holds the GIL (a helper thread, or a thread inside `py.detach`): it attaches for the
//! record. So the binding must never wait for such a thread, nor for a lock such a thread
//! may hold while it logs, with the GIL held (see `run_cancellable` and
//! `TokenManager::state`), or the record would deadlock.

use std::sync::atomic::{AtomicUsize, Ordering};

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// The core's log target, and the Python logger's name.
const TARGET: &str = "authgate";

/// The most detailed level (a `LevelFilter` as a number) that the Python logger `authgate`
/// accepted when the latest authgate call that may log began. A record above it is dropped
/// on the Rust side: attaching to Python just to hear "not enabled" costs about 50 µs on a
/// helper thread, which has no Python thread state of its own.
static ACCEPTED: AtomicUsize = AtomicUsize::new(LevelFilter::Debug as usize);

/// Reads the `authgate` logger's effective level into [`ACCEPTED`]. Called with the GIL
/// held at the start of every call that may log (requests, parsing a token set, loading a
/// store), so that a level set in Python applies from the next call on; cheap, as Python
/// caches `isEnabledFor`.
pub(crate) fn sync_level(py: Python<'_>) {
    // If Python cannot say, every record goes to Python, which decides.
    let level = accepted_level(py).unwrap_or(LevelFilter::Debug);
    ACCEPTED.store(level as usize, Ordering::Relaxed);
}

fn accepted_level(py: Python<'_>) -> PyResult<LevelFilter> {
    static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let logger = LOGGER.get_or_try_init(py, || {
        PyResult::Ok(
            py.import("logging")?
                .call_method1("getLogger", (TARGET,))?
                .unbind(),
        )
    })?;
    let logger = logger.bind(py);
    for (level, number) in [
        (LevelFilter::Debug, 10),
        (LevelFilter::Info, 20),
        (LevelFilter::Warn, 30),
        (LevelFilter::Error, 40),
    ] {
        if logger
            .call_method1("isEnabledFor", (number,))?
            .is_truthy()?
        {
            return Ok(level);
        }
    }
    Ok(LevelFilter::Off)
}

/// pyo3-log's logger, with three safeguards.
struct Bridge(pyo3_log::Logger);

impl Log for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() as usize <= ACCEPTED.load(Ordering::Relaxed) && self.0.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // A request abandoned by Ctrl-C may end while the interpreter shuts down: its
        // record is dropped then, rather than attaching to a dying interpreter.
        let _ = Python::try_attach(|py| {
            // pyo3-log leaves an exception raised by a handler or filter set on the thread;
            // the call that logged would then return a value with an exception set.
            // Report it as `logging` does for a failing handler, and go on.
            let earlier = PyErr::take(py);
            self.0.log(record);
            if let Some(err) = PyErr::take(py) {
                err.write_unraisable(py, None);
            }
            if let Some(err) = earlier {
                err.restore(py);
            }
        });
    }

    fn flush(&self) {}
}

/// Installs the bridge; called once, when `authgate._native` is imported.
///
/// Only the core's records go to Python: the HTTP and TLS crates underneath log too
/// (under their own targets; ureq dumps raw requests, secrets included, at `trace`, which
/// this build compiles out anyway), and nothing they say is meant for the application.
/// Python's logger objects are cached; its level is read when each call begins (see
/// [`sync_level`]), so a record the level filters out costs no GIL acquisition.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?
        .filter(LevelFilter::Off)
        .filter_target(TARGET.to_owned(), LevelFilter::Debug);
    // Fails only if a logger is already installed (the module initialised twice in one
    // process): the first one stays.
    if log::set_boxed_logger(Box::new(Bridge(logger))).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
    Ok(())
}
