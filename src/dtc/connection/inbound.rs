//! What a connection does with the bytes it is handed: frame, decode, then act on each message.

use super::Connection;
use crate::dtc::events::{CloseReason, Reconnect, ServerCaps};
use crate::dtc::framing::RecvBuf;
use crate::dtc::logon::Step;
use crate::dtc::market_data;
use crate::dtc::messages::*;
use crate::dtc::DtcEvent;
use crate::market::MarketState;
use std::time::Instant;

impl Connection {
    /// Frames, decodes and handles what `rbuf` holds (consuming it). `on_message` runs after each
    /// handled message (the shell's latency stamp). Unframeable input closes the connection.
    pub fn handle_frames(
        &mut self,
        rbuf: &mut RecvBuf,
        now: Instant,
        market: &mut MarketState,
        mut on_message: impl FnMut(),
    ) {
        if !rbuf.data().is_empty() {
            self.session.on_rx(now);
        }
        let bad_before = self.stats.bad;
        while self.is_open() {
            let data = rbuf.data();
            if data.is_empty() {
                break;
            }
            let (decoded, used) = match self.wire.codec.next_frame(data) {
                Ok(Some((0, used))) => {
                    rbuf.consume(used);
                    continue;
                }
                Ok(Some((len, used))) => (self.wire.codec.decode(&data[..len]), used),
                Ok(None) => break,
                Err(e) => {
                    self.stats.resets += 1;
                    self.close(now, CloseReason::Unframeable(e), Reconnect::AfterBackoff);
                    break;
                }
            };
            rbuf.consume(used);
            match decoded {
                Ok(m) => {
                    self.stats.messages += 1;
                    self.handle_message(&m, now, market);
                    on_message();
                }
                Err(e) => self.health.bad_message(e, &mut self.stats, now, &self.label),
            }
        }
        if self.stats.bad > bad_before {
            self.health.check_ratio(&mut self.stats, now, &self.label);
        }
    }

    fn handle_message(&mut self, m: &Message, now: Instant, market: &mut MarketState) {
        let label = self.label.as_str();
        match m {
            Message::EncodingResponse(r) => {
                let step = self.logon.on_encoding_response(
                    r,
                    &mut self.wire,
                    &mut self.session,
                    now,
                    label,
                );
                self.step(step, now);
            }
            Message::LogonResponse(r) => {
                let step = self.logon.on_logon_response(r, &mut self.session, now, label);
                if matches!(step, Step::LoggedOn(_)) {
                    self.server_name = r.server_name.as_str().to_string();
                }
                self.step(step, now);
            }
            Message::Heartbeat(_) => self.stats.heartbeats += 1,
            Message::Logoff(l) => {
                let step = self.logon.on_logoff(l, &mut self.session);
                self.step(step, now);
            }
            Message::MarketDataReject(r) => self.subs.on_market_data_reject(r, label),
            Message::MarketDepthReject(r) => self.subs.on_depth_reject(r, label),
            Message::SecurityDefinitionResponse(d) => {
                self.subs.on_definition(d, &mut self.wire, label)
            }
            Message::SecurityDefinitionReject(r) => {
                self.subs.on_definition_reject(r, &mut self.wire, label)
            }
            Message::UserMessage(u) => log::info!("{label}: server says: {}", u.user_message),
            Message::GeneralLogMessage(g) => log::info!("{label}: server log: {}", g.message_text),
            Message::AlertMessage(a) => self.health.alert(a, &mut self.stats, now, label),
            Message::MarketDataFeedStatus(s) => {
                log::info!("{label}: market data feed status {}", s.status);
                // 2 = AVAILABLE: the server forgot our subscriptions and expects them again.
                if s.status == 2 && self.caps.resubscribe_on_feed {
                    self.subs.subscribe_all(false, &mut self.wire);
                }
            }
            other if self.queries.handle(other, label) => {}
            other => {
                let syms = self.subs.symbols();
                if !self.trading.handle(other, syms, now, &mut self.events, label) {
                    let z = self.wire.codec.encoding.is_json();
                    let s = self.subs.symbols_mut();
                    market_data::handle(other, s, z, market, now, &mut self.stats, label);
                }
            }
        }
    }

    /// Acts on what the logon policy decided.
    fn step(&mut self, step: Step, now: Instant) {
        match step {
            Step::None => {}
            Step::Close(reason, reconnect) => self.close(now, reason, reconnect),
            Step::LoggedOn(caps) => self.logged_on(caps, now),
        }
    }

    fn logged_on(&mut self, caps: ServerCaps, now: Instant) {
        self.caps = caps;
        self.last_error = None;
        log::info!(
            "{}: logged on to {:?} ({:?}, trading {})",
            self.label,
            self.server_name,
            self.wire.codec.encoding,
            if caps.trading { "on" } else { "off" }
        );
        self.events.push_back(DtcEvent::LoggedOn);
        self.subs.after_logon(caps.secdefs, self.trading.requests(), &mut self.wire, now);
        if self.fetch_trading {
            self.trading.request_state(&mut self.wire);
        }
    }
}
