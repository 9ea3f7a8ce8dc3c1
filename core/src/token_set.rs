//! The token response (RFC 6749 §5.1), parsed leniently where real servers are sloppy and
//! strictly where it matters for security.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::error::{Error, Result, UnexpectedResponse};
use crate::redact::{truncate, Scrubber};
use crate::secret::{AccessToken, IdToken, RefreshToken};

/// Lifetimes above this are capped when computing the absolute expiry, so that absurd
/// values (`u64::MAX`) cannot overflow time arithmetic. Ten years.
const MAX_LIFETIME_SECS: u64 = 10 * 365 * 24 * 3600;

/// The key under which [`TokenSet::to_json`] records whose set it is.
const OWNER_FIELD: &str = "authgate_owner";

/// Whom a token set was issued to: the token endpoint and the client id. Recorded in the
/// stored JSON so that a store shared by mistake is not handed to another client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    pub token_endpoint: String,
    pub client_id: String,
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "client \"{}\" at {}",
            self.client_id, self.token_endpoint
        )
    }
}

const KNOWN_FIELDS: &[&str] = &[
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
    "id_token",
];

/// The tokens an authorization server issued.
///
/// Parsed leniently where it is harmless (each leniency is a [warning](Self::warnings)):
/// `"error": null` or `""` next to tokens, a string `expires_in`, an absolute `expires_at`
/// (seconds or milliseconds) instead of `expires_in`, and, in an answer to a grant, bytes
/// that are not UTF-8 (replaced by U+FFFD) or numbers out of range (replaced by `null`) in
/// other fields, so that a rotated refresh token is never lost to an unrelated field.
/// Strictly where it matters: `access_token`, `token_type` and `refresh_token` holding
/// control characters, tokens that are not UTF-8, and a `token_type` other than `Bearer`
/// (unless the client opts in) are refused.
///
/// `Debug` shows which tokens are present, never their values.
///
/// ```
/// let t = authgate::TokenSet::parse(r#"{"access_token":"abc","token_type":"bearer","expires_in":"899"}"#)?;
/// assert_eq!(t.access_token().secret(), "abc");
/// assert_eq!(t.token_type(), "Bearer");
/// assert_eq!(t.expires_in(), Some(899));
/// assert_eq!(t.warnings().len(), 1); // expires_in came as a string
/// assert!(!format!("{t:?}").contains("abc"));
/// # Ok::<(), authgate::Error>(())
/// ```
#[derive(Clone)]
pub struct TokenSet {
    access_token: AccessToken,
    token_type: String,
    expires_in: Option<u64>,
    expires_at: Option<SystemTime>,
    refresh_token: Option<RefreshToken>,
    scope: Option<String>,
    id_token: Option<IdToken>,
    raw: Map<String, Value>,
    warnings: Vec<String>,
    /// Whether `scope` repeats a secret of the request or a token of the set (a careless
    /// server's echo): then `Debug` shows only its length. Decided when parsed, where the
    /// request's secrets are known.
    scope_echoes: bool,
    /// Boxed: most sets are moved around far more often than their owner is read.
    owner: Option<Box<Owner>>,
}

