//! Just enough HTTP/1.1: reading requests (Content-Length bodies, keep-alive,
//! pipelining, `Expect: 100-continue`) and writing responses.
//!
//! Everything a peer sends is untrusted: every parse failure becomes a [`ReadError`]
//! carrying the answer to send, never a panic.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Largest request head (request line + headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted.
const MAX_BODY: usize = 8 * 1024 * 1024;
/// How often a blocked read wakes up to check the shutdown flag.
pub(crate) const POLL: Duration = Duration::from_millis(100);
/// How long an idle keep-alive connection (or a stalled request) is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A parsed request.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// HTTP/1.0 defaults to closing the connection; HTTP/1.1 to keeping it.
    pub http10: bool,
    /// Names lower-cased, values trimmed, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the client wants the connection closed after this exchange.
    pub fn wants_close(&self) -> bool {
        let tokens = |value: &str, token: &str| {
            value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        let connection = self
            .headers
            .iter()
            .filter(|(n, _)| n == "connection")
            .map(|(_, v)| v.as_str());
        let mut close = self.http10;
        for value in connection {
            if tokens(value, "close") {
                return true;
            }
            if tokens(value, "keep-alive") {
                close = false;
            }
        }
        close
    }

    /// The media type of the body, lower-cased, without parameters (`; charset=…`).
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }
}

/// Why no request could be read.
pub(crate) enum ReadError {
    /// Peer closed, went idle, or the server is shutting down: close without a word.
    Quiet,
    /// The request is unacceptable: send this answer, then close (the stream position is
    /// unknown afterwards, so the connection cannot be reused).
    Reject(Response),
}

