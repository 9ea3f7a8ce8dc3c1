//! Pushed authorization requests (RFC 9126): the authorization request's parameters go
//! to the server over the back channel, authenticated like a token request, and the
//! browser gets only the short `request_uri` the server answered.

use serde_json::Value;

use crate::client::Client;
use crate::error::{Endpoint, Error, Result, UnexpectedResponse};

impl Client {
    /// POSTs the authorization request's parameters to the pushed authorization request
    /// endpoint and returns the `request_uri` answered.
    pub(crate) fn push_authorization_request(&self, params: &[(&str, &str)]) -> Result<String> {
        let url = self.inner.oidc.par_endpoint.as_ref().ok_or_else(|| {
            Error::Config(
                "the client has no pushed_authorization_request_endpoint (set it, or discover)"
                    .into(),
            )
        })?;
        log::debug!(target: "authgate", "POST {url} (pushed authorization request)");
        let answer = self.post_authenticated(Endpoint::PushedAuthorization, url, params, &[])?;
        answer
            .as_ref()
            .and_then(|obj| obj.get("request_uri"))
            .and_then(Value::as_str)
            .filter(|uri| !uri.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                let r = UnexpectedResponse::new(
                    201,
                    "the pushed authorization request answer has no request_uri",
                );
                Error::UnexpectedResponse(Box::new(r))
                    .at(Endpoint::PushedAuthorization, url.as_str())
            })
    }
}
