//! The client options: flags, `AUTHGATE_*` variables and a JSON file, merged into the
//! JSON object that `ClientBuilder::from_json` (and the C ABI) reads.

use std::path::PathBuf;

use authgate::{Client, ClientBuilder, Error, Result};
use clap::builder::FalseyValueParser;
use clap::Args;
use serde_json::{Map, Value};

/// Every client option. Names and variables are those of the quickstart
/// (`--provider`, `--base-url`, `AUTHGATE_CLIENT_SECRET`, …), so its instructions still work.
/// No `Debug`: it holds the client secret (and the argument structs the password and tokens).
#[derive(Args, Default, Clone)]
#[command(next_help_heading = "Client options (also AUTHGATE_* variables or --config keys)")]
pub struct ClientOpts {
    /// A JSON configuration file with the keys of ClientBuilder::from_json / the C ABI
    /// (provider, base_url, client_id, client_secret, auth_method, scopes, ca_file, …).
    #[arg(long, global = true, env = "AUTHGATE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The provider preset: generic, taxcom, kontur, gearcode or cuba.
    #[arg(long, global = true, env = "AUTHGATE_PROVIDER")]
    pub provider: Option<String>,
    /// The server's base URL; the preset's paths are added to it.
    #[arg(long, global = true, env = "AUTHGATE_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// The authorization endpoint (default: base URL + the preset's path).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_AUTHORIZATION_ENDPOINT",
        value_name = "URL"
    )]
    pub authorization_endpoint: Option<String>,
    /// The token endpoint (default: base URL + the preset's path).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_TOKEN_ENDPOINT",
        value_name = "URL"
    )]
    pub token_endpoint: Option<String>,
    /// The client id.
    #[arg(long, global = true, env = "AUTHGATE_CLIENT_ID")]
    pub client_id: Option<String>,
    /// The client secret (prefer the variable: a flag is visible to other users in `ps`).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
    /// How the client authenticates: client_secret_basic, client_secret_post or none.
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_AUTH_METHOD",
        value_name = "METHOD"
    )]
    pub auth_method: Option<String>,
    /// How Basic credentials are encoded: form or raw.
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_BASIC_ENCODING",
        value_name = "ENCODING"
    )]
    pub basic_encoding: Option<String>,
    /// The registered redirect URI (code flow).
    #[arg(long, global = true, env = "AUTHGATE_REDIRECT_URI", value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// The redirect parameter's name in the authorization URL (Taxcom: redirect_url).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_REDIRECT_PARAM",
        value_name = "NAME"
    )]
    pub redirect_param: Option<String>,
    /// The scopes, separated by spaces (default: the preset's).
    #[arg(long, global = true, env = "AUTHGATE_SCOPE")]
    pub scope: Option<String>,
    /// An extra token request parameter, NAME=VALUE (repeatable).
    #[arg(long, global = true, value_name = "NAME=VALUE")]
    pub token_param: Vec<String>,
    /// An extra authorization URL parameter, NAME=VALUE (repeatable).
    #[arg(long, global = true, value_name = "NAME=VALUE")]
    pub authorization_param: Vec<String>,
    /// Turns PKCE off (only for servers that refuse it).
    #[arg(long, global = true, env = "AUTHGATE_NO_PKCE", value_parser = FalseyValueParser::new())]
    pub no_pkce: bool,
    /// Allows plain http:// to a host other than loopback (a LAN server without TLS).
    #[arg(long, global = true, env = "AUTHGATE_INSECURE_HTTP", value_parser = FalseyValueParser::new())]
    pub insecure_http: bool,
    /// Accepts token types other than Bearer.
    #[arg(long, global = true, env = "AUTHGATE_ACCEPT_UNKNOWN_TOKEN_TYPE", value_parser = FalseyValueParser::new())]
    pub accept_unknown_token_type: bool,
    /// The OpenID Connect issuer: its discovery document fills in the endpoints.
    #[arg(long, global = true, env = "AUTHGATE_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,
    /// The proxy: env (HTTPS_PROXY and friends, the default), none, or a proxy URL.
    #[arg(long, global = true, env = "AUTHGATE_PROXY")]
    pub proxy: Option<String>,
    /// Which CAs to trust: bundled (Mozilla's, the default) or system (the OS store,
    /// where a corporate proxy's CA is installed).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_TRUST_ROOTS",
        value_name = "ROOTS"
    )]
    pub trust_roots: Option<String>,
    /// Trusts only the CAs in this PEM file (a private or national CA).
    #[arg(long, global = true, env = "AUTHGATE_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// The connect timeout in milliseconds (default 10000).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_CONNECT_TIMEOUT_MS",
        value_name = "MS"
    )]
    pub connect_timeout_ms: Option<u64>,
    /// The timeout of a whole request in milliseconds (default 30000).
    #[arg(long, global = true, env = "AUTHGATE_TIMEOUT_MS", value_name = "MS")]
    pub timeout_ms: Option<u64>,
    /// The largest answer accepted, in bytes (default 262144).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_MAX_RESPONSE_BYTES",
        value_name = "BYTES"
    )]
    pub max_response_bytes: Option<u64>,
    /// The User-Agent header.
    #[arg(long, global = true, env = "AUTHGATE_USER_AGENT")]
    pub user_agent: Option<String>,
    /// The JWKS URI (default: from discovery).
    #[arg(long, global = true, env = "AUTHGATE_JWKS_URI", value_name = "URL")]
    pub jwks_uri: Option<String>,
    /// The UserInfo endpoint (default: from discovery).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_USERINFO_ENDPOINT",
        value_name = "URL"
    )]
    pub userinfo_endpoint: Option<String>,
    /// The revocation endpoint (default: from discovery).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_REVOCATION_ENDPOINT",
        value_name = "URL"
    )]
    pub revocation_endpoint: Option<String>,
    /// The introspection endpoint (default: from discovery).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_INTROSPECTION_ENDPOINT",
        value_name = "URL"
    )]
    pub introspection_endpoint: Option<String>,
    /// The device authorization endpoint (default: from discovery).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_DEVICE_AUTHORIZATION_ENDPOINT",
        value_name = "URL"
    )]
    pub device_authorization_endpoint: Option<String>,
    /// The clock skew tolerated in id_tokens, in milliseconds (default 60000).
    #[arg(
        long,
        global = true,
        env = "AUTHGATE_ID_TOKEN_LEEWAY_MS",
        value_name = "MS"
    )]
    pub id_token_leeway_ms: Option<u64>,
}

