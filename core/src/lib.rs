// The crate documentation is the user manual; it lives in its own file so that it reads
// as Markdown too, and each of its examples runs as a doctest against the emulator.
#![doc = include_str!("../docs/manual.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod authorize;
mod builder;
mod cancel;
mod client;
mod client_auth;
mod config_json;
mod config_schema;
mod device;
mod diagnose;
mod discovery;
mod dpop;
mod endpoint;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod id_token;
mod loopback;
mod manager;
mod mtls;
mod oidc;
mod par;
mod provider;
mod random;
mod redact;
#[cfg(feature = "redis")]
mod redis_store;
mod seal;
mod secret;
mod store;
mod time;
mod tls;
mod token;
mod token_set;
mod transport;
mod validate;
mod wire_trace;

pub use authorize::{
    parse_callback, parse_callback_with_issuer, AuthorizationRequest, AuthorizationUrlBuilder,
};
pub use builder::BuilderSteps;
pub use cancel::CancelToken;
pub use client::{Client, ClientBuilder};
pub use client_auth::{AssertionAlg, AssertionAudience};
pub use config_schema::{ConfigOption, OptionType, CONFIG_OPTIONS};
pub use device::{DeviceAuthorization, DevicePoll, MAX_POLL_INTERVAL};
pub use diagnose::OriginAnswer;
pub use discovery::ProviderMetadata;
pub use dpop::DpopHeaders;
pub use error::{
    Endpoint, Error, ErrorCode, IdTokenError, OAuthError, Result, StoreError, TransportKind,
    UnexpectedResponse,
};
pub use http::{ProxyConfig, TrustRoots};
pub use id_token::IdTokenClaims;
pub use loopback::LoopbackSignIn;
pub use manager::{CredentialsCallback, TokenManager, TokenManagerBuilder, TokensChangedCallback};
pub use oidc::Introspection;
pub use provider::{AuthMethod, BasicEncoding, Provider};
pub use secret::{
    AccessToken, AuthorizationCode, ClientSecret, DeviceCode, IdToken, Password, PkceVerifier,
    RefreshToken,
};
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{FileStore, MemoryStore, StoreLock, TokenStore};
pub use token::TokenRequest;
pub use token_set::TokenSet;

/// The library version, from Cargo.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The leeway of a [`TokenManager`] not given one ([`TokenManagerBuilder::leeway`]): a
/// token valid for less than 60 s is refreshed first. The bindings read it from here to
/// show it, and pass no leeway of their own.
pub const DEFAULT_MANAGER_LEEWAY: std::time::Duration = std::time::Duration::from_secs(60);

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

    /// The constant the bindings show is the manager's own default.
    #[test]
    fn the_default_manager_leeway_is_the_builders() {
        let client = crate::ClientBuilder::new(crate::Provider::Cuba)
            .base_url("http://127.0.0.1:9")
            .client_id("c")
            .client_secret("s")
            .build()
            .unwrap();
        let manager = crate::TokenManager::builder(client).build().unwrap();
        let want = format!("leeway: {:?}", crate::DEFAULT_MANAGER_LEEWAY);
        assert!(format!("{manager:?}").contains(&want), "{manager:?}");
    }
}
