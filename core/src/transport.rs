//! ureq plumbing that makes a token request cost what the wire costs:
//!
//! - [`FastResolver`]: ureq 3 resolves the host before every request, even when a pooled
//!   connection is then reused, and its default resolver does that on a new thread whenever a
//!   timeout applies. IP literals (the usual LAN token server, and every test) now resolve
//!   in place, and host names are looked up (with the default resolver, bounded by the
//!   connect timeout) at most once per [`NAME_TTL`], so a changed DNS answer is followed
//!   within that time.
//! - [`OneWrite`]: ureq sends the request head and the body in two writes, so the server
//!   wakes twice and the answer waits for the second packet. The head of a request with a
//!   body is held back and sent together with the body's first bytes.
//! - [`Tls`]: the TLS link, with the core's own certificate verifier (see `crate::tls`)
//!   instead of ureq's, which has no place for one; its configuration (trust roots,
//!   verifier) is made on the first `https://` connection.

use std::fmt;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};
use ureq::Error;

/// How long a looked-up host name's addresses are reused.
pub(crate) const NAME_TTL: Duration = Duration::from_secs(30);

/// Resolves IP literals in place and remembers host names for [`NAME_TTL`].
#[derive(Default)]
pub(crate) struct FastResolver {
    names: Mutex<Option<(String, Instant, ResolvedSocketAddrs)>>,
}

impl fmt::Debug for FastResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FastResolver")
    }
}

impl Resolver for FastResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return DefaultResolver::default().resolve(uri, config, timeout);
        };
        let port = authority.port_u16().or(match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        });
        let host = authority.host();
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let (Some(port), Ok(ip)) = (port, literal.parse::<IpAddr>()) {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let key = authority.as_str();
        let now = Instant::now();
        {
            let cached = self.names.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((name, at, addrs)) = cached.as_ref() {
                if name == key && now.saturating_duration_since(*at) < NAME_TTL {
                    return Ok(addrs.clone());
                }
            }
        }
        let addrs = DefaultResolver::default().resolve(uri, config, timeout)?;
        *self.names.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((key.to_owned(), now, addrs.clone()));
        Ok(addrs)
    }
}

/// The last link of the connector chain: wraps every connection in [`OneWriteTransport`].
#[derive(Debug)]
pub(crate) struct OneWrite;

impl<In: Transport> Connector<In> for OneWrite {
    type Out = OneWriteTransport;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        crate::wire_trace::note_new_connection();
        Ok(chained.map(|inner| OneWriteTransport {
            inner: inner.boxed(),
            held: Vec::new(),
        }))
    }
}

/// A transport that holds a request head back until the body's first bytes go out.
pub(crate) struct OneWriteTransport {
    inner: Box<dyn Transport>,
    held: Vec<u8>,
}

impl fmt::Debug for OneWriteTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneWriteTransport")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// Whether `out` is a whole request head announcing a body that ureq sends next (a
/// `Content-Length` above zero and no `Expect: 100-continue`, which waits for the server).
fn head_with_body(out: &[u8]) -> bool {
    if !out.ends_with(b"\r\n\r\n") || out.len() > 16 * 1024 {
        return false;
    }
    let mut length = false;
    for line in out.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"expect") {
            return false;
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            length = !value.is_empty() && value.iter().any(|&b| b != b'0');
        }
    }
    length
}

impl OneWriteTransport {
    /// Sends a held head on its own (before waiting for input, which a head never needs).
    fn flush_held(&mut self, timeout: NextTimeout) -> Result<(), Error> {
        if self.held.is_empty() {
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        let out = self.inner.buffers().output();
        if held.len() > out.len() {
            return Err(Error::Io(std::io::Error::other("request head too large")));
        }
        out[..held.len()].copy_from_slice(&held);
        self.inner.transmit_output(held.len(), timeout)
    }
}

impl Transport for OneWriteTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        if self.held.is_empty() {
            let out = &self.inner.buffers().output()[..amount];
            if head_with_body(out) {
                self.held.extend_from_slice(out);
                return Ok(());
            }
            return self.inner.transmit_output(amount, timeout);
        }
        let head = self.held.len();
        let out = self.inner.buffers().output();
        if head + amount <= out.len() {
            // The body's bytes move up and the head goes in front: one write.
            out.copy_within(..amount, head);
            out[..head].copy_from_slice(&self.held);
            self.held.clear();
            return self.inner.transmit_output(head + amount, timeout);
        }
        let body = out[..amount].to_vec();
        self.flush_held(timeout)?;
        self.inner.buffers().output()[..amount].copy_from_slice(&body);
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.flush_held(timeout)?;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// The TLS link of the connector chain, for `https://` addresses (not yet tunnelled).
pub(crate) struct Tls {
    pub(crate) config: crate::tls::LazyConfig,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tls")
    }
}

