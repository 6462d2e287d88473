//! V9 server message handling: CONNECT/READY, heartbeats, positions, summaries, published signals.

use super::client::{Role, State};
use super::codec::{self, ErrorCode, Message};
use super::encode;
use super::server::V9Server;
use crate::signal::{Origin, SignalError};
use log::{debug, info, warn};
use std::time::Instant;

impl V9Server {
    pub(super) fn handle_message(&mut self, key: usize, msg: Message<'_>, now: Instant) {
        let Some(c) = self.clients.get_mut(key) else { return };
        c.msgs_in += 1;
        if c.state == State::AwaitConnect && !matches!(msg, Message::Connect(_)) {
            self.stats.bad_messages += 1;
            return self.fail(key, ErrorCode::ProtocolError, "CONNECT expected first", "", now);
        }
        match msg {
            Message::Connect(m) => self.on_connect(key, &m, now),
            Message::Heartbeat { .. } => {
                self.reply.clear();
                encode::heartbeat_ack(
                    &mut self.reply,
                    crate::clock::unix_nanos() / 1_000_000_000,
                    "All_Systems_OK",
                );
                self.send_reply(key);
            }
            Message::Position(p) => {
                if !c.book.apply_position(&p, now) && c.may_warn() {
                    warn!(
                        "v9 {} ({}): position book full ({} entries): POSITION for {} {} ignored",
                        c.peer,
                        c.name,
                        super::book::MAX_POSITIONS,
                        p.account,
                        p.symbol
                    );
                }
            }
            Message::Summary(s) => {
                self.stats.summaries_with_id += s.signal_id.is_some() as u64;
                if let Some(sent) = c.take_sent(s.signal_id) {
                    self.h_to_summary.record(now.saturating_duration_since(sent));
                }
                if let Some(m) = c.book.apply_summary(&s) {
                    if c.may_warn() {
                        warn!(
                            "v9 {} ({}): POSITION_SUMMARY disagrees with its accounts: summary (accounts, qty, long, short) = {:?}, accounts say {:?}",
                            c.peer, c.name, m.summary, m.accounts
                        );
                    }
                }
            }
            Message::Signal(s) => {
                if c.role != Role::Publisher {
                    self.stats.rejected_signals += 1;
                    return self.reply_error(
                        key,
                        ErrorCode::InvalidSignal,
                        SignalError::NotPublisher.message(),
                        "Role:Publisher required",
                    );
                }
                match self.broadcast(&s.signal, now, Origin::Publisher) {
                    Ok((id, receivers)) => {
                        self.reply.clear();
                        encode::signal_ack(&mut self.reply, id, receivers);
                        self.send_reply(key);
                    }
                    Err(e) => {
                        self.stats.rejected_signals += 1;
                        self.reply_error(key, ErrorCode::InvalidSignal, e.message(), "");
                    }
                }
            }
            Message::Error(e) => {
                if c.may_warn() {
                    warn!(
                        "v9 {} ({}): peer reported ERROR {} {} {}",
                        c.peer, c.name, e.code, e.message, e.details
                    );
                }
            }
            // Server-to-client messages echoed back: harmless, ignored.
            Message::Ready { .. } | Message::HeartbeatAck { .. } | Message::SignalAck { .. } => {
                debug!("v9 {}: ignoring server-side message from client", c.peer)
            }
        }
    }

    fn on_connect(&mut self, key: usize, m: &codec::Connect<'_>, now: Instant) {
        let Some(c) = self.clients.get_mut(key) else { return };
        if c.state == State::Ready {
            // A repeated CONNECT changes nothing (no role or name switch mid-session): READY again.
            let role = if c.role == Role::Publisher { "Publisher" } else { "Receiver" };
            self.reply.clear();
            encode::ready(&mut self.reply, &self.cfg.server_version, role);
            return self.send_reply(key);
        }
        if let Some(v) = m.meta("Version") {
            if v.split('.').next() != Some("1") {
                return self.fail(
                    key,
                    ErrorCode::VersionMismatch,
                    "Protocol version incompatible",
                    "Server_Version:1.0",
                    now,
                );
            }
        }
        let publisher = m.meta("Role").is_some_and(|r| r.eq_ignore_ascii_case("Publisher"));
        if publisher {
            let allowed = match &self.cfg.publisher_token {
                Some(t) => m
                    .meta("Token")
                    .is_some_and(|given| constant_time_eq(given.as_bytes(), t.expose().as_bytes())),
                None => c.peer.ip().to_canonical().is_loopback(),
            };
            if !allowed {
                // The token itself is never logged.
                let why = if self.cfg.publisher_token.is_some() {
                    "bad or missing token"
                } else {
                    "not loopback and no token configured"
                };
                warn!("v9 {}: publisher refused ({why})", c.peer);
                return self.fail(key, ErrorCode::Unauthorized, "Publisher not allowed", "", now);
            }
        }
        c.name = m.name.into();
        c.accounts = m.account_count.unwrap_or(0);
        c.role = if publisher { Role::Publisher } else { Role::Receiver };
        c.state = State::Ready;
        if !publisher {
            // A receiver that reconnects gets its book back (positions, pending FLATTEN check).
            if let Some(book) = self.retired.remove(m.name) {
                c.book = book;
                info!(
                    "v9 {}: {} reconnected; its {} known positions were kept",
                    c.peer,
                    c.name,
                    c.book.positions().len()
                );
            }
        }
        info!("v9 {}: {} READY as {:?} with {} accounts", c.peer, c.name, c.role, c.accounts);
        self.reply.clear();
        encode::ready(
            &mut self.reply,
            &self.cfg.server_version,
            if publisher { "Publisher" } else { "Receiver" },
        );
        self.send_reply(key);
    }
}

/// Compares secrets without an early exit (no timing hint about how much of a token matched).
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
