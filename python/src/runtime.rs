//! Running network calls without the GIL, and with Ctrl-C on the main thread.

use std::sync::mpsc::{channel, sync_channel, Receiver, RecvTimeoutError, SendError, Sender};
use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::log_bridge;

/// How often a call waiting on the main thread looks for a pending signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

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