impl TokenSet {
    /// Parses a token response body received now. No scope comparison is made and no
    /// previous refresh token is kept; the grants do that themselves. A `token_type`
    /// other than `Bearer` is refused (RFC 6749 §7.1), as are tokens holding control
    /// characters.
    pub fn parse(json: &str) -> Result<TokenSet> {
        let obj = match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(obj)) => obj,
            _ => {
                return Err(Error::InvalidArgument(
                    "a token set must be a JSON object".into(),
                ))
            }
        };
        TokenSet::from_object(
            obj,
            None,
            None,
            SystemTime::now(),
            false,
            false,
            &Scrubber::default(),
        )
    }

    /// Reads a stored token set, as written by [`to_json`](Self::to_json). A numeric
    /// `expires_at` (Unix seconds; a value that can only be milliseconds, as some servers
    /// send and older stores kept, is read as such) is the absolute expiry; without one,
    /// `expires_in` counts from now, as for a fresh answer. The stored `token_type` is
    /// kept whatever it is (it was accepted when stored).
    ///
    /// ```
    /// let t = authgate::TokenSet::parse(r#"{"access_token":"a","refresh_token":"r","expires_in":60}"#)?;
    /// let back = authgate::TokenSet::from_json(&t.to_json())?;
    /// assert_eq!(back.expires_at_unix(), t.expires_at_unix());
    /// assert_eq!(back.refresh_token().unwrap().secret(), "r");
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<TokenSet> {
        let obj = match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(obj)) => obj,
            _ => {
                return Err(Error::InvalidArgument(
                    "a token set must be a JSON object".into(),
                ))
            }
        };
        let mut obj = obj;
        // Not a server field: kept apart from `raw`, so it is never an `extra`.
        let owner = obj.remove(OWNER_FIELD).and_then(|o| {
            Some(Box::new(Owner {
                token_endpoint: o.get("token_endpoint")?.as_str()?.to_owned(),
                client_id: o.get("client_id")?.as_str()?.to_owned(),
            }))
        });
        let stored_at = obj.remove("expires_at");
        let mut tokens = TokenSet::from_object(
            obj,
            None,
            None,
            SystemTime::now(),
            true,
            true,
            &Scrubber::default(),
        )?;
        tokens.owner = owner;
        if let Some(v) = stored_at {
            if let Some(at) = unix_seconds(&v) {
                tokens.expires_at = UNIX_EPOCH.checked_add(Duration::from_secs(at));
            }
            tokens.raw.insert("expires_at".into(), v);
        }
        Ok(tokens)
    }

    /// The token set as one JSON object for storage: the server's answer, with the current
    /// tokens (a refresh token kept across refreshes included), the absolute
    /// `expires_at` in Unix seconds, and `authgate_owner` (the token endpoint and client id
    /// the set was issued to, when known). It holds the tokens: store it with care.
    pub fn to_json(&self) -> String {
        let mut map = self.raw.clone();
        map.insert("access_token".into(), self.access_token.secret().into());
        map.insert("token_type".into(), self.token_type.clone().into());
        match &self.refresh_token {
            Some(rt) => map.insert("refresh_token".into(), rt.secret().into()),
            None => map.remove("refresh_token"),
        };
        match &self.id_token {
            Some(id) => map.insert("id_token".into(), id.secret().into()),
            None => map.remove("id_token"),
        };
        if let Some(scope) = &self.scope {
            map.insert("scope".into(), scope.clone().into());
        }
        if let Some(at) = self.expires_at_unix() {
            map.insert("expires_at".into(), at.into());
        }
        if let Some(o) = &self.owner {
            let owner = serde_json::json!({
                "token_endpoint": o.token_endpoint,
                "client_id": o.client_id,
            });
            map.insert(OWNER_FIELD.into(), owner);
        }
        Value::Object(map).to_string()
    }

    /// Builds a token set from a parsed response object. `requested_scope` is the scope
    /// asked for (compared, and used when the answer has none); `previous_refresh` is kept
    /// when the answer carries no refresh token; `accept_unknown_token_type` lets a
    /// `token_type` other than `Bearer` through, `dpop` lets `DPoP` through (RFC 9449
    /// §5: the client sent a proof). Server values quoted in a warning or an
    /// error (and the answer's key names) pass through `scrubber`, which holds the
    /// request's secrets: a server may echo them anywhere.
    pub(crate) fn from_object(
        raw: Map<String, Value>,
        requested_scope: Option<&str>,
        previous_refresh: Option<&RefreshToken>,
        received_at: SystemTime,
        accept_unknown_token_type: bool,
        dpop: bool,
        scrubber: &Scrubber<'_>,
    ) -> Result<TokenSet> {
        let bad_answer = |reason: &str, raw: &Map<String, Value>| bad_answer(reason, raw, scrubber);
        let mut warnings = Vec::new();
        let mut lenient = |msg: String| {
            log::warn!(target: "authgate", "lenient token response: {msg}");
            warnings.push(msg);
        };

        // These go into `Authorization` headers (C, Delphi and 1C callers build them from
        // `authorization_header()`): a CR or LF there is header injection.
        for field in ["access_token", "token_type", "refresh_token"] {
            if let Some(Value::String(s)) = raw.get(field) {
                if s.chars().any(char::is_control) {
                    return Err(bad_answer(
                        &format!(
                            "{field} contains control characters (CR, LF, NUL, …) that would \
                             corrupt an HTTP header; the answer is refused"
                        ),
                        &raw,
                    ));
                }
            }
        }
        let access_token = match raw.get("access_token") {
            Some(Value::String(s)) if !s.is_empty() => AccessToken::new(s.as_str()),
            Some(Value::String(_)) => return Err(bad_answer("access_token is empty", &raw)),
            Some(_) => return Err(bad_answer("access_token is not a string", &raw)),
            None => return Err(bad_answer("the answer has no access_token", &raw)),
        };

        let token_type = match raw.get("token_type") {
            Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => "Bearer".to_owned(),
            Some(Value::String(t)) if t.eq_ignore_ascii_case("dpop") && dpop => "DPoP".to_owned(),
            Some(Value::String(t)) if !t.is_empty() && accept_unknown_token_type => t.clone(),
            Some(Value::String(t)) if !t.is_empty() => {
                let shown: String = scrubber.scrub(t).chars().take(40).collect();
                return Err(bad_answer(
                    &format!(
                        "token_type `{shown}` is not Bearer, and a client must not use a token \
                         whose type it does not understand (RFC 6749 §7.1); opt in with \
                         accept_unknown_token_type if the API takes it"
                    ),
                    &raw,
                ));
            }
            Some(_) => {
                lenient("token_type is not a non-empty string; assuming Bearer".into());
                "Bearer".to_owned()
            }
            None => {
                lenient(
                    "token_type is missing (RFC 6749 §5.1 requires it); assuming Bearer".into(),
                );
                "Bearer".to_owned()
            }
        };

        let expires_in = match raw.get("expires_in") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(v), _, _) => Some(v),
                (None, Some(_), _) => {
                    lenient("expires_in is negative; treating the token as expired".into());
                    Some(0)
                }
                (None, None, Some(f)) if f.is_finite() && f >= 0.0 => {
                    lenient("expires_in is not an integer; rounding down".into());
                    Some(f as u64) // saturating cast
                }
                _ => {
                    lenient("expires_in is not a usable number; ignoring it".into());
                    None
                }
            },
            Some(Value::String(s)) => match s.trim().parse::<u64>() {
                Ok(v) => {
                    lenient("expires_in is a string, not a number".into());
                    Some(v)
                }
                Err(_) => {
                    lenient("expires_in is a string that is not a number; ignoring it".into());
                    None
                }
            },
            Some(_) => {
                lenient("expires_in is neither a number nor a string; ignoring it".into());
                None
            }
        };
        let cap = received_at + Duration::from_secs(MAX_LIFETIME_SECS);
        let expires_at = match (expires_in, raw.get("expires_at")) {
            (Some(secs), _) => {
                if secs > MAX_LIFETIME_SECS {
                    lenient(format!(
                        "expires_in {secs} is over ten years; the expiry is capped at ten years"
                    ));
                }
                Some(received_at + Duration::from_secs(secs.min(MAX_LIFETIME_SECS)))
            }
            (None, Some(v)) if !v.is_null() => match unix_seconds(v) {
                Some(at) => {
                    lenient("the answer gives an absolute expires_at instead of expires_in".into());
                    UNIX_EPOCH
                        .checked_add(Duration::from_secs(at))
                        .map(|at| at.min(cap))
                }
                None => {
                    lenient("expires_at is not a usable time; ignoring it".into());
                    None
                }
            },
            (None, _) => None,
        };

        let refresh_token = match raw.get("refresh_token") {
            Some(Value::String(s)) if !s.is_empty() => Some(RefreshToken::new(s.as_str())),
            Some(Value::Null) | None => None,
            Some(_) => {
                lenient("refresh_token is empty or not a string; ignoring it".into());
                None
            }
        };
        let refresh_token = refresh_token.or_else(|| {
            // RFC 6749 §6: the server MAY issue a new refresh token; if it does not, the
            // old one stays valid and must not be lost.
            previous_refresh.cloned()
        });

        let scope = match raw.get("scope") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(items)) => {
                lenient("scope is an array, not a space-separated string".into());
                Some(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            }
            _ => None,
        };
        let id_token = match raw.get("id_token") {
            Some(Value::String(s)) if !s.is_empty() => Some(IdToken::new(s.as_str())),
            _ => None,
        };
        // The server may echo the tokens it issues as well as the request's secrets.
        let own = with_tokens(
            scrubber.clone(),
            &access_token,
            refresh_token.as_ref(),
            id_token.as_ref(),
        );
        let scope_echoes = scope.as_deref().is_some_and(|s| own.scrub(s) != s);
        if let (Some(got), Some(asked)) = (&scope, requested_scope) {
            if !same_scopes(got, asked) {
                lenient(format!(
                    "the server granted scope \"{}\" where \"{asked}\" was asked for",
                    truncate(&own.scrub(got))
                ));
            }
        }
        // §5.1: an omitted scope is the one requested.
        let scope = scope.or_else(|| requested_scope.map(str::to_owned));

        Ok(TokenSet {
            access_token,
            token_type,
            expires_in,
            expires_at,
            refresh_token,
            scope,
            id_token,
            raw,
            warnings,
            scope_echoes,
            owner: None,
        })
    }

    /// Whom the set was issued to, if known (sets stored by older versions do not say).
    pub(crate) fn owner(&self) -> Option<&Owner> {
        self.owner.as_deref()
    }

    pub(crate) fn set_owner(&mut self, owner: Owner) {
        self.owner = Some(Box::new(owner));
    }

    /// The same set without its refresh token (one the server refused).
    pub(crate) fn without_refresh_token(&self) -> TokenSet {
        let mut t = self.clone();
        t.refresh_token = None;
        t
    }

    /// The access token.
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The token type; `Bearer` in any case is normalised to `Bearer`.
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// The lifetime in seconds, as the server sent it (if it did).
    pub fn expires_in(&self) -> Option<u64> {
        self.expires_in
    }

    /// When the access token expires, computed on receipt; `None` if the server did not say.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// [`expires_at`](Self::expires_at) as seconds since the Unix epoch.
    pub fn expires_at_unix(&self) -> Option<u64> {
        self.expires_at
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
    }

    /// Whether the access token expires within `leeway` from now. A token without a known
    /// expiry is never considered expired.
    pub fn is_expired(&self, leeway: Duration) -> bool {
        match self.expires_at {
            Some(at) => SystemTime::now()
                .checked_add(leeway)
                .is_none_or(|later| later >= at),
            None => false,
        }
    }

    /// The refresh token, if any (after a refresh without a new one, the old one).
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// The granted scope (space separated); the requested one if the server omitted it.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The OpenID Connect id_token, if any.
    pub fn id_token(&self) -> Option<&IdToken> {
        self.id_token.as_ref()
    }

    /// The whole answer as the server sent it. It holds the tokens: keep it out of logs.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// A field other than the standard ones, e.g. a provider's `user_id`.
    pub fn extra(&self, name: &str) -> Option<&Value> {
        if KNOWN_FIELDS.contains(&name) {
            return None;
        }
        self.raw.get(name)
    }

    /// The leniencies that fired while parsing (what the provider got wrong), without secrets.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub(crate) fn add_warning(&mut self, msg: String) {
        // The caller scrubbed the request's secrets; the set's own tokens may be echoed too.
        let msg = self.scrubbing(Scrubber::default()).scrub(&msg);
        log::warn!(target: "authgate", "lenient token response: {msg}");
        self.warnings.push(msg);
    }

    /// `scrubber` with this set's tokens added.
    pub(crate) fn scrubbing<'s>(&'s self, scrubber: Scrubber<'s>) -> Scrubber<'s> {
        with_tokens(
            scrubber,
            &self.access_token,
            self.refresh_token.as_ref(),
            self.id_token.as_ref(),
        )
    }

    /// The token type as logs and `Debug` show it: a registered one (`Bearer`, `DPoP`,
    /// `N_A`) as it is, any other by its length only (`[12 chars]`), since a careless
    /// server may echo a token or the client's secret into it.
    pub fn token_type_for_log(&self) -> String {
        match self.token_type.to_ascii_lowercase().as_str() {
            "bearer" | "dpop" | "n_a" => self.token_type.clone(),
            _ => format!("[{} chars]", self.token_type.chars().count()),
        }
    }

    /// The scope as logs and `Debug` show it: as granted, unless it repeats a secret of
    /// the request (the client's secret, a password) or a token of this set, in any
    /// encoding; then by its length only.
    pub fn scope_for_log(&self) -> Option<String> {
        self.scope.as_ref().map(|s| match self.scope_echoes {
            true => format!(
                "[withheld, {} chars: it repeats a secret]",
                s.chars().count()
            ),
            false => s.clone(),
        })
    }

    /// The value for an `Authorization` header: `Bearer <access token>`.
    pub fn authorization_header(&self) -> String {
        format!("{} {}", self.token_type, self.access_token.secret())
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // How many, not which: a field name is server text, and Debug has no scrubber.
        let extra = self
            .raw
            .keys()
            .filter(|k| !KNOWN_FIELDS.contains(&k.as_str()))
            .count();
        let token_type = self.token_type_for_log();
        let scope = self.scope_for_log();
        f.debug_struct("TokenSet")
            .field("access_token", &self.access_token)
            .field("token_type", &token_type)
            .field("expires_in", &self.expires_in)
            .field("expires_at_unix", &self.expires_at_unix())
            .field("refresh_token", &self.refresh_token)
            .field("scope", &scope)
            .field("id_token", &self.id_token)
            .field("extra_fields", &extra)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// `scrubber` with a set's own tokens added.
fn with_tokens<'s>(
    mut scrubber: Scrubber<'s>,
    access: &'s AccessToken,
    refresh: Option<&'s RefreshToken>,
    id: Option<&'s IdToken>,
) -> Scrubber<'s> {
    scrubber.add(access.secret());
    scrubber.add(refresh.map_or("", |r| r.secret()));
    scrubber.add(id.map_or("", |i| i.secret()));
    scrubber
}

