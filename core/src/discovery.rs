//! OpenID Connect Discovery 1.0 (and RFC 8414): reading a provider's metadata, with a
//! process-wide cache.

use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::client::{check_endpoint, ClientBuilder, Discoverable};
use crate::endpoint::json_answer;
use crate::error::{Endpoint, Error, Result};
use crate::http::{Http, ProxyConfig, TrustRoots};
use crate::provider::AuthMethod;
use crate::redact::{truncate, Scrubber};

/// How long a discovery document is reused before it is fetched again.
const CACHE_TTL: Duration = Duration::from_secs(3600);

/// A provider's metadata, as its discovery document states it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderMetadata {
    /// `issuer`: equal to the URL the document was read from, minus the well-known suffix.
    pub issuer: String,
    /// `authorization_endpoint`.
    pub authorization_endpoint: Option<String>,
    /// `token_endpoint`.
    pub token_endpoint: Option<String>,
    /// `jwks_uri`.
    pub jwks_uri: Option<String>,
    /// `userinfo_endpoint`.
    pub userinfo_endpoint: Option<String>,
    /// `revocation_endpoint`.
    pub revocation_endpoint: Option<String>,
    /// `introspection_endpoint`.
    pub introspection_endpoint: Option<String>,
    /// `device_authorization_endpoint`.
    pub device_authorization_endpoint: Option<String>,
    /// `token_endpoint_auth_methods_supported` (RFC 8414 default: `client_secret_basic`).
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// `code_challenge_methods_supported`.
    pub code_challenge_methods_supported: Vec<String>,
    /// `id_token_signing_alg_values_supported`.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207): the provider puts
    /// `iss` in every redirect, so a redirect without it is refused.
    pub authorization_response_iss_parameter_supported: bool,
    /// `pushed_authorization_request_endpoint` (RFC 9126).
    pub pushed_authorization_request_endpoint: Option<String>,
    /// `require_pushed_authorization_requests` (RFC 9126 §5): authorization requests
    /// must be pushed; a client built from this document then pushes them.
    pub require_pushed_authorization_requests: bool,
    /// The whole document.
    pub raw: Map<String, Value>,
}

/// What a cached document was fetched for: the issuer, and the HTTP settings that decide
/// which server answers and whether it is trusted (metadata fetched through a private CA
/// or a proxy must not serve a client whose settings would refuse that server).
#[derive(PartialEq)]
struct CacheKey {
    issuer: String,
    proxy: ProxyConfig,
    trust_roots: TrustRoots,
}

struct Cached {
    key: CacheKey,
    fetched: Instant,
    metadata: ProviderMetadata,
}

/// The process-wide cache: a handful of entries, searched in order.
fn cache() -> MutexGuard<'static, Vec<Cached>> {
    static CACHE: OnceLock<Mutex<Vec<Cached>>> = OnceLock::new();
    CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

