//! One simulated DTC server connection: its state, reads, writes and timers (`accept` opens it, `handle` answers).

mod accept;
mod handle;

pub(super) use accept::serve;

use super::state::SimState;
use super::DtcServerArgs;
use crate::dtc::framing::RecvBuf;
use crate::dtc::messages::*;
use crate::dtc::{binary, Codec, Encoding, Message};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tungstenite::WebSocket;

/// Bytes from the TCP reader thread (`Err` = the peer closed or the read failed).
type Chunk = io::Result<Vec<u8>>;

pub(super) enum Io {
    /// Reads come from a reader thread through `rx`: a blocking read with a socket timeout is
    /// rounded up to the kernel tick (4-10 ms), too coarse for fast feeds.
    Tcp {
        stream: TcpStream,
        rbuf: RecvBuf,
        rx: Receiver<Chunk>,
    },
    Ws(Box<WebSocket<TcpStream>>),
}

/// A subscription by this connection.
pub(super) struct Sub {
    pub(super) sym: usize,
    pub(super) id: u32,
    pub(super) depth: bool,
}

pub(super) struct Conn {
    pub(super) io: Io,
    pub(super) codec: Codec,
    /// Set once the encoding is known (negotiated or detected).
    pub(super) decided: bool,
    pub(super) args: DtcServerArgs,
    pub(super) state: Arc<Mutex<SimState>>,
    pub(super) peer: String,
    pub(super) logged_on: bool,
    pub(super) hb_interval: Duration,
    pub(super) next_hb: Instant,
    pub(super) last_rx: Instant,
    pub(super) next_tick: Instant,
    pub(super) subs: Vec<Sub>,
    pub(super) sent: u64,
    pub(super) tick_n: u64,
    pub(super) out: Vec<u8>,
    pub(super) closing: bool,
}

pub(super) fn now_s() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

impl Conn {
    fn run(&mut self, stop: &AtomicBool) -> io::Result<()> {
        while !stop.load(Ordering::Relaxed) && !self.closing {
            // Wait for input no longer than the next timer, so fast --tick-ms feeds keep pace.
            let now = Instant::now();
            let next = if self.logged_on {
                self.next_tick.min(self.next_hb)
            } else {
                now + Duration::from_millis(5)
            };
            let wait = next
                .saturating_duration_since(now)
                .clamp(Duration::from_micros(200), Duration::from_millis(5));
            if let Io::Ws(ws) = &self.io {
                ws.get_ref().set_read_timeout(Some(wait))?;
            }
            let msgs = self.read_messages(wait)?;
            for m in msgs {
                self.handle(m)?;
                if self.closing {
                    return Ok(());
                }
            }
            self.timers()?;
        }
        if let Io::Ws(ws) = &mut self.io {
            let _ = ws.close(None);
            let _ = ws.flush();
        }
        Ok(())
    }

    /// Reads what is there (waiting at most the socket timeout) and decodes whole messages.
    fn read_messages(&mut self, wait: Duration) -> io::Result<Vec<Message>> {
        let mut out = Vec::new();
        match &mut self.io {
            Io::Tcp { rbuf, rx, .. } => {
                if !receive(rx, rbuf, wait)? {
                    return Ok(out);
                }
                self.last_rx = Instant::now();
                let (codec, decided) = (&mut self.codec, &mut self.decided);
                decode_frames(rbuf, codec, decided, &self.args.encoding, &self.peer, &mut out)?;
            }
            Io::Ws(ws) => read_ws(ws, self.codec, &self.peer, &mut self.last_rx, &mut out)?,
        }
        Ok(out)
    }

    fn send(&mut self, m: &Message) -> io::Result<()> {
        self.send_with(m, self.codec)
    }

    fn send_with(&mut self, m: &Message, codec: Codec) -> io::Result<()> {
        if let Some(limit) = self.args.drop_after {
            if self.sent >= limit {
                log::info!(
                    "dtc-sim {}: dropping the connection after {limit} messages (quirk)",
                    self.peer
                );
                self.closing = true;
                if let Io::Tcp { stream, .. } = &self.io {
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                }
                return Ok(());
            }
        }
        self.out.clear();
        let mut m = m.clone();
        if codec.encoding.is_json() && !self.args.json_unset_markers {
            m.unset_to_zero();
        }
        let m = &m;
        match &mut self.io {
            Io::Tcp { stream, .. } => {
                codec.encode(m, &mut self.out, true);
                stream.write_all(&self.out)?;
            }
            Io::Ws(ws) => {
                // SC's WebSocket frames carry no trailing NUL.
                codec.encode(m, &mut self.out, false);
                let text = String::from_utf8_lossy(&self.out).into_owned();
                ws.send(tungstenite::Message::text(text))
                    .map_err(|e| io::Error::other(e.to_string()))?;
            }
        }
        self.sent += 1;
        Ok(())
    }

