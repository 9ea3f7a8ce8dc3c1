//! A forward proxy that wants credentials: it answers every request, a `CONNECT` or a
//! proxied plain request, with `407 Proxy Authentication Required`, whatever
//! `Proxy-Authorization` it got.
//!
//! ```no_run
//! let port = authgate_emulator::proxy::answering_407();
//! let proxy = format!("http://127.0.0.1:{port}");
//! ```

use std::io::{Read, Write};
use std::net::TcpListener;

/// Starts the proxy on 127.0.0.1 (a free port), on a thread of its own; returns the port.
pub fn answering_407() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("the bound address").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            read_head(&mut conn);
            let _ = conn.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"corp\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    port
}

/// Reads a request head (up to its blank line, or the end of the stream) and returns it
/// with whatever part of the body came with it.
pub(crate) fn read_head(stream: &mut impl Read) -> Vec<u8> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    head
}
