//! The C ABI of authgate: `libauthgate.so` / `authgate.dll` / `libauthgate.a`, described
//! by the generated header `include/authgate.h`.
//!
//! This crate is a thin translation of the core: opaque handles, UTF-8 `const char *`
//! strings, fixed-width integers, integer status codes. The rules (ownership, errors,
//! threads) are stated once in the header's preamble (`ffi/cbindgen.toml`) and again in
//! each function's documentation.
//!
//! Every exported function runs through `boundary::catch` (no panic crosses into C) and
//! reads its pointer arguments through the checks in `boundary` (NULL, UTF-8, handle
//! kind).
#![deny(missing_docs)]
#![allow(non_camel_case_types)]
// The exported functions take raw pointers from C and are not `unsafe fn`: C cannot
// see the difference, and every pointer goes through the checks in `boundary` first.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::ffi::c_char;

mod authorize;
mod boundary;
mod client;
mod config;
mod custom_store;
mod device;
mod dpop;
mod handles;
mod last_error;
mod logging;
mod loopback;
mod manager;
mod oidc;
mod operation;
mod result;
mod token_set;

pub use authorize::*;
pub use boundary::authgate_string_free;
pub use client::*;
pub use config::*;
pub use custom_store::*;
pub use device::*;
pub use handles::{
    authgate_authorization, authgate_client, authgate_config, authgate_device, authgate_manager,
    authgate_operation, authgate_store, authgate_token_set,
};
pub use last_error::*;
pub use logging::*;
pub use loopback::*;
pub use manager::*;
pub use oidc::*;
pub use operation::*;
pub use result::*;
pub use token_set::*;

/// The library version, e.g. `"0.1.0"`: compare it with the `AUTHGATE_VERSION_*` macros
/// to check that the header and the loaded library match. Static; never free it.
/// Threads: any.
#[no_mangle]
pub extern "C" fn authgate_version() -> *const c_char {
    boundary::guard(c"".as_ptr(), || {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}
