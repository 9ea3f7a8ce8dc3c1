//! The one panic boundary, the one argument check, and the handle scheme.
//!
//! Every exported function runs its body through [`guard`] (functions returning a value)
//! or [`boundary`] (functions returning `authgate_result`, which also keeps the per-thread
//! last error). Every pointer argument is read through [`handle`], [`str_arg`],
//! [`opt_str_arg`] or [`out_arg`], so NULL, invalid UTF-8 and handles of the wrong kind
//! are reported the same way everywhere.

use std::any::Any;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use zeroize::Zeroize;

use crate::last_error;
use crate::result::*;

/// Why a call failed: a core error, or one only the C ABI knows.
pub(crate) enum Failure {
    Core(authgate_core::Error),
    Ffi { code: u32, message: String },
}

impl From<authgate_core::Error> for Failure {
    fn from(e: authgate_core::Error) -> Self {
        Failure::Core(e)
    }
}

impl Failure {
    pub(crate) fn new(code: u32, message: impl Into<String>) -> Failure {
        Failure::Ffi {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(AUTHGATE_INVALID_ARGUMENT, message)
    }

    pub(crate) fn code(&self) -> u32 {
        match self {
            Failure::Core(e) => e.code().as_u32(),
            Failure::Ffi { code, .. } => *code,
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send>) -> Failure {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Failure::new(
            AUTHGATE_PANIC,
            format!("internal error (a bug in authgate, please report it): {what}"),
        )
    }
}

pub(crate) type FfiResult<T = ()> = Result<T, Failure>;

/// The one panic boundary (the only `catch_unwind` in the crate): runs `f`, and turns a
/// panic into `on_panic(payload)`.
pub(crate) fn catch<T>(
    f: impl FnOnce() -> T,
    on_panic: impl FnOnce(Box<dyn Any + Send>) -> T,
) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(on_panic)
}

/// [`catch`] for functions returning a value: a panic returns `fallback`.
pub(crate) fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch(f, |_| fallback)
}

/// [`catch`] for the functions returning a status: success clears the thread's last
/// error, a failure (or a caught panic) records it and returns its code.
pub(crate) fn boundary(f: impl FnOnce() -> FfiResult) -> authgate_result {
    match catch(f, |payload| Err(Failure::panic(payload))) {
        Ok(()) => {
            guard((), last_error::clear);
            AUTHGATE_OK
        }
        Err(failure) => {
            let code = failure.code();
            // Recording must not unwind either: if it fails, the code is the only signal.
            guard((), || last_error::set(failure));
            code
        }
    }
}

// --- handles -------------------------------------------------------------------------

/// What every handle is in memory: a magic number first (`repr(C)`, so it sits at offset
/// 0 whatever the value's type), then the value. Reading the first `u32` of any live
/// handle is therefore defined, and tells its kind.
#[repr(C)]
struct Handle<T> {
    magic: u32,
    value: T,
}

/// Written over the magic number just before a handle is freed, so that an immediate
/// reuse is caught while the memory is not yet reused. Not a guarantee: see the header.
const FREED: u32 = 0xDEAD_0000;

/// An opaque C handle type and the Rust value behind it.
pub(crate) trait Kind {
    const MAGIC: u32;
    const NAME: &'static str;
    type Inner;
}

fn kind_name(magic: u32) -> &'static str {
    match crate::handles::kind_name(magic) {
        Some(name) => name,
        None if magic == FREED => "a freed handle",
        None => "something that is not an authgate handle",
    }
}

/// Boxes a value as a new handle of kind `P`.
pub(crate) fn new_handle<P: Kind>(value: P::Inner) -> *mut P {
    Box::into_raw(Box::new(Handle {
        magic: P::MAGIC,
        value,
    }))
    .cast()
}

fn check_magic<P: Kind>(ptr: *const P, name: &str) -> FfiResult {
    if ptr.is_null() {
        return Err(Failure::new(
            AUTHGATE_NULL_POINTER,
            format!("`{name}` is NULL"),
        ));
    }
    // SAFETY: the caller promises a live authgate handle (of some kind); each starts with
    // its magic number (see `Handle`).
    let magic = unsafe { *ptr.cast::<u32>() };
    if magic != P::MAGIC {
        return Err(Failure::new(
            AUTHGATE_WRONG_HANDLE,
            format!(
                "`{name}` should be an {} but is {}",
                P::NAME,
                kind_name(magic)
            ),
        ));
    }
    Ok(())
}

