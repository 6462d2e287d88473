//! Non-blocking transports on the engine's mio loop: plain TCP, or JSON over WebSocket.

use super::framing::RecvBuf;
use super::types::MAX_JSON_SIZE;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use tungstenite::handshake::client::ClientHandshake;
use tungstenite::handshake::MidHandshake;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{HandshakeError, WebSocket};

/// Result of driving a connect or handshake step.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Still in progress.
    Pending,
    /// Ready for DTC traffic.
    Ready,
}

enum Inner {
    Tcp(TcpStream),
    Handshake(MidHandshake<ClientHandshake<TcpStream>>),
    Ws(Box<WebSocket<TcpStream>>),
    /// Transient state while moving between variants.
    Empty,
}

/// One connection's socket.
pub struct Transport {
    inner: Inner,
    ws_url: Option<String>,
    connected: bool,
    writable_registered: bool,
    /// WebSocket output buffered inside tungstenite, waiting for WRITABLE.
    ws_pending: bool,
    /// Binary WebSocket messages ignored (their warning is rate-limited).
    ws_binary_ignored: u64,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("ws", &self.is_ws())
            .field("connected", &self.connected)
            .field("ws_pending", &self.ws_pending)
            .finish_non_exhaustive()
    }
}

/// WebSocket limits: messages and frames no larger than the JSON framer accepts, so a peer
/// cannot make tungstenite buffer its 64 MiB default; output bounded too.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_JSON_SIZE))
        .max_frame_size(Some(MAX_JSON_SIZE))
        .write_buffer_size(64 * 1024)
        .max_write_buffer_size(1 << 20)
}

