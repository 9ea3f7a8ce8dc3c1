//! Provider presets: pre-filled configurations for the servers described in PROVIDERS.md.

/// A provider preset. A preset only pre-fills [`crate::ClientBuilder`]; every option stays
/// overridable.
///
/// | preset | paths under `base_url` | client auth | other defaults |
/// |---|---|---|---|
/// | `Generic` | `/authorize`, `/token` | `client_secret_basic` (form-encoded) | — |
/// | `Taxcom` | `/core/connect/authorize`, `/core/connect/token` | `client_secret_basic` | scope `api`; no refresh token |
/// | `KonturExtern` | `/connect/authorize`, `/connect/token` | `client_secret_post` | scopes `openid extern.api`; nonce |
/// | `GearCode` | `/oauth/authorize`, `/oauth/token` | `client_secret_post` | `resource_id` = client id on every token request |
/// | `Cuba` | — , `/app/rest/v2/oauth/token` | `client_secret_basic`, raw | password grant; plain HTTP in a LAN needs [`crate::ClientBuilder::allow_insecure_http`] |
///
/// Taxcom's token endpoint lives on another host (`auth-<server>.taxcom.ru` authorizes,
/// `<server>.taxcom.ru` issues tokens): set both endpoints explicitly for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum Provider {
    /// Plain RFC 6749 with no provider quirks.
    Generic = 0,
    /// Taxcom's cash-register API (IdentityServer).
    Taxcom = 1,
    /// Kontur.Extern (OpenID Connect).
    KonturExtern = 2,
    /// GearCode GC.AUTH.
    GearCode = 3,
    /// The CUBA platform's REST API (Spring Security OAuth2).
    Cuba = 4,
}

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
///
/// Always explicit: authgate never tries one style and retries with another, because a
/// failed first try can burn a one-time code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum AuthMethod {
    /// `Authorization: Basic base64(id:secret)`.
    ClientSecretBasic = 0,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost = 1,
    /// A public client: only `client_id` in the body.
    None = 2,
    /// A JWT signed with the client's private key (RFC 7523 §2.2, OpenID Connect Core
    /// §9): see [`crate::ClientBuilder::client_key`].
    PrivateKeyJwt = 3,
    /// A JWT signed HS256 with the client secret (OpenID Connect Core §9).
    ClientSecretJwt = 4,
    /// Mutual TLS with a PKI certificate (RFC 8705 §2.1): `client_id` in the body, the
    /// client certificate ([`ClientBuilder::tls_client_cert_file`](crate::ClientBuilder::tls_client_cert_file))
    /// in the TLS handshake.
    TlsClientAuth = 5,
    /// Mutual TLS with a self-signed certificate registered with the provider (RFC 8705
    /// §2.2): as [`TlsClientAuth`](Self::TlsClientAuth) on the wire.
    SelfSignedTlsClientAuth = 6,
}

/// How the id and secret are encoded inside HTTP Basic credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum BasicEncoding {
    /// RFC 6749 §2.3.1: form-encode id and secret, then base64 `id:secret`.
    FormUrlEncoded = 0,
    /// base64 of the raw `id:secret`, as Spring-based servers (CUBA) expect: they do not
    /// URL-decode the parts.
    Raw = 1,
}

impl AuthMethod {
    /// The RFC 7591 name: `client_secret_basic`, `client_secret_post`, `none`,
    /// `private_key_jwt` or `client_secret_jwt`.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::ClientSecretJwt => "client_secret_jwt",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    /// The method with that name (also `basic` and `post`).
    pub fn from_name(name: &str) -> Option<AuthMethod> {
        match name.to_ascii_lowercase().as_str() {
            "client_secret_basic" | "basic" => Some(AuthMethod::ClientSecretBasic),
            "client_secret_post" | "post" => Some(AuthMethod::ClientSecretPost),
            "none" => Some(AuthMethod::None),
            "private_key_jwt" => Some(AuthMethod::PrivateKeyJwt),
            "client_secret_jwt" => Some(AuthMethod::ClientSecretJwt),
            "tls_client_auth" => Some(AuthMethod::TlsClientAuth),
            "self_signed_tls_client_auth" => Some(AuthMethod::SelfSignedTlsClientAuth),
            _ => None,
        }
    }

    /// The method with that number (the `#[repr(u32)]` value).
    pub fn from_u32(n: u32) -> Option<AuthMethod> {
        [
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost,
            AuthMethod::None,
            AuthMethod::PrivateKeyJwt,
            AuthMethod::ClientSecretJwt,
            AuthMethod::TlsClientAuth,
            AuthMethod::SelfSignedTlsClientAuth,
        ]
        .into_iter()
        .find(|m| *m as u32 == n)
    }