fn same_scopes(a: &str, b: &str) -> bool {
    let mut a: Vec<&str> = a.split_whitespace().collect();
    let mut b: Vec<&str> = b.split_whitespace().collect();
    a.sort_unstable();
    b.sort_unstable();
    a.dedup();
    b.dedup();
    a == b
}

/// An absolute time as Unix seconds, from a number or a numeric string. Values past the
/// year 5000 in seconds can only be milliseconds (what Java and .NET servers send), and
/// are read as such.
fn unix_seconds(v: &Value) -> Option<u64> {
    const MILLIS_FROM: u64 = 100_000_000_000;
    let n = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }?;
    let secs = if n >= MILLIS_FROM { n / 1000 } else { n };
    // Below MILLIS_FROM (the year 5138), so the seconds `to_json` writes read back as seconds.
    Some(secs.min(MILLIS_FROM - 1))
}

/// The fields whose value is a credential or goes into a header: a byte there that is not
/// UTF-8 cannot be kept faithfully, so the answer is refused rather than patched.
const EXACT_FIELDS: &[&str] = &["access_token", "refresh_token", "id_token", "token_type"];

/// What [`repair_json`] changed in one top-level field to make a body parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Repair {
    /// The top-level field (its name made UTF-8 if it was not).
    pub field: String,
    /// True for bytes that are not UTF-8, false for a number out of range.
    pub invalid_utf8: bool,
}

