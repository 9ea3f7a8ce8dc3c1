//! The accept loop, the per-connection loop, and the fault layer in front of the
//! dialect handlers.

use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::json;

use crate::http::{self, Conn, ReadError, Request, Response};
use crate::providers::{self, Params};
use crate::state::Shared;
use crate::{control, echo, Dialect, FaultKind, RecordedRequest};

/// Starts the accept loop on its own thread.
pub(crate) fn spawn(listener: TcpListener, shared: Arc<Shared>) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name("emulator-accept".into())
        .spawn(move || accept_loop(listener, shared))
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        match stream {
            Ok(stream) => {
                let shared = Arc::clone(&shared);
                let spawned = thread::Builder::new()
                    .name("emulator-conn".into())
                    .spawn(move || serve_connection(stream, &shared));
                if spawned.is_err() {
                    // Out of threads: the stream was moved into the failed closure and is
                    // closed; back off briefly instead of spinning.
                    thread::sleep(Duration::from_millis(10));
                }
            }
            // E.g. EMFILE or a connection reset before accept: back off, keep serving.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// What to do with the connection after a request.
enum Action {
    Respond(Response),
    /// Close without answering.
    Drop,
    /// Headers for 500 bytes, 20 bytes, close.
    Truncated,
    /// A `200` JSON body of this many bytes, streamed.
    Oversized(usize),
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let Ok(mut conn) = Conn::new(stream) else {
        return;
    };
    loop {
        let request = match conn.read_request(&shared.shutdown) {
            Ok(request) => request,
            Err(ReadError::Quiet) => return,
            Err(ReadError::Reject(response)) => {
                let _ = http::write_response(&mut conn.stream, &response, true);
                let _ = conn.stream.shutdown(Shutdown::Write);
                return;
            }
        };
        let close = request.wants_close();
        let written = match dispatch(shared, &request) {
            Action::Respond(mut response) => {
                let offset = shared.clock_offset.load(Ordering::Relaxed);
                response = response.header("Date", &http::http_date(offset));
                // An HTTP/1.0 client keeps the connection only if told so explicitly.
                if request.http10 && !close {
                    response = response.header("Connection", "keep-alive");
                }
                http::write_response(&mut conn.stream, &response, close)
            }
            Action::Oversized(bytes) => http::write_oversized(&mut conn.stream, bytes, close),
            Action::Truncated => {
                let _ = http::write_truncated(&mut conn.stream);
                return;
            }
            Action::Drop => {
                let _ = conn.stream.shutdown(Shutdown::Both);
                return;
            }
        };
        if written.is_err() || close {
            let _ = conn.stream.shutdown(Shutdown::Write);
            return;
        }
    }
}

/// Routes one request: control API, else count it, apply a fault if one is queued,
/// else let the dialect answer.
fn dispatch(shared: &Shared, request: &Request) -> Action {
    if control::is_control(&request.path) {
        return Action::Respond(control::handle(shared, request));
    }

    let is_refresh = is_refresh_grant(request);
    let fault = {
        let mut state = shared.lock();
        state.record(RecordedRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            headers: request.headers.clone(),
            body: String::from_utf8_lossy(&request.body).into_owned(),
        });
        state.take_fault(&request.path, is_refresh)
    };

    let Some(kind) = fault else {
        return Action::Respond(route_with_dpop(shared, request));
    };
    match kind {
        FaultKind::Delay(duration) => {
            // Sleep outside the lock so other connections proceed meanwhile.
            thread::sleep(duration);
            Action::Respond(providers::route(shared, request))
        }
        FaultKind::Status {
            status,
            retry_after,
        } => {
            let mut response = Response::text(status, &format!("{status} emulated failure"));
            if let Some(seconds) = retry_after {
                response = response.header("Retry-After", &seconds.to_string());
            }
            Action::Respond(response)
        }
        FaultKind::Html { status } => Action::Respond(html_error_page(status)),
        FaultKind::InvalidJson => Action::Respond(
            Response::empty(200)
                .header("Content-Type", "application/json")
                .body(b"{\"access_token\": \"abc\",".to_vec()),
        ),
        FaultKind::Oversized { bytes } => Action::Oversized(bytes),
        FaultKind::Drop => Action::Drop,
        FaultKind::Truncated => Action::Truncated,
        FaultKind::Redirect { location } => {
            Action::Respond(Response::empty(302).header("Location", &location))
        }
        FaultKind::OkWithError => Action::Respond(Response::json(
            200,
            &json!({
                "error": "invalid_grant",
                "error_description": "The grant is invalid (emulated error in a 200 answer)",
            }),
        )),
        FaultKind::WrongContentType => {
            let mut response = providers::route(shared, request);
            response.set_content_type("text/plain");
            Action::Respond(response)
        }
        FaultKind::RevokedRefreshToken => {
            let params = Params::parse(&request.body);
            let token = params.get("refresh_token").unwrap_or("");
            Action::Respond(providers::revoked_refresh_answer(
                Dialect::from_token_path(&request.path),
                token,
            ))
        }
        FaultKind::Callback { name, value } => {
            let mut response = providers::route(shared, request);
            rewrite_location(&mut response, &name, value.as_deref());
            Action::Respond(response)
        }
        FaultKind::AnswerFields { fields } => {
            let mut response = providers::route(shared, request);
            splice_fields(&mut response, &fields);
            Action::Respond(response)
        }
        // Never taken here (see `State::take_fault`): the handler that issues the
        // id_token takes them. Answer normally should one ever get this far.
        FaultKind::IdTokenWrongNonce
        | FaultKind::IdTokenWrongAudience
        | FaultKind::IdTokenWrongIssuer
        | FaultKind::IdTokenExpired
        | FaultKind::IdTokenBadSignature
        | FaultKind::IdTokenAlgNone
        | FaultKind::IdTokenHmacConfusion
        | FaultKind::IdTokenUnknownKid => Action::Respond(providers::route(shared, request)),
        FaultKind::Echo { place, encoding } => {
            Action::Respond(echo::answer(shared, request, place, encoding))
        }
    }
}

