//! Newtypes for protocol values that must never reach a log.
//!
//! Each one prints `[redacted]` in `Debug`, is read with `.secret()`, and deliberately has
//! no `PartialEq`: comparing secrets is done in constant time by
//! the code that needs it (see [`crate::parse_callback`]). Its copies share one allocation
//! (a clone is a reference count, not a second copy of the secret in memory), which is
//! wiped when the last copy is dropped.

use zeroize::Zeroize;

/// A string whose whole allocation is overwritten with zeros when it is dropped: what every
/// secret type below holds.
pub(crate) struct WipedString(String);

impl Drop for WipedString {
    #[inline]
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites the whole allocation of `s`, its content and its spare capacity, with zeros,
/// in place (so it ends as that many NULs): the spare room may still hold the bytes of a
/// longer value it once had. One bulk write that the compiler cannot remove (`zeroize`'s
/// for a `str`: a fill behind an optimization barrier, volatile writes on targets without
/// one) rather than `zeroize`'s for a `String`, one volatile write per byte, which with the
/// move before it was about a fifth of a cached access token's cost.
#[inline]
fn wipe(s: &mut String) {
    let spare = s.capacity() - s.len();
    if spare > 0 {
        // Fills exactly the capacity: never reallocates.
        s.extend(std::iter::repeat_n('\0', spare));
    }
    s.as_mut_str().zeroize();
}

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(std::sync::Arc<WipedString>);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(std::sync::Arc::new(WipedString(value.into())))
            }

            /// The value itself. Keep it out of logs.
            pub fn secret(&self) -> &str {
                &self.0 .0
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiping_zeroes_the_content_and_the_spare_capacity() {
        let mut s = String::with_capacity(200);
        s.push_str("at-0123456789abcdef");
        s.push_str(&"x".repeat(100));
        s.truncate(19); // 100 bytes of a longer value left in the spare room
        let capacity = s.capacity();
        wipe(&mut s);
        assert_eq!(s.capacity(), capacity, "wiped in place, not reallocated");
        assert_eq!(s.len(), capacity, "the whole allocation is wiped");
        assert!(s.bytes().all(|b| b == 0));
    }

    #[test]
    fn a_secret_reads_back_and_clones() {
        let token = AccessToken::new(String::from("at-1"));
        let copy = token.clone();
        drop(token);
        assert_eq!(copy.secret(), "at-1");
    }

    /// A copy handed out (a manager's cached access token) is the same bytes, not a
    /// second copy of the secret in memory to wipe.
    #[test]
    fn clones_share_one_allocation() {
        let token = RefreshToken::new("rt-1");
        let copy = token.clone();
        assert_eq!(token.secret().as_ptr(), copy.secret().as_ptr());
        assert_eq!(AccessToken::from(&AccessToken::new("at")).secret(), "at");
    }
}