impl<In: Transport> Connector<In> for Tls {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| Error::BadUri(format!("{host} is not a host name TLS can check")))?;
        let config = self.config.get().map_err(|e| Error::Other(Box::new(e)))?;
        let mut conn = ClientConnection::new(config, name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned::new(conn, sock),
        })))
    }
}

/// A connection with TLS on top.
pub(crate) struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTransport").finish_non_exhaustive()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::LazyBuffers;

    /// Records what reaches the wire, one entry per write.
    #[derive(Debug)]
    struct Recorder {
        buffers: LazyBuffers,
        writes: std::sync::Arc<Mutex<Vec<Vec<u8>>>>,
    }

    impl Transport for Recorder {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }
        fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), Error> {
            let out = self.buffers.output()[..amount].to_vec();
            self.writes.lock().unwrap().push(out);
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, Error> {
            Ok(false)
        }
        fn is_open(&mut self) -> bool {
            true
        }
    }

    /// Writes `chunks` through a [`OneWriteTransport`] as ureq does (each into the output
    /// buffer, then transmitted), then waits for input; returns the writes that went out.
    fn send(chunks: &[&[u8]], output_size: usize) -> Vec<Vec<u8>> {
        let writes = std::sync::Arc::new(Mutex::new(Vec::new()));
        let inner = Recorder {
            buffers: LazyBuffers::new(1024, output_size),
            writes: writes.clone(),
        };
        let mut t = OneWriteTransport {
            inner: Box::new(inner),
            held: Vec::new(),
        };
        for chunk in chunks {
            t.buffers().output()[..chunk.len()].copy_from_slice(chunk);
            t.transmit_output(chunk.len(), NextTimeout::default())
                .unwrap();
        }
        t.await_input(NextTimeout::default()).unwrap();
        let out = writes.lock().unwrap().clone();
        out
    }

    #[test]
    fn head_and_body_leave_in_one_write() {
        let head = b"POST /token HTTP/1.1\r\nContent-Length: 24\r\n\r\n";
        let body = b"grant_type=refresh_token";
        let writes = send(&[head, body], 4096);
        assert_eq!(writes, vec![[&head[..], &body[..]].concat()]);
    }

    #[test]
    fn a_body_too_large_to_join_follows_the_head() {
        let head = b"POST /token HTTP/1.1\r\nContent-Length: 100\r\n\r\n";
        let body = [b'x'; 100];
        let writes = send(&[head, &body], 120);
        assert_eq!(writes, vec![head.to_vec(), body.to_vec()]);
    }

    #[test]
    fn a_request_without_body_and_a_lone_head_are_not_held() {
        let get = b"GET /jwks HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(send(&[get], 4096), vec![get.to_vec()]);
        // A head whose body never comes is sent before the answer is awaited.
        let head = b"POST /t HTTP/1.1\r\nContent-Length: 3\r\n\r\n";
        assert_eq!(send(&[head], 4096), vec![head.to_vec()]);
    }

    #[test]
    fn ip_literals_resolve_in_place_and_names_are_remembered() {
        let r = FastResolver::default();
        let config = Config::default();
        let one = |u: &str| {
            let uri: Uri = u.parse().unwrap();
            r.resolve(&uri, &config, NextTimeout::default()).unwrap()[0]
        };
        assert_eq!(
            one("http://127.0.0.1:8080/t"),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(one("https://[::1]/t"), "[::1]:443".parse().unwrap());
        assert_eq!(one("http://127.0.0.2/t"), "127.0.0.2:80".parse().unwrap());
        let first = one("http://localhost:9/t");
        assert!(first.ip().is_loopback());
        assert_eq!(r.names.lock().unwrap().as_ref().unwrap().0, "localhost:9");
        assert_eq!(one("http://localhost:9/t"), first);
    }

    #[test]
    fn a_head_is_held_only_when_a_body_follows() {
        let post = b"POST /token HTTP/1.1\r\nhost: a\r\ncontent-length: 12\r\n\r\n";
        assert!(head_with_body(post));
        assert!(!head_with_body(
            b"POST /t HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
        ));
        assert!(!head_with_body(b"GET /jwks HTTP/1.1\r\nhost: a\r\n\r\n"));
        assert!(!head_with_body(
            b"POST /t HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
        ));
        assert!(!head_with_body(b"grant_type=refresh_token"));
    }
}
