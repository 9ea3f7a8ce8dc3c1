//! Newtypes for protocol values that must never reach a log.
//!
//! Each one prints `[redacted]` in `Debug`, is read with `.secret()`, wipes its memory on
//! drop and deliberately has no `PartialEq`: comparing secrets is done in constant time by
//! the code that needs it (see [`crate::parse_callback`]).

use zeroize::Zeroizing;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Zeroizing<String>);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(Zeroizing::new(value.into()))
            }

            /// The value itself. Keep it out of logs.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }
    };
}

secret_type!(
    /// The client secret issued at registration (Kontur's "api-key", CUBA's REST client secret).
    ///
    /// ```
    /// let s = authgate::ClientSecret::new("s3cret");
    /// assert_eq!(format!("{s:?}"), "ClientSecret([redacted])");
    /// assert_eq!(s.secret(), "s3cret");
    /// ```
    ClientSecret
);
secret_type!(
    /// An access token, sent as `Authorization: Bearer …` to the resource server.
    AccessToken
);
secret_type!(
    /// A refresh token. Losing a rotated one loses the session, so it is kept with care.
    RefreshToken
);
secret_type!(
    /// A one-time authorization code read from the redirect (RFC 6749 §4.1.2).
    AuthorizationCode
);
secret_type!(
    /// A resource owner's password for the password grant (RFC 6749 §4.3).
    Password
);
secret_type!(
    /// An OpenID Connect id_token (a JWT): it carries personal data, so it is redacted too.
    IdToken
);
secret_type!(
    /// A PKCE code verifier (RFC 7636 §4.1): whoever holds it can redeem the code.
    PkceVerifier
);
secret_type!(
    /// A device code (RFC 8628 §3.2): whoever holds it can collect the user's tokens.
    DeviceCode
);
