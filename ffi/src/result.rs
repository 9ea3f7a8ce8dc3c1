//! The status codes: the core's `ErrorCode` numbers plus the ones only the C ABI needs,
//! and the small enumerations C passes as integers.

use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use authgate_core::ErrorCode;

/// The status every function returns: `AUTHGATE_OK` (0) or one of the `AUTHGATE_*` codes
/// below. Numbers are grouped by cause (1xx arguments and configuration, 2xx transport,
/// 3xx OAuth and session, 4xx unusable answers, 5xx id_token checks, 6xx asynchronous
/// operations, 9xx internal) and are never reused: a retired number stays reserved.
/// Numbers below 600 other than 110-113 are the core's `ErrorCode`s; 110-113, 6xx and
/// 9xx exist only in the C ABI.
pub type authgate_result = u32;

/// Success.
pub const AUTHGATE_OK: u32 = 0;

// --- 1xx: arguments and configuration -----------------------------------------------
/// An argument is invalid (empty where a value is required, malformed, out of range).
pub const AUTHGATE_INVALID_ARGUMENT: u32 = 100;
/// The configuration is invalid or incomplete (reported by `authgate_client_new`).
pub const AUTHGATE_CONFIG: u32 = 101;
/// A required pointer argument is NULL.
pub const AUTHGATE_NULL_POINTER: u32 = 110;
/// A string argument is not valid UTF-8.
pub const AUTHGATE_INVALID_UTF8: u32 = 111;
/// A handle of another kind was passed (an `authgate_client *` where an
/// `authgate_config *` was expected, say), or a freed one whose memory was not yet reused.
pub const AUTHGATE_WRONG_HANDLE: u32 = 112;
/// A value to hand out contains a NUL byte and cannot be returned as a C string
/// (read it from the raw JSON instead).
pub const AUTHGATE_INTERIOR_NUL: u32 = 113;

// --- 2xx: transport ------------------------------------------------------------------
/// A transport failure of an unspecified stage.
pub const AUTHGATE_TRANSPORT: u32 = 200;
/// The host name did not resolve.
pub const AUTHGATE_DNS: u32 = 201;
/// The TCP connection could not be opened.
pub const AUTHGATE_CONNECT: u32 = 202;
/// The TLS handshake or certificate check failed.
pub const AUTHGATE_TLS: u32 = 203;
/// The connect timeout or the overall request timeout elapsed.
pub const AUTHGATE_TIMEOUT: u32 = 204;
/// The answer was larger than the configured cap (`max_response_bytes`).
pub const AUTHGATE_BODY_TOO_LARGE: u32 = 205;
/// The proxy could not be used.
pub const AUTHGATE_PROXY: u32 = 206;
/// Reading or writing failed mid-way (connection reset, truncated answer).
pub const AUTHGATE_IO: u32 = 207;

// --- 3xx: OAuth errors -----------------------------------------------------------------
/// An OAuth error other than the ones below; read `authgate_last_error_oauth_error`.
pub const AUTHGATE_OAUTH: u32 = 300;
/// `invalid_grant`: the code, refresh token or credentials are no longer valid.
pub const AUTHGATE_INVALID_GRANT: u32 = 301;
/// `invalid_client`: the client registration or its credentials are wrong.
pub const AUTHGATE_INVALID_CLIENT: u32 = 302;
/// `invalid_request`.
pub const AUTHGATE_INVALID_REQUEST: u32 = 303;
/// `unauthorized_client`.
pub const AUTHGATE_UNAUTHORIZED_CLIENT: u32 = 304;
/// `unsupported_grant_type`.
pub const AUTHGATE_UNSUPPORTED_GRANT_TYPE: u32 = 305;
/// `invalid_scope`.
pub const AUTHGATE_INVALID_SCOPE: u32 = 306;
/// `access_denied`: the user declined.
pub const AUTHGATE_ACCESS_DENIED: u32 = 307;
/// The `state` in the redirect is missing or differs from the one sent (possible CSRF).
pub const AUTHGATE_STATE_MISMATCH: u32 = 320;
/// The `iss` in the redirect names another issuer than the one the sign-in was sent to,
/// or is missing although the provider promises it (RFC 9207): possibly a mix-up attack.
/// The code was not used; start the sign-in again.
pub const AUTHGATE_ISSUER_MISMATCH: u32 = 321;

/// The token manager needs the user to sign in again: no tokens yet, the refresh token
/// was refused (`invalid_grant`), or there is none and no other way to get tokens.
pub const AUTHGATE_SIGN_IN_REQUIRED: u32 = 330;
/// The token store failed (a file that cannot be read, written or locked, or that does
/// not hold a token set).
pub const AUTHGATE_STORE: u32 = 340;
/// The operation was cancelled (before its request was sent, or while it waited for the
/// user): there is no result.
pub const AUTHGATE_CANCELLED: u32 = 350;