impl Repair {
    /// The warning for a field that was patched, or the error for one that cannot be.
    pub(crate) fn check(
        &self,
        raw: &Map<String, Value>,
        scrubber: &Scrubber<'_>,
    ) -> Result<String> {
        // A key name is server text too: an echoed secret may stand there.
        let field = &truncate(&scrubber.scrub(&self.field));
        if !self.invalid_utf8 {
            return Ok(format!(
                "{field} holds a number out of range; it was replaced by null"
            ));
        }
        if EXACT_FIELDS.contains(&self.field.as_str()) {
            return Err(bad_answer(
                &format!("{field} is not valid UTF-8 and cannot be kept as the server sent it"),
                raw,
                scrubber,
            ));
        }
        Ok(format!(
            "{field} holds bytes that are not UTF-8; they were replaced by U+FFFD"
        ))
    }
}

/// Makes a JSON body that a strict parser refuses usable when only values are at fault:
/// bytes that are not UTF-8 inside strings become U+FFFD, numbers out of range (`1e400`)
/// become `null`. Returns the object and what was changed in which top-level field, or
/// `None` if it still is not a JSON object. A token answer is where this matters: one bad
/// byte in an unrelated field must not throw away a freshly rotated refresh token.
pub(crate) fn repair_json(body: &[u8]) -> Option<(Map<String, Value>, Vec<Repair>)> {
    let mut out = Vec::with_capacity(body.len() + 16);
    let mut repairs: Vec<Repair> = Vec::new();
    let mut note = |field: &str, invalid_utf8: bool| {
        let r = Repair {
            field: field.to_owned(),
            invalid_utf8,
        };
        if !repairs.contains(&r) {
            repairs.push(r);
        }
    };
    let mut depth = 0usize;
    let mut field = String::new();
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => {
                let mut end = i + 1;
                while end < body.len() && body[end] != b'"' {
                    end += if body[end] == b'\\' { 2 } else { 1 };
                }
                let end = end.min(body.len());
                let text = String::from_utf8_lossy(&body[i + 1..end]);
                let next = body
                    .get(end + 1..)
                    .unwrap_or_default()
                    .iter()
                    .find(|c| !c.is_ascii_whitespace());
                if depth == 1 && next == Some(&b':') {
                    field = text.clone().into_owned();
                }
                if matches!(text, std::borrow::Cow::Owned(_)) {
                    note(&field, true);
                }
                out.push(b'"');
                out.extend_from_slice(text.as_bytes());
                out.push(b'"');
                i = end + 1;
                continue;
            }
            b'-' | b'0'..=b'9' => {
                let end = body[i..]
                    .iter()
                    .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .map_or(body.len(), |p| i + p);
                let token = &body[i..end];
                let infinite = std::str::from_utf8(token)
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok())
                    .is_some_and(f64::is_infinite);
                if infinite {
                    note(&field, false);
                    out.extend_from_slice(b"null");
                } else {
                    out.extend_from_slice(token);
                }
                i = end;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push(body[i]);
        i += 1;
    }
    match serde_json::from_slice(&out) {
        Ok(Value::Object(map)) => Some((map, repairs)),
        _ => None,
    }
}