/// Borrows the value behind a handle argument, checking NULL and the kind.
pub(crate) fn handle<'a, P: Kind>(ptr: *const P, name: &str) -> FfiResult<&'a P::Inner> {
    check_magic(ptr, name)?;
    // SAFETY: the magic number says this is a `Handle<P::Inner>` made by `new_handle`.
    Ok(unsafe { &(*ptr.cast::<Handle<P::Inner>>()).value })
}

/// Frees a handle made by [`new_handle`]. NULL, and handles of another kind, are ignored.
pub(crate) fn free_handle<P: Kind>(ptr: *mut P) {
    if check_magic(ptr, "handle").is_err() {
        return;
    }
    let raw = ptr.cast::<Handle<P::Inner>>();
    // SAFETY: checked above; the caller gives up the handle.
    unsafe {
        (*raw).magic = FREED;
        drop(Box::from_raw(raw));
    }
}

// --- arguments ---------------------------------------------------------------------------

/// A NUL-terminated UTF-8 string argument that must not be NULL.
pub(crate) fn str_arg<'a>(ptr: *const c_char, name: &str) -> FfiResult<&'a str> {
    opt_str_arg(ptr, name)?
        .ok_or_else(|| Failure::new(AUTHGATE_NULL_POINTER, format!("`{name}` is NULL")))
}

/// A string argument that must be neither NULL nor empty.
pub(crate) fn required_str<'a>(ptr: *const c_char, name: &str) -> FfiResult<&'a str> {
    let s = str_arg(ptr, name)?;
    if s.is_empty() {
        return Err(Failure::invalid(format!("`{name}` is empty")));
    }
    Ok(s)
}