// --- 4xx: unusable answers ---------------------------------------------------------------
/// The server answered with something that is not a usable OAuth answer (an HTML page,
/// invalid JSON, an unexpected status or content type, a redirect).
pub const AUTHGATE_UNEXPECTED_RESPONSE: u32 = 400;

// --- 5xx: id_token checks (`authgate_client_validate_id_token`, loopback sign-in) -------
/// id_token: malformed.
pub const AUTHGATE_ID_TOKEN_MALFORMED: u32 = 500;
/// id_token: algorithm refused.
pub const AUTHGATE_ID_TOKEN_ALGORITHM: u32 = 501;
/// id_token: unknown signing key.
pub const AUTHGATE_ID_TOKEN_UNKNOWN_KEY: u32 = 502;
/// id_token: bad signature.
pub const AUTHGATE_ID_TOKEN_SIGNATURE: u32 = 503;
/// id_token: wrong issuer.
pub const AUTHGATE_ID_TOKEN_ISSUER: u32 = 504;
/// id_token: wrong audience or azp.
pub const AUTHGATE_ID_TOKEN_AUDIENCE: u32 = 505;
/// id_token: expired.
pub const AUTHGATE_ID_TOKEN_EXPIRED: u32 = 506;
/// id_token: issued in the future.
pub const AUTHGATE_ID_TOKEN_NOT_YET_VALID: u32 = 507;
/// id_token: nonce mismatch.
pub const AUTHGATE_ID_TOKEN_NONCE: u32 = 508;

// --- 6xx: asynchronous operations (C ABI only) -------------------------------------------
/// Not finished yet: the operation is still running (`authgate_operation_poll`, `_wait`,
/// `_take_result`), or the user has not finished the device sign-in
/// (`authgate_client_poll_device_token`: `authorization_pending`). Not a failure.
pub const AUTHGATE_PENDING: u32 = 600;
/// The operation's result was already taken by `authgate_operation_take_result`.
pub const AUTHGATE_RESULT_TAKEN: u32 = 601;
/// `authgate_client_poll_device_token` polled too fast (`slow_down`): wait longer between
/// polls (`authgate_device_interval` has been raised by 5 s). Not a failure.
pub const AUTHGATE_SLOW_DOWN: u32 = 602;

// --- 9xx: internal -----------------------------------------------------------------------
/// A bug in authgate: a Rust panic was caught at the boundary. The message says where.
pub const AUTHGATE_PANIC: u32 = 900;
/// An internal failure (a thread could not be started, say).
pub const AUTHGATE_INTERNAL: u32 = 901;

// --- providers, client authentication, encodings, trust roots ------------------------
/// Plain RFC 6749 without provider quirks.
pub const AUTHGATE_PROVIDER_GENERIC: u32 = 0;
/// Taxcom's cash-register API (IdentityServer).
pub const AUTHGATE_PROVIDER_TAXCOM: u32 = 1;
/// Kontur.Extern (OpenID Connect).
pub const AUTHGATE_PROVIDER_KONTUR: u32 = 2;
/// GearCode GC.AUTH.
pub const AUTHGATE_PROVIDER_GEARCODE: u32 = 3;
/// The CUBA platform's REST API.
pub const AUTHGATE_PROVIDER_CUBA: u32 = 4;

/// `Authorization: Basic base64(id:secret)`.
pub const AUTHGATE_AUTH_METHOD_CLIENT_SECRET_BASIC: u32 = 0;
/// `client_id` and `client_secret` in the form body.
pub const AUTHGATE_AUTH_METHOD_CLIENT_SECRET_POST: u32 = 1;
/// A public client: only `client_id` in the body.
pub const AUTHGATE_AUTH_METHOD_NONE: u32 = 2;
/// A JWT assertion signed with the client's private key (`authgate_config_set_client_key`).
pub const AUTHGATE_AUTH_METHOD_PRIVATE_KEY_JWT: u32 = 3;
/// A JWT assertion signed HS256 with the client secret.
pub const AUTHGATE_AUTH_METHOD_CLIENT_SECRET_JWT: u32 = 4;
/// Mutual TLS with a PKI certificate (RFC 8705 §2.1): `client_id` in the body, the
/// certificate of `authgate_config_set_tls_client_cert_file` in the TLS handshake.
pub const AUTHGATE_AUTH_METHOD_TLS_CLIENT_AUTH: u32 = 5;
/// Mutual TLS with a self-signed certificate registered with the provider (RFC 8705 §2.2).
pub const AUTHGATE_AUTH_METHOD_SELF_SIGNED_TLS_CLIENT_AUTH: u32 = 6;