/// One connection's read side: the socket plus bytes read but not yet consumed (the
/// start of a pipelined next request may already be in the buffer).
pub(crate) struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Wraps an accepted socket. Reads poll every [`POLL`] so shutdown is noticed.
    pub fn new(stream: TcpStream) -> io::Result<Conn> {
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(POLL))?;
        // A client that stops reading (say, mid oversized body) must not pin the thread.
        stream.set_write_timeout(Some(IDLE_TIMEOUT))?;
        // Answers are written in one go; no point waiting for more to coalesce.
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Reads more bytes into the buffer. `Ok(false)` means end of stream.
    fn fill(&mut self, deadline: Instant, shutdown: &AtomicBool) -> Result<bool, ReadError> {
        let mut chunk = [0u8; 8192];
        loop {
            if shutdown.load(Ordering::SeqCst) || Instant::now() >= deadline {
                return Err(ReadError::Quiet);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => return Err(ReadError::Quiet),
            }
        }
    }

    /// Reads the next complete request.
    pub fn read_request(&mut self, shutdown: &AtomicBool) -> Result<Request, ReadError> {
        let deadline = Instant::now() + IDLE_TIMEOUT;

        // RFC 9112 §2.2: a server should ignore empty lines received before a request
        // line (some clients send a stray CRLF after a body).
        let head_end = loop {
            let skip = self
                .buf
                .iter()
                .take_while(|b| **b == b'\r' || **b == b'\n')
                .count();
            self.buf.drain(..skip);
            if let Some(pos) = find(&self.buf, b"\r\n\r\n") {
                break pos;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(reject(431, "request header fields too large"));
            }
            if !self.fill(deadline, shutdown)? {
                // End of stream between requests (or within one): nothing to answer.
                return Err(ReadError::Quiet);
            }
        };

        let head: Vec<u8> = self.buf.drain(..head_end + 4).collect();
        let mut request = parse_head(&head[..head_end])?;

        let length = content_length(&request.headers)?;
        if length > MAX_BODY {
            return Err(reject(413, "request body too large"));
        }
        // curl and others wait for this before sending a larger body.
        if length > self.buf.len()
            && request
                .header("expect")
                .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        {
            let _ = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        while self.buf.len() < length {
            if !self.fill(deadline, shutdown)? {
                return Err(ReadError::Quiet);
            }
        }
        request.body = self.buf.drain(..length).collect();
        Ok(request)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn reject(status: u16, message: &str) -> ReadError {
    ReadError::Reject(Response::text(status, message))
}

/// Parses the request line and headers (without the final blank line).
fn parse_head(head: &[u8]) -> Result<Request, ReadError> {
    let head = std::str::from_utf8(head).map_err(|_| reject(400, "request head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(reject(400, "malformed request line"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(reject(400, "malformed method"));
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(reject(505, "only HTTP/1.0 and HTTP/1.1 are supported")),
    };
    // Only origin-form targets ("/path?query"): this is a server, not a proxy.
    if !target.starts_with('/') {
        return Err(reject(400, "request target must start with /"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));

    let mut headers = Vec::new();
    for line in lines {
        // Obsolete line folding is forbidden (RFC 9112 §5.2); a colon is mandatory.
        let Some((name, value)) = line.split_once(':') else {
            return Err(reject(400, "malformed header line"));
        };
        if name.is_empty()
            || name
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(reject(400, "malformed header name"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }

    // Chunked bodies are out of scope; refusing is better than misreading the stream.
    if headers.iter().any(|(n, _)| n == "transfer-encoding") {
        return Err(reject(
            501,
            "Transfer-Encoding is not supported; send Content-Length",
        ));
    }

    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        http10,
        headers,
        body: Vec::new(),
    })
}

/// The body length: every Content-Length header must be a number and agree.
fn content_length(headers: &[(String, String)]) -> Result<usize, ReadError> {
    let mut length: Option<usize> = None;
    for (_, value) in headers.iter().filter(|(n, _)| n == "content-length") {
        // Tolerate "5, 5" (a list of equal values), as RFC 9110 §8.6 allows.
        for item in value.split(',') {
            let item = item.trim();
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                return Err(reject(400, "malformed Content-Length"));
            }
            let n: usize = item
                .parse()
                .map_err(|_| reject(413, "request body too large"))?;
            if length.is_some_and(|l| l != n) {
                return Err(reject(400, "conflicting Content-Length headers"));
            }
            length = Some(n);
        }
    }
    Ok(length.unwrap_or(0))
}

/// An answer to send.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// An answer with no body.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A plain-text answer.
    pub fn text(status: u16, body: &str) -> Response {
        let mut body = body.to_string();
        body.push('\n');
        Response::empty(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(body.into_bytes())
    }

    /// A JSON answer. Token answers must not be cached (RFC 6749 §5.1), and nothing here
    /// is worth caching, so every JSON answer says so.
    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        Response::empty(status)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("Cache-Control", "no-store")
            .header("Pragma", "no-cache")
            .body(value.to_string().into_bytes())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: Vec<u8>) -> Response {
        self.body = body;
        self
    }

    /// Replaces (or adds) the Content-Type header.
    pub fn set_content_type(&mut self, value: &str) {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        self.headers
            .push(("Content-Type".to_string(), value.to_string()));
    }
}

/// The current time plus `offset_secs`, as an HTTP date (RFC 9110 §5.6.7),
/// e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(offset_secs: i64) -> String {
    format_http_date(crate::crypto::unix_now() as i64 + offset_secs)
}

fn format_http_date(now: i64) -> String {
    let (days, secs) = (now.div_euclid(86_400), now.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The reason phrase for a status (cosmetic; clients must not rely on it).
fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// The status line and headers, including Content-Length and the framing headers.
fn head_bytes(status: u16, headers: &[(String, String)], length: usize, close: bool) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        out.push_str(name);
        out.push_str(": ");
        // A CR or LF in a value (say, an injected redirect Location) would split the
        // response; drop them rather than emit a broken stream.
        out.extend(value.chars().filter(|c| *c != '\r' && *c != '\n'));
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {length}\r\n"));
    if close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Writes a whole response.
pub(crate) fn write_response(
    stream: &mut TcpStream,
    response: &Response,
    close: bool,
) -> io::Result<()> {
    let mut bytes = head_bytes(
        response.status,
        &response.headers,
        response.body.len(),
        close,
    );
    bytes.extend_from_slice(&response.body);
    stream.write_all(&bytes)?;
    stream.flush()
}

/// Writes a `200 application/json` answer of exactly `total` bytes,
/// `{"access_token":"AAAA…"}`, in chunks so a huge size costs no memory.
pub(crate) fn write_oversized(stream: &mut TcpStream, total: usize, close: bool) -> io::Result<()> {
    const PREFIX: &[u8] = b"{\"access_token\":\"";
    const SUFFIX: &[u8] = b"\"}";
    let headers = [("Content-Type".to_string(), "application/json".to_string())];
    stream.write_all(&head_bytes(200, &headers, total, close))?;
    if total < PREFIX.len() + SUFFIX.len() {
        // Too small for the full shape: the start of it is still "valid JSON so far".
        stream.write_all(&PREFIX[..total.min(PREFIX.len())])?;
        if total > PREFIX.len() {
            stream.write_all(&SUFFIX[..total - PREFIX.len()])?;
        }
        return stream.flush();
    }
    stream.write_all(PREFIX)?;
    let chunk = [b'A'; 64 * 1024];
    let mut left = total - PREFIX.len() - SUFFIX.len();
    while left > 0 {
        let n = left.min(chunk.len());
        stream.write_all(&chunk[..n])?;
        left -= n;
    }
    stream.write_all(SUFFIX)?;
    stream.flush()
}

/// Headers promising 500 bytes, then only 20 of them, then the connection closes.
pub(crate) fn write_truncated(stream: &mut TcpStream) -> io::Result<()> {
    let headers = [("Content-Type".to_string(), "application/json".to_string())];
    let mut bytes = head_bytes(200, &headers, 500, true);
    bytes.extend_from_slice(&b"{\"access_token\":\"abcdefgh"[..20]);
    stream.write_all(&bytes)?;
    stream.flush()?;
    stream.shutdown(Shutdown::Write)
}

#[cfg(test)]
mod date_tests {
    #[test]
    fn http_dates_are_rfc_9110() {
        assert_eq!(super::format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            super::format_http_date(784_111_777),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            super::format_http_date(951_782_400),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
    }
}
