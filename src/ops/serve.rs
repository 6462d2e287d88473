//! The ops thread's connections: reading and parsing requests, answering, writing, deadlines.

use super::http::{self, Parsed};
use super::routes::Outcome;
use super::server::{cap_send_buffer, Mode, Reply, Server, DRAIN, FIRST_CONN, IDLE};
use super::server::{REQUEST_TIMEOUT, STREAM_SNDBUF, STUCK};
use mio::{Interest, Token};
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

impl Server {
    pub(crate) fn on_event(&mut self, key: usize, ev: &mio::event::Event) {
        if !self.conns.contains(key) {
            return; // closed earlier in this batch
        }
        if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
            loop {
                match self.read(key) {
                    Ok(eof) => {
                        self.process(key);
                        if eof && self.conns.get(key).is_some_and(|c| c.pending() == 0) {
                            return self.close(key);
                        }
                    }
                    Err(_) => return self.close(key),
                }
                // Edge-triggered: a read stopped early (full inbox) must go on by itself.
                match self.conns.get_mut(key) {
                    Some(c) if c.throttled => c.throttled = false,
                    _ => break,
                }
            }
        }
        if ev.is_writable() {
            self.flush(key);
        }
    }

    /// Reads what the socket has (bounded); Ok(true) at EOF.
    fn read(&mut self, key: usize) -> io::Result<bool> {
        let cap = http::MAX_HEADER_BYTES + self.cfg.max_body_bytes;
        let Some(c) = self.conns.get_mut(key) else { return Ok(true) };
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let room = match c.mode {
                // Discarded anyway; and a WebSocket client's frames are bounded by tungstenite.
                Mode::Draining(_) | Mode::Sse { .. } | Mode::Ws(_) => chunk.len(),
                _ => chunk.len().min(cap.saturating_sub(c.inbuf.len())),
            };
            if room == 0 {
                return Ok(false); // full: the parser answers 431 or 413
            }
            match c.stream.read(&mut chunk[..room]) {
                Ok(0) => return Ok(true),
                Ok(n) => {
                    c.last_active = Instant::now();
                    match &mut c.mode {
                        Mode::Draining(_) | Mode::Sse { .. } => {} // nothing more is asked
                        Mode::Ws(ws) => {
                            ws.received(&chunk[..n]);
                            if ws.inbox_full() {
                                c.throttled = true;
                                return Ok(false); // handled first, then read on
                            }
                        }
                        _ => {
                            if c.inbuf.is_empty() {
                                c.request_started = Some(c.last_active);
                            }
                            c.inbuf.extend_from_slice(&chunk[..n]);
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Handles whatever complete requests (or WebSocket messages) the input holds.
    fn process(&mut self, key: usize) {
        loop {
            let Some(c) = self.conns.get_mut(key) else { return };
            match c.mode {
                Mode::Http => {}
                Mode::Ws(_) => return self.ws_process(key),
                _ => return,
            }
            let buf = std::mem::take(&mut c.inbuf);
            let (outcome, used, close) = match http::parse(&buf, self.cfg.max_body_bytes) {
                Parsed::Partial => {
                    if let Some(c) = self.conns.get_mut(key) {
                        c.inbuf = buf;
                    }
                    return;
                }
                Parsed::Refuse(status, why) => {
                    (Outcome::json(status, http::error_body(why)), buf.len(), true)
                }
                Parsed::Complete(req, used) => {
                    self.stats.requests += 1;
                    let close = req.close;
                    (self.route(key, &req), used, close)
                }
            };
            let Some(c) = self.conns.get_mut(key) else { return };
            let mut buf = buf;
            buf.drain(..used.min(buf.len()));
            c.request_started = (!buf.is_empty()).then(Instant::now);
            c.inbuf = buf;
            self.apply(key, outcome, close);
        }
    }

    /// Carries out a route's outcome on connection `key`.
    pub(crate) fn apply(&mut self, key: usize, outcome: Outcome, close: bool) {
        let Some(c) = self.conns.get_mut(key) else { return };
        match outcome {
            Outcome::Reply { status, ctype, body } => {
                match status {
                    400..=499 => self.stats.client_errors += 1,
                    500..=599 => self.stats.server_errors += 1,
                    _ => {}
                }
                let refused = matches!(status, 400 | 411 | 413 | 431);
                let close = close || refused;
                http::respond(&mut c.out, status, ctype, &body, close);
                c.close_after = close;
                if matches!(c.mode, Mode::Waiting(_)) {
                    c.mode = Mode::Http;
                }
            }
            Outcome::Wait(p) => c.mode = Mode::Waiting(p),
            Outcome::Sse => {
                cap_send_buffer(&c.stream, STREAM_SNDBUF);
                http::sse_head(&mut c.out);
                c.mode = Mode::Sse { dirty: true };
                c.inbuf.clear();
            }
            Outcome::Ws { key: ws_key } => {
                cap_send_buffer(&c.stream, STREAM_SNDBUF);
                http::ws_accept(&mut c.out, &ws_key);
                let leftover = std::mem::take(&mut c.inbuf);
                let mut ws = super::market_ws::WsClient::new();
                ws.received(&leftover);
                c.mode = Mode::Ws(Box::new(ws));
            }
        }
        self.flush(key);
        // An SSE client gets the current state at once.
        if matches!(self.conns.get(key).map(|c| &c.mode), Some(Mode::Sse { .. })) {
            self.live_to(key);
        }
        if matches!(self.conns.get(key).map(|c| &c.mode), Some(Mode::Http)) {
            self.process(key); // pipelined requests behind this one
        }
    }

    /// Writes queued output; keeps WRITABLE interest only while some is left.
    pub(crate) fn flush(&mut self, key: usize) {
        let Some(c) = self.conns.get_mut(key) else { return };
        while c.out_pos < c.out.len() {
            match c.stream.write(&c.out[c.out_pos..]) {
                Ok(0) => return self.close(key),
                Ok(n) => c.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.close(key),
            }
        }
        let drained = c.out_pos == c.out.len();
        if drained {
            c.out.clear();
            c.out_pos = 0;
            c.stuck_since = None;
        } else if c.out_pos > 64 * 1024 {
            c.out.drain(..c.out_pos);
            c.out_pos = 0;
        }
        if !drained {
            c.stuck_since.get_or_insert_with(Instant::now);
        }
        let want = !drained;
        if want != c.writable {
            let interest =
                if want { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
            let token = Token(key + FIRST_CONN);
            if self.poll.registry().reregister(&mut c.stream, token, interest).is_err() {
                return self.close(key);
            }
            c.writable = want;
        }
        if !drained {
            return;
        }
        if c.close_after {
            c.close_after = false;
            let _ = c.stream.shutdown(std::net::Shutdown::Write);
            c.mode = Mode::Draining(Instant::now() + DRAIN);
            c.inbuf = Vec::new();
            return;
        }
        match &c.mode {
            Mode::Sse { dirty: true } => self.live_to(key),
            Mode::Ws(_) => self.ws_drained(key),
            _ => {}
        }
    }

    pub(crate) fn close(&mut self, key: usize) {
        if let Some(mut c) = self.conns.try_remove(key) {
            let _ = self.poll.registry().deregister(&mut c.stream);
        }
    }

    /// Drops a streaming client that is not keeping up.
    pub(crate) fn drop_slow(&mut self, key: usize) {
        self.stats.dropped_slow += 1;
        self.close(key);
    }

    pub(crate) fn tick(&mut self, now: Instant) {
        let mut expired = Vec::new();
        let mut waiting = Vec::new();
        for (k, c) in self.conns.iter() {
            let idle = now.saturating_duration_since(c.last_active);
            let slow_request = c
                .request_started
                .is_some_and(|t| now.saturating_duration_since(t) > REQUEST_TIMEOUT);
            let stuck = c.stuck_since.is_some_and(|t| now.saturating_duration_since(t) > STUCK);
            let gone = match &c.mode {
                Mode::Http => slow_request || (idle > IDLE && c.pending() == 0) || stuck,
                Mode::Draining(until) => now >= *until,
                Mode::Waiting(p) => {
                    if now >= p.deadline {
                        waiting.push(k);
                    }
                    false
                }
                Mode::Sse { .. } | Mode::Ws(_) => stuck,
            };
            if gone {
                expired.push((k, stuck));
            }
        }
        for (k, stuck) in expired {
            if stuck {
                self.drop_slow(k);
            } else {
                self.close(k);
            }
        }
        for k in waiting {
            self.timeout_pending(k);
        }
        if self.live_at.is_some_and(|t| now.saturating_duration_since(t) >= Duration::from_secs(1))
        {
            self.push_live(now); // keeps SSE clients' connections warm when nothing changes
        }
    }

    /// Renders the dashboard state once and sends it to every SSE client that keeps up.
    pub(crate) fn push_live(&mut self, now: Instant) {
        self.live_at = Some(now);
        let has_sse = self.conns.iter().any(|(_, c)| matches!(c.mode, Mode::Sse { .. }));
        if !has_sse {
            return;
        }
        self.live.clear();
        self.live.extend_from_slice(b"data: ");
        let state = self.state_json();
        self.live.extend_from_slice(&state);
        self.live.extend_from_slice(b"\n\n");
        let keys: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(c.mode, Mode::Sse { .. }))
            .map(|(k, _)| k)
            .collect();
        for k in keys {
            self.live_to(k);
        }
    }

    /// The latest push to one SSE client, or marks it dirty while it is behind.
    fn live_to(&mut self, key: usize) {
        if self.live.is_empty() {
            self.live.extend_from_slice(b"data: ");
            let state = self.state_json();
            self.live.extend_from_slice(&state);
            self.live.extend_from_slice(b"\n\n");
        }
        let max = self.cfg.max_client_queue_bytes;
        let Some(c) = self.conns.get_mut(key) else { return };
        let Mode::Sse { dirty } = &mut c.mode else { return };
        if c.out.len() - c.out_pos > 0 {
            if !*dirty {
                self.stats.conflated += 1;
            }
            *dirty = true;
            if c.out.len() - c.out_pos > max {
                self.drop_slow(key);
            }
            return;
        }
        *dirty = false;
        c.out.extend_from_slice(&self.live);
        self.flush(key);
    }

    pub(crate) fn on_reply(&mut self, r: Reply) {
        if self
            .conns
            .get(r.key)
            .is_some_and(|c| c.gen == r.gen && matches!(c.mode, Mode::Waiting(_)))
        {
            self.reply_arrived(r.key, r.body, Instant::now());
        }
    }
}
