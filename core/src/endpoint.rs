//! What every request to the server's back-channel endpoints shares: the client's
//! authentication (RFC 6749 §2.3), the authenticated form POST (revocation,
//! introspection, device authorization), and the classification of a JSON answer and of a
//! resource server's `WWW-Authenticate` error (RFC 6750 §3).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use crate::client::Client;
use crate::error::{Endpoint, Error, OAuthError, Result, UnexpectedResponse};
use crate::http::HttpResponse;
use crate::provider::{AuthMethod, BasicEncoding};
use crate::redact::{excerpt, truncate, Scrubber, ServerText};
use crate::token_set::{repair_json, Repair};

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Client {
    /// Adds the client's authentication to a form (client_secret_post, none, a fresh
    /// client assertion for private_key_jwt and client_secret_jwt) or returns the
    /// `Authorization` header value (client_secret_basic). Never both, never a guess, and
    /// never retried with another method.
    pub(crate) fn authenticate(
        &self,
        form: &mut url::form_urlencoded::Serializer<'_, String>,
    ) -> Result<Option<String>> {
        let inner = &self.inner;
        Ok(match inner.auth_method {
            AuthMethod::ClientSecretBasic => {
                let secret = inner
                    .client_secret
                    .as_ref()
                    .map(|s| s.secret())
                    .unwrap_or("");
                let pair = match inner.basic_encoding {
                    BasicEncoding::FormUrlEncoded => {
                        format!("{}:{}", form_encode(&inner.client_id), form_encode(secret))
                    }
                    BasicEncoding::Raw => format!("{}:{}", inner.client_id, secret),
                };
                Some(format!("Basic {}", STANDARD.encode(pair)))
            }
            AuthMethod::ClientSecretPost => {
                form.append_pair("client_id", &inner.client_id);
                if let Some(s) = &inner.client_secret {
                    form.append_pair("client_secret", s.secret());
                }
                None
            }
            // Mutual TLS: the certificate in the handshake authenticates (RFC 8705 §2).
            AuthMethod::None | AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
                form.append_pair("client_id", &inner.client_id);
                None
            }
            AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt => {
                form.append_pair("client_id", &inner.client_id);
                form.append_pair("client_assertion_type", crate::client_auth::ASSERTION_TYPE);
                form.append_pair("client_assertion", &self.client_assertion()?);
                None
            }
        })
    }

    /// The client assertion a form body carries, for the scrubber: a server that echoes it
    /// must not get it into an error.
    pub(crate) fn sent_assertion(&self, body: &str) -> Option<String> {
        self.inner.signer.as_ref()?;
        url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "client_assertion")
            .map(|(_, v)| v.into_owned())
    }

    /// A fresh client assertion, addressed as configured.
    fn client_assertion(&self) -> Result<String> {
        let inner = &self.inner;
        let signer = inner
            .signer
            .as_ref()
            .ok_or_else(|| Error::Config("the client has no assertion signer".into()))?;
        let aud = match signer.audience {
            crate::AssertionAudience::TokenEndpoint => inner.token_endpoint.as_str(),
            // `build()` refuses the issuer audience without an issuer.
            crate::AssertionAudience::Issuer => inner.oidc.issuer.as_deref().unwrap_or(""),
        };
        let secret = inner.client_secret.as_ref().map_or("", |s| s.secret());
        signer.assertion(&inner.client_id, aud, secret)
    }

    /// POSTs `params` with the client's authentication to `url` (revocation, introspection,
    /// device authorization) and returns the answer's JSON object, or `None` for an empty
    /// 2xx body.
    pub(crate) fn post_authenticated(
        &self,
        endpoint: Endpoint,
        url: &url::Url,
        params: &[(&str, &str)],
        secrets: &[&str],
    ) -> Result<Option<serde_json::Map<String, Value>>> {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let authorization = self.authenticate(&mut form)?;
        let body = form.finish();
        let mut headers = Vec::new();
        if let Some(a) = &authorization {
            headers.push(("Authorization", a.as_str()));
        }
        let resp = self
            .inner
            .http
            .post_form(endpoint, url.as_str(), &headers, &body)?;
        let assertion = self.sent_assertion(&body);
        let mut scrubber = Scrubber::default();
        if let Some(s) = &self.inner.client_secret {
            scrubber.add(s.secret());
        }
        if let Some(a) = &assertion {
            scrubber.add(a);
        }
        for s in secrets {
            scrubber.add(s);
        }
        if (200..300).contains(&resp.status) && resp.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        json_answer(&resp, &scrubber).map(|(obj, _)| Some(obj))
    }
}

/// Classifies an answer that should be a JSON object: returns it (and whether the content
/// type said JSON) for a 2xx answer, else the OAuth error it carries, else an
/// [`Error::UnexpectedResponse`] describing what came instead. Values a strict parser
/// refuses (bytes that are not UTF-8, numbers out of range) are patched and logged.
pub(crate) fn json_answer(
    resp: &HttpResponse,
    scrubber: &Scrubber<'_>,
) -> Result<(serde_json::Map<String, Value>, bool)> {
    let (object, json_type, repairs) = json_answer_repaired(resp, scrubber)?;
    for r in &repairs {
        log::warn!(
            target: "authgate",
            "lenient answer: {} holds {}; patched",
            r.field,
            if r.invalid_utf8 { "bytes that are not UTF-8" } else { "a number out of range" }
        );
    }
    Ok((object, json_type))
}