    /// Whether the client authenticates with its TLS certificate (RFC 8705).
    pub fn is_mutual_tls(self) -> bool {
        matches!(
            self,
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
        )
    }
}

impl BasicEncoding {
    /// The encoding's name, as the JSON configuration spells it: `form` or `raw`.
    pub fn name(self) -> &'static str {
        match self {
            BasicEncoding::FormUrlEncoded => "form",
            BasicEncoding::Raw => "raw",
        }
    }

    /// The encoding with that name: `form` (also `form_urlencoded`, `rfc6749`) or `raw`.
    pub fn from_name(name: &str) -> Option<BasicEncoding> {
        match name.to_ascii_lowercase().as_str() {
            "form" | "form_urlencoded" | "rfc6749" => Some(BasicEncoding::FormUrlEncoded),
            "raw" => Some(BasicEncoding::Raw),
            _ => None,
        }
    }

    /// The encoding with that number (the `#[repr(u32)]` value).
    pub fn from_u32(n: u32) -> Option<BasicEncoding> {
        [BasicEncoding::FormUrlEncoded, BasicEncoding::Raw]
            .get(n as usize)
            .copied()
    }
}

impl Provider {
    /// Every preset, in numeric order.
    pub const ALL: [Provider; 5] = [
        Provider::Generic,
        Provider::Taxcom,
        Provider::KonturExtern,
        Provider::GearCode,
        Provider::Cuba,
    ];

    /// The preset's short name, as used in JSON configuration and by the C and Python layers:
    /// `generic`, `taxcom`, `kontur`, `gearcode`, `cuba`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Generic => "generic",
            Provider::Taxcom => "taxcom",
            Provider::KonturExtern => "kontur",
            Provider::GearCode => "gearcode",
            Provider::Cuba => "cuba",
        }
    }

    /// The preset with that short name (case-insensitive; `kontur_extern` is accepted too).
    ///
    /// ```
    /// assert_eq!(authgate::Provider::from_name("GearCode"), Some(authgate::Provider::GearCode));
    /// ```
    pub fn from_name(name: &str) -> Option<Provider> {
        match name.to_ascii_lowercase().as_str() {
            "generic" => Some(Provider::Generic),
            "taxcom" => Some(Provider::Taxcom),
            "kontur" | "kontur_extern" => Some(Provider::KonturExtern),
            "gearcode" => Some(Provider::GearCode),
            "cuba" => Some(Provider::Cuba),
            _ => None,
        }
    }

    /// The preset with that number (the `#[repr(u32)]` value).
    pub fn from_u32(n: u32) -> Option<Provider> {
        Provider::ALL.get(n as usize).copied()
    }

    pub(crate) fn authorization_path(self) -> Option<&'static str> {
        match self {
            Provider::Generic => Some("/authorize"),
            Provider::Taxcom => Some("/core/connect/authorize"),
            Provider::KonturExtern => Some("/connect/authorize"),
            Provider::GearCode => Some("/oauth/authorize"),
            Provider::Cuba => None,
        }
    }

    pub(crate) fn token_path(self) -> &'static str {
        match self {
            Provider::Generic => "/token",
            Provider::Taxcom => "/core/connect/token",
            Provider::KonturExtern => "/connect/token",
            Provider::GearCode => "/oauth/token",
            Provider::Cuba => "/app/rest/v2/oauth/token",
        }
    }

    pub(crate) fn auth_method(self) -> AuthMethod {
        match self {
            Provider::Generic | Provider::Taxcom | Provider::Cuba => AuthMethod::ClientSecretBasic,
            Provider::KonturExtern | Provider::GearCode => AuthMethod::ClientSecretPost,
        }
    }

    pub(crate) fn basic_encoding(self) -> BasicEncoding {
        match self {
            Provider::Cuba => BasicEncoding::Raw,
            _ => BasicEncoding::FormUrlEncoded,
        }
    }

    /// The parameters the preset adds to every token request unless the configuration
    /// sets them: GearCode wants its `resource_id`, which is the client id.
    pub(crate) fn token_params(self, client_id: &str) -> Vec<(&'static str, String)> {
        match self {
            Provider::GearCode => vec![("resource_id", client_id.to_owned())],
            _ => Vec::new(),
        }
    }

    pub(crate) fn scopes(self) -> &'static [&'static str] {
        match self {
            Provider::Taxcom => &["api"],
            Provider::KonturExtern => &["openid", "extern.api"],
            _ => &[],
        }
    }
}
