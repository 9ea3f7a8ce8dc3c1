//! What the tool prints: token sets masked, JSON when asked, errors with what to do.

use std::sync::Mutex;

use authgate::{Error, ErrorCode, TokenSet, TransportKind};

/// The endpoint the command is talking to, named in its error report: the library's
/// errors say what happened, this says where.
static ENDPOINT: Mutex<Option<String>> = Mutex::new(None);

/// Records the endpoint the next requests go to, e.g. `("token endpoint", url)`.
pub fn set_endpoint(role: &str, url: &str) {
    *ENDPOINT.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!("{role} {url}"));
}

/// The first four characters and the length: enough to tell tokens apart, not to use one.
pub fn mask(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}…[{} chars]", secret.chars().count())
}

/// Prints a token set: masked, or the stored JSON with `raw_json`.
pub fn show_tokens(t: &TokenSet, raw_json: bool) {
    if raw_json {
        println!("{}", t.to_json());
        return;
    }
    println!("access_token   {}", mask(t.access_token().secret()));
    println!("token_type     {}", t.token_type());
    match t.expires_in() {
        Some(s) => println!("expires_in     {s} s"),
        None => println!("expires_in     (not given)"),
    }
    if let Some(rt) = t.refresh_token() {
        println!("refresh_token  {}", mask(rt.secret()));
    }
    if let Some(s) = t.scope() {
        println!("scope          {s}");
    }
    if let Some(id) = t.id_token() {
        println!("id_token       {}", mask(id.secret()));
    }
    for w in t.warnings() {
        println!("note           {w}");
    }
}

/// Prints the error and a line saying what to do next.
pub fn report_error(e: &Error) {
    eprintln!("error: {e}");
    if let Some(o) = e.oauth() {
        eprintln!("  OAuth error: {}", o.error);
    }
    let network = matches!(
        e,
        Error::Transport { .. }
            | Error::Timeout(_)
            | Error::UnexpectedResponse(_)
            | Error::OAuth(_)
            | Error::BodyTooLarge { .. }
    );
    // Transport errors and unexpected answers name their address themselves.
    if let (true, None, Some(at)) = (
        network,
        e.url(),
        ENDPOINT.lock().unwrap_or_else(|p| p.into_inner()).as_ref(),
    ) {
        eprintln!("  at: {at}");
    }
    eprintln!("  what to do: {}", hint(e));
}

/// What to do about an error, in a sentence.
pub fn hint(e: &Error) -> String {
    let code = e.code();
    match e {
        Error::Transport {
            kind: TransportKind::Tls,
            ..
        } => "the server's certificate is not trusted: pass --ca-file FILE with the CA that \
              signed it (PEM), or --trust-roots system if the CA is installed in the operating \
              system (a corporate proxy); also check this computer's clock"
            .into(),
        Error::Transport {
            kind: TransportKind::Proxy,
            ..
        } => "the proxy failed: check HTTPS_PROXY / --proxy (and its credentials), or bypass it \
              with --proxy none"
            .into(),
        Error::Transport {
            kind: TransportKind::Dns,
            ..
        } => "the host name does not resolve: check the URL's host and the DNS settings".into(),
        Error::Transport {
            kind: TransportKind::Connect,
            ..
        } => "nothing answers at that address: check the URL's host and port, the firewall, \
              and whether a proxy is needed (--proxy)"
            .into(),
        Error::UnexpectedResponse(r) if r.status == 404 => {
            "the URL is wrong (HTTP 404): check --base-url / --token-endpoint; `authgate doctor` \
             shows which URL was used"
                .into()
        }
        _ if e.is_transient() => match e.retry_after() {
            Some(d) => format!("try again in {} s", d.as_secs()),
            None => "try again later".into(),
        },
        _ => match code {
            ErrorCode::InvalidClient => {
                "the server refused the client id or secret, or the way \
                 they are sent: check them, and try --auth-method client_secret_post or \
                 client_secret_basic (`authgate doctor` compares with what the provider advertises)"
                    .into()
            }
            ErrorCode::InvalidGrant => {
                "the code, refresh token or password is no longer valid: sign in again".into()
            }
            ErrorCode::SignInRequired => {
                "sign in again, e.g. `authgate token … --save FILE`".into()
            }
            ErrorCode::Store => {
                "check the token file's path, its folder and their permissions".into()
            }
            ErrorCode::Config | ErrorCode::InvalidArgument => {
                "fix the option named above (see authgate --help)".into()
            }
            ErrorCode::InvalidScope => "ask for scopes the client is allowed (--scope)".into(),
            ErrorCode::UnsupportedGrantType | ErrorCode::UnauthorizedClient => {
                "this client may not use this flow: pick another --flow or ask the provider".into()
            }
            _ => "run `authgate doctor` with the same options, and add --trace to see the exchange"
                .into(),
        },
    }
}
