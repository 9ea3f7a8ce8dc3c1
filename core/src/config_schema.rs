//! The one table of configuration options. `ClientBuilder::from_json`, the C setters and
//! the Python keywords all go through it; `core/tests/config_schema.rs` checks the C
//! header, the Python stubs and the documentation against it.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::client::ClientBuilder;
use crate::client_auth::{AssertionAlg, AssertionAudience};
use crate::error::{Error, Result};
use crate::http::{ProxyConfig, TrustRoots};
use crate::provider::{AuthMethod, BasicEncoding};

/// What a configuration option holds, as JSON carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionType {
    /// A string.
    String,
    /// One of these names (a string).
    Choice(&'static [&'static str]),
    /// `true` or `false`.
    Bool,
    /// A duration: a non-negative integer of milliseconds. The key ends in `_ms`; in
    /// languages with a duration type (Rust, Python) the option is named without it.
    Millis,
    /// A non-negative integer.
    Integer,
    /// Scopes: an array of strings or one space-separated string.
    Scopes,
    /// Extra parameters: an object whose values are strings. Each pair is added to those
    /// already set.
    Params,
}

impl fmt::Display for OptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionType::String => f.write_str("string"),
            OptionType::Choice(names) => f.write_str(&one_of(names)),
            OptionType::Bool => f.write_str("true or false"),
            OptionType::Millis => f.write_str("milliseconds"),
            OptionType::Integer => f.write_str("integer"),
            OptionType::Scopes => f.write_str("array of strings, or a space-separated string"),
            OptionType::Params => f.write_str("object of strings"),
        }
    }
}

/// How a row applies its value to the builder; the variant is the option's type.
#[derive(Clone, Copy)]
enum Setter {
    /// The preset: chosen when the builder is created, not set afterwards.
    Preset,
    Str(fn(ClientBuilder, &str) -> ClientBuilder),
    /// `None` when the name is not one the core knows.
    Choice(
        &'static [&'static str],
        fn(ClientBuilder, &str) -> Option<ClientBuilder>,
    ),
    Bool(fn(ClientBuilder, bool) -> ClientBuilder),
    Millis(fn(ClientBuilder, Duration) -> ClientBuilder),
    Integer(fn(ClientBuilder, u64) -> ClientBuilder),
    Scopes(fn(ClientBuilder, Vec<String>) -> ClientBuilder),
    Param(fn(ClientBuilder, &str, &str) -> ClientBuilder),
}

/// One configuration option: a row of [`CONFIG_OPTIONS`].
#[derive(Clone, Copy)]
pub struct ConfigOption {
    key: &'static str,
    aliases: &'static [&'static str],
    default: &'static str,
    doc: &'static str,
    set: Setter,
}

impl fmt::Debug for ConfigOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigOption")
            .field("key", &self.key)
            .field("type", &self.option_type())
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

