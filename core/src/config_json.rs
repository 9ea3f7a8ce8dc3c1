//! The client configuration as one JSON object: what the C ABI and configuration files use.

use serde_json::Value;

use crate::client::ClientBuilder;
#[cfg(any(doc, test))]
use crate::config_schema::CONFIG_OPTIONS;
use crate::error::{Error, Result};
use crate::provider::Provider;

impl ClientBuilder {
    /// Reads a configuration from a JSON object whose keys are those of
    /// [`CONFIG_OPTIONS`] (the table in `docs/configuration.md`). Every key is optional
    /// except `client_id` (checked by `build()`); `null` is the same as leaving a key out;
    /// an unknown key is an error, so a typo is not silently ignored. `provider` picks the
    /// preset first, whatever its place in the object; then each key is applied with
    /// [`option`](Self::option). For OpenID Connect, call [`discover`](Self::discover) on
    /// the result.
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
            Some(Value::String(name)) => Provider::from_name(name)
                .ok_or_else(|| Error::Config(format!("unknown provider `{name}`")))?,
            Some(_) => return Err(Error::Config("`provider` must be a string".into())),
        };
        let mut b = ClientBuilder::new(provider);
        for (key, v) in obj.iter().filter(|(key, _)| *key != "provider") {
            b = b.option(key, v)?;
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a configuration can change, as text: the builder's HTTP settings and,
    /// once built, the client's fields (or the error `build()` gives).
    fn fingerprint(b: ClientBuilder) -> String {
        let settings = format!("{:?} insecure={}", b.http_settings(), b.insecure_allowed());
        let built = match b.build() {
            Err(e) => e.to_string(),
            Ok(c) => {
                let i = &c.inner;
                let o = &i.oidc;
                format!(
                    "{:?} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {}",
                    c.provider(),
                    c.authorization_endpoint(),
                    c.token_endpoint(),
                    (c.client_id(), i.client_secret.as_ref().map(|s| s.secret())),
                    c.auth_method(),
                    i.basic_encoding,
                    c.scopes(),
                    (&i.token_params, &i.authorization_params),
                    c.redirect_uri(),
                    i.redirect_param,
                    i.pkce,
                    i.accept_unknown_token_type,
                    i.timeout.as_millis(),
                    o.issuer,
                    o.jwks_uri.as_ref().map(|u| u.as_str()),
                    o.userinfo_endpoint.as_ref().map(|u| u.as_str()),
                    o.revocation_endpoint.as_ref().map(|u| u.as_str()),
                    o.introspection_endpoint.as_ref().map(|u| u.as_str()),
                    o.device_authorization_endpoint.as_ref().map(|u| u.as_str()),
                    o.id_token_leeway,
                    (o.par_endpoint.as_ref().map(|u| u.as_str()), o.par),
                    i.signer,
                    c.uses_dpop(),
                )
            }
        };
        format!("{settings} | {built}")
    }

    /// A value other than the default for every key: the test fails for a key of the
    /// table that has none here, so no key can be skipped.
    fn sample(key: &str) -> Value {
        let v = match key {
            "provider" => r#""kontur""#,
            "base_url" => r#""https://b.example""#,
            "authorization_endpoint" => r#""https://a.example/sign-in""#,
            "token_endpoint" => r#""https://t.example/token""#,
            "client_id" => r#""other-id""#,
            "client_secret" => r#""other-secret""#,
            "redirect_uri" => r#""http://127.0.0.1/cb""#,
            "scopes" => r#"["api", "extra"]"#,
            "auth_method" => r#""client_secret_post""#,
            "basic_encoding" => r#""raw""#,
            "token_params" => r#"{"resource_id": "r"}"#,
            "authorization_params" => r#"{"prompt": "login"}"#,
            "redirect_param" => r#""redirect_url""#,
            "pkce" => "false",
            "allow_insecure_http" => "true",
            "accept_unknown_token_type" => "true",
            "dpop" => "true",
            "dpop_key_file" => r#""/nonexistent/dpop.pem""#,
            "timeout_ms" => "2000",
            "connect_timeout_ms" => "500",
            "max_response_bytes" => "4096",
            "proxy" => r#""none""#,
            "ca_file" => r#""/nonexistent/ca.pem""#,
            "trust_roots" => r#""system""#,
            "tls_client_cert_file" => r#""/nonexistent/client.pem""#,
            "tls_client_key_file" => r#""/nonexistent/client.key""#,
            "user_agent" => r#""pos/1""#,
            "issuer" => r#""https://a.example""#,
            "jwks_uri" => r#""https://a.example/jwks""#,
            "userinfo_endpoint" => r#""https://a.example/userinfo""#,
            "revocation_endpoint" => r#""https://a.example/revoke""#,
            "introspection_endpoint" => r#""https://a.example/introspect""#,
            "device_authorization_endpoint" => r#""https://a.example/device""#,
            "id_token_leeway_ms" => "5000",
            "client_key" => r#""/nonexistent/key.pem""#,
            "client_key_id" => r#""k1""#,
            "client_assertion_alg" => r#""HS256""#,
            "client_assertion_audience" => r#""issuer""#,
            "pushed_authorization_request_endpoint" => r#""https://a.example/par""#,
            "pushed_authorization_requests" => "true",
            other => panic!("no sample value for `{other}`: add one to this test"),
        };
        serde_json::from_str(v).unwrap()
    }

    #[test]
    fn every_key_is_read() {
        let base = r#"{"base_url":"https://a.example","client_id":"id","client_secret":"s"}"#;
        let unchanged = fingerprint(ClientBuilder::from_json(base).unwrap());
        let mut all: serde_json::Map<String, Value> = serde_json::from_str(base).unwrap();
        for option in CONFIG_OPTIONS {
            let mut obj: serde_json::Map<String, Value> = serde_json::from_str(base).unwrap();
            obj.insert(option.key().into(), sample(option.key()));
            let json = Value::Object(obj).to_string();
            let changed = fingerprint(ClientBuilder::from_json(&json).unwrap());
            assert_ne!(changed, unchanged, "`{}` changed nothing", option.key());
            // But the CA and key files, which would only fail the build, the assertion
            // settings, which the client_secret_post of `auth_method` refuses, and pushing,
            // which would make the URL below a network call.
            let left_out = [
                "ca_file",
                "dpop_key_file",
                "tls_client_cert_file",
                "tls_client_key_file",
                "client_key",
                "client_key_id",
                "client_assertion_alg",
                "client_assertion_audience",
                "pushed_authorization_requests",
            ];
            if !left_out.contains(&option.key()) {
                all.insert(option.key().into(), sample(option.key()));
            }
        }
        // All at once.
        let c = ClientBuilder::from_json(&Value::Object(all).to_string())
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.provider(), Provider::KonturExtern);
        assert_eq!(c.token_endpoint(), "https://t.example/token");
        assert_eq!(c.auth_method(), crate::AuthMethod::ClientSecretPost);
        assert_eq!(c.scopes(), ["api", "extra"]);
        let req = c.authorization_url().build().unwrap();
        assert!(
            req.url.starts_with("https://a.example/sign-in?"),
            "{}",
            req.url
        );
        assert!(req.url.contains("redirect_url=") && req.url.contains("prompt=login"));
        assert!(req.pkce_verifier.is_none());
        assert_eq!(c.inner.oidc.id_token_leeway.as_millis(), 5000);
    }

    #[test]
    fn scope_is_an_alias_of_scopes_and_null_is_absent() {
        let c = ClientBuilder::from_json(
            r#"{"base_url":"https://a.example","client_id":"id","auth_method":"none",
                "scope":"a b","client_secret":null,"provider":null}"#,
        )
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.scopes(), ["a", "b"]);
        assert!(c.inner.client_secret.is_none());
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
        assert!(e(r#"{"auth_method":"mac"}"#).contains("client_secret_basic"));
        assert!(e(r#"{"token_params":{"a":1}}"#).contains("token_params"));
        assert!(e(r#"{"scopes":5}"#).contains("scopes"));
        assert!(e(r#"{"provider":5}"#).contains("provider"));
    }
}