/// [`json_answer`], returning what was patched instead of logging it.
pub(crate) fn json_answer_repaired(
    resp: &HttpResponse,
    scrubber: &Scrubber<'_>,
) -> Result<(serde_json::Map<String, Value>, bool, Vec<Repair>)> {
    let status = resp.status;
    let unexpected = |reason: String| {
        let mut r = UnexpectedResponse::new(status, reason);
        r.content_type = resp.content_type.as_ref().map(|c| scrubber.media_type(c));
        r.excerpt = excerpt(&resp.body, scrubber);
        r.retry_after = resp.retry_after;
        resp.blame(Error::UnexpectedResponse(Box::new(r)))
    };
    if (300..400).contains(&status) {
        // The location may carry anything: show where it points, without its query, scrubbed.
        let target = scrubber.redirect_target(resp.location.as_ref());
        return Err(unexpected(format!(
            "the server redirected to {target}; authgate never follows redirects on back-channel requests"
        )));
    }

    let mime = resp
        .content_type
        .as_ref()
        .and_then(|c| c.untrusted().split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let json_type = mime.ends_with("/json") || mime.ends_with("+json");
    let (object, repairs) = match serde_json::from_slice::<Value>(&resp.body) {
        Ok(Value::Object(map)) => (Some(map), Vec::new()),
        Ok(_) => (None, Vec::new()),
        Err(_) => repair_json(&resp.body).map_or((None, Vec::new()), |(m, r)| (Some(m), r)),
    };

    let Some(object) = object else {
        let looks_html = {
            let head = String::from_utf8_lossy(&resp.body[..resp.body.len().min(512)])
                .to_ascii_lowercase();
            mime == "text/html" || head.contains("<html") || head.contains("<!doctype")
        };
        if status == 401 {
            if let Some(e) = bearer_error(resp, scrubber) {
                return Err(e);
            }
        }
        let reason = match (status, resp.body.is_empty(), looks_html) {
            (_, true, _) => "empty body",
            (200..=299, _, true) => "an HTML page instead of a JSON answer",
            (200..=299, _, false) => "a body that is not a JSON object",
            (_, _, true) => "an HTTP error with an HTML page (a proxy or server error page)",
            _ => "an HTTP error without an OAuth error body",
        };
        return Err(unexpected(reason.to_owned()));
    };

    // `"error": null` or `""` next to tokens is what some .NET and Java serialisers write
    // for "no error".
    let error = object
        .get("error")
        .filter(|e| !e.is_null() && e.as_str() != Some(""));
    if let Some(error) = error {
        let error = match error {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if (200..300).contains(&status) {
            log::warn!(target: "authgate", "lenient answer: an HTTP {status} answer carries an OAuth error");
        }
        let text = |k: &str| {
            object
                .get(k)
                .and_then(Value::as_str)
                .map(|s| scrubber.show(&ServerText::new(s)))
        };
        return Err(Error::OAuth(Box::new(OAuthError {
            error: scrubber.error_code(&error),
            description: text("error_description"),
            uri: text("error_uri"),
            status: Some(status),
            www_authenticate: resp.www_authenticate.as_ref().map(|w| scrubber.show(w)),
            retry_after: resp.retry_after,
        })));
    }
    if !(200..300).contains(&status) {
        return Err(unexpected(
            "an HTTP error without an OAuth error field".into(),
        ));
    }
    Ok((object, json_type, repairs))
}

/// The quoted parameter `name` of a `WWW-Authenticate` challenge (`error="invalid_token"`
/// gives `invalid_token` for `error`), if present.
pub(crate) fn challenge_param(text: &str, name: &str) -> Option<String> {
    let start = text.find(&format!("{name}=\""))? + name.len() + 2;
    let end = text[start..].find('"')? + start;
    Some(text[start..end].to_owned())
}

/// The error of a 401 from a resource server (RFC 6750 §3): `WWW-Authenticate: Bearer error="…"`.
pub(crate) fn bearer_error(resp: &HttpResponse, scrubber: &Scrubber<'_>) -> Option<Error> {
    let header = resp.www_authenticate.as_ref()?;
    // The code is read from the header as sent (it decides the error kind), and shown
    // scrubbed; the free-text fields are read from the scrubbed header, so that cutting
    // them out cannot split an echoed secret.
    let error = challenge_param(header.untrusted(), "error")
        .map(|e| scrubber.error_code(&e))
        .unwrap_or_else(|| "invalid_token".into());
    let scrubbed = scrubber.scrub(header.untrusted());
    Some(Error::OAuth(Box::new(OAuthError {
        error,
        description: challenge_param(&scrubbed, "error_description").map(|d| truncate(&d)),
        uri: challenge_param(&scrubbed, "error_uri").map(|u| truncate(&u)),
        status: Some(resp.status),
        www_authenticate: Some(truncate(&scrubbed)),
        retry_after: resp.retry_after,
    })))
}
