//! DPoP (RFC 9449) for the caller's own API requests: the two headers, and the nonce a
//! server hands out.

use std::ffi::c_char;

use authgate_core::AccessToken;

use crate::boundary::*;
use crate::handles::*;
use crate::result::authgate_result;

/// The two header values of one request to an API with a DPoP-bound access token:
/// `*authorization_out` = `DPoP <access token>` (send as `Authorization`) and `*dpop_out`
/// = the proof for this `method` (e.g. `"GET"`) and `url` (send as `DPoP`). Build them
/// anew for every request: a proof is good for one. Both strings belong to the caller:
/// free them with `authgate_string_free` (which wipes them).
///
/// When the API answers 401 with a `DPoP-Nonce` header, pass it to
/// `authgate_client_remember_dpop_nonce` and send the request once more with new headers.
/// Errors: `AUTHGATE_CONFIG` when the client does not use DPoP (`authgate_config_set_dpop`),
/// `AUTHGATE_INVALID_ARGUMENT` for an empty token, a method that is not a word or a URL
/// that is not one. No network. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_dpop_headers(
    client: *const authgate_client,
    method: *const c_char,
    url: *const c_char,
    access_token: *const c_char,
    authorization_out: *mut *mut c_char,
    dpop_out: *mut *mut c_char,
) -> authgate_result {
    boundary(|| {
        let authorization_out = out_arg(authorization_out, "authorization_out")?;
        let dpop_out = out_arg(dpop_out, "dpop_out")?;
        let c = handle(client, "client")?;
        let method = required_str(method, "method")?;
        let url = required_str(url, "url")?;
        let token = AccessToken::new(required_str(access_token, "access_token")?);
        let headers = c.client.dpop_headers(method, url, &token)?;
        let authorization = secret_c_string(&headers.authorization, "authorization header")?;
        match secret_c_string(&headers.dpop, "DPoP proof") {
            Ok(dpop) => {
                authorization_out.write(authorization);
                dpop_out.write(dpop);
                Ok(())
            }
            Err(e) => {
                authgate_string_free(authorization);
                Err(e)
            }
        }
    })
}

/// Remembers the `DPoP-Nonce` header a server (an API or the token endpoint) answered
/// with, for the next proofs to that server (scheme, host and port). `*is_new_out` (may be
/// NULL) becomes 1 when the nonce is new, i.e. when a request refused with
/// `use_dpop_nonce` is worth sending once more, else 0. Does nothing for a client without
/// DPoP. No network. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_client_remember_dpop_nonce(
    client: *const authgate_client,
    url: *const c_char,
    nonce: *const c_char,
    is_new_out: *mut i32,
) -> authgate_result {
    boundary(|| {
        let c = handle(client, "client")?;
        let url = required_str(url, "url")?;
        let nonce = required_str(nonce, "nonce")?;
        let fresh = c.client.remember_dpop_nonce(url, nonce);
        if !is_new_out.is_null() {
            out_arg(is_new_out, "is_new_out")?.write(i32::from(fresh));
        }
        Ok(())
    })
}
