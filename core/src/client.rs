//! The client configuration, built once and checked at `build()`.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::client_auth::{AssertionAlg, AssertionAudience, KeySource, Signer};
use crate::error::{Error, Result};
use crate::http::{Http, HttpSettings, ProxyConfig, TrustRoots};
use crate::provider::{AuthMethod, BasicEncoding, Provider};
use crate::secret::ClientSecret;
use crate::validate;

/// An OAuth 2.0 client for one authorization server. Cheap to clone (one shared,
/// immutable configuration and one HTTP agent) and safe to share between threads.
///
/// ```
/// use authgate::{Client, Provider};
/// let client = Client::builder(Provider::GearCode)
///     .base_url("https://auth.gearcode.example")
///     .client_id("pos-42")
///     .client_secret("s3cret")
///     .redirect_uri("https://pos.example/callback")
///     .build()?;
/// assert_eq!(client.token_endpoint(), "https://auth.gearcode.example/oauth/token");
/// # Ok::<(), authgate::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub provider: Provider,
    pub authorization_endpoint: Option<Url>,
    pub token_endpoint: Url,
    pub client_id: String,
    pub client_secret: Option<ClientSecret>,
    pub auth_method: AuthMethod,
    pub basic_encoding: BasicEncoding,
    pub scopes: Vec<String>,
    pub authorization_params: Vec<(String, String)>,
    /// The authorization URL up to its per-request parameters, encoded once: the endpoint,
    /// `response_type`, `client_id`, the redirect URI and the scopes (`authorize::url_head`).
    pub authorization_url_head: Option<String>,
    /// [`Self::authorization_params`], encoded once as they follow a URL's own parameters.
    pub authorization_url_tail: String,
    pub token_params: Vec<(String, String)>,
    pub redirect_uri: Option<String>,
    pub redirect_param: String,
    pub pkce: bool,
    pub http: Http,
    pub timeout: Duration,
    pub accept_unknown_token_type: bool,
    pub oidc: Oidc,
    /// Signs client assertions (`private_key_jwt`, `client_secret_jwt`).
    pub signer: Option<Signer>,
    /// The DPoP key and the servers' nonces (RFC 9449), when the client uses DPoP.
    pub dpop: Option<crate::dpop::Dpop>,
}

/// The OpenID Connect side of a client: where its keys and extra endpoints are.
#[derive(Default)]
pub(crate) struct Oidc {
    pub issuer: Option<String>,
    /// Redirects must carry `iss` (RFC 9207): the metadata promises it.
    pub issuer_required: bool,
    pub jwks_uri: Option<Url>,
    pub userinfo_endpoint: Option<Url>,
    pub revocation_endpoint: Option<Url>,
    pub introspection_endpoint: Option<Url>,
    pub device_authorization_endpoint: Option<Url>,
    /// Where authorization requests are pushed (RFC 9126).
    pub par_endpoint: Option<Url>,
    /// Whether authorization URLs are pushed first (configured, or required by the
    /// provider's metadata).
    pub par: bool,
    pub id_token_leeway: Duration,
    /// The provider's keys, fetched on first use and again (once) on an unknown `kid`.
    pub jwks: std::sync::Mutex<Option<Arc<crate::id_token::Jwks>>>,
}

impl Inner {
    /// The longest one token request may take.
    pub fn http_timeout(&self) -> Duration {
        self.timeout
    }
}

impl Client {
    /// Starts a configuration from a preset ([`Provider::Generic`] for none).
    pub fn builder(provider: Provider) -> ClientBuilder {
        ClientBuilder::new(provider)
    }

