//! The benchmarks' floor: a token server that does as little as a server can.
//!
//! It answers every request on a kept-alive connection with the same small token answer,
//! after reading the request head and `Content-Length` bytes of body. Nothing is parsed,
//! checked or recorded, so that what a benchmark measures against it is the client's cost
//! plus the wire's, and a raw-socket client against the same server gives the wire's alone.
//!
//! ```no_run
//! let server = authgate_emulator::wire::WireServer::start().expect("bind");
//! println!("POST anything to {}", server.url("/token"));
//! ```

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

/// The token answer every request gets (a refresh answer that keeps its refresh token).
pub const ANSWER: &str = "{\"access_token\":\"wire-access-token-0123456789abcdef\",\
\"token_type\":\"Bearer\",\"expires_in\":3600,\"scope\":\"api\"}";

/// A running floor server on an ephemeral loopback port; it lives until the process ends.
pub struct WireServer {
    addr: SocketAddr,
}

impl WireServer {
    /// Starts the server on `127.0.0.1:0`, one thread per connection.
    pub fn start() -> io::Result<WireServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || serve(stream));
            }
        });
        Ok(WireServer { addr })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn serve(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n\
         Content-Length: {}\r\n\r\n{ANSWER}",
        ANSWER.len()
    );
    let mut buf = vec![0u8; 64 * 1024];
    let mut filled = 0;
    loop {
        // Read until a whole request (head and body) is in the buffer.
        let (head_end, body_len) = loop {
            if let Some(end) = find(&buf[..filled], b"\r\n\r\n") {
                let end = end + 4;
                break (end, content_length(&buf[..end]));
            }
            if filled == buf.len() {
                return;
            }
            match stream.read(&mut buf[filled..]) {
                Ok(0) | Err(_) => return,
                Ok(n) => filled += n,
            }
        };
        let total = head_end + body_len;
        if total > buf.len() {
            return;
        }
        while filled < total {
            match stream.read(&mut buf[filled..]) {
                Ok(0) | Err(_) => return,
                Ok(n) => filled += n,
            }
        }
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
        buf.copy_within(total..filled, 0);
        filled -= total;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    let text = String::from_utf8_lossy(head);
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}