impl ProviderMetadata {
    /// Parses a discovery document and checks that its `issuer` is `expected_issuer`
    /// (OpenID Connect Discovery §4.3: anything else could be an impersonation).
    pub fn from_json(json: &str, expected_issuer: &str) -> Result<ProviderMetadata> {
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(raw)) => ProviderMetadata::from_object(raw, expected_issuer),
            _ => Err(Error::InvalidArgument(
                "a discovery document must be a JSON object".into(),
            )),
        }
    }

    fn from_object(raw: Map<String, Value>, expected_issuer: &str) -> Result<ProviderMetadata> {
        let text = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
        let list = |k: &str| -> Vec<String> {
            raw.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let issuer = text("issuer")
            .ok_or_else(|| Error::Config("the discovery document has no issuer".into()))?;
        if issuer.trim_end_matches('/') != expected_issuer.trim_end_matches('/') {
            return Err(Error::Config(format!(
                "the discovery document names the issuer {}, not {expected_issuer}",
                truncate(&issuer)
            )));
        }
        let mut auth_methods = list("token_endpoint_auth_methods_supported");
        if auth_methods.is_empty() {
            auth_methods.push("client_secret_basic".into());
        }
        Ok(ProviderMetadata {
            issuer,
            authorization_endpoint: text("authorization_endpoint"),
            token_endpoint: text("token_endpoint"),
            jwks_uri: text("jwks_uri"),
            userinfo_endpoint: text("userinfo_endpoint"),
            revocation_endpoint: text("revocation_endpoint"),
            introspection_endpoint: text("introspection_endpoint"),
            device_authorization_endpoint: text("device_authorization_endpoint"),
            token_endpoint_auth_methods_supported: auth_methods,
            code_challenge_methods_supported: list("code_challenge_methods_supported"),
            id_token_signing_alg_values_supported: list("id_token_signing_alg_values_supported"),
            authorization_response_iss_parameter_supported: raw
                .get("authorization_response_iss_parameter_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            pushed_authorization_request_endpoint: text("pushed_authorization_request_endpoint"),
            require_pushed_authorization_requests: raw
                .get("require_pushed_authorization_requests")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            raw,
        })
    }
}

impl ClientBuilder {
    /// Reads `<issuer>/.well-known/openid-configuration` (cached for an hour in the
    /// process, per issuer, proxy and trust roots: a document fetched under one client's
    /// trust settings never serves a client whose settings would refuse that server) and
    /// fills every endpoint not set explicitly and the issuer (then checked
    /// against the `iss` of redirects, RFC 9207, and required there when the provider
    /// says `authorization_response_iss_parameter_supported`).
    ///
    /// Discovery never weakens the client. An explicit
    /// [`auth_method`](Self::auth_method) always wins. Otherwise, at `build()`, a client
    /// with a secret keeps the preset's method if the provider lists it, else takes
    /// `client_secret_basic`, else `client_secret_post` (an absent list means
    /// `client_secret_basic`, RFC 8414); if the provider lists neither, `build()` fails
    /// with [`Error::Config`] naming what it supports, rather than silently sending no
    /// credentials. A client without a secret takes `none` when listed. PKCE stays on
    /// even when `S256` is not listed (servers ignore parameters they do not know);
    /// turn it off with [`pkce(false)`](Self::pkce) if the provider refuses it.
    ///
    /// ```no_run
    /// use authgate::{Client, Provider};
    /// let client = Client::builder(Provider::KonturExtern)
    ///     .client_id("my-service")
    ///     .client_secret("api-key")
    ///     .discover("https://identity.testkontur.ru")?
    ///     .build()?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn discover(self, issuer: &str) -> Result<ClientBuilder> {
        let issuer_url = check_endpoint("issuer", issuer, self.insecure_allowed())?;
        let issuer_url = issuer_url.as_str().trim_end_matches('/');
        let settings = self.http_settings();
        let key = CacheKey {
            issuer: issuer_url.to_owned(),
            proxy: settings.proxy.clone(),
            trust_roots: settings.trust_roots.clone(),
        };
        let cached = cache()
            .iter()
            .find(|c| c.key == key && c.fetched.elapsed() < CACHE_TTL)
            .map(|c| c.metadata.clone());
        let metadata = match cached {
            Some(m) => m,
            None => {
                let http = Http::new(settings)?;
                let url = format!("{issuer_url}/.well-known/openid-configuration");
                let resp = http.get(Endpoint::Discovery, &url, &[])?;
                let (raw, _) = json_answer(&resp, &Scrubber::default())?;
                let m = ProviderMetadata::from_object(raw, issuer)?;
                let mut cache = cache();
                cache.retain(|c| c.key != key && c.fetched.elapsed() < CACHE_TTL);
                cache.push(Cached {
                    key,
                    fetched: Instant::now(),
                    metadata: m.clone(),
                });
                m
            }
        };
        Ok(self.provider_metadata(&metadata))
    }

    /// Applies metadata read elsewhere (see [`discover`](Self::discover)): each endpoint
    /// and the issuer go through their setters, and so through the same checks at
    /// `build()`, unless the configuration sets them already.
    pub fn provider_metadata(mut self, m: &ProviderMetadata) -> ClientBuilder {
        type Setter = fn(ClientBuilder, String) -> ClientBuilder;
        // RFC 8705 §5: with a client certificate, the endpoints that take it may live
        // elsewhere (`mtls_endpoint_aliases`).
        let mtls = self.http_settings().tls_client_cert_file.is_some();
        let alias = |name: &str, plain: &Option<String>| -> Option<String> {
            let aliased = m
                .raw
                .get("mtls_endpoint_aliases")
                .and_then(|a| a.get(name))
                .and_then(Value::as_str)
                .filter(|_| mtls);
            aliased.map(str::to_owned).or_else(|| plain.clone())
        };
        let token = alias("token_endpoint", &m.token_endpoint);
        let revocation = alias("revocation_endpoint", &m.revocation_endpoint);
        let introspection = alias("introspection_endpoint", &m.introspection_endpoint);
        let device = alias(
            "device_authorization_endpoint",
            &m.device_authorization_endpoint,
        );
        let offered: [(Discoverable, Option<&String>, Setter); 9] = [
            (
                Discoverable::AuthorizationEndpoint,
                m.authorization_endpoint.as_ref(),
                ClientBuilder::authorization_endpoint,
            ),
            (
                Discoverable::TokenEndpoint,
                token.as_ref(),
                ClientBuilder::token_endpoint,
            ),
            (Discoverable::Issuer, Some(&m.issuer), ClientBuilder::issuer),
            (
                Discoverable::JwksUri,
                m.jwks_uri.as_ref(),
                ClientBuilder::jwks_uri,
            ),
            (
                Discoverable::UserinfoEndpoint,
                m.userinfo_endpoint.as_ref(),
                ClientBuilder::userinfo_endpoint,
            ),
            (
                Discoverable::RevocationEndpoint,
                revocation.as_ref(),
                ClientBuilder::revocation_endpoint,
            ),
            (
                Discoverable::IntrospectionEndpoint,
                introspection.as_ref(),
                ClientBuilder::introspection_endpoint,
            ),
            (
                Discoverable::DeviceAuthorizationEndpoint,
                device.as_ref(),
                ClientBuilder::device_authorization_endpoint,
            ),
            (
                Discoverable::PushedAuthorizationRequestEndpoint,
                m.pushed_authorization_request_endpoint.as_ref(),
                ClientBuilder::pushed_authorization_request_endpoint,
            ),
        ];
        for (option, value, set) in offered {
            if let Some(v) = value.filter(|_| !self.is_set(option)) {
                self = set(self, v.clone());
            }
        }
        if !m.code_challenge_methods_supported.is_empty()
            && !m
                .code_challenge_methods_supported
                .iter()
                .any(|c| c == "S256")
        {
            log::info!(
                target: "authgate",
                "discovery: {} does not list S256 in code_challenge_methods_supported; PKCE (S256) stays on, since servers ignore parameters they do not know (turn it off with pkce(false) if the provider refuses it)",
                m.issuer
            );
        }
        self.discovered(
            m.token_endpoint_auth_methods_supported.clone(),
            m.authorization_response_iss_parameter_supported,
            m.require_pushed_authorization_requests,
        )
    }
}