    /// The preset this client was built from.
    pub fn provider(&self) -> Provider {
        self.inner.provider
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// Whom the tokens this client obtains belong to (recorded with stored sets).
    pub(crate) fn owner(&self) -> crate::token_set::Owner {
        crate::token_set::Owner {
            token_endpoint: self.token_endpoint().to_owned(),
            client_id: self.client_id().to_owned(),
        }
    }

    /// The token endpoint URL.
    pub fn token_endpoint(&self) -> &str {
        self.inner.token_endpoint.as_str()
    }

    /// The authorization endpoint URL, if the client has one.
    pub fn authorization_endpoint(&self) -> Option<&str> {
        self.inner.authorization_endpoint.as_ref().map(Url::as_str)
    }

    /// The client authentication method used at the token endpoint.
    pub fn auth_method(&self) -> AuthMethod {
        self.inner.auth_method
    }

    /// The default scopes.
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// Whether authorization URLs are pushed first (RFC 9126): configured with
    /// [`ClientBuilder::pushed_authorization_requests`], or required by the provider's
    /// discovered metadata. [`AuthorizationUrlBuilder::build`](crate::AuthorizationUrlBuilder::build)
    /// is then a network call.
    pub fn pushes_authorization_requests(&self) -> bool {
        self.inner.oidc.par
    }

    /// The configured redirect URI, if any.
    pub fn redirect_uri(&self) -> Option<&str> {
        self.inner.redirect_uri.as_deref()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("provider", &i.provider)
            .field("authorization_endpoint", &self.authorization_endpoint())
            .field("token_endpoint", &self.token_endpoint())
            .field("client_id", &i.client_id)
            .field("client_secret", &i.client_secret)
            .field("auth_method", &i.auth_method)
            .field("basic_encoding", &i.basic_encoding)
            .field("scopes", &i.scopes)
            .field("redirect_uri", &i.redirect_uri)
            .field("pkce", &i.pkce)
            .finish_non_exhaustive()
    }
}

/// The options that discovery fills when the configuration leaves them unset.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Discoverable {
    AuthorizationEndpoint,
    TokenEndpoint,
    Issuer,
    JwksUri,
    UserinfoEndpoint,
    RevocationEndpoint,
    IntrospectionEndpoint,
    DeviceAuthorizationEndpoint,
    PushedAuthorizationRequestEndpoint,
}

/// Builds a [`Client`]. Every setter overrides the preset; `build()` checks the whole
/// configuration and reports the first problem as [`Error::Config`].
#[derive(Clone)]
pub struct ClientBuilder {
    provider: Provider,
    base_url: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<ClientSecret>,
    auth_method: AuthMethod,
    basic_encoding: BasicEncoding,
    scopes: Vec<String>,
    authorization_params: Vec<(String, String)>,
    token_params: Vec<(String, String)>,
    redirect_uri: Option<String>,
    redirect_param: String,
    pkce: bool,
    allow_insecure_http: bool,
    accept_unknown_token_type: bool,
    dpop: bool,
    dpop_key_file: Option<PathBuf>,
    http: HttpSettings,
    auth_method_set: bool,
    /// `token_endpoint_auth_methods_supported` of discovered metadata, resolved at
    /// `build()` (the secret may be set after `discover`).
    discovered_auth_methods: Option<Vec<String>>,
    issuer_required: bool,
    issuer: Option<String>,
    jwks_uri: Option<String>,
    userinfo_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    id_token_leeway: Duration,
    client_key: Option<KeySource>,
    client_key_id: Option<String>,
    client_assertion_alg: Option<AssertionAlg>,
    client_assertion_audience: AssertionAudience,
    par_endpoint: Option<String>,
    /// Push authorization requests: configured, or required by discovered metadata.
    par: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Starts from a preset; the same as [`Client::builder`].
    pub fn new(provider: Provider) -> ClientBuilder {
        ClientBuilder {
            provider,
            base_url: None,
            authorization_endpoint: None,
            token_endpoint: None,
            client_id: None,
            client_secret: None,
            auth_method: provider.auth_method(),
            basic_encoding: provider.basic_encoding(),
            scopes: provider.scopes().iter().map(|s| s.to_string()).collect(),
            authorization_params: Vec::new(),
            token_params: Vec::new(),
            redirect_uri: None,
            redirect_param: "redirect_uri".to_owned(),
            pkce: true,
            allow_insecure_http: false,
            accept_unknown_token_type: false,
            dpop: false,
            dpop_key_file: None,
            http: HttpSettings::default(),
            auth_method_set: false,
            discovered_auth_methods: None,
            issuer_required: false,
            issuer: None,
            jwks_uri: None,
            userinfo_endpoint: None,
            revocation_endpoint: None,
            introspection_endpoint: None,
            device_authorization_endpoint: None,
            id_token_leeway: Duration::from_secs(60),
            client_key: None,
            client_key_id: None,
            client_assertion_alg: None,
            client_assertion_audience: AssertionAudience::TokenEndpoint,
            par_endpoint: None,
            par: false,
        }
    }

