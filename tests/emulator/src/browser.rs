//! The "browser" of tests and the quickstart: follows an authorization URL to the redirect
//! the emulator answers with (its test user approves at once), with no HTTP client crate.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// GETs `url` (plain `http://` only) and returns the `Location` of its `302` answer: the
/// redirect URI with the code and state, as a browser would be sent to.
///
/// ```no_run
/// # let authorization_url = "";
/// let callback = authgate_emulator::browse(authorization_url)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn browse(url: &str) -> io::Result<String> {
    let (status, head, _) = get(url)?;
    if status != "302" {
        return Err(io::Error::other(format!(
            "the authorization endpoint answered {status}, not a redirect"
        )));
    }
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        })
        .ok_or_else(|| io::Error::other("a redirect without Location"))
}

/// Plays the whole browser of a loopback sign-in: follows the authorization URL to the
/// redirect ([`browse`]), then GETs that redirect URI (the application's loopback
/// listener) as a browser would, and returns the page the application answered with.
///
/// ```no_run
/// # let authorization_url = "";
/// let page = authgate_emulator::browse_to_the_app(authorization_url)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn browse_to_the_app(url: &str) -> io::Result<String> {
    let (status, _, body) = get(&browse(url)?)?;
    if status != "200" {
        return Err(io::Error::other(format!(
            "the application answered {status}"
        )));
    }
    Ok(body)
}

/// GETs `url` (plain `http://` only); returns the status, the head and the body.
fn get(url: &str) -> io::Result<(String, String, String)> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, what.to_owned());
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("only http:// URLs can be browsed"))?;
    let (host, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: text/html\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).unwrap_or("").to_owned();
    Ok((status, head.to_owned(), body.to_owned()))
}
