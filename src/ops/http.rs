//! HTTP/1.1 requests and responses, on top of httparse: bounded headers, bounded bodies, no
//! chunked bodies, keep-alive. Pure functions over byte slices; the server does the I/O.

use std::fmt::Write as _;

/// Most header bytes before a request is refused with 431.
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Most headers per request.
const MAX_HEADERS: usize = 32;

/// A parsed request, borrowing the connection's input buffer.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path without the query (`/api/v1/positions`).
    pub path: &'a str,
    /// The raw query, without `?` (empty when none).
    pub query: &'a str,
    /// `Authorization` header value.
    pub authorization: Option<&'a str>,
    /// `Upgrade: websocket` with `Sec-WebSocket-Key`: the key.
    pub ws_key: Option<&'a str>,
    /// The client wants the connection closed after this response.
    pub close: bool,
    /// The body (`Content-Length` bytes).
    pub body: &'a [u8],
}

/// What the input buffer holds.
#[derive(Debug)]
pub(crate) enum Parsed<'a> {
    /// A whole request, and the bytes it took.
    Complete(Request<'a>, usize),
    /// Not yet a whole request.
    Partial,
    /// A request to refuse: status, reason (the connection closes after the answer).
    Refuse(u16, &'static str),
}

/// Parses one request from `buf`; bodies over `max_body` are refused before they arrive.
pub(crate) fn parse(buf: &[u8], max_body: usize) -> Parsed<'_> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEADER_BYTES => {
            return Parsed::Refuse(431, "request headers too large");
        }
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Refuse(431, "too many headers"),
        Err(_) => return Parsed::Refuse(400, "malformed request"),
    };
    if head > MAX_HEADER_BYTES {
        return Parsed::Refuse(431, "request headers too large");
    }
    let (Some(method), Some(target)) = (req.method, req.path) else {
        return Parsed::Refuse(400, "malformed request");
    };
    let mut len = 0usize;
    let (mut authorization, mut key, mut upgrade, mut close) = (None, None, false, false);
    close |= req.version == Some(0);
    for h in req.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            match value.parse::<usize>() {
                Ok(n) => len = n,
                Err(_) => return Parsed::Refuse(400, "bad Content-Length"),
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Parsed::Refuse(411, "chunked bodies are not accepted; send Content-Length");
        } else if name.eq_ignore_ascii_case("authorization") {
            authorization = Some(value);
        } else if name.eq_ignore_ascii_case("upgrade") {
            upgrade = value.eq_ignore_ascii_case("websocket");
        } else if name.eq_ignore_ascii_case("sec-websocket-key") {
            key = Some(value);
        } else if name.eq_ignore_ascii_case("connection") {
            close |= value.eq_ignore_ascii_case("close");
        }
    }
    if len > max_body {
        return Parsed::Refuse(413, "request body too large");
    }
    if buf.len() < head + len {
        return Parsed::Partial;
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let request = Request {
        method,
        path,
        query,
        authorization,
        ws_key: key.filter(|_| upgrade),
        close,
        body: &buf[head..head + len],
    };
    Parsed::Complete(request, head + len)
}

/// The value of `name` in a query string, percent-decoded (`+` is a space).
pub(crate) fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (decode(k).as_deref() == Some(name)).then(|| decode(v)).flatten()
    })
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The reason phrase of a status.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Content types the server sends.
pub(crate) const JSON: &str = "application/json";
/// Prometheus text exposition format.
pub(crate) const PROM: &str = "text/plain; version=0.0.4; charset=utf-8";
/// The dashboard.
pub(crate) const HTML: &str = "text/html; charset=utf-8";

/// Appends a whole response (headers and body) to `out`.
pub(crate) fn respond(out: &mut Vec<u8>, status: u16, ctype: &str, body: &[u8], close: bool) {
    let mut head = String::with_capacity(256);
    let _ = write!(
        head,
        "HTTP/1.1 {status} {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
        reason(status),
        body.len()
    );
    if ctype == HTML {
        // Everything is inline; nothing may load from elsewhere (the machines are offline anyway).
        head.push_str(
            "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; \
             style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:\r\n",
        );
    }
    if status == 401 {
        head.push_str("WWW-Authenticate: Bearer\r\n");
    }
    head.push_str(if close {
        "Connection: close\r\n\r\n"
    } else {
        "Connection: keep-alive\r\n\r\n"
    });
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
}

/// `{"error": text}` as bytes.
pub(crate) fn error_body(text: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "error": text })).unwrap_or_default()
}

/// The response that starts a server-sent-events stream.
pub(crate) fn sse_head(out: &mut Vec<u8>) {
    out.extend_from_slice(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
          X-Content-Type-Options: nosniff\r\nConnection: keep-alive\r\n\r\n",
    );
}

/// The 101 answer to a WebSocket upgrade.
pub(crate) fn ws_accept(out: &mut Vec<u8>, key: &str) {
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let _ = write!(
        Bytes(out),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    );
}

/// `fmt::Write` into a byte vector.
pub(crate) struct Bytes<'a>(pub &'a mut Vec<u8>);

impl std::fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_with_bounded_headers_and_bodies() {
        let r = b"GET /api/v1/x?connection=es&Symbol=ES%5FFUT HTTP/1.1\r\nHost: a\r\n\r\n";
        let Parsed::Complete(req, n) = parse(r, 10) else { panic!() };
        assert_eq!((req.method, req.path, n), ("GET", "/api/v1/x", r.len()));
        assert_eq!(query_param(req.query, "Symbol").as_deref(), Some("ES_FUT"));
        assert_eq!(query_param(req.query, "connection").as_deref(), Some("es"));
        assert_eq!(query_param(req.query, "nope"), None);
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nHost: a\r\n", 10), Parsed::Partial));
        let big = b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n";
        assert!(matches!(parse(big, 10), Parsed::Refuse(413, _)));
        let part = b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab";
        assert!(matches!(parse(part, 10), Parsed::Partial));
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(matches!(parse(chunked, 10), Parsed::Refuse(411, _)));
        assert!(matches!(parse(b"\x01\x02 nonsense\r\n\r\n", 10), Parsed::Refuse(400, _)));
        let huge = vec![b'a'; MAX_HEADER_BYTES + 1];
        let mut long = b"GET / HTTP/1.1\r\nX: ".to_vec();
        long.extend_from_slice(&huge);
        assert!(matches!(parse(&long, 10), Parsed::Refuse(431, _)));
        let ws = b"GET /api/v1/marketdata HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        let Parsed::Complete(req, _) = parse(ws, 10) else { panic!() };
        assert_eq!(req.ws_key, Some("dGhlIHNhbXBsZSBub25jZQ=="));
        let mut out = Vec::new();
        ws_accept(&mut out, req.ws_key.unwrap());
        let text = String::from_utf8(out).unwrap();
        // RFC 6455's own example key and answer.
        assert!(text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{text}");
    }
}