/// The dialect's answer, behind the DPoP checks of token endpoints, the resource and
/// UserInfo, and the certificate binding of tokens; or the mutual TLS provider's.
fn route_with_dpop(shared: &Shared, request: &Request) -> Response {
    if let Some(answer) = crate::mtls::route(shared, request) {
        return answer;
    }
    if let Some(refusal) = crate::mtls::resource(shared, request) {
        return refusal;
    }
    if Dialect::from_token_path(&request.path).is_some() {
        return crate::dpop::token_endpoint(shared, request, || providers::route(shared, request));
    }
    // The protected resources: the API and UserInfo take a DPoP-bound token only with a
    // proof (RFC 9449 §7.1).
    if [
        crate::fixtures::RESOURCE_PATH,
        crate::fixtures::KONTUR_USERINFO_PATH,
    ]
    .contains(&request.path.as_str())
    {
        if let Some(refusal) = crate::dpop::resource(shared, request) {
            return refusal;
        }
    }
    providers::route(shared, request)
}

/// Sets (or removes) one query parameter of a redirect's `Location`, keeping the others
/// byte for byte.
fn rewrite_location(response: &mut Response, name: &str, value: Option<&str>) {
    let Some((_, location)) = response
        .headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case("location"))
    else {
        return;
    };
    let (base, query) = location.split_once('?').unwrap_or((location.as_str(), ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .map(str::to_owned)
        .collect();
    if let Some(v) = value {
        pairs.push(format!("{name}={v}"));
    }
    *location = format!("{base}?{}", pairs.join("&"));
}

/// Replaces (or removes) top-level fields of a 2xx JSON object answer with raw bytes.
fn splice_fields(response: &mut Response, fields: &[(String, Option<Vec<u8>>)]) {
    if !(200..300).contains(&response.status) {
        return;
    }
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(&response.body) else {
        return;
    };
    for (name, _) in fields {
        object.remove(name);
    }
    let mut body = serde_json::Value::Object(object).to_string().into_bytes();
    body.pop(); // the closing brace
    for (name, raw) in fields {
        let Some(raw) = raw else { continue };
        if body.len() > 1 {
            body.push(b',');
        }
        body.extend_from_slice(
            serde_json::Value::from(name.as_str())
                .to_string()
                .as_bytes(),
        );
        body.push(b':');
        body.extend_from_slice(raw);
    }
    body.push(b'}');
    response.body = body;
}

/// Whether the request is a form POST with `grant_type=refresh_token`.
fn is_refresh_grant(request: &Request) -> bool {
    request.method == "POST"
        && Params::parse(&request.body).get("grant_type") == Some("refresh_token")
}

/// The kind of page nginx serves when the upstream is down.
fn html_error_page(status: u16) -> Response {
    let title = match status {
        500 => "500 Internal Server Error",
        502 => "502 Bad Gateway",
        503 => "503 Service Temporarily Unavailable",
        504 => "504 Gateway Time-out",
        _ => "",
    };
    let title = if title.is_empty() {
        format!("{status} Error")
    } else {
        title.to_string()
    };
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
    );
    Response::empty(status)
        .header("Server", "nginx/1.24.0")
        .header("Content-Type", "text/html")
        .body(page.into_bytes())
}