/// Client assertions signed RSASSA-PKCS1-v1_5 SHA-256 (an RSA key).
pub const AUTHGATE_ASSERTION_ALG_RS256: u32 = 0;
/// Client assertions signed RSASSA-PSS SHA-256 (an RSA key).
pub const AUTHGATE_ASSERTION_ALG_PS256: u32 = 1;
/// Client assertions signed ECDSA P-256 SHA-256 (an EC key).
pub const AUTHGATE_ASSERTION_ALG_ES256: u32 = 2;
/// Client assertions signed HMAC SHA-256 with the client secret (`client_secret_jwt`).
pub const AUTHGATE_ASSERTION_ALG_HS256: u32 = 3;

/// Client assertions are addressed to the token endpoint's URL.
pub const AUTHGATE_ASSERTION_AUDIENCE_TOKEN_ENDPOINT: u32 = 0;
/// Client assertions are addressed to the issuer.
pub const AUTHGATE_ASSERTION_AUDIENCE_ISSUER: u32 = 1;

/// RFC 6749 §2.3.1: form-encode id and secret, then base64.
pub const AUTHGATE_BASIC_ENCODING_FORM: u32 = 0;
/// base64 of the raw `id:secret` (Spring, CUBA).
pub const AUTHGATE_BASIC_ENCODING_RAW: u32 = 1;

/// Mozilla's root certificates, bundled in the library.
pub const AUTHGATE_TRUST_ROOTS_BUNDLED: u32 = 0;
/// The operating system's trust store and verifier.
pub const AUTHGATE_TRUST_ROOTS_SYSTEM: u32 = 1;

// --- operation states ---------------------------------------------------------------------
/// Started, the request not yet sent: `authgate_operation_cancel` still prevents it.
pub const AUTHGATE_OPERATION_QUEUED: u32 = 0;
/// The request is on its way: it completes even if cancelled, and its result stays
/// available through `authgate_operation_take_result`.
pub const AUTHGATE_OPERATION_SENDING: u32 = 1;
/// Finished (success or failure): `authgate_operation_take_result` returns the outcome.
pub const AUTHGATE_OPERATION_DONE: u32 = 2;
/// Cancelled before the request was sent (nothing reached the server), or while it
/// waited for the user (device flow, loopback sign-in).
pub const AUTHGATE_OPERATION_CANCELLED: u32 = 3;
/// Waiting for the user (`authgate_client_wait_for_device_token_start`,
/// `authgate_client_sign_in_loopback_start`): `authgate_operation_cancel` stops the wait
/// within about 50 ms. A token request already under way still completes and is kept.
pub const AUTHGATE_OPERATION_WAITING: u32 = 4;

/// The static name of a status code: the core's name for its codes, then the C-only ones.
pub(crate) fn name(code: u32) -> &'static CStr {
    static CORE: OnceLock<Vec<(u32, CString)>> = OnceLock::new();
    let core = CORE.get_or_init(|| {
        let name = |c: ErrorCode| CString::new(c.name()).unwrap_or_default();
        ErrorCode::ALL.map(|c| (c.as_u32(), name(c))).into()
    });
    if let Some((_, name)) = core.iter().find(|(n, _)| *n == code) {
        return name;
    }
    match code {
        AUTHGATE_OK => c"ok",
        AUTHGATE_NULL_POINTER => c"null_pointer",
        AUTHGATE_INVALID_UTF8 => c"invalid_utf8",
        AUTHGATE_WRONG_HANDLE => c"wrong_handle",
        AUTHGATE_INTERIOR_NUL => c"interior_nul",
        AUTHGATE_PENDING => c"pending",
        AUTHGATE_RESULT_TAKEN => c"result_taken",
        AUTHGATE_SLOW_DOWN => c"slow_down",
        AUTHGATE_PANIC => c"panic",
        AUTHGATE_INTERNAL => c"internal",
        _ => c"unknown",
    }
}

