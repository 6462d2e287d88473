//! A blocking V9 publisher client: CONNECT with Role:Publisher, send signals, read SIGNAL_ACKs.

use super::codec::{self, Message};
use super::encode;
use super::frame::{next_frame, Frame};
use crate::signal::Signal;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// A connected, READY publisher.
#[derive(Debug)]
pub struct Publisher {
    stream: TcpStream,
    buf: Vec<u8>,
    len: usize,
    out: Vec<u8>,
    timeout: Duration,
}

impl Publisher {
    /// Connects and completes the handshake; `token` is sent as `Token:` metadata when given.
    pub fn connect(
        addr: &str,
        name: &str,
        token: Option<&str>,
        timeout: Duration,
    ) -> Result<Publisher, String> {
        let sa: SocketAddr = addr
            .to_socket_addrs()
            .map_err(|e| format!("{addr}: {e}"))?
            .next()
            .ok_or_else(|| format!("{addr}: no address"))?;
        let stream =
            TcpStream::connect_timeout(&sa, timeout).map_err(|e| format!("connect {sa}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut p = Publisher {
            stream,
            buf: vec![0; 16 * 1024],
            len: 0,
            out: Vec::with_capacity(1024),
            timeout,
        };
        let mut meta = String::from("Version:1.0|Role:Publisher");
        if let Some(t) = token {
            meta.push_str("|Token:");
            meta.push_str(t);
        }
        encode::connect(&mut p.out, name, 0, &meta);
        p.write_out()?;
        match p.next_message(|m| matches!(m, Message::Ready { .. } | Message::Error(_)))? {
            Reply::Ready => Ok(p),
            Reply::Error(e) => Err(e),
            Reply::Ack(..) => Err("unexpected SIGNAL_ACK before READY".into()),
        }
    }

    /// Sends one signal and waits for its acknowledgement: (id, receivers written to).
    pub fn send(&mut self, sig: &Signal<'_>) -> Result<(u64, u32), String> {
        self.send_nowait(sig)?;
        self.wait_ack()
    }

    /// Sends one signal without waiting (pair with [`Publisher::wait_ack`]).
    pub fn send_nowait(&mut self, sig: &Signal<'_>) -> Result<(), String> {
        self.out.clear();
        encode::signal(&mut self.out, sig, None);
        self.write_out()
    }

    /// Sends a control line (`KILL|reason`, `ARM`) and waits for its SIGNAL_ACK: (id, receivers).
    pub fn control(&mut self, line: &str) -> Result<(u64, u32), String> {
        if line.bytes().any(|b| b == b'\n' || b == b'\r') {
            return Err("a control line has no line break".into());
        }
        self.out.clear();
        self.out.extend_from_slice(line.as_bytes());
        self.out.push(b'\n');
        self.write_out()?;
        self.wait_ack()
    }

    /// Waits for the next SIGNAL_ACK (or the ERROR refusing the signal).
    pub fn wait_ack(&mut self) -> Result<(u64, u32), String> {
        match self.next_message(|m| matches!(m, Message::SignalAck { .. } | Message::Error(_)))? {
            Reply::Ack(id, n) => Ok((id, n)),
            Reply::Error(e) => Err(e),
            Reply::Ready => Err("unexpected READY".into()),
        }
    }

    fn write_out(&mut self) -> Result<(), String> {
        self.stream.write_all(&self.out).map_err(|e| format!("write: {e}"))
    }

    fn next_message(&mut self, wanted: impl Fn(&Message<'_>) -> bool) -> Result<Reply, String> {
        let deadline = Instant::now() + self.timeout;
        loop {
            while let Frame::Complete { len, consumed } = next_frame(&self.buf[..self.len]) {
                let reply = match codec::parse(&self.buf[..len]) {
                    Ok(m) if wanted(&m) => Some(match m {
                        Message::Ready { .. } => Reply::Ready,
                        Message::SignalAck { id, receivers } => Reply::Ack(id, receivers),
                        Message::Error(e) => {
                            Reply::Error(format!("{}: {} {}", e.code, e.message, e.details))
                        }
                        _ => Reply::Ready,
                    }),
                    _ => None,
                };
                self.buf.copy_within(consumed..self.len, 0);
                self.len -= consumed;
                if let Some(r) = reply {
                    return Ok(r);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("timed out waiting for the server".into());
            }
            self.stream.set_read_timeout(Some(left)).map_err(|e| e.to_string())?;
            match self.stream.read(&mut self.buf[self.len..]) {
                Ok(0) => return Err("server closed the connection".into()),
                Ok(n) => self.len += n,
                Err(e) if crate::sys::is_transient(&e) => {}
                Err(e) => return Err(format!("read: {e}")),
            }
            if self.len == self.buf.len() {
                return Err("unframed input from server".into());
            }
        }
    }
}

enum Reply {
    Ready,
    Ack(u64, u32),
    Error(String),
}