/// Chooses the client authentication method among those discovery listed (see
/// [`ClientBuilder::discover`]); called by `build()` unless the method was set
/// explicitly.
pub(crate) fn choose_auth_method(
    supported: &[String],
    preset: AuthMethod,
    has_secret: bool,
    has_cert: bool,
) -> Result<AuthMethod> {
    let listed = |a: &AuthMethod| supported.iter().any(|s| s == a.name());
    let chosen = if has_secret {
        // Never `none` while holding a secret: that would silently drop the credentials.
        [
            preset,
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost,
        ]
        .into_iter()
        .filter(|a| *a != AuthMethod::None)
        .find(listed)
        .ok_or_else(|| {
            Error::Config(format!(
                "the provider's token endpoint supports only {} \
                 (token_endpoint_auth_methods_supported), none of which sends the client \
                 secret (client_secret_basic, client_secret_post); authgate will not drop the \
                 secret silently: remove the client secret to use none, or set auth_method \
                 explicitly",
                truncate(&supported.join(", "))
            ))
        })?
    } else {
        // A client certificate authenticates where the provider takes it (RFC 8705).
        let mtls = [
            AuthMethod::TlsClientAuth,
            AuthMethod::SelfSignedTlsClientAuth,
        ];
        mtls.into_iter()
            .filter(|_| has_cert)
            .chain([AuthMethod::None, preset])
            .find(listed)
            .unwrap_or(preset)
    };
    if chosen != preset {
        log::info!(
            target: "authgate",
            "discovery: the provider does not list {}; using {}",
            preset.name(),
            chosen.name()
        );
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A discovery document is server text: what an error quotes of it is cut short, so a
    /// hostile or broken document cannot fill a log.
    #[test]
    fn errors_quote_the_document_cut_short() {
        let long = "x".repeat(10_000);
        let doc =
            format!(r#"{{"issuer":"https://{long}","token_endpoint":"https://id.example/t"}}"#);
        let err = ProviderMetadata::from_json(&doc, "https://id.example").unwrap_err();
        assert!(
            err.to_string().len() < 600,
            "{} bytes",
            err.to_string().len()
        );
        let methods: Vec<String> = (0..2_000).map(|i| format!("method_{i}")).collect();
        let err =
            choose_auth_method(&methods, AuthMethod::ClientSecretBasic, true, false).unwrap_err();
        assert!(
            err.to_string().len() < 800,
            "{} bytes",
            err.to_string().len()
        );
    }

    #[test]
    fn issuer_must_match() {
        let doc = r#"{"issuer":"https://evil.example","token_endpoint":"https://evil.example/t"}"#;
        assert!(ProviderMetadata::from_json(doc, "https://id.example").is_err());
        let doc = r#"{"issuer":"https://id.example/","token_endpoint":"https://id.example/t"}"#;
        let m = ProviderMetadata::from_json(doc, "https://id.example").unwrap();
        assert_eq!(
            m.token_endpoint_auth_methods_supported,
            ["client_secret_basic"]
        );
    }

    #[test]
    fn metadata_fills_what_is_not_set_and_picks_a_supported_auth_method() {
        let doc = r#"{"issuer":"https://id.example","authorization_endpoint":"https://id.example/a",
            "token_endpoint":"https://id.example/t","jwks_uri":"https://id.example/k",
            "token_endpoint_auth_methods_supported":["client_secret_post"],
            "code_challenge_methods_supported":["plain"]}"#;
        let m = ProviderMetadata::from_json(doc, "https://id.example").unwrap();
        let c = ClientBuilder::new(crate::Provider::Generic)
            .client_id("c")
            .client_secret("s")
            .token_endpoint("https://override.example/t")
            .provider_metadata(&m)
            .build()
            .unwrap();
        assert_eq!(c.token_endpoint(), "https://override.example/t");
        assert_eq!(c.authorization_endpoint(), Some("https://id.example/a"));
        assert_eq!(c.auth_method(), AuthMethod::ClientSecretPost);
        // PKCE stays on although only plain is listed.
        assert!(c
            .authorization_url()
            .build()
            .unwrap()
            .pkce_verifier
            .is_some());
    }
}
