//! # authgate
//!
//! An embeddable OAuth 2.0 client that speaks the dialects of real providers, for software
//! that signs in to provider APIs: cash-register front ends, scripts and services. The same
//! core serves Rust, C (the `ffi/` crate) and Python (the `python/` crate).
//!
//! ## Contents
//! - [`Client`] and [`ClientBuilder`]: one immutable configuration per authorization server,
//!   started from a [`Provider`] preset (Taxcom, Kontur.Extern, GearCode, CUBA or generic).
//! - [`Client::authorization_url`] → [`AuthorizationRequest`] (URL, `state`, `nonce`, PKCE
//!   verifier), and [`parse_callback`] / [`parse_callback_with_issuer`] to read the
//!   redirect back (RFC 6749 §4.1, RFC 7636, RFC 9207).
//! - The grants: [`Client::exchange_code`], [`Client::refresh`], [`Client::password`],
//!   [`Client::client_credentials`], each a [`TokenRequest`] finished by `.send()`.
//! - [`TokenSet`]: the answer, parsed leniently where servers are sloppy (string
//!   `expires_in`, lower-case `bearer`) and strictly where it matters (an `error` in a 200
//!   answer is an error); every leniency is logged and kept in [`TokenSet::warnings`].
//! - The interactive sign-ins: [`Client::sign_in_loopback`] (the system browser and a
//!   loopback redirect, RFC 8252) and [`Client::device_authorization`] (a code to enter on
//!   a phone, RFC 8628), whose [`DeviceAuthorization`] survives a restart.
//! - [`Error`]: one error type with a stable [`ErrorCode`], `is_terminal()` and `is_transient()`.
//!
//! ## The authorization code flow
//! ```no_run
//! use authgate::{Client, Provider};
//! let client = Client::builder(Provider::GearCode)
//!     .base_url("https://auth.gearcode.example")
//!     .client_id("pos-42")
//!     .client_secret("s3cret")
//!     .redirect_uri("https://pos.example/callback")
//!     .build()?;
//! let request = client.authorization_url().build()?;
//! println!("open {}", request.url);
//! # let callback = "https://pos.example/callback?code=x&state=y";
//! // … the browser comes back to https://pos.example/callback?code=…&state=… …
//! let code = request.parse_callback(callback)?;
//! let tokens = client
//!     .exchange_code(code)
//!     .pkce_verifier(request.pkce_verifier.clone().unwrap())
//!     .send()?;
//! // GearCode rotates refresh tokens: store `fresh` before using it.
//! let fresh = client.refresh(tokens.refresh_token().unwrap()).send()?;
//! # Ok::<(), authgate::Error>(())
//! ```
//!
//! ## The password grant (CUBA)
//! ```no_run
//! use authgate::{Client, Provider};
//! let client = Client::builder(Provider::Cuba)
//!     .base_url("http://cuba.lan:8080")
//!     .allow_insecure_http(true) // a LAN server without TLS: an explicit opt-in
//!     .client_id("client")
//!     .client_secret("secret")
//!     .build()?;
//! let tokens = client.password("кассир", "p&s=w+o%rd 1").send()?;
//! let header = tokens.authorization_header(); // "Bearer …"
//! # Ok::<(), authgate::Error>(())
//! ```
//!
//! ## The device flow, surviving a restart
//! A till may be switched off while the customer is still approving on a phone. Save the
//! [`DeviceAuthorization`] as JSON ([`DeviceAuthorization::to_json`]: the codes, the
//! absolute expiry, the scopes asked for, the current polling interval) and resume it with
//! a new client ([`DeviceAuthorization::from_json`]). The JSON holds the device code, a
//! secret: store it like a refresh token, and delete it when the sign-in has ended.
//! ```no_run
//! use authgate::{CancelToken, Client, DeviceAuthorization, Provider};
//! # fn save(_: &str) {}
//! # fn load() -> String { String::new() }
//! # let client = || Client::builder(Provider::KonturExtern).client_id("c").client_secret("s")
//! #     .discover("https://identity.testkontur.ru")?.build();
//! let auth = client()?.device_authorization(Some(&["openid", "extern.api"]))?;
//! println!("go to {} and enter {}", auth.verification_uri, auth.user_code);
//! save(&auth.to_json());
//! // … the till restarts …
//! let auth = DeviceAuthorization::from_json(&load())?;
//! let tokens = client()?.wait_for_device_token(&auth, &CancelToken::new())?;
//! # Ok::<(), authgate::Error>(())
//! ```
//! Codes that expired meanwhile are not polled for: the `expired_token` OAuth error comes
//! at once. The pause between polls follows the server's `interval` and `slow_down`
//! (RFC 8628 §3.5), never beyond [`MAX_POLL_INTERVAL`] seconds.
//!
//! ## Security
//! - Secrets ([`ClientSecret`], [`AccessToken`], [`RefreshToken`], [`AuthorizationCode`],
//!   [`Password`], [`IdToken`], [`PkceVerifier`]) print `[redacted]`, are wiped on drop
//!   and are read only through `.secret()`. Error messages, warnings and log records never
//!   carry them: server text (headers, redirect targets, `error_description`, bodies) is
//!   scrubbed of every secret the request sent, in every encoding a server may echo it in
//!   (plain, form- and percent-encoded, base64, HTML- and JSON-escaped), and cut to 160
//!   characters; bodies appear only as short excerpts without JSON values. A secret shorter
//!   than four characters (a cashier's PIN) cannot be replaced in free text without
//!   mangling it, so server text that holds one is withheld whole (see [`Error`]).
//! - authgate logs under the target `authgate` only, never a secret. The HTTP library
//!   underneath (ureq) logs too: at `trace` level its targets `ureq` and `ureq_proto` dump
//!   the raw request bytes, `Authorization` header and form body included (the password,
//!   the client secret, the code). A Rust application whose logger passes every target at
//!   `trace` would write them out: filter `ureq*` (and `rustls*`) below `debug`, e.g.
//!   `RUST_LOG=trace,ureq=info,ureq_proto=info` with `env_logger`, or build with the `log`
//!   crate's `max_level_debug` / `release_max_level_debug` feature, which compiles `trace`
//!   records out. The C library and the Python module are built that way, and pass on
//!   only `authgate` records in any case.
//! - `state` is compared in constant time; `iss` in the redirect (RFC 9207) is compared
//!   with the issuer when the client knows it, against mix-up attacks
//!   ([`Error::IssuerMismatch`]); PKCE (S256) is on by default, and discovery never
//!   turns it off or drops the client secret ([`ClientBuilder::discover`]).
//! - The loopback sign-in answers a redirect with another `state` with an error page and
//!   keeps waiting, and no local connection can hold it past its timeout or cancel.
//! - [`DeviceAuthorization::to_json`] holds the device code: store it like a refresh token.
//! - Tokens holding control characters (header injection) and unknown token types
//!   (RFC 6749 §7.1, unless [`ClientBuilder::accept_unknown_token_type`]) are refused.
//! - Plain `http://` is refused except on loopback, unless
//!   [`ClientBuilder::allow_insecure_http`] opts in.
//! - Token requests never follow redirects, and the client authentication style is never
//!   guessed: a failed first try could burn a one-time code.
//! - Every request has a connect timeout and an overall timeout, and bodies are capped.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod authorize;
mod cancel;
mod client;
mod config_json;
mod config_schema;
mod device;
mod diagnose;
mod discovery;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod id_token;
mod loopback;
mod manager;
mod oidc;
mod provider;
mod redact;
mod secret;
mod store;
mod token;
mod token_set;
mod transport;
mod wire_trace;