/// A string argument where NULL means "not given".
pub(crate) fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller promises a NUL-terminated string that outlives the call.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map(Some).map_err(|e| {
        Failure::new(
            AUTHGATE_INVALID_UTF8,
            format!(
                "`{name}` is not valid UTF-8 (bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// An out-parameter: checked for NULL before any work is done, written only on success.
pub(crate) struct Out<T>(*mut T);

pub(crate) fn out_arg<T>(ptr: *mut T, name: &str) -> FfiResult<Out<T>> {
    if ptr.is_null() {
        return Err(Failure::new(
            AUTHGATE_NULL_POINTER,
            format!("`{name}` is NULL"),
        ));
    }
    Ok(Out(ptr))
}

impl<T> Out<T> {
    pub(crate) fn write(self, value: T) {
        // SAFETY: checked non-NULL by `out_arg`; the caller promises it is writable.
        unsafe { self.0.write(value) }
    }
}

/// [`boundary`] for the usual shape of a call: `out` is checked for NULL before `f` runs,
/// and what `f` returns is written to it only on success.
pub(crate) fn write_out<T>(
    out: *mut T,
    name: &str,
    f: impl FnOnce() -> FfiResult<T>,
) -> authgate_result {
    boundary(|| {
        let out = out_arg(out, name)?;
        out.write(f()?);
        Ok(())
    })
}

// --- strings handed out -------------------------------------------------------------------

/// A C string owned by a handle, wiped when the handle is freed (it may hold a token).
pub(crate) struct SecretCString(Option<CString>);

impl SecretCString {
    pub(crate) fn new(s: &str) -> Option<SecretCString> {
        CString::new(s).ok().map(|c| SecretCString(Some(c)))
    }

    pub(crate) fn as_ptr(&self) -> *const c_char {
        self.0.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
    }
}

impl Drop for SecretCString {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.into_bytes_with_nul().zeroize();
        }
    }
}

/// A string field of a handle: absent, or present (and `None` inside when it holds a NUL
/// byte and cannot be handed out as a C string).
pub(crate) type Field = Option<Option<SecretCString>>;

pub(crate) fn field(s: Option<&str>) -> Field {
    s.map(SecretCString::new)
}

/// A field as handed out through a `const char **`: NULL when absent.
pub(crate) fn field_ptr(f: &Field, what: &str) -> FfiResult<*const c_char> {
    match f {
        None => Ok(std::ptr::null()),
        Some(Some(s)) => Ok(s.as_ptr()),
        Some(None) => Err(Failure::new(
            AUTHGATE_INTERIOR_NUL,
            format!("the {what} contains a NUL byte; read it from the raw JSON"),
        )),
    }
}

/// A getter handing out a string field of a handle through `out` (cbindgen cannot see
/// functions made by macros, so each getter is written out and calls this).
pub(crate) fn get_field<P: Kind>(
    ptr: *const P,
    name: &str,
    out: *mut *const c_char,
    what: &str,
    pick: impl FnOnce(&P::Inner) -> &Field,
) -> authgate_result {
    write_out(out, "out", || field_ptr(pick(handle(ptr, name)?), what))
}

/// A new string for a `char **` out-parameter, to be freed with `authgate_string_free`.
pub(crate) fn owned_c_string(s: String, what: &str) -> FfiResult<*mut c_char> {
    CString::new(s).map(CString::into_raw).map_err(|_| {
        Failure::new(
            AUTHGATE_INTERIOR_NUL,
            format!("the {what} contains a NUL byte"),
        )
    })
}

/// [`owned_c_string`] for a secret: copied once into a buffer of the final size, so no
/// reallocation leaves an unwiped copy behind.
pub(crate) fn secret_c_string(s: &str, what: &str) -> FfiResult<*mut c_char> {
    let mut bytes = Vec::with_capacity(s.len() + 1);
    bytes.extend_from_slice(s.as_bytes());
    CString::new(bytes).map(CString::into_raw).map_err(|e| {
        e.into_vec().zeroize();
        Failure::new(
            AUTHGATE_INTERIOR_NUL,
            format!("the {what} contains a NUL byte"),
        )
    })
}

/// Frees a string returned through a `char **` out-parameter and wipes its bytes (it
/// may hold an authorization code or a token). NULL is accepted and ignored.
///
/// Ownership: takes back a string authgate handed out; never pass a string from elsewhere,
/// nor a string owned by a handle (those from `const char **` getters). Threads: any.
#[no_mangle]
pub extern "C" fn authgate_string_free(s: *mut c_char) {
    guard((), || {
        if s.is_null() {
            return;
        }
        // SAFETY: the caller promises `s` came from `owned_c_string` and was not freed yet.
        let c = unsafe { CString::from_raw(s) };
        c.into_bytes_with_nul().zeroize();
    })
}

/// A JSON object argument: NULL or `""` is an empty one; anything but an object is an
/// error saying it must be `what`.
fn json_object_arg(
    ptr: *const c_char,
    name: &str,
    what: &str,
) -> FfiResult<serde_json::Map<String, serde_json::Value>> {
    let json = opt_str_arg(ptr, name)?.unwrap_or_default();
    if json.trim().is_empty() {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_str(json) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(Failure::invalid(format!("`{name}` must be {what}"))),
    }
}

/// Extra form or URL parameters passed as a JSON object of strings. Their names are the
/// core's to check (`.param()`), as for every language.
pub(crate) fn params_arg(ptr: *const c_char, name: &str) -> FfiResult<Vec<(String, String)>> {
    let obj = json_object_arg(ptr, name, "a JSON object of strings")?;
    params_object(&obj, &format!("`{name}`"))
}

/// The parameters of a JSON object of strings; `what` names it in messages.
fn params_object(
    obj: &serde_json::Map<String, serde_json::Value>,
    what: &str,
) -> FfiResult<Vec<(String, String)>> {
    let bad = || Failure::invalid(format!("{what} must be a JSON object of strings"));
    obj.iter()
        .map(|(k, v)| Ok((k.clone(), v.as_str().ok_or_else(bad)?.to_owned())))
        .collect()
}

/// An options argument: NULL, `""` or a JSON object whose keys are all in `known` (a typo
/// is an error, not silently ignored).
pub(crate) struct Options {
    name: String,
    map: serde_json::Map<String, serde_json::Value>,
}

pub(crate) fn options_arg(ptr: *const c_char, name: &str, known: &[&str]) -> FfiResult<Options> {
    let map = json_object_arg(ptr, name, "a JSON object")?;
    if let Some(k) = map.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Failure::invalid(format!(
            "`{name}` has an unknown key `{k}` (known: {})",
            known.join(", ")
        )));
    }
    Ok(Options {
        name: name.to_owned(),
        map,
    })
}