impl ConfigOption {
    /// The JSON key, e.g. `timeout_ms`; the C setter is `authgate_config_set_<key>`
    /// (`authgate_config_add_<key without s>` for parameters, `authgate_config_new*` for
    /// `provider`).
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// The name in Rust and Python: the key without the `_ms` of a duration
    /// (`timeout_ms` → `timeout`, given in seconds or as a `timedelta` in Python).
    pub fn name(&self) -> &'static str {
        match self.set {
            Setter::Millis(_) => self.key.strip_suffix("_ms").unwrap_or(self.key),
            _ => self.key,
        }
    }

    /// Other JSON keys accepted for this option (`scope` for `scopes`).
    pub fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }

    /// What the value is.
    pub fn option_type(&self) -> OptionType {
        match self.set {
            Setter::Preset => OptionType::Choice(PROVIDERS),
            Setter::Str(_) => OptionType::String,
            Setter::Choice(names, _) => OptionType::Choice(names),
            Setter::Bool(_) => OptionType::Bool,
            Setter::Millis(_) => OptionType::Millis,
            Setter::Integer(_) => OptionType::Integer,
            Setter::Scopes(_) => OptionType::Scopes,
            Setter::Param(_) => OptionType::Params,
        }
    }

    /// The value used when the option is not given, in words.
    pub fn default(&self) -> &'static str {
        self.default
    }

    /// One line on what the option does.
    pub fn doc(&self) -> &'static str {
        self.doc
    }

    /// Whether the option picks the preset, which is chosen when a configuration is started
    /// ([`ClientBuilder::new`]) rather than set afterwards.
    pub fn is_preset(&self) -> bool {
        matches!(self.set, Setter::Preset)
    }

    /// The row for a JSON key (or a documented alias: `scope` for `scopes`).
    pub fn find(key: &str) -> Option<&'static ConfigOption> {
        CONFIG_OPTIONS
            .iter()
            .find(|o| o.key == key || o.aliases.contains(&key))
    }

    /// Checks the JSON value's type and calls the builder's setter; the builder's
    /// `build()` validates the value itself.
    fn apply(&self, b: ClientBuilder, v: &Value) -> Result<ClientBuilder> {
        let key = self.key;
        Ok(match self.set {
            Setter::Preset => {
                return Err(Error::Config(
                    "the provider preset is chosen when a configuration is started".into(),
                ))
            }
            Setter::Str(f) => f(b, as_str(key, v)?),
            Setter::Choice(names, f) => f(b, as_str(key, v)?)
                .ok_or_else(|| Error::Config(format!("{key} must be {}", one_of(names))))?,
            Setter::Bool(f) => f(
                b,
                v.as_bool()
                    .ok_or_else(|| Error::Config(format!("`{key}` must be true or false")))?,
            ),
            Setter::Millis(f) => f(b, Duration::from_millis(as_u64(key, v)?)),
            Setter::Integer(f) => f(b, as_u64(key, v)?),
            Setter::Scopes(f) => f(
                b,
                match v {
                    Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
                    Value::Array(items) => items
                        .iter()
                        .map(|item| as_str(key, item).map(str::to_owned))
                        .collect::<Result<_>>()?,
                    _ => {
                        return Err(Error::Config(format!(
                            "`{key}` must be a string or an array of strings"
                        )))
                    }
                },
            ),
            Setter::Param(f) => {
                let bad = || Error::Config(format!("`{key}` must be an object of strings"));
                let mut b = b;
                for (name, value) in v.as_object().ok_or_else(bad)? {
                    b = f(b, name, value.as_str().ok_or_else(bad)?);
                }
                b
            }
        })
    }
}

impl ClientBuilder {
    /// Sets one option of [`CONFIG_OPTIONS`] by its JSON key, with a JSON value, as a
    /// configuration file, the C setters and the Python keywords do. JSON `null` leaves the
    /// option as it is. An unknown key or a value of the wrong type is an
    /// [`Error::Config`]; the value itself is checked by [`build`](Self::build), as with
    /// the typed setters.
    ///
    /// ```
    /// use authgate::{ClientBuilder, Provider};
    /// let client = ClientBuilder::new(Provider::Cuba)
    ///     .option("base_url", &"http://127.0.0.1:8080".into())?
    ///     .option("client_id", &"client".into())?
    ///     .option("client_secret", &"secret".into())?
    ///     .option("timeout_ms", &5000.into())?
    ///     .build()?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn option(self, key: &str, value: &Value) -> Result<ClientBuilder> {
        let option = ConfigOption::find(key)
            .ok_or_else(|| Error::Config(format!("unknown configuration key `{key}`")))?;
        if value.is_null() {
            return Ok(self);
        }
        option.apply(self, value)
    }
}

fn as_str<'v>(key: &str, v: &'v Value) -> Result<&'v str> {
    v.as_str()
        .ok_or_else(|| Error::Config(format!("`{key}` must be a string")))
}

fn as_u64(key: &str, v: &Value) -> Result<u64> {
    v.as_u64()
        .ok_or_else(|| Error::Config(format!("`{key}` must be a non-negative integer")))
}

/// `a, b or c`.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

const PROVIDERS: &[&str] = &["generic", "taxcom", "kontur", "gearcode", "cuba"];