fn is_wouldblock(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

fn ws_err(e: tungstenite::Error) -> io::Error {
    match e {
        tungstenite::Error::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

impl Transport {
    /// Starts a non-blocking connect and registers it (READABLE | WRITABLE until connected).
    /// `ws_url` = `Some("ws://host:port/path")` for WebSocket.
    pub fn connect(
        addr: SocketAddr,
        ws_url: Option<String>,
        registry: &Registry,
        token: Token,
    ) -> io::Result<Self> {
        let mut s = TcpStream::connect(addr)?;
        registry.register(&mut s, token, Interest::READABLE | Interest::WRITABLE)?;
        Ok(Transport {
            inner: Inner::Tcp(s),
            ws_url,
            connected: false,
            writable_registered: true,
            ws_pending: false,
            ws_binary_ignored: 0,
        })
    }

    fn stream_mut(&mut self) -> Option<&mut TcpStream> {
        match &mut self.inner {
            Inner::Tcp(s) => Some(s),
            Inner::Handshake(m) => Some(m.get_mut().get_mut()),
            Inner::Ws(w) => Some(w.get_mut()),
            Inner::Empty => None,
        }
    }

    /// Is this a WebSocket transport?
    pub fn is_ws(&self) -> bool {
        self.ws_url.is_some()
    }

    /// Drives connect / WebSocket handshake; call on every event until `Ready`.
    pub fn progress(&mut self) -> io::Result<Progress> {
        if !self.connected {
            let Some(s) = self.stream_mut() else { return Err(io::Error::other("no socket")) };
            if let Some(e) = s.take_error()? {
                return Err(e);
            }
            match s.peer_addr() {
                Ok(_) => {
                    let _ = s.set_nodelay(true);
                    self.connected = true;
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected || is_wouldblock(&e) => {
                    return Ok(Progress::Pending)
                }
                Err(e) => return Err(e),
            }
        }
        let Some(url) = self.ws_url.clone() else { return Ok(Progress::Ready) };
        let result = match std::mem::replace(&mut self.inner, Inner::Empty) {
            Inner::Tcp(s) => {
                tungstenite::client::client_with_config(url.as_str(), s, Some(ws_config()))
                    .map(|(ws, _resp)| ws)
            }
            Inner::Handshake(mid) => mid.handshake().map(|(ws, _resp)| ws),
            Inner::Ws(ws) => {
                self.inner = Inner::Ws(ws);
                return Ok(Progress::Ready);
            }
            Inner::Empty => return Err(io::Error::other("no socket")),
        };
        match result {
            Ok(ws) => {
                self.inner = Inner::Ws(Box::new(ws));
                Ok(Progress::Ready)
            }
            Err(HandshakeError::Interrupted(mid)) => {
                self.inner = Inner::Handshake(mid);
                Ok(Progress::Pending)
            }
            Err(HandshakeError::Failure(e)) => {
                Err(io::Error::other(format!("WebSocket handshake failed: {e}")))
            }
        }
    }

    /// Reads once into `rbuf`, at most `max` bytes over TCP (a WebSocket read takes one whole
    /// message): bytes appended (0 = nothing ready; a WebSocket message without text counts 1
    /// so the caller keeps reading). EOF and close frames are errors.
    pub fn read(&mut self, rbuf: &mut RecvBuf, max: usize) -> io::Result<usize> {
        if !self.is_ws() {
            return self.read_tcp(rbuf, max);
        }
        let before = rbuf.data().len();
        let more = self.read_ws(rbuf)?;
        Ok(if more { rbuf.data().len().saturating_sub(before).max(1) } else { 0 })
    }

    /// TCP: reads once into `rbuf`, at most `max` bytes. Returns bytes read (0 = would block);
    /// EOF is an error.
    pub fn read_tcp(&mut self, rbuf: &mut RecvBuf, max: usize) -> io::Result<usize> {
        let Inner::Tcp(s) = &mut self.inner else { return Ok(0) };
        let sp = rbuf.spare();
        if sp.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "receive buffer full"));
        }
        let len = sp.len().min(max.max(1));
        match s.read(&mut sp[..len]) {
            Ok(0) => {
                Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection"))
            }
            Ok(n) => {
                rbuf.commit(n);
                Ok(n)
            }
            Err(e) if is_wouldblock(&e) || e.kind() == io::ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// WebSocket: reads one message's payload, appending it plus a NUL to `rbuf` so the JSON
    /// framer sees one NUL-terminated message. Returns false when nothing more is ready.
    pub fn read_ws(&mut self, rbuf: &mut RecvBuf) -> io::Result<bool> {
        let Inner::Ws(ws) = &mut self.inner else { return Ok(false) };
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => {
                let body = t.as_bytes();
                if !rbuf.extend(body) || !rbuf.extend(&[0]) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "WebSocket message too large",
                    ));
                }
                Ok(true)
            }
            Ok(tungstenite::Message::Binary(b)) => {
                self.ws_binary_ignored += 1;
                let n = self.ws_binary_ignored;
                if n <= 3 || n % 1000 == 0 {
                    log::warn!(
                        "dtc: binary WebSocket message of {} bytes ignored ({n} so far)",
                        b.len()
                    );
                }
                Ok(true)
            }
            Ok(tungstenite::Message::Close(_)) => {
                Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the WebSocket"))
            }
            Ok(_) => Ok(true),
            Err(tungstenite::Error::Io(e)) if is_wouldblock(&e) => Ok(false),
            Err(e) => Err(ws_err(e)),
        }
    }

    /// Writes as much of `out` as the socket takes (TCP) or sends each NUL-separated JSON
    /// message as one text frame (WS). Consumed bytes are drained from `out`.
    pub fn write(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        match &mut self.inner {
            Inner::Tcp(s) => {
                let mut off = 0;
                while off < out.len() {
                    match s.write(&out[off..]) {
                        Ok(0) => {
                            return Err(io::Error::new(io::ErrorKind::WriteZero, "socket closed"))
                        }
                        Ok(n) => off += n,
                        Err(e) if is_wouldblock(&e) => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                out.drain(..off);
                Ok(())
            }
            Inner::Ws(ws) => {
                for part in out.split(|&b| b == 0).filter(|p| !p.is_empty()) {
                    // Client-to-server payloads keep a trailing NUL, as SC is known to accept.
                    let mut text = String::from_utf8_lossy(part).into_owned();
                    text.push('\0');
                    match ws.write(tungstenite::Message::text(text)) {
                        Ok(()) => {}
                        Err(tungstenite::Error::Io(e)) if is_wouldblock(&e) => {
                            self.ws_pending = true
                        }
                        Err(e) => return Err(ws_err(e)),
                    }
                }
                out.clear();
                match ws.flush() {
                    Ok(()) => self.ws_pending = false,
                    Err(tungstenite::Error::Io(e)) if is_wouldblock(&e) => self.ws_pending = true,
                    Err(e) => return Err(ws_err(e)),
                }
                Ok(())
            }
            // Not ready yet: keep the bytes.
            _ => Ok(()),
        }
    }

    /// Output still waiting for the socket (besides the caller's buffer).
    pub fn pending(&self) -> bool {
        self.ws_pending
    }

    /// Sets WRITABLE interest to `want` (only re-registers on change). During connect and the
    /// WebSocket handshake WRITABLE stays on.
    pub fn want_writable(
        &mut self,
        registry: &Registry,
        token: Token,
        want: bool,
    ) -> io::Result<()> {
        let want = want
            || !self.connected
            || matches!(self.inner, Inner::Handshake(_) | Inner::Tcp(_) if self.ws_url.is_some());
        if want == self.writable_registered {
            return Ok(());
        }
        let interest =
            if want { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
        if let Some(s) = self.stream_mut() {
            registry.reregister(s, token, interest)?;
        }
        self.writable_registered = want;
        Ok(())
    }

    /// Closes: a WebSocket close frame if possible, then deregisters (without a registry the
    /// socket is just closed, which removes it from the poll set too).
    pub fn close(mut self, registry: Option<&Registry>) {
        if let Inner::Ws(ws) = &mut self.inner {
            let _ = ws.close(None);
            let _ = ws.flush();
        }
        if let Some(s) = self.stream_mut() {
            let _ = s.shutdown(std::net::Shutdown::Both);
            if let Some(r) = registry {
                let _ = r.deregister(s);
            }
        }
    }
}