    /// The OpenID Connect issuer: id_tokens must carry it as `iss`. Defaults to none
    /// (set by [`discover`](Self::discover)).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Where the provider publishes its signing keys (JWKS). Defaults to none (set by discovery).
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.jwks_uri = Some(url.into());
        self
    }

    /// The UserInfo endpoint. Defaults to none (set by discovery).
    pub fn userinfo_endpoint(mut self, url: impl Into<String>) -> Self {
        self.userinfo_endpoint = Some(url.into());
        self
    }

    /// The revocation endpoint (RFC 7009). Defaults to none (set by discovery).
    pub fn revocation_endpoint(mut self, url: impl Into<String>) -> Self {
        self.revocation_endpoint = Some(url.into());
        self
    }

    /// The introspection endpoint (RFC 7662). Defaults to none (set by discovery).
    pub fn introspection_endpoint(mut self, url: impl Into<String>) -> Self {
        self.introspection_endpoint = Some(url.into());
        self
    }

    /// The device authorization endpoint (RFC 8628). Defaults to none (set by discovery).
    pub fn device_authorization_endpoint(mut self, url: impl Into<String>) -> Self {
        self.device_authorization_endpoint = Some(url.into());
        self
    }

    /// The private key that signs `private_key_jwt` assertions: PEM text (a `PRIVATE KEY`
    /// in PKCS#8, RSA of 2048 bits or more or EC P-256, or an `RSA PRIVATE KEY`), or the
    /// path of a PEM file; a value containing `-----BEGIN` is taken as the PEM itself.
    /// It may also be a private JWK (RFC 7517: RSA, or EC on P-256) or a JWK Set
    /// (`{"keys":[…]}`) with one private key or [`client_key_id`](Self::client_key_id)
    /// naming one, inline (a value starting with `{`) or in a file: the JWK's `kid` is
    /// the assertions' unless a key id is set, and its `alg` must agree with
    /// [`client_assertion_alg`](Self::client_assertion_alg).
    /// Read and parsed once, by [`build`](Self::build); wiped from memory when the
    /// builder is dropped and never shown in errors or logs. Setting it makes
    /// `private_key_jwt` the authentication method unless
    /// [`auth_method`](Self::auth_method) says otherwise. Defaults to none.
    pub fn client_key(mut self, pem_or_path: impl Into<String>) -> Self {
        self.client_key = Some(KeySource::new(pem_or_path.into()));
        self
    }

    /// The `kid` put in the header of client assertions (the key's id as registered with
    /// the provider); it also chooses the key of a JWK Set given to
    /// [`client_key`](Self::client_key). Defaults to none (a JWK's own `kid`).
    pub fn client_key_id(mut self, kid: impl Into<String>) -> Self {
        self.client_key_id = Some(kid.into());
        self
    }

    /// The algorithm that signs client assertions. Defaults to RS256 for an RSA key,
    /// ES256 for an EC key, and HS256 (the only one allowed) for `client_secret_jwt`.
    pub fn client_assertion_alg(mut self, alg: AssertionAlg) -> Self {
        self.client_assertion_alg = Some(alg);
        self
    }

    /// The `aud` of client assertions: the token endpoint (the default) or the issuer.
    pub fn client_assertion_audience(mut self, audience: AssertionAudience) -> Self {
        self.client_assertion_audience = audience;
        self
    }

    /// The pushed authorization request endpoint (RFC 9126). Defaults to none (set by
    /// discovery).
    pub fn pushed_authorization_request_endpoint(mut self, url: impl Into<String>) -> Self {
        self.par_endpoint = Some(url.into());
        self
    }

    /// Whether [`AuthorizationUrlBuilder::build`](crate::AuthorizationUrlBuilder::build)
    /// pushes the request's parameters to the pushed authorization request endpoint
    /// first (RFC 9126) and returns the short `request_uri` URL. Defaults to false, or
    /// true when discovery says `require_pushed_authorization_requests`.
    pub fn pushed_authorization_requests(mut self, enabled: bool) -> Self {
        self.par = enabled;
        self
    }

    /// The clock skew tolerated when checking an id_token's `exp`, `iat` and `nbf`.
    /// Defaults to 60 s.
    pub fn id_token_leeway(mut self, leeway: Duration) -> Self {
        self.id_token_leeway = leeway;
        self
    }

    /// Whether the configuration sets this option (discovery never overrides it).
    pub(crate) fn is_set(&self, option: Discoverable) -> bool {
        match option {
            Discoverable::AuthorizationEndpoint => self.authorization_endpoint.is_some(),
            Discoverable::TokenEndpoint => self.token_endpoint.is_some(),
            Discoverable::Issuer => self.issuer.is_some(),
            Discoverable::JwksUri => self.jwks_uri.is_some(),
            Discoverable::UserinfoEndpoint => self.userinfo_endpoint.is_some(),
            Discoverable::RevocationEndpoint => self.revocation_endpoint.is_some(),
            Discoverable::IntrospectionEndpoint => self.introspection_endpoint.is_some(),
            Discoverable::DeviceAuthorizationEndpoint => {
                self.device_authorization_endpoint.is_some()
            }
            Discoverable::PushedAuthorizationRequestEndpoint => self.par_endpoint.is_some(),
        }
    }

    /// Records what discovered metadata says beyond the endpoints: the client
    /// authentication methods the token endpoint supports (one is chosen at `build()`,
    /// when the secret is known), whether redirects must carry `iss` (RFC 9207) and
    /// whether authorization requests must be pushed (RFC 9126).
    pub(crate) fn discovered(
        mut self,
        auth_methods: Vec<String>,
        iss_required: bool,
        par_required: bool,
    ) -> Self {
        self.discovered_auth_methods = Some(auth_methods);
        self.issuer_required |= iss_required;
        self.par |= par_required;
        self
    }

    pub(crate) fn http_settings(&self) -> &HttpSettings {
        &self.http
    }

    pub(crate) fn insecure_allowed(&self) -> bool {
        self.allow_insecure_http
    }

    /// The server's base URL; the preset's paths are appended to it for the endpoints not
    /// set explicitly. Defaults to none.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The authorization endpoint. Defaults to `base_url` + the preset's path.
    pub fn authorization_endpoint(mut self, url: impl Into<String>) -> Self {
        self.authorization_endpoint = Some(url.into());
        self
    }

    /// The token endpoint (it may be on another host, as with Taxcom). Defaults to
    /// `base_url` + the preset's path.
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.token_endpoint = Some(url.into());
        self
    }

    /// The client id. Required.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// The client secret. Defaults to none (a public client).
    pub fn client_secret(mut self, secret: impl Into<ClientSecret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// How the client authenticates at the token endpoint. Defaults to the preset's.
    pub fn auth_method(mut self, method: AuthMethod) -> Self {
        self.auth_method = method;
        self.auth_method_set = true;
        self
    }

    /// How Basic credentials are encoded. Defaults to the preset's (form-encoded, raw for CUBA).
    pub fn basic_encoding(mut self, encoding: BasicEncoding) -> Self {
        self.basic_encoding = encoding;
        self
    }

    /// Replaces the default scopes. Defaults to the preset's.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a parameter to every authorization URL. Defaults to none.
    pub fn authorization_param(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.authorization_params.push((name.into(), value.into()));
        self
    }

    /// Adds a parameter to every token request (GearCode's `resource_id`). Defaults to
    /// none, except GearCode's `resource_id` = client id.
    pub fn token_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.token_params.push((name.into(), value.into()));
        self
    }

    /// The redirect URI registered for this client. Defaults to none.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// The name of the redirect parameter in the authorization URL (Taxcom's document says
    /// `redirect_url`). The token request always uses `redirect_uri`. Defaults to `redirect_uri`.
    pub fn redirect_param(mut self, name: impl Into<String>) -> Self {
        self.redirect_param = name.into();
        self
    }

    /// Whether authorization URLs carry a PKCE challenge (S256). Defaults to true.
    pub fn pkce(mut self, enabled: bool) -> Self {
        self.pkce = enabled;
        self
    }

    /// Allows plain `http://` endpoints on hosts other than loopback (a CUBA server in a
    /// LAN). Credentials then cross the network in clear text. Defaults to false.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Accepts token answers whose `token_type` is not `Bearer` (e.g. `mac`), which RFC
    /// 6749 §7.1 says a client must refuse when it does not understand the type; the
    /// type is then used as it is in [`crate::TokenSet::authorization_header`].
    /// Defaults to false.
    pub fn accept_unknown_token_type(mut self, accept: bool) -> Self {
        self.accept_unknown_token_type = accept;
        self
    }

    /// Sender-constrained tokens with DPoP (RFC 9449): every token request carries a
    /// proof signed with the client's ES256 key (generated at `build()`, or read from
    /// [`dpop_key_file`](Self::dpop_key_file)), servers' `DPoP-Nonce`s are remembered and
    /// a request refused with `use_dpop_nonce` is sent once more with the new nonce. Tokens
    /// of type `DPoP` are then accepted; call their APIs with
    /// [`Client::dpop_headers`] ([`Client::userinfo`] sends its own proof). Defaults to
    /// false.
    pub fn dpop(mut self, enabled: bool) -> Self {
        self.dpop = enabled;
        self
    }

    /// The DPoP key: a P-256 private key in a PKCS#8 PEM file (`BEGIN PRIVATE KEY`), read
    /// at `build()`. Turns [`dpop`](Self::dpop) on. Defaults to a key generated at
    /// `build()`, which lives as long as the client (a DPoP-bound refresh token stored
    /// across restarts needs the same key again: give a file).
    pub fn dpop_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.dpop_key_file = Some(path.into());
        self.dpop = true;
        self
    }

    /// The time allowed to open a connection. Defaults to 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http.connect_timeout = timeout;
        self
    }

    /// The time allowed for a whole request, from connecting to the last byte. Defaults to 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// The largest response body accepted. Defaults to 256 KiB.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.http.max_response_bytes = bytes;
        self
    }

    /// Where the proxy comes from. Defaults to [`ProxyConfig::FromEnv`].
    pub fn proxy(mut self, proxy: ProxyConfig) -> Self {
        self.http.proxy = proxy;
        self
    }

    /// Which certificate authorities to trust. Defaults to [`TrustRoots::Bundled`].
    pub fn trust_roots(mut self, roots: TrustRoots) -> Self {
        self.http.trust_roots = roots;
        self
    }

    /// Trust only the certificates in this PEM file; the same as
    /// `trust_roots(TrustRoots::CaFile(path))`.
    pub fn ca_file(self, path: impl Into<PathBuf>) -> Self {
        self.trust_roots(TrustRoots::CaFile(path.into()))
    }

    /// Mutual TLS (RFC 8705): the client certificate (a PEM file, the leaf first, then any
    /// intermediates) presented in every TLS handshake, read at `build()` with
    /// [`tls_client_key_file`](Self::tls_client_key_file). Needed by the auth methods
    /// `tls_client_auth` / `self_signed_tls_client_auth`, and for certificate-bound
    /// access tokens (which your own HTTP client then sends with the same certificate and
    /// key). With discovery, set it before [`discover`](Self::discover): the provider's
    /// `mtls_endpoint_aliases` then replace the token, revocation, introspection and
    /// device authorization endpoints. Defaults to none.
    pub fn tls_client_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.http.tls_client_cert_file = Some(path.into());
        self
    }

    /// The private key of [`tls_client_cert_file`](Self::tls_client_cert_file): a PEM file
    /// (PKCS#8, SEC1 or PKCS#1; not encrypted), read at `build()`. Defaults to none.
    pub fn tls_client_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.http.tls_client_key_file = Some(path.into());
        self
    }

    /// The User-Agent header. Defaults to `authgate/<version>`.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.http.user_agent = agent.into();
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(mut self) -> Result<Client> {
        if self.client_key.is_some() && !self.auth_method_set {
            // A key is given for one purpose only.
            self.auth_method = AuthMethod::PrivateKeyJwt;
        } else if let (Some(supported), false) =
            (&self.discovered_auth_methods, self.auth_method_set)
        {
            self.auth_method = crate::discovery::choose_auth_method(
                supported,
                self.auth_method,
                self.client_secret.is_some(),
                self.http.tls_client_cert_file.is_some(),
            )?;
        }
        let p = self.provider;
        let client_id = match self.client_id {
            Some(id) if !id.trim().is_empty() => id,
            _ => return Err(Error::Config("client_id is required".into())),
        };
        let base = self.base_url.as_deref();
        let token_endpoint = match (&self.token_endpoint, base) {
            (Some(t), _) => t.clone(),
            (None, Some(b)) => join(b, p.token_path()),
            (None, None) => {
                return Err(Error::Config(
                    "token_endpoint (or base_url) is required".into(),
                ))
            }
        };
        let authorization_endpoint = match (&self.authorization_endpoint, base) {
            (Some(a), _) => Some(a.clone()),
            (None, Some(b)) => p.authorization_path().map(|path| join(b, path)),
            (None, None) => None,
        };
        let token_endpoint =
            check_endpoint("token_endpoint", &token_endpoint, self.allow_insecure_http)?;
        let authorization_endpoint = authorization_endpoint
            .map(|a| check_endpoint("authorization_endpoint", &a, self.allow_insecure_http))
            .transpose()?;

        if self
            .client_secret
            .as_ref()
            .is_some_and(|s| s.secret().is_empty())
        {
            return Err(Error::Config("client_secret is empty".into()));
        }
        // These end up in headers (ureq panics on a line break there) or in URLs and forms,
        // where a stray line break copied with the value would silently change it.
        check_no_control("client_id", &client_id)?;
        if let Some(secret) = &self.client_secret {
            check_no_control("client_secret", secret.secret())?;
        }
        check_no_control("user_agent", &self.http.user_agent)?;
        if let Some(uri) = &self.redirect_uri {
            check_no_control("redirect_uri", uri)?;
        }
        match self.auth_method {
            m if m.is_mutual_tls() && self.http.tls_client_cert_file.is_none() => {
                return Err(Error::Config(format!(
                    "{} needs a client certificate: set tls_client_cert_file and tls_client_key_file",
                    m.name()
                )));
            }
            AuthMethod::ClientSecretBasic
            | AuthMethod::ClientSecretPost
            | AuthMethod::ClientSecretJwt
                if self.client_secret.is_none() =>
            {
                return Err(Error::Config(format!(
                    "{} needs a client_secret (or use auth method none for a public client)",
                    self.auth_method.name()
                )));
            }
            AuthMethod::ClientSecretBasic
                if self.basic_encoding == BasicEncoding::Raw && client_id.contains(':') =>
            {
                return Err(Error::Config(
                    "a client_id containing ':' cannot be sent in raw Basic credentials; use form-encoded Basic".into(),
                ));
            }
            _ => {}
        }
        let jwt = matches!(
            self.auth_method,
            AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt
        );
        let signer = jwt
            .then(|| {
                Signer::new(
                    self.auth_method == AuthMethod::PrivateKeyJwt,
                    self.client_key.as_ref(),
                    self.client_assertion_alg,
                    self.client_key_id.clone(),
                    self.client_assertion_audience,
                )
            })
            .transpose()?;
        if self.client_key.is_some() && self.auth_method != AuthMethod::PrivateKeyJwt {
            return Err(Error::Config(format!(
                "client_key is for private_key_jwt, but the auth method is {}",
                self.auth_method.name()
            )));
        }
        if !jwt
            && (self.client_key_id.is_some()
                || self.client_assertion_alg.is_some()
                || self.client_assertion_audience != AssertionAudience::TokenEndpoint)
        {
            return Err(Error::Config(format!(
                "client_key_id, client_assertion_alg and client_assertion_audience apply to private_key_jwt and client_secret_jwt, not {}",
                self.auth_method.name()
            )));
        }
        if self.client_assertion_audience == AssertionAudience::Issuer
            && jwt
            && self.issuer.is_none()
        {
            return Err(Error::Config(
                "client_assertion_audience issuer needs the issuer (set issuer, or discover)"
                    .into(),
            ));
        }
        if self.redirect_param.trim().is_empty() {
            return Err(Error::Config("redirect_param is empty".into()));
        }
        validate::scopes(&self.scopes, Error::Config)?;
        validate::params(
            "token_param",
            &self.token_params,
            validate::RESERVED_TOKEN_PARAMS,
            Error::Config,
        )?;
        validate::params(
            "authorization_param",
            &self.authorization_params,
            validate::RESERVED_AUTHORIZATION_PARAMS,
            Error::Config,
        )?;
        validate::timeout("timeout", self.http.timeout, Error::Config)?;
        validate::timeout("connect_timeout", self.http.connect_timeout, Error::Config)?;
        if self.http.max_response_bytes == 0 {
            return Err(Error::Config(
                "max_response_bytes must be greater than zero".into(),
            ));
        }

        let mut token_params = self.token_params;
        for (name, value) in p.token_params(&client_id) {
            if !token_params.iter().any(|(k, _)| k == name) {
                token_params.push((name.to_owned(), value));
            }
        }
        let http = Http::new(&self.http)?;
        let timeout = self.http.timeout;
        let optional = |what: &str, url: &Option<String>| {
            url.as_deref()
                .map(|u| check_endpoint(what, u, self.allow_insecure_http))
                .transpose()
        };
        if self.issuer.as_deref() == Some("") {
            return Err(Error::Config("issuer is empty".into()));
        }
        if self.par && self.par_endpoint.is_none() {
            return Err(Error::Config(
                "pushed_authorization_requests needs the pushed_authorization_request_endpoint (set it, or discover)".into(),
            ));
        }
        let oidc = Oidc {
            issuer: self.issuer.clone(),
            issuer_required: self.issuer_required && self.issuer.is_some(),
            jwks_uri: optional("jwks_uri", &self.jwks_uri)?,
            userinfo_endpoint: optional("userinfo_endpoint", &self.userinfo_endpoint)?,
            revocation_endpoint: optional("revocation_endpoint", &self.revocation_endpoint)?,
            introspection_endpoint: optional(
                "introspection_endpoint",
                &self.introspection_endpoint,
            )?,
            device_authorization_endpoint: optional(
                "device_authorization_endpoint",
                &self.device_authorization_endpoint,
            )?,
            par_endpoint: optional("pushed_authorization_request_endpoint", &self.par_endpoint)?,
            par: self.par,
            id_token_leeway: self.id_token_leeway,
            jwks: Default::default(),
        };
        let dpop = match (&self.dpop_key_file, self.dpop) {
            (Some(path), _) => Some(crate::dpop::DpopKey::from_pem_file(path)?),
            (None, true) => Some(crate::dpop::DpopKey::generate()?),
            (None, false) => None,
        };
        let authorization_url_head = authorization_endpoint.as_ref().map(|endpoint| {
            crate::authorize::url_head(
                endpoint,
                &client_id,
                &self.redirect_param,
                self.redirect_uri.as_deref(),
                &self.scopes,
            )
        });
        Ok(Client {
            inner: Arc::new(Inner {
                provider: p,
                authorization_url_head,
                authorization_url_tail: crate::authorize::encoded_pairs(&self.authorization_params),
                authorization_endpoint,
                token_endpoint,
                client_id,
                client_secret: self.client_secret,
                auth_method: self.auth_method,
                basic_encoding: self.basic_encoding,
                scopes: self.scopes,
                authorization_params: self.authorization_params,
                token_params,
                redirect_uri: self.redirect_uri,
                redirect_param: self.redirect_param,
                pkce: self.pkce,
                http,
                timeout,
                signer,
                accept_unknown_token_type: self.accept_unknown_token_type,
                oidc,
                dpop: dpop.map(crate::dpop::Dpop::new),
            }),
        })
    }
}

fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// Whether the URL's host is a loopback address, where plain HTTP is acceptable.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Refuses a value with a line break, NUL or another control character; the message names
/// the option, never the value (it may be a secret).
fn check_no_control(what: &str, value: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(Error::Config(format!(
            "{what} contains a line break or another control character (copied with the value?)"
        )));
    }
    Ok(())
}

pub(crate) fn check_endpoint(what: &str, raw: &str, allow_insecure_http: bool) -> Result<Url> {
    check_no_control(what, raw.trim())?;
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("{what} is not a valid URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(Error::Config(format!(
                "{what} uses plain http:// on a non-loopback host; use https:// or opt in with allow_insecure_http"
            )))
        }
        other => {
            return Err(Error::Config(format!(
                "{what} has the unsupported scheme `{other}`"
            )))
        }
    }
    if url.fragment().is_some() {
        return Err(Error::Config(format!("{what} must not have a fragment")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "{what} must not carry credentials in the URL"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<Client>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn plain_http_only_on_loopback_or_opt_in() {
        let b = || {
            Client::builder(Provider::Cuba)
                .client_id("client")
                .client_secret("secret")
        };
        assert!(msg(b().base_url("http://cuba.lan:8080").build()).contains("allow_insecure_http"));
        assert!(b()
            .base_url("http://cuba.lan:8080")
            .allow_insecure_http(true)
            .build()
            .is_ok());
        assert!(b().base_url("http://127.0.0.1:8080").build().is_ok());
        assert!(b().base_url("http://[::1]:8080").build().is_ok());
        assert!(b().base_url("http://localhost:8080").build().is_ok());
        assert!(msg(b().base_url("ftp://x").build()).contains("scheme"));
    }

    #[test]
    fn presets_fill_endpoints_and_gearcode_resource_id() {
        let c = Client::builder(Provider::GearCode)
            .base_url("https://gc.example/")
            .client_id("cid")
            .client_secret("s")
            .build()
            .unwrap();
        assert_eq!(
            c.authorization_endpoint(),
            Some("https://gc.example/oauth/authorize")
        );
        assert_eq!(c.token_endpoint(), "https://gc.example/oauth/token");
        assert!(c
            .inner
            .token_params
            .contains(&("resource_id".into(), "cid".into())));
        let t = Client::builder(Provider::Taxcom)
            .authorization_endpoint("https://auth-ofd.taxcom.ru/core/connect/authorize")
            .token_endpoint("https://ofd.taxcom.ru/core/connect/token")
            .client_id("id")
            .client_secret("s")
            .build()
            .unwrap();
        assert_eq!(t.scopes(), ["api"]);
        assert_eq!(t.auth_method(), AuthMethod::ClientSecretBasic);
    }

    #[test]
    fn configuration_mistakes_are_named() {
        assert!(msg(Client::builder(Provider::Generic).build()).contains("client_id"));
        let b = || {
            Client::builder(Provider::Generic)
                .client_id("x")
                .base_url("https://a.example")
        };
        assert!(msg(b().build()).contains("client_secret"));
        assert!(msg(b()
            .client_secret("s")
            .token_param("grant_type", "x")
            .build())
        .contains("grant_type"));
        assert!(msg(b().client_secret("").build()).contains("empty"));
        assert!(msg(b().client_secret("s").timeout(Duration::ZERO).build()).contains("timeouts"));
        assert!(b().auth_method(AuthMethod::None).build().is_ok());
        let debug = format!("{:?}", b().client_secret("hunter22").build().unwrap());
        assert!(!debug.contains("hunter22"), "{debug}");
    }

    #[test]
    fn values_that_would_break_a_header_or_url_are_refused_at_build() {
        let b = || {
            Client::builder(Provider::Generic)
                .client_id("x")
                .client_secret("s")
                .base_url("https://a.example")
        };
        for bad in ["pos\r\nX-Evil: 1", "pos\n", "a\0b", "a\x7fb"] {
            let e = b().user_agent(bad).build().unwrap_err();
            assert!(matches!(e, Error::Config(_)), "{e:?}");
            assert!(e.to_string().contains("user_agent"), "{e}");
        }
        assert!(b().user_agent("POS/1.0 (кассa; ok)").build().is_ok());
        let e = b().client_secret("hunter22\n").build().unwrap_err();
        assert!(e.to_string().contains("client_secret"), "{e}");
        assert!(!e.to_string().contains("hunter22"), "{e}");
        assert!(msg(b().client_id("id\r\n").build()).contains("client_id"));
        assert!(
            msg(b().token_endpoint("https://a.example/to\nken").build()).contains("token_endpoint")
        );
        assert!(
            msg(b().redirect_uri("https://pos.example/cb\r\n").build()).contains("redirect_uri")
        );
        assert!(msg(b().scopes(["api\n"]).build()).contains("scope"));
    }
}
