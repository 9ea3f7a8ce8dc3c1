//! Running network calls without the GIL, and with Ctrl-C on the main thread.
//!
//! Only the main thread runs Python's signal handlers, and a request blocked in the core
//! does not notice a signal. So on the main thread a call runs on a helper thread while
//! the main thread waits, checking for signals: Ctrl-C interrupts the wait at once (the
//! abandoned request ends on its own within the client's timeout). Other threads run the
//! call inline.
//!
//! The handoff costs what an inline call does not: waking the helper, and being woken by
//! it. Helpers are parked and reused, never started per call, and one is idle again
//! before its caller has the answer, so that back-to-back calls keep using the same one
//! instead of now and then starting another. Both sides sleep while they wait: spinning
//! or polling with `yield` instead was measured, and on a loaded machine it costs more
//! than it saves (a yielding thread waits behind whole time slices of other processes, a
//! spinning one takes the CPU from the server and the helper it waits for).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, RecvTimeoutError, SendError, Sender};
use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::error::to_pyerr;
use crate::log_bridge;

/// How often a call waiting on the main thread looks for a pending signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);
/// Idle helpers kept beyond this many exit.
const MAX_IDLE_HELPERS: usize = 4;

/// Bumped in a child process after `os.fork()`, which keeps only the forking thread: the
/// parked helpers and the thread roles known before belong to the parent.
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread is Python's main thread, as found in the generation given.
    static ROLE: Cell<Option<(u64, bool)>> = const { Cell::new(None) };
}

fn on_main_thread(py: Python<'_>) -> PyResult<bool> {
    static GET_IDENT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static MAIN_THREAD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let generation = GENERATION.load(Ordering::Acquire);
    if let Some((g, main)) = ROLE.get() {
        if g == generation {
            return Ok(main);
        }
    }
    let main_ident: u64 = MAIN_THREAD
        .import(py, "threading", "main_thread")?
        .call0()?
        .getattr("ident")?
        .extract()?;
    let current: u64 = GET_IDENT
        .import(py, "_thread", "get_ident")?
        .call0()?
        .extract()?;
    let main = current == main_ident;
    ROLE.set(Some((generation, main)));
    Ok(main)
}

/// Called by `os.fork()` in the child.
#[pyfunction]
fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Forgets the helpers and thread roles of the parent in a forked child: a job handed to a
/// helper that did not survive the fork would never run.
pub(crate) fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let os = py.import("os")?;
    if os.hasattr("register_at_fork")? {
        let kwargs = PyDict::new(py);
        kwargs.set_item("after_in_child", wrap_pyfunction!(after_fork_in_child, m)?)?;
        os.call_method("register_at_fork", (), Some(&kwargs))?;
    }
    Ok(())
}

/// A job for a helper. It calls its argument once its work is done and before it hands
/// the result over, so that the helper is idle again before the caller can make its
/// next call (which would otherwise find no idle helper and start one).
type Job = Box<dyn FnOnce(&dyn Fn()) + Send>;

struct IdleHelper {
    generation: u64,
    jobs: Sender<Job>,
}

/// Idle helper threads, each waiting on its job channel. Only ever `try_lock`ed: a fork
/// while another thread held it must not leave the child's calls waiting for it.
static IDLE_HELPERS: Mutex<Vec<IdleHelper>> = Mutex::new(Vec::new());

fn helper_loop(jobs: Receiver<Job>, me: Sender<Job>, generation: u64) {
    while let Ok(job) = jobs.recv() {
        let kept = Cell::new(false);
        job(&|| kept.set(offer(&me, generation)));
        if !kept.get() {
            return;
        }
    }
}

/// Puts a helper back among the idle ones; false when it should exit instead.
fn offer(me: &Sender<Job>, generation: u64) -> bool {
    let Ok(mut idle) = IDLE_HELPERS.try_lock() else {
        return false;
    };
    let current = GENERATION.load(Ordering::Acquire);
    idle.retain(|h| h.generation == current);
    if generation != current || idle.len() >= MAX_IDLE_HELPERS {
        return false;
    }
    idle.push(IdleHelper {
        generation,
        jobs: me.clone(),
    });
    true
}

/// Hands `job` to an idle helper thread, or to a new one.
fn dispatch(job: Job) -> PyResult<()> {
    let generation = GENERATION.load(Ordering::Acquire);
    let idle = IDLE_HELPERS.try_lock().ok().and_then(|mut idle| idle.pop());
    let job = match idle {
        // A helper whose thread is gone hands the job back; start a new one then.
        Some(h) if h.generation == generation => match h.jobs.send(job) {
            Ok(()) => return Ok(()),
            Err(SendError(job)) => job,
        },
        _ => job,
    };
    let (tx, rx) = channel::<Job>();
    let me = tx.clone();
    std::thread::Builder::new()
        .name("authgate-request".into())
        .spawn(move || helper_loop(rx, me, generation))
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a thread: {e}")))?;
    tx.send(job)
        .map_err(|_| PyRuntimeError::new_err("authgate: the request thread did not start"))
}

/// Runs `f` (a network call) without the GIL; on the main thread on a helper thread,
/// interruptible by Ctrl-C (see the module's docs).
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

/// [`run_blocking`] for a core call: its error is raised as the matching exception.
pub(crate) fn call<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> authgate::Result<T> + Send + 'static,
    T: Send + 'static,
{
    run_blocking(py, f)?.map_err(|e| to_pyerr(py, e))
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
    dispatch(Box::new(move |idle: &dyn Fn()| {
        let v = f();
        idle();
        let _ = tx.send(v);
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
