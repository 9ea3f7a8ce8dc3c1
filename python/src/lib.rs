//! The Python binding of authgate: the private extension module `authgate._native`.
//!
//! A thin translation of the core's concepts. Configuration goes through
//! [`authgate::ClientBuilder::from_json`], so Python and C validate it identically; errors
//! are raised as the exception classes defined in pure Python (`authgate/_errors.py`),
//! because those need multiple inheritance (`ConfigError(Error, ValueError)`, …) that
//! `create_exception!` cannot express. Every network call releases the GIL. The core's log
//! records go to Python's `logging`, logger `authgate` (see `log_bridge`).

mod args;
mod asyncio;
mod authorize;
mod client;
mod config_json;
mod device;
mod dpop;
mod error;
mod json;
mod log_bridge;
mod loopback;
mod manager;
mod oidc;
mod redis_store;
mod runtime;
mod store;
mod token_set;

use pyo3::prelude::*;

use authorize::{parse_callback_py, AuthorizationRequest};
use client::Client;
use device::DeviceAuthorization;
use error::error_codes;
use manager::TokenManager;
use oidc::{CancelToken, Introspection};
use redis_store::RedisStore;
use store::{FileStore, MemoryStore, TokenStore};
use token_set::TokenSet;

/// The private extension module of the ``authgate`` package; import ``authgate`` instead.
/// Runs the `authgate` command-line tool with `argv` (the program name first) and
/// returns its exit code: what `python -m authgate` calls. Its log records (`--trace`,
/// `-v`) reach Python's `logging`, as every record of the core does.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> u8 {
    log_bridge::sync_level(py);
    py.detach(move || authgate_cli::run(argv))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    log_bridge::install(m.py())?;
    runtime::install(m)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("core_version", authgate::VERSION)?;
    m.add_class::<Client>()?;
    m.add_class::<AuthorizationRequest>()?;
    m.add_class::<TokenSet>()?;
    m.add_class::<TokenManager>()?;
    m.add_class::<TokenStore>()?;
    m.add_class::<MemoryStore>()?;
    m.add_class::<FileStore>()?;
    m.add_class::<RedisStore>()?;
    m.add_class::<CancelToken>()?;
    m.add_class::<Introspection>()?;
    m.add_class::<DeviceAuthorization>()?;
    m.add_function(wrap_pyfunction!(parse_callback_py, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    Ok(())
}