impl Options {
    fn bad(&self, key: &str, what: &str) -> Failure {
        Failure::invalid(format!("`{}`: `{key}` must be {what}", self.name))
    }

    /// The value of `key` if present, read by `read` (None when it is not `what`).
    fn get<'a, T>(
        &'a self,
        key: &str,
        what: &str,
        read: impl FnOnce(&'a serde_json::Value) -> Option<T>,
    ) -> FfiResult<Option<T>> {
        let value = self.map.get(key);
        value
            .map(|v| read(v).ok_or_else(|| self.bad(key, what)))
            .transpose()
    }

    pub(crate) fn u64(&self, key: &str) -> FfiResult<Option<u64>> {
        self.get(key, "a non-negative integer", serde_json::Value::as_u64)
    }

    pub(crate) fn bool(&self, key: &str) -> FfiResult<Option<bool>> {
        self.get(key, "true or false", serde_json::Value::as_bool)
    }

    pub(crate) fn str(&self, key: &str) -> FfiResult<Option<&str>> {
        self.get(key, "a string", serde_json::Value::as_str)
    }

    /// A JSON object of strings: extra parameters (none when absent).
    pub(crate) fn params(&self, key: &str) -> FfiResult<Vec<(String, String)>> {
        match self.map.get(key) {
            None => Ok(Vec::new()),
            Some(serde_json::Value::Object(obj)) => {
                params_object(obj, &format!("`{}`: `{key}`", self.name))
            }
            Some(_) => Err(self.bad(key, "a JSON object of strings")),
        }
    }

    /// A space-separated string or an array of strings.
    pub(crate) fn scopes(&self, key: &str) -> FfiResult<Option<Vec<String>>> {
        let bad = || self.bad(key, "a space-separated string or an array of strings");
        match self.map.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(words(s))),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
                .collect::<FfiResult<Vec<_>>>()
                .map(Some),
            Some(_) => Err(bad()),
        }
    }
}

/// Space-separated scopes; NULL means "the default".
pub(crate) fn scopes_arg(ptr: *const c_char, name: &str) -> FfiResult<Option<Vec<String>>> {
    Ok(opt_str_arg(ptr, name)?.map(words))
}

/// Space-separated scopes as a list (whether each is a valid scope is the core's rule).
fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

/// A C boolean: 0 is false, anything else true.
pub(crate) fn flag(v: i32) -> bool {
    v != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_code_and_a_message() {
        let code = boundary(|| panic!("boom"));
        assert_eq!(code, AUTHGATE_PANIC);
        let msg = unsafe { CStr::from_ptr(crate::last_error::authgate_last_error_message()) };
        assert!(msg.to_str().unwrap().contains("boom"));
        assert_eq!(boundary(|| Ok(())), AUTHGATE_OK);
        assert_eq!(crate::last_error::authgate_last_error_code(), AUTHGATE_OK);
    }

    #[test]
    fn strings_are_checked() {
        assert_eq!(
            str_arg(std::ptr::null(), "x").err().unwrap().code(),
            AUTHGATE_NULL_POINTER
        );
        let bad = [0xffu8, 0];
        assert_eq!(
            str_arg(bad.as_ptr().cast(), "x").err().unwrap().code(),
            AUTHGATE_INVALID_UTF8
        );
        assert_eq!(
            required_str(c"".as_ptr(), "x").err().unwrap().code(),
            AUTHGATE_INVALID_ARGUMENT
        );
        assert!(params_arg(c"{\"a\":1}".as_ptr(), "p").is_err());
        assert_eq!(
            params_arg(c"{\"a\":\"b\"}".as_ptr(), "p").ok().unwrap(),
            vec![("a".to_owned(), "b".to_owned())]
        );
    }
}