/// The static name of a status code, e.g. `"invalid_grant"` for 301, `"ok"` for 0 and
/// `"unknown"` for a number authgate does not define. Never NULL.
///
/// Ownership: the string is static; never free it. Threads: any.
#[no_mangle]
pub extern "C" fn authgate_result_str(code: authgate_result) -> *const c_char {
    crate::boundary::guard(c"panic".as_ptr(), || name(code).as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use authgate_core::ErrorCode as E;

    #[test]
    fn numbers_and_names_match_the_core() {
        let pairs = [
            (E::InvalidArgument, AUTHGATE_INVALID_ARGUMENT),
            (E::Config, AUTHGATE_CONFIG),
            (E::Transport, AUTHGATE_TRANSPORT),
            (E::Dns, AUTHGATE_DNS),
            (E::Connect, AUTHGATE_CONNECT),
            (E::Tls, AUTHGATE_TLS),
            (E::Timeout, AUTHGATE_TIMEOUT),
            (E::BodyTooLarge, AUTHGATE_BODY_TOO_LARGE),
            (E::Proxy, AUTHGATE_PROXY),
            (E::Io, AUTHGATE_IO),
            (E::OAuth, AUTHGATE_OAUTH),
            (E::InvalidGrant, AUTHGATE_INVALID_GRANT),
            (E::InvalidClient, AUTHGATE_INVALID_CLIENT),
            (E::InvalidRequest, AUTHGATE_INVALID_REQUEST),
            (E::UnauthorizedClient, AUTHGATE_UNAUTHORIZED_CLIENT),
            (E::UnsupportedGrantType, AUTHGATE_UNSUPPORTED_GRANT_TYPE),
            (E::InvalidScope, AUTHGATE_INVALID_SCOPE),
            (E::AccessDenied, AUTHGATE_ACCESS_DENIED),
            (E::StateMismatch, AUTHGATE_STATE_MISMATCH),
            (E::IssuerMismatch, AUTHGATE_ISSUER_MISMATCH),
            (E::UnexpectedResponse, AUTHGATE_UNEXPECTED_RESPONSE),
            (E::Cancelled, AUTHGATE_CANCELLED),
            (E::SignInRequired, AUTHGATE_SIGN_IN_REQUIRED),
            (E::Store, AUTHGATE_STORE),
            (E::IdTokenNonce, AUTHGATE_ID_TOKEN_NONCE),
        ];
        for (core, ffi) in pairs {
            assert_eq!(core.as_u32(), ffi, "{core:?}");
        }
        // Every core code has the core's name here; the C-only codes are not the core's.
        for core in E::ALL {
            assert_eq!(
                name(core.as_u32()).to_str().unwrap(),
                core.name(),
                "{core:?}"
            );
        }
        for ffi_only in [
            AUTHGATE_NULL_POINTER,
            AUTHGATE_INVALID_UTF8,
            AUTHGATE_WRONG_HANDLE,
            AUTHGATE_INTERIOR_NUL,
            AUTHGATE_PENDING,
            AUTHGATE_RESULT_TAKEN,
            AUTHGATE_SLOW_DOWN,
            AUTHGATE_PANIC,
            AUTHGATE_INTERNAL,
        ] {
            assert!(E::from_u32(ffi_only).is_none(), "{ffi_only}");
            assert_ne!(name(ffi_only).to_str().unwrap(), "unknown");
        }
        use authgate_core::{AuthMethod, BasicEncoding, Provider};
        assert_eq!(Provider::Cuba as u32, AUTHGATE_PROVIDER_CUBA);
        assert_eq!(Provider::KonturExtern as u32, AUTHGATE_PROVIDER_KONTUR);
        assert_eq!(Provider::GearCode as u32, AUTHGATE_PROVIDER_GEARCODE);
        assert_eq!(Provider::Taxcom as u32, AUTHGATE_PROVIDER_TAXCOM);
        assert_eq!(AuthMethod::None as u32, AUTHGATE_AUTH_METHOD_NONE);
        assert_eq!(
            AuthMethod::TlsClientAuth as u32,
            AUTHGATE_AUTH_METHOD_TLS_CLIENT_AUTH
        );
        assert_eq!(
            AuthMethod::SelfSignedTlsClientAuth as u32,
            AUTHGATE_AUTH_METHOD_SELF_SIGNED_TLS_CLIENT_AUTH
        );
        assert_eq!(
            AuthMethod::ClientSecretPost as u32,
            AUTHGATE_AUTH_METHOD_CLIENT_SECRET_POST
        );
        assert_eq!(BasicEncoding::Raw as u32, AUTHGATE_BASIC_ENCODING_RAW);
        assert_eq!(
            AuthMethod::PrivateKeyJwt as u32,
            AUTHGATE_AUTH_METHOD_PRIVATE_KEY_JWT
        );
        assert_eq!(
            AuthMethod::ClientSecretJwt as u32,
            AUTHGATE_AUTH_METHOD_CLIENT_SECRET_JWT
        );
        use authgate_core::{AssertionAlg, AssertionAudience};
        assert_eq!(AssertionAlg::Es256 as u32, AUTHGATE_ASSERTION_ALG_ES256);
        assert_eq!(AssertionAlg::Hs256 as u32, AUTHGATE_ASSERTION_ALG_HS256);
        assert_eq!(
            AssertionAudience::Issuer as u32,
            AUTHGATE_ASSERTION_AUDIENCE_ISSUER
        );
    }
}
