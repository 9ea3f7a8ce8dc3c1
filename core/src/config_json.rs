//! The client configuration as one JSON object: what the C ABI and configuration files use.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::client::ClientBuilder;
use crate::error::{Error, Result};
use crate::http::{ProxyConfig, TrustRoots};
use crate::provider::{AuthMethod, BasicEncoding, Provider};

impl ClientBuilder {
    /// Reads a configuration from a JSON object. Every key is optional except `client_id`
    /// (checked by `build()`); an unknown key is an error, so a typo is not silently ignored.
    ///
    /// Keys: `provider` (`generic`, `taxcom`, `kontur`, `gearcode`, `cuba`), `base_url`,
    /// `authorization_endpoint`, `token_endpoint`, `client_id`, `client_secret`,
    /// `auth_method` (`client_secret_basic`, `client_secret_post`, `none`),
    /// `basic_encoding` (`form` or `raw`), `scopes` (an array or a space-separated string),
    /// `authorization_params` and `token_params` (objects of strings), `redirect_uri`,
    /// `redirect_param`, `pkce` (bool), `allow_insecure_http` (bool),
    /// `accept_unknown_token_type` (bool), `connect_timeout_ms`,
    /// `timeout_ms`, `max_response_bytes`, `proxy` (`env`, `none` or a proxy URL),
    /// `trust_roots` (`bundled` or `system`), `ca_file` (a PEM path), `user_agent`, and for
    /// OpenID Connect `issuer`, `jwks_uri`, `userinfo_endpoint`, `revocation_endpoint`,
    /// `introspection_endpoint`, `device_authorization_endpoint`, `id_token_leeway_ms`
    /// (or call [`discover`](Self::discover) on the result).
    ///
    /// ```
    /// let client = authgate::ClientBuilder::from_json(r#"{
    ///     "provider": "cuba", "base_url": "http://127.0.0.1:8080",
    ///     "client_id": "client", "client_secret": "secret"
    /// }"#)?.build()?;
    /// assert_eq!(client.token_endpoint(), "http://127.0.0.1:8080/app/rest/v2/oauth/token");
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<ClientBuilder> {
        let obj = match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(obj)) => obj,
            Ok(_) => {
                return Err(Error::Config(
                    "the configuration must be a JSON object".into(),
                ))
            }
            Err(e) => {
                return Err(Error::Config(format!(
                    "the configuration is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                )))
            }
        };
        let provider = match obj.get("provider") {
            None | Some(Value::Null) => Provider::Generic,
            Some(v) => {
                let name = as_str("provider", v)?;
                Provider::from_name(name)
                    .ok_or_else(|| Error::Config(format!("unknown provider `{name}`")))?
            }
        };
        let mut b = ClientBuilder::new(provider);
        for (key, v) in &obj {
            if v.is_null() {
                continue;
            }
            b = match key.as_str() {
                "provider" => b,
                "base_url" => b.base_url(as_str(key, v)?),
                "authorization_endpoint" => b.authorization_endpoint(as_str(key, v)?),
                "token_endpoint" => b.token_endpoint(as_str(key, v)?),
                "client_id" => b.client_id(as_str(key, v)?),
                "client_secret" => b.client_secret(as_str(key, v)?),
                "auth_method" => {
                    b.auth_method(AuthMethod::from_name(as_str(key, v)?).ok_or_else(|| {
                        Error::Config(
                            "auth_method must be client_secret_basic, client_secret_post or none"
                                .into(),
                        )
                    })?)
                }
                "basic_encoding" => {
                    b.basic_encoding(BasicEncoding::from_name(as_str(key, v)?).ok_or_else(
                        || Error::Config("basic_encoding must be form or raw".into()),
                    )?)
                }
                "scopes" | "scope" => match v {
                    Value::String(s) => b.scopes(s.split_whitespace()),
                    Value::Array(items) => {
                        let mut scopes = Vec::new();
                        for item in items {
                            scopes.push(as_str(key, item)?.to_owned());
                        }
                        b.scopes(scopes)
                    }
                    _ => {
                        return Err(Error::Config(format!(
                            "`{key}` must be a string or an array of strings"
                        )))
                    }
                },
                "authorization_params" => {
                    for (k, val) in as_object(key, v)? {
                        b = b.authorization_param(k, as_str(key, val)?);
                    }
                    b
                }
                "token_params" => {
                    for (k, val) in as_object(key, v)? {
                        b = b.token_param(k, as_str(key, val)?);
                    }
                    b
                }
                "redirect_uri" => b.redirect_uri(as_str(key, v)?),
                "redirect_param" => b.redirect_param(as_str(key, v)?),
                "pkce" => b.pkce(as_bool(key, v)?),
                "allow_insecure_http" => b.allow_insecure_http(as_bool(key, v)?),
                "accept_unknown_token_type" => b.accept_unknown_token_type(as_bool(key, v)?),
                "connect_timeout_ms" => b.connect_timeout(Duration::from_millis(as_u64(key, v)?)),
                "timeout_ms" => b.timeout(Duration::from_millis(as_u64(key, v)?)),
                "max_response_bytes" => b.max_response_bytes(as_u64(key, v)?),
                "proxy" => b.proxy(match as_str(key, v)? {
                    "env" => ProxyConfig::FromEnv,
                    "none" | "" => ProxyConfig::Disabled,
                    url => ProxyConfig::Url(url.to_owned()),
                }),
                "trust_roots" => b.trust_roots(match as_str(key, v)? {
                    "bundled" => TrustRoots::Bundled,
                    "system" => TrustRoots::System,
                    _ => {
                        return Err(Error::Config(
                            "trust_roots must be bundled or system (or set ca_file)".into(),
                        ))
                    }
                }),
                "ca_file" => b.ca_file(as_str(key, v)?),
                "user_agent" => b.user_agent(as_str(key, v)?),
                "issuer" => b.issuer(as_str(key, v)?),
                "jwks_uri" => b.jwks_uri(as_str(key, v)?),
                "userinfo_endpoint" => b.userinfo_endpoint(as_str(key, v)?),
                "revocation_endpoint" => b.revocation_endpoint(as_str(key, v)?),
                "introspection_endpoint" => b.introspection_endpoint(as_str(key, v)?),
                "device_authorization_endpoint" => b.device_authorization_endpoint(as_str(key, v)?),
                "id_token_leeway_ms" => b.id_token_leeway(Duration::from_millis(as_u64(key, v)?)),
                other => {
                    return Err(Error::Config(format!(
                        "unknown configuration key `{other}`"
                    )))
                }
            };
        }
        Ok(b)
    }
}

fn as_str<'v>(key: &str, v: &'v Value) -> Result<&'v str> {
    v.as_str()
        .ok_or_else(|| Error::Config(format!("`{key}` must be a string")))
}