/// Every configuration option, in the order the documentation lists them: the JSON keys of
/// [`ClientBuilder::from_json`] and [`ClientBuilder::option`], the C setters and the Python
/// keywords of `authgate.Client`. Each row names the builder setter it calls.
pub const CONFIG_OPTIONS: &[ConfigOption] = &[
    ConfigOption {
        key: "provider",
        aliases: &[],
        default: "generic",
        doc: "The preset that fills the defaults below (see docs/providers.md).",
        set: Setter::Preset,
    },
    ConfigOption {
        key: "base_url",
        aliases: &[],
        default: "none",
        doc: "The server's base URL; the preset's paths are appended to it for the endpoints not set explicitly.",
        set: Setter::Str(|b, v| b.base_url(v)),
    },
    ConfigOption {
        key: "authorization_endpoint",
        aliases: &[],
        default: "base_url + the preset's path",
        doc: "The authorization endpoint.",
        set: Setter::Str(|b, v| b.authorization_endpoint(v)),
    },
    ConfigOption {
        key: "token_endpoint",
        aliases: &[],
        default: "base_url + the preset's path",
        doc: "The token endpoint (Taxcom's is on another host than its authorization endpoint).",
        set: Setter::Str(|b, v| b.token_endpoint(v)),
    },
    ConfigOption {
        key: "client_id",
        aliases: &[],
        default: "required",
        doc: "The client id.",
        set: Setter::Str(|b, v| b.client_id(v)),
    },
    ConfigOption {
        key: "client_secret",
        aliases: &[],
        default: "none (a public client)",
        doc: "The client secret; wiped from memory when the configuration is dropped.",
        set: Setter::Str(|b, v| b.client_secret(v)),
    },
    ConfigOption {
        key: "redirect_uri",
        aliases: &[],
        default: "none",
        doc: "The redirect URI registered for this client.",
        set: Setter::Str(|b, v| b.redirect_uri(v)),
    },
    ConfigOption {
        key: "scopes",
        aliases: &["scope"],
        default: "the preset's",
        doc: "The default scopes (`scope` is accepted as the JSON key too).",
        set: Setter::Scopes(|b, v| b.scopes(v)),
    },
    ConfigOption {
        key: "auth_method",
        aliases: &[],
        default: "the preset's",
        doc: "How the client authenticates at the token endpoint (RFC 6749 §2.3.1, RFC 7523 §2.2); private_key_jwt when client_key is set.",
        set: Setter::Choice(
            &[
                "client_secret_basic",
                "client_secret_post",
                "none",
                "private_key_jwt",
                "client_secret_jwt",
                "tls_client_auth",
                "self_signed_tls_client_auth",
            ],
            |b, v| AuthMethod::from_name(v).map(|m| b.auth_method(m)),
        ),
    },
    ConfigOption {
        key: "basic_encoding",
        aliases: &[],
        default: "the preset's (raw for CUBA, form otherwise)",
        doc: "How Basic credentials are encoded: form-encoded as RFC 6749 §2.3.1 says, or raw as Spring servers expect.",
        set: Setter::Choice(&["form", "raw"], |b, v| {
            BasicEncoding::from_name(v).map(|e| b.basic_encoding(e))
        }),
    },
    ConfigOption {
        key: "token_params",
        aliases: &[],
        default: "none (GearCode: resource_id = client id)",
        doc: "Extra form parameters for every token request.",
        set: Setter::Param(|b, k, v| b.token_param(k, v)),
    },
    ConfigOption {
        key: "authorization_params",
        aliases: &[],
        default: "none",
        doc: "Extra parameters for every authorization URL.",
        set: Setter::Param(|b, k, v| b.authorization_param(k, v)),
    },
    ConfigOption {
        key: "redirect_param",
        aliases: &[],
        default: "redirect_uri",
        doc: "The name of the redirect parameter in authorization URLs (Taxcom's document says redirect_url).",
        set: Setter::Str(|b, v| b.redirect_param(v)),
    },
    ConfigOption {
        key: "pkce",
        aliases: &[],
        default: "true",
        doc: "Whether authorization URLs carry a PKCE challenge (S256).",
        set: Setter::Bool(|b, v| b.pkce(v)),
    },
    ConfigOption {
        key: "allow_insecure_http",
        aliases: &[],
        default: "false",
        doc: "Allows plain http:// endpoints on hosts other than loopback; credentials then cross the network in clear text.",
        set: Setter::Bool(|b, v| b.allow_insecure_http(v)),
    },
    ConfigOption {
        key: "accept_unknown_token_type",
        aliases: &[],
        default: "false",
        doc: "Accepts token answers whose token_type is not Bearer (refused by default, RFC 6749 §7.1).",
        set: Setter::Bool(|b, v| b.accept_unknown_token_type(v)),
    },
    ConfigOption {
        key: "dpop",
        aliases: &[],
        default: "false",
        doc: "Sender-constrained tokens with DPoP (RFC 9449): a proof signed with the client's ES256 key on every token request.",
        set: Setter::Bool(|b, v| b.dpop(v)),
    },
    ConfigOption {
        key: "dpop_key_file",
        aliases: &[],
        default: "none (a key generated when the client is built)",
        doc: "The DPoP key: a P-256 private key in a PKCS#8 PEM file (read when the client is built); turns dpop on.",
        set: Setter::Str(|b, v| b.dpop_key_file(v)),
    },
    ConfigOption {
        key: "timeout_ms",
        aliases: &[],
        default: "30000",
        doc: "The time allowed for a whole request, from connecting to the last byte.",
        set: Setter::Millis(|b, v| b.timeout(v)),
    },
    ConfigOption {
        key: "connect_timeout_ms",
        aliases: &[],
        default: "10000",
        doc: "The time allowed to open a connection.",
        set: Setter::Millis(|b, v| b.connect_timeout(v)),
    },
    ConfigOption {
        key: "max_response_bytes",
        aliases: &[],
        default: "262144",
        doc: "The largest response body accepted, in bytes.",
        set: Setter::Integer(|b, v| b.max_response_bytes(v)),
    },
    ConfigOption {
        key: "proxy",
        aliases: &[],
        default: "env",
        doc: "env (HTTPS_PROXY, NO_PROXY, …), none (or an empty string), or a proxy URL such as http://proxy.lan:3128.",
        set: Setter::Str(|b, v| {
            b.proxy(match v {
                "env" => ProxyConfig::FromEnv,
                "none" | "" => ProxyConfig::Disabled,
                url => ProxyConfig::Url(url.to_owned()),
            })
        }),
    },
    ConfigOption {
        key: "ca_file",
        aliases: &[],
        default: "none",
        doc: "Trusts only the certificates in this PEM file (read when the client is built).",
        set: Setter::Str(|b, v| b.ca_file(v)),
    },
    ConfigOption {
        key: "trust_roots",
        aliases: &[],
        default: "bundled",
        doc: "Which certificate authorities HTTPS trusts: Mozilla's (bundled) or the system's store (or set ca_file).",
        set: Setter::Choice(&["bundled", "system"], |b, v| match v {
            "bundled" => Some(b.trust_roots(TrustRoots::Bundled)),
            "system" => Some(b.trust_roots(TrustRoots::System)),
            _ => None,
        }),
    },
    ConfigOption {
        key: "tls_client_cert_file",
        aliases: &[],
        default: "none",
        doc: "Mutual TLS (RFC 8705): the client certificate (PEM, leaf first) presented in every TLS handshake; with tls_client_key_file.",
        set: Setter::Str(|b, v| b.tls_client_cert_file(v)),
    },
    ConfigOption {
        key: "tls_client_key_file",
        aliases: &[],
        default: "none",
        doc: "Mutual TLS: the client certificate's private key (PEM: PKCS#8, SEC1 or PKCS#1, not encrypted).",
        set: Setter::Str(|b, v| b.tls_client_key_file(v)),
    },
    ConfigOption {
        key: "user_agent",
        aliases: &[],
        default: "authgate/VERSION (this library's)",
        doc: "The User-Agent header.",
        set: Setter::Str(|b, v| b.user_agent(v)),
    },
    ConfigOption {
        key: "issuer",
        aliases: &[],
        default: "none, or discovery's",
        doc: "The OpenID Connect issuer: id_tokens must carry it as iss.",
        set: Setter::Str(|b, v| b.issuer(v)),
    },
    ConfigOption {
        key: "jwks_uri",
        aliases: &[],
        default: "none, or discovery's",
        doc: "Where the keys that sign id_tokens are published.",
        set: Setter::Str(|b, v| b.jwks_uri(v)),
    },
    ConfigOption {
        key: "userinfo_endpoint",
        aliases: &[],
        default: "none, or discovery's",
        doc: "The UserInfo endpoint (OpenID Connect Core §5.3).",
        set: Setter::Str(|b, v| b.userinfo_endpoint(v)),
    },
    ConfigOption {
        key: "revocation_endpoint",
        aliases: &[],
        default: "none, or discovery's",
        doc: "The revocation endpoint (RFC 7009).",
        set: Setter::Str(|b, v| b.revocation_endpoint(v)),
    },
    ConfigOption {
        key: "introspection_endpoint",
        aliases: &[],
        default: "none, or discovery's",
        doc: "The introspection endpoint (RFC 7662).",
        set: Setter::Str(|b, v| b.introspection_endpoint(v)),
    },
    ConfigOption {
        key: "device_authorization_endpoint",
        aliases: &[],
        default: "none, or discovery's",
        doc: "The device authorization endpoint (RFC 8628).",
        set: Setter::Str(|b, v| b.device_authorization_endpoint(v)),
    },
    ConfigOption {
        key: "id_token_leeway_ms",
        aliases: &[],
        default: "60000",
        doc: "The clock skew tolerated when checking an id_token's exp, iat and nbf.",
        set: Setter::Millis(|b, v| b.id_token_leeway(v)),
    },
    ConfigOption {
        key: "client_key",
        aliases: &[],
        default: "none",
        doc: "The private key that signs private_key_jwt assertions: PEM text (PKCS#8 RSA or EC P-256, or PKCS#1 RSA), a private JWK or a JWK Set with one private key (or client_key_id naming one; RSA or EC P-256; its kid and alg are used), or the path of a PEM or JWK file; read once when the client is built.",
        set: Setter::Str(|b, v| b.client_key(v)),
    },
    ConfigOption {
        key: "client_key_id",
        aliases: &[],
        default: "none",
        doc: "The kid put in the header of client assertions (default: the client_key JWK's kid); also chooses the key of a client_key JWK Set.",
        set: Setter::Str(|b, v| b.client_key_id(v)),
    },
    ConfigOption {
        key: "client_assertion_alg",
        aliases: &[],
        default: "RS256 for an RSA key, ES256 for an EC key, HS256 for client_secret_jwt",
        doc: "The algorithm that signs client assertions.",
        set: Setter::Choice(&["RS256", "PS256", "ES256", "HS256"], |b, v| {
            AssertionAlg::from_name(v).map(|a| b.client_assertion_alg(a))
        }),
    },
    ConfigOption {
        key: "client_assertion_audience",
        aliases: &[],
        default: "token_endpoint",
        doc: "The aud of client assertions: the token endpoint's URL, or the issuer when the provider requires it.",
        set: Setter::Choice(&["token_endpoint", "issuer"], |b, v| {
            AssertionAudience::from_name(v).map(|a| b.client_assertion_audience(a))
        }),
    },
    ConfigOption {
        key: "pushed_authorization_request_endpoint",
        aliases: &[],
        default: "none, or discovery's",
        doc: "The pushed authorization request endpoint (RFC 9126).",
        set: Setter::Str(|b, v| b.pushed_authorization_request_endpoint(v)),
    },
    ConfigOption {
        key: "pushed_authorization_requests",
        aliases: &[],
        default: "false, or discovery's require_pushed_authorization_requests",
        doc: "Whether authorization URLs are pushed first (RFC 9126): building one is then a network call that returns the short request_uri URL.",
        set: Setter::Bool(|b, v| b.pushed_authorization_requests(v)),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Provider;

    #[test]
    fn keys_are_unique_and_durations_end_in_ms() {
        for (i, o) in CONFIG_OPTIONS.iter().enumerate() {
            let later = &CONFIG_OPTIONS[i + 1..];
            assert!(later.iter().all(|p| p.key != o.key), "{} twice", o.key);
            assert_eq!(
                o.option_type() == OptionType::Millis,
                o.key.ends_with("_ms")
            );
            assert!(!o.doc.is_empty() && !o.default.is_empty(), "{}", o.key);
        }
    }

    #[test]
    fn the_preset_names_are_the_providers() {
        let names: Vec<_> = Provider::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names, PROVIDERS);
    }

    #[test]
    fn choices_accept_every_listed_name() {
        for o in CONFIG_OPTIONS.iter().filter(|o| !o.is_preset()) {
            if let OptionType::Choice(names) = o.option_type() {
                for name in names {
                    let b = ClientBuilder::new(Provider::Generic);
                    assert!(b.option(o.key, &(*name).into()).is_ok(), "{} {name}", o.key);
                }
                let b = ClientBuilder::new(Provider::Generic);
                let e = b.option(o.key, &"nope".into()).unwrap_err().to_string();
                assert!(e.contains(o.key) && e.contains(names[0]), "{e}");
            }
        }
    }
}