impl ClientOpts {
    /// The merged configuration as one JSON object: the file, then the variables and
    /// flags (clap has already let a flag beat its variable). The issuer given as a
    /// flag or variable is left out: [`ClientOpts::builder`] discovers it.
    pub fn json(&self) -> Result<Map<String, Value>> {
        let mut obj = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::Config(format!("cannot read --config {}: {e}", path.display()))
                })?;
                match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(obj)) => obj,
                    _ => {
                        return Err(Error::Config(format!(
                            "--config {} is not a JSON object",
                            path.display()
                        )))
                    }
                }
            }
            None => Map::new(),
        };
        let strings = [
            ("provider", &self.provider),
            ("base_url", &self.base_url),
            ("authorization_endpoint", &self.authorization_endpoint),
            ("token_endpoint", &self.token_endpoint),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("auth_method", &self.auth_method),
            ("basic_encoding", &self.basic_encoding),
            ("redirect_uri", &self.redirect_uri),
            ("redirect_param", &self.redirect_param),
            ("scopes", &self.scope),
            ("proxy", &self.proxy),
            ("trust_roots", &self.trust_roots),
            ("user_agent", &self.user_agent),
            ("jwks_uri", &self.jwks_uri),
            ("userinfo_endpoint", &self.userinfo_endpoint),
            ("revocation_endpoint", &self.revocation_endpoint),
            ("introspection_endpoint", &self.introspection_endpoint),
            (
                "device_authorization_endpoint",
                &self.device_authorization_endpoint,
            ),
        ];
        let numbers = [
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("timeout_ms", self.timeout_ms),
            ("max_response_bytes", self.max_response_bytes),
            ("id_token_leeway_ms", self.id_token_leeway_ms),
        ];
        let mut set = |key: &str, v: Option<Value>| {
            if let Some(v) = v {
                obj.insert(key.to_owned(), v);
            }
        };
        for (key, v) in strings {
            set(key, v.clone().map(Value::from));
        }
        for (key, v) in numbers {
            set(key, v.map(Value::from));
        }
        set("pkce", self.no_pkce.then_some(Value::Bool(false)));
        set(
            "allow_insecure_http",
            self.insecure_http.then_some(Value::Bool(true)),
        );
        set(
            "accept_unknown_token_type",
            self.accept_unknown_token_type.then_some(Value::Bool(true)),
        );
        set(
            "ca_file",
            self.ca_file
                .as_ref()
                .map(|p| Value::from(p.display().to_string())),
        );
        set("token_params", pairs("--token-param", &self.token_param)?);
        set(
            "authorization_params",
            pairs("--authorization-param", &self.authorization_param)?,
        );
        Ok(obj)
    }

    /// The builder, with discovery run when an issuer was given as a flag or variable.
    pub fn builder(&self) -> Result<ClientBuilder> {
        let b = ClientBuilder::from_json(&Value::Object(self.json()?).to_string())?;
        match &self.issuer {
            Some(issuer) => b.discover(issuer),
            None => Ok(b),
        }
    }

    /// The client.
    pub fn client(&self) -> Result<Client> {
        self.builder()?.build()
    }
}

/// `NAME=VALUE` options as a JSON object, in place of the file's.
fn pairs(flag: &str, items: &[String]) -> Result<Option<Value>> {
    if items.is_empty() {
        return Ok(None);
    }
    let mut map = Map::new();
    for item in items {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| Error::Config(format!("{flag} takes NAME=VALUE, not {item:?}")))?;
        map.insert(k.to_owned(), v.into());
    }
    Ok(Some(Value::Object(map)))
}