fn as_bool(key: &str, v: &Value) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| Error::Config(format!("`{key}` must be true or false")))
}

fn as_u64(key: &str, v: &Value) -> Result<u64> {
    v.as_u64()
        .ok_or_else(|| Error::Config(format!("`{key}` must be a non-negative integer")))
}

fn as_object<'v>(key: &str, v: &'v Value) -> Result<&'v Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| Error::Config(format!("`{key}` must be an object of strings")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read() {
        let c = ClientBuilder::from_json(
            r#"{"provider":"taxcom","authorization_endpoint":"https://auth-x.example/a",
                "token_endpoint":"https://x.example/t","client_id":"id","client_secret":"s",
                "auth_method":"client_secret_post","basic_encoding":"raw","scopes":"api extra",
                "authorization_params":{"prompt":"login"},"token_params":{"resource_id":"r"},
                "redirect_uri":"http://127.0.0.1/cb","redirect_param":"redirect_url","pkce":false,
                "allow_insecure_http":false,"connect_timeout_ms":500,"timeout_ms":2000,
                "max_response_bytes":4096,"proxy":"none","trust_roots":"system","user_agent":"pos/1"}"#,
        )
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.token_endpoint(), "https://x.example/t");
        assert_eq!(c.auth_method(), AuthMethod::ClientSecretPost);
        assert_eq!(c.scopes(), ["api", "extra"]);
        let req = c.authorization_url().build().unwrap();
        assert!(req.url.contains("redirect_url=") && req.url.contains("prompt=login"));
        assert!(req.pkce_verifier.is_none());
    }

    #[test]
    fn mistakes_are_named() {
        let e = |j: &str| ClientBuilder::from_json(j).unwrap_err().to_string();
        assert!(e("[]").contains("JSON object"));
        assert!(e("{").contains("not valid JSON"));
        assert!(e(r#"{"client_idd":"x"}"#).contains("client_idd"));
        assert!(e(r#"{"provider":"nope"}"#).contains("nope"));
        assert!(e(r#"{"pkce":"yes"}"#).contains("pkce"));
        assert!(e(r#"{"timeout_ms":-1}"#).contains("timeout_ms"));
        assert!(!e(r#"{"client_secret":5}"#).contains('5'));
    }
}
