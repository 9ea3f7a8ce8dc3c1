//! The argument rules, each written once: the builders call them at `build()` and each
//! request at `send()`, so Rust, C and Python report the same mistake with the same words.
//!
//! Each check takes what a failure becomes: [`Error::Config`] for a configuration (a
//! client, a manager), [`Error::InvalidArgument`] for the arguments of one call.

use std::time::Duration;

use crate::error::{Error, Result};

/// What a failed check becomes ([`Error::Config`] or [`Error::InvalidArgument`]).
pub(crate) type Kind = fn(String) -> Error;

/// Parameters of a token request that authgate itself sets; extra parameters
/// ([`ClientBuilder::token_param`](crate::ClientBuilder::token_param),
/// [`TokenRequest::param`](crate::TokenRequest::param)) may not override them.
pub(crate) const RESERVED_TOKEN_PARAMS: &[&str] = &[
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "username",
    "password",
    "client_secret",
];

/// Parameters of an authorization URL that authgate itself sets.
pub(crate) const RESERVED_AUTHORIZATION_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
];

/// Each scope is one non-empty word: no space (the scopes are sent space-separated, RFC
/// 6749 §3.3), no line break or other control character.
pub(crate) fn scopes(scopes: &[String], kind: Kind) -> Result<()> {
    if scopes
        .iter()
        .any(|s| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(kind(
            "each scope must be one non-empty word without spaces".into(),
        ));
    }
    Ok(())
}

/// Extra parameters (`what` names the option: `token_param`, `param`, …) have a name,
/// and not one of the `reserved` names authgate sets itself.
pub(crate) fn params(
    what: &str,
    params: &[(String, String)],
    reserved: &[&str],
    kind: Kind,
) -> Result<()> {
    for (k, _) in params {
        if k.is_empty() {
            return Err(kind(format!("{what} with an empty name")));
        }
        if reserved.contains(&k.as_str()) {
            return Err(kind(format!(
                "{what} `{k}` is set by authgate itself and cannot be overridden"
            )));
        }
    }
    Ok(())
}

/// A timeout is more than zero: a zero one would end every call at once.
pub(crate) fn timeout(what: &str, timeout: Duration, kind: Kind) -> Result<()> {
    if timeout.is_zero() {
        return Err(kind(format!(
            "{what} must be greater than zero (zero timeouts would end every call at once)"
        )));
    }
    Ok(())
}

/// A count that must be at least one (`max_attempts`).
pub(crate) fn at_least_one(what: &str, n: u64, why: &str, kind: Kind) -> Result<()> {
    if n == 0 {
        return Err(kind(format!("{what} must be at least 1 ({why})")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(r: Result<()>) -> String {
        match r {
            Err(Error::Config(m)) => m,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    #[test]
    fn each_rule_words_its_mistake_once() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(scopes(&s(&["openid", "api"]), Error::Config).is_ok());
        for bad in [&["a b"][..], &[""], &["api\n"], &["a\tb"]] {
            assert_eq!(
                config(scopes(&s(bad), Error::Config)),
                "each scope must be one non-empty word without spaces"
            );
        }
        let p = |k: &str| vec![(k.to_owned(), "v".to_owned())];
        assert!(params("param", &p("prompt"), RESERVED_TOKEN_PARAMS, Error::Config).is_ok());
        assert_eq!(
            config(params(
                "param",
                &p("grant_type"),
                RESERVED_TOKEN_PARAMS,
                Error::Config
            )),
            "param `grant_type` is set by authgate itself and cannot be overridden"
        );
        assert_eq!(
            config(params(
                "param",
                &p(""),
                RESERVED_TOKEN_PARAMS,
                Error::Config
            )),
            "param with an empty name"
        );
        assert_eq!(
            config(timeout("timeout", Duration::ZERO, Error::Config)),
            "timeout must be greater than zero (zero timeouts would end every call at once)"
        );
        assert!(timeout("timeout", Duration::from_millis(1), Error::Config).is_ok());
        assert_eq!(
            config(at_least_one(
                "max_attempts",
                0,
                "one attempt, no retry",
                Error::Config
            )),
            "max_attempts must be at least 1 (one attempt, no retry)"
        );
        assert!(matches!(
            scopes(&s(&[""]), Error::InvalidArgument),
            Err(Error::InvalidArgument(_))
        ));
    }
}
