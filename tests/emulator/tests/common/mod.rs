//! Helpers shared by the integration tests: raw HTTP/1.1 over TcpStream.
#![allow(dead_code)] // Each test file uses its own subset.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use authgate_emulator::fixtures::*;
use authgate_emulator::Emulator;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::Value;
use url::form_urlencoded;

/// A parsed answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub fn connect(emu: &Emulator) -> TcpStream {
    let stream = TcpStream::connect(emu.addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
}

/// Reads one response (Content-Length framed) from the stream.
pub fn read_reply(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Reply {
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).expect("read head");
        assert!(n > 0, "connection closed before a full head");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).expect("utf-8 head");
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    buf.drain(..head_end + 4);
    while buf.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).expect("read body");
        assert!(n > 0, "connection closed mid-body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8(buf.drain(..length).collect()).expect("utf-8 body");
    Reply {
        status,
        headers,
        body,
    }
}

/// Sends one request on a fresh connection.
pub fn request(
    emu: &Emulator,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut stream = connect(emu);
    let mut raw = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        emu.addr()
    );
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(raw.as_bytes()).expect("write");
    read_reply(&mut stream, &mut Vec::new())
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

pub fn post_form(
    emu: &Emulator,
    path: &str,
    headers: &[(&str, &str)],
    pairs: &[(&str, &str)],
) -> Reply {
    let mut all = vec![FORM];
    all.extend_from_slice(headers);
    request(emu, "POST", path, &all, &form(pairs))
}

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// Runs the authorize step and returns the query parameters of the redirect.
pub fn authorize(emu: &Emulator, path: &str, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let reply = request(emu, "GET", &format!("{path}?{}", form(pairs)), &[], "");
    assert_eq!(reply.status, 302, "{}", reply.body);
    let location = reply.header("Location").expect("Location");
    let query = location
        .strip_prefix(&format!("{REDIRECT_URI}?"))
        .unwrap_or_else(|| panic!("redirect to the wrong place: {location}"));
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Sends a control command with a JSON body; asserts it succeeded.
pub fn control(emu: &Emulator, command: &str, body: &str) -> Value {
    let reply = request(
        emu,
        "POST",
        &format!("/_emulator/{command}"),
        &[("Content-Type", "application/json")],
        body,
    );
    assert_eq!(reply.status, 200, "{command}: {}", reply.body);
    reply.json()
}

/// The decoded header and claims of a JWT, and its three raw parts.
pub fn decode_jwt(token: &str) -> (Value, Value, Vec<String>) {
    let parts: Vec<String> = token.split('.').map(str::to_string).collect();
    assert_eq!(parts.len(), 3, "{token}");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
    };
    (decode(&parts[0]), decode(&parts[1]), parts)
}

/// The Kontur client's credentials, for client_secret_post.
pub const KONTUR_CLIENT: [(&str, &str); 2] = [
    ("client_id", KONTUR_CLIENT_ID),
    ("client_secret", KONTUR_CLIENT_SECRET),
];

/// The query of a valid Kontur authorization request with this scope and redirect URI.
pub fn kontur_authorize_query(scope: &str, redirect_uri: &str) -> String {
    form(&[
        ("response_type", "code"),
        ("client_id", KONTUR_CLIENT_ID),
        ("scope", scope),
        ("redirect_uri", redirect_uri),
        ("state", "st"),
        ("nonce", "n-1"),
    ])
}

/// Runs Kontur's code flow (auto-approve) and returns the token answer.
pub fn kontur_tokens(emu: &Emulator, scope: &str) -> Value {
    let redirect = authorize(
        emu,
        KONTUR_AUTHORIZE_PATH,
        &[
            ("response_type", "code"),
            ("client_id", KONTUR_CLIENT_ID),
            ("scope", scope),
            ("redirect_uri", REDIRECT_URI),
            ("state", "st"),
            ("nonce", "n-1"),
        ],
    );
    let code = param(&redirect, "code").expect("code");
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    pairs.extend(KONTUR_CLIENT);
    let reply = post_form(emu, KONTUR_TOKEN_PATH, &[], &pairs);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}