    pub(super) fn send_all(&mut self, ms: Vec<Message>) -> io::Result<()> {
        for m in ms {
            self.send(&m)?;
        }
        Ok(())
    }

    fn timers(&mut self) -> io::Result<()> {
        let now = Instant::now();
        if !self.logged_on {
            return Ok(());
        }
        if now.saturating_duration_since(self.last_rx)
            > self.hb_interval * 2 + Duration::from_millis(500)
        {
            log::info!(
                "dtc-sim {}: client silent for 2x the heartbeat interval, closing",
                self.peer
            );
            self.closing = true;
            return Ok(());
        }
        if now >= self.next_hb {
            self.next_hb = now + self.server_hb_interval();
            self.send(
                &Heartbeat { num_dropped_messages: 0, current_date_time: now_s() as i64 }.into(),
            )?;
        }
        if now >= self.next_tick {
            self.next_tick = now + Duration::from_millis(self.args.tick_ms.max(1));
            self.tick()?;
        }
        Ok(())
    }
}

/// Moves every chunk the reader thread has into `rbuf`, waiting up to `wait` for the first;
/// false when none came.
fn receive(rx: &Receiver<Chunk>, rbuf: &mut RecvBuf, wait: Duration) -> io::Result<bool> {
    let mut chunk = match rx.recv_timeout(wait) {
        Ok(c) => c,
        Err(RecvTimeoutError::Timeout) => return Ok(false),
        Err(RecvTimeoutError::Disconnected) => {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "peer closed"))
        }
    };
    loop {
        if !rbuf.extend(&chunk?) {
            return Err(io::Error::other("receive buffer full"));
        }
        match rx.try_recv() {
            Ok(c) => chunk = c,
            Err(_) => break,
        }
    }
    Ok(true)
}

/// Decodes every whole frame in `rbuf`, detecting the encoding from the first one.
fn decode_frames(
    rbuf: &mut RecvBuf,
    codec: &mut Codec,
    decided: &mut bool,
    wanted: &str,
    peer: &str,
    out: &mut Vec<Message>,
) -> io::Result<()> {
    loop {
        let data = rbuf.data();
        if data.is_empty() {
            break;
        }
        if !*decided {
            // First message: `{` is a bare JSON logon (no negotiation), else binary.
            if data[0] == b'{' {
                codec.encoding = json_encoding(data, wanted);
                *decided = true;
            } else {
                codec.encoding = Encoding::Binary;
            }
        }
        // The ENCODING_REQUEST is always binary, whatever the current encoding.
        let codec = if data[0] != b'{' && data.len() >= 4 && data[2..4] == [6, 0] {
            Codec::new(Encoding::Binary, false)
        } else {
            *codec
        };
        let (len, used) = match codec.next_frame(data) {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
        };
        if len > 0 {
            match codec.decode(&data[..len]) {
                Ok(m) => out.push(m),
                Err(e) => log::warn!("dtc-sim {peer}: bad message skipped: {e}"),
            }
        }
        rbuf.consume(used);
    }
    Ok(())
}

/// The JSON encoding of a bare JSON logon: `--encoding` if it names one, else compact when the
/// message uses compact keys.
fn json_encoding(data: &[u8], wanted: &str) -> Encoding {
    let compact = data.windows(4).any(|w| w == b"\"F\":");
    match Encoding::parse(wanted) {
        Some(e) if e.is_json() => e,
        _ if compact => Encoding::JsonCompact,
        _ => Encoding::Json,
    }
}

/// Reads WebSocket messages until the socket would block; text frames may hold several
/// NUL-separated JSON messages.
fn read_ws(
    ws: &mut WebSocket<TcpStream>,
    codec: Codec,
    peer: &str,
    last_rx: &mut Instant,
    out: &mut Vec<Message>,
) -> io::Result<()> {
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => {
                *last_rx = Instant::now();
                for part in t.as_bytes().split(|&b| b == 0).filter(|p| !p.is_empty()) {
                    match codec.decode(part) {
                        Ok(m) => out.push(m),
                        Err(e) => log::warn!("dtc-sim {peer}: bad message skipped: {e}"),
                    }
                }
            }
            Ok(tungstenite::Message::Binary(b)) => {
                *last_rx = Instant::now();
                match binary::decode(&b) {
                    Ok(m) => out.push(m),
                    Err(e) => log::warn!("dtc-sim {peer}: bad binary message skipped: {e}"),
                }
            }
            Ok(tungstenite::Message::Close(_)) => {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "WebSocket closed"))
            }
            Ok(_) => *last_rx = Instant::now(),
            Err(tungstenite::Error::Io(e)) if would_block(&e) => return Ok(()),
            Err(e) => return Err(io::Error::other(e.to_string())),
        }
    }
}
