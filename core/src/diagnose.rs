//! Harmless requests that tell whether a configuration works, for `authgate doctor` and
//! support tools: nothing here spends a code, a refresh token or a password.

use crate::client::Client;
use crate::error::{Endpoint, Error, OAuthError, Result, UnexpectedResponse};

/// The grant type of the probe: no server grants it, so the answer is always an error.
const PROBE_GRANT: &str = "urn:authgate:params:grant-type:probe";

impl Client {
    /// Sends the token endpoint a request for a grant type no server supports, with the
    /// client's authentication, and returns the OAuth error it answers (RFC 6749 §5.2).
    /// Nothing is spent: no code, refresh token or password is sent.
    ///
    /// The expected answer is `unsupported_grant_type` (or `invalid_request`, or
    /// `unauthorized_client`); `invalid_client` means the server refused the client's
    /// credentials or the way they were sent ([`Client::auth_method`]). Anything that is
    /// not an OAuth error (a 404 page, a redirect) is the usual [`Error`], e.g.
    /// [`Error::UnexpectedResponse`] for a wrong token endpoint path.
    pub fn probe_token_endpoint(&self) -> Result<OAuthError> {
        let endpoint = self.inner.token_endpoint.clone();
        let grant = [("grant_type", PROBE_GRANT)];
        match self.post_authenticated(Endpoint::Token, &endpoint, &grant, &[]) {
            Err(Error::OAuth(e)) => Ok(*e),
            Err(e) => Err(e),
            Ok(_) => {
                let r = UnexpectedResponse::new(
                    200,
                    "the token endpoint accepted a grant type that does not exist",
                );
                Err(Error::UnexpectedResponse(Box::new(r)).at(Endpoint::Token, endpoint.as_str()))
            }
        }
    }
}