pub use authorize::{
    parse_callback, parse_callback_with_issuer, AuthorizationRequest, AuthorizationUrlBuilder,
};
pub use cancel::CancelToken;
pub use client::{Client, ClientBuilder};
pub use config_schema::{ConfigOption, OptionType, CONFIG_OPTIONS};
pub use device::{DeviceAuthorization, DevicePoll, MAX_POLL_INTERVAL};
pub use discovery::ProviderMetadata;
pub use error::{
    Error, ErrorCode, IdTokenError, OAuthError, Result, TransportKind, UnexpectedResponse,
};
pub use http::{ProxyConfig, TrustRoots};
pub use id_token::IdTokenClaims;
pub use loopback::LoopbackSignIn;
pub use manager::{CredentialsCallback, TokenManager, TokenManagerBuilder};
pub use oidc::Introspection;
pub use provider::{AuthMethod, BasicEncoding, Provider};
pub use secret::{
    AccessToken, AuthorizationCode, ClientSecret, DeviceCode, IdToken, Password, PkceVerifier,
    RefreshToken,
};
pub use store::{FileStore, MemoryStore, StoreLock, TokenStore};
pub use token::TokenRequest;
pub use token_set::TokenSet;

/// The library version, from Cargo.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<crate::Client>();
        assert_send_sync::<crate::TokenSet>();
        assert_send_sync::<crate::Error>();
        assert_send_sync::<crate::AuthorizationRequest>();
    }
}
