//! A minimal blocking HTTP client for the CLI's ops commands (`v9bridge arm --account`).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Longest answer read.
const MAX_ANSWER: u64 = 1 << 20;

/// POSTs `body` (JSON) to `path` on the ops API at `addr` with the Bearer `token`; returns
/// the body of a 2xx answer, or the status and the body's text.
pub fn post(addr: &str, path: &str, token: &str, body: &[u8]) -> Result<String, String> {
    let sock = addr
        .to_socket_addrs()
        .map_err(|e| format!("ops address {addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("ops address {addr}: no address"))?;
    let mut s = TcpStream::connect_timeout(&sock, Duration::from_secs(5))
        .map_err(|e| format!("cannot connect to the ops API at {addr}: {e}"))?;
    let t = Some(Duration::from_secs(10));
    s.set_read_timeout(t).and_then(|()| s.set_write_timeout(t)).map_err(|e| e.to_string())?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).and_then(|()| s.write_all(body)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    s.take(MAX_ANSWER).read_to_end(&mut out).map_err(|e| format!("reading the answer: {e}"))?;
    let text = String::from_utf8_lossy(&out);
    let status: u16 = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(format!("ops API answered {status}: {body}"))
    }
}
