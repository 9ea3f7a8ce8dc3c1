//! The OpenID Connect and RFC side requests: UserInfo, revocation (RFC 7009) and
//! introspection (RFC 7662).

use serde_json::{Map, Value};
use url::Url;

use crate::client::Client;
use crate::endpoint::{bearer_error, json_answer};
use crate::error::{Endpoint, Error, Result};
use crate::redact::Scrubber;
use crate::secret::AccessToken;

/// What the introspection endpoint says of a token (RFC 7662 §2.2).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Introspection {
    /// Whether the token is currently active.
    pub active: bool,
    /// `scope`, if given.
    pub scope: Option<String>,
    /// `client_id`, if given.
    pub client_id: Option<String>,
    /// `sub`, if given.
    pub subject: Option<String>,
    /// `exp` in Unix seconds, if given.
    pub expires_at: Option<u64>,
    /// The whole answer.
    pub raw: Map<String, Value>,
}

impl Introspection {
    /// The answer as one JSON object, as the C ABI hands it out: every field of `raw`,
    /// with `active` always a boolean, and `scope`, `client_id`, `sub` and `exp` as read
    /// (absent when not usable).
    pub fn to_json(&self) -> String {
        let mut obj = self.raw.clone();
        obj.insert("active".into(), self.active.into());
        let mut put = |k: &str, v: Option<Value>| match v {
            Some(v) => obj.insert(k.into(), v),
            None => obj.remove(k),
        };
        put("scope", self.scope.clone().map(Value::from));
        put("client_id", self.client_id.clone().map(Value::from));
        put("sub", self.subject.clone().map(Value::from));
        put("exp", self.expires_at.map(Value::from));
        Value::Object(obj).to_string()
    }
}

impl Client {
    fn endpoint<'a>(&self, url: &'a Option<Url>, what: &str) -> Result<&'a Url> {
        url.as_ref().ok_or_else(|| {
            Error::Config(format!(
                "the client has no {what} (set it, or use discover)"
            ))
        })
    }

    /// Asks the UserInfo endpoint about the signed-in user (OpenID Connect Core §5.3).
    ///
    /// The token goes as `Authorization: Bearer <token>`; when the client uses DPoP, as
    /// `Authorization: DPoP <token>` with a proof bound to it (RFC 9449 §7.1), sent once
    /// more when the server answers `use_dpop_nonce` with a new `DPoP-Nonce`, and once
    /// more as a bearer token when the server's 401 challenge does not name DPoP (a
    /// provider that ignored the proofs and issued a bearer token).
    ///
    /// ```no_run
    /// # use authgate::{Client, Provider, TokenSet};
    /// # let client = Client::builder(Provider::KonturExtern).client_id("c").client_secret("s")
    /// #     .discover("https://identity.testkontur.ru")?.build()?;
    /// # let tokens = TokenSet::parse(r#"{"access_token":"a"}"#)?;
    /// let user = client.userinfo(tokens.access_token())?;
    /// println!("{}", user["sub"]);
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn userinfo(&self, access_token: &AccessToken) -> Result<Map<String, Value>> {
        let url = self.endpoint(&self.inner.oidc.userinfo_endpoint, "userinfo_endpoint")?;
        let resp = self.get_protected(Endpoint::UserInfo, url.as_str(), access_token)?;
        let mut scrubber = Scrubber::default();
        scrubber.add(access_token.secret());
        if resp.status == 401 {
            if let Some(e) = bearer_error(&resp, &scrubber) {
                return Err(e);
            }
        }
        json_answer(&resp, &scrubber).map(|(obj, _)| obj)
    }

    /// Revokes a token (RFC 7009): `token_type_hint` is `access_token` or `refresh_token`
    /// when known. Revoking an unknown or already revoked token succeeds, as the RFC says.
    /// No DPoP proof is sent, even with DPoP: the request authenticates the client, and
    /// the token is a parameter, not a credential presented (RFC 9449 defines proofs for
    /// the token endpoint and protected resources only).
    ///
    /// ```no_run
    /// # use authgate::{Client, Provider, TokenSet};
    /// # let client = Client::builder(Provider::KonturExtern).client_id("c").client_secret("s")
    /// #     .discover("https://identity.testkontur.ru")?.build()?;
    /// # let tokens = TokenSet::parse(r#"{"access_token":"a","refresh_token":"r"}"#)?;
    /// client.revoke(tokens.refresh_token().unwrap().secret(), Some("refresh_token"))?;
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn revoke(&self, token: &str, token_type_hint: Option<&str>) -> Result<()> {
        let url = self.endpoint(&self.inner.oidc.revocation_endpoint, "revocation_endpoint")?;
        if token.is_empty() {
            return Err(Error::InvalidArgument(
                "the token to revoke is empty".into(),
            ));
        }
        let mut params = vec![("token", token)];
        if let Some(h) = token_type_hint {
            params.push(("token_type_hint", h));
        }
        self.post_authenticated(Endpoint::Revocation, url, &params, &[token])?;
        Ok(())
    }

    /// Asks whether a token is active (RFC 7662).
    pub fn introspect(&self, token: &str) -> Result<Introspection> {
        let url = self.endpoint(
            &self.inner.oidc.introspection_endpoint,
            "introspection_endpoint",
        )?;
        if token.is_empty() {
            return Err(Error::InvalidArgument(
                "the token to introspect is empty".into(),
            ));
        }
        let raw = self
            .post_authenticated(Endpoint::Introspection, url, &[("token", token)], &[token])?
            .ok_or_else(|| Error::InvalidArgument("the introspection answer is empty".into()))?;
        let text = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(Introspection {
            active: raw.get("active").and_then(Value::as_bool).unwrap_or(false),
            scope: text("scope"),
            client_id: text("client_id"),
            subject: text("sub"),
            expires_at: raw.get("exp").and_then(Value::as_u64),
            raw,
        })
    }
}
