//! The core's `log` records, forwarded to Python's `logging`: the core logs under the
//! target `authgate`, which becomes the logger `logging.getLogger("authgate")`.
//!
//! A record needs the GIL. The core logs on the thread that runs a request, which never
//! holds the GIL (a helper thread, or a thread inside `py.detach`): it attaches for the
//! record. So the binding must never wait for such a thread, nor for a lock such a thread
//! may hold while it logs, with the GIL held (see `run_cancellable` and
//! `TokenManager::state`), or the record would deadlock.

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

/// The core's log target, and the Python logger's name.
const TARGET: &str = "authgate";

/// pyo3-log's logger, with two safeguards.
struct Bridge(pyo3_log::Logger);

impl Log for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.0.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.0.enabled(record.metadata()) {
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
/// (under their own targets), and nothing they say is meant for the application.
/// Python's logger objects are cached, their levels are not: a level set after the first
/// record still applies. That costs one GIL acquisition per record, and the core logs
/// once per token request at most (plus warnings and retries).
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