fn bad_answer(reason: &str, raw: &Map<String, Value>, scrubber: &Scrubber<'_>) -> Error {
    let keys: Vec<&str> = raw.keys().map(String::as_str).collect();
    let keys = truncate(&scrubber.scrub(&keys.join(", ")));
    let mut r = UnexpectedResponse::new(200, reason);
    r.excerpt = format!("JSON object with keys: {keys}");
    Error::UnexpectedResponse(Box::new(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> TokenSet {
        TokenSet::parse(json).unwrap()
    }

    #[test]
    fn taxcom_huge_lifetime_does_not_overflow() {
        let t = parse(r#"{"access_token":"9eca","expires_in":3600000,"token_type":"Bearer"}"#);
        assert_eq!(t.expires_in(), Some(3_600_000));
        let left = t
            .expires_at()
            .unwrap()
            .duration_since(SystemTime::now())
            .unwrap();
        assert!(left > Duration::from_secs(3_599_990));
        assert!(t.warnings().is_empty());
        assert!(t.refresh_token().is_none());
        let t = parse(
            r#"{"access_token":"a","token_type":"Bearer","expires_in":18446744073709551615}"#,
        );
        assert!(t.expires_at().is_some());
        assert_eq!(t.warnings().len(), 1);
        let t = parse(r#"{"access_token":"a","token_type":"Bearer","expires_in":1e300}"#);
        assert!(t.expires_at().is_some());
    }

    #[test]
    fn odd_but_real_answers() {
        let t = parse(r#"{"access_token":"a","expires_in":"3600"}"#);
        assert_eq!((t.token_type(), t.expires_in()), ("Bearer", Some(3600)));
        assert_eq!(t.warnings().len(), 2);
        let t = parse(r#"{"access_token":"a","token_type":"BEARER","expires_in":-5}"#);
        assert_eq!(t.token_type(), "Bearer");
        assert!(t.is_expired(Duration::ZERO));
        let t = TokenSet::from_json(
            r#"{"access_token":"a","token_type":"mac","expires_in":"soon","user_id":7}"#,
        )
        .unwrap();
        assert_eq!(t.token_type(), "mac");
        assert_eq!(t.expires_in(), None);
        assert!(!t.is_expired(Duration::from_secs(1_000_000)));
        assert_eq!(t.extra("user_id"), Some(&Value::from(7)));
        assert_eq!(t.extra("access_token"), None);
        let t = parse(
            r#"{"access_token":"a","token_type":"bearer","scope":["a","b"],"refresh_token":""}"#,
        );
        assert_eq!(t.scope(), Some("a b"));
        assert!(t.refresh_token().is_none());
        assert_eq!(t.authorization_header(), "Bearer a");
    }

    #[test]
    fn missing_or_bad_access_token_is_an_error() {
        for body in [
            r#"{"token_type":"bearer"}"#,
            r#"{"access_token":""}"#,
            r#"{"access_token":5}"#,
        ] {
            let e = TokenSet::parse(body).unwrap_err();
            assert!(matches!(e, Error::UnexpectedResponse(_)), "{body}: {e}");
        }
        assert!(matches!(
            TokenSet::parse("[1]"),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn refresh_keeps_old_token_and_scope_change_is_reported() {
        let mut obj = Map::new();
        obj.insert("access_token".into(), "new".into());
        obj.insert("token_type".into(), "bearer".into());
        obj.insert("scope".into(), "read".into());
        let old = RefreshToken::new("old-rt");
        let t = TokenSet::from_object(
            obj,
            Some("read write"),
            Some(&old),
            SystemTime::now(),
            false,
            false,
            &Scrubber::default(),
        )
        .unwrap();
        assert_eq!(t.refresh_token().unwrap().secret(), "old-rt");
        assert_eq!(t.scope(), Some("read"));
        assert_eq!(t.warnings().len(), 1);
        assert!(t.warnings()[0].contains("granted scope"));
        let mut obj = Map::new();
        obj.insert("access_token".into(), "new".into());
        obj.insert("token_type".into(), "bearer".into());
        let t = TokenSet::from_object(
            obj,
            Some("b a"),
            None,
            SystemTime::now(),
            false,
            false,
            &Scrubber::default(),
        )
        .unwrap();
        assert_eq!(t.scope(), Some("b a"));
        assert!(same_scopes("a b", "b  a"));
    }

    #[test]
    fn repair_patches_values_and_names_their_fields() {
        let (obj, repairs) =
            repair_json(b"{\"a\":\"x\xff\",\"b\":{\"c\":[1e400, 2]},\"d\":-1e999,\"e\":\"\\\"q\"}")
                .unwrap();
        assert_eq!(obj["a"], "x\u{fffd}");
        assert_eq!(obj["b"]["c"][0], Value::Null);
        assert_eq!(obj["b"]["c"][1], 2);
        assert_eq!(obj["e"], "\"q");
        let fields: Vec<(&str, bool)> = repairs
            .iter()
            .map(|r| (r.field.as_str(), r.invalid_utf8))
            .collect();
        assert_eq!(fields, [("a", true), ("b", false), ("d", false)]);
        assert!(repair_json(b"{\"a\":").is_none());
        assert!(repair_json(b"[1]").is_none());
    }

    #[test]
    fn unix_seconds_reads_milliseconds_and_strings() {
        assert_eq!(
            unix_seconds(&Value::from(1_700_000_000u64)),
            Some(1_700_000_000)
        );
        assert_eq!(
            unix_seconds(&Value::from(1_700_000_000_123u64)),
            Some(1_700_000_000)
        );
        assert_eq!(
            unix_seconds(&Value::from("1700000000")),
            Some(1_700_000_000)
        );
        assert_eq!(unix_seconds(&Value::from(-1)), None);
    }
}

#[cfg(test)]
mod echo_tests {
    use super::*;
    use crate::redact::Scrubber;

    const SECRET: &str = "s3cret-pass";

    fn from(json: &str, requested: Option<&str>) -> Result<TokenSet> {
        let Ok(Value::Object(raw)) = serde_json::from_str::<Value>(json) else {
            panic!("not an object: {json}");
        };
        let mut scrubber = Scrubber::default();
        scrubber.add(SECRET);
        TokenSet::from_object(
            raw,
            requested,
            None,
            SystemTime::now(),
            false,
            false,
            &scrubber,
        )
    }

    #[test]
    fn debug_does_not_name_the_servers_extra_fields() {
        // A field name is server text too; Debug has no scrubber, so it shows a count.
        let t = from(
            r#"{"access_token":"a","token_type":"bearer","s3cret-pass":1,"x":2}"#,
            None,
        )
        .unwrap();
        let shown = format!("{t:?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("extra_fields: 2"), "{shown}");
    }

    #[test]
    fn server_values_quoted_in_warnings_and_errors_are_scrubbed() {
        let t = from(
            r#"{"access_token":"a","token_type":"bearer","scope":"read s3cret-pass"}"#,
            Some("read"),
        )
        .unwrap();
        assert_eq!(t.warnings().len(), 1, "{:?}", t.warnings());
        assert!(!format!("{:?}", t.warnings()).contains(SECRET));
        let e = from(r#"{"access_token":"a","token_type":"s3cret-pass"}"#, None).unwrap_err();
        assert!(!format!("{e} {e:?}").contains(SECRET), "{e}");
        let e = from(r#"{"s3cret-pass":1}"#, None).unwrap_err();
        assert!(!format!("{e} {e:?}").contains(SECRET), "{e}");
    }
}
