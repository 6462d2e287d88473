//! python-ws-dtc-client's market-data WebSocket, `/api/v1/marketdata`:
//! `{"action":"subscribe","symbol":S}` → `{"action":"subscribe","symbol":S,"success":true}`,
//! a MARKET_DATA_SNAPSHOT (Type 104, that client's field names), then an update for every
//! snapshot in which S changed: MARKET_DATA_UPDATE_BID_ASK (108) and MARKET_DATA_UPDATE_TRADE
//! (107), with `Symbol` added as that client's server adds it. Prices are display prices
//! (multiplier applied).
//!
//! Frames are tungstenite's, over an in-memory stream ([`MemIo`]): the ops thread owns the socket
//! and the output bound. A client that falls behind gets no more updates until it drains; then
//! one fresh 104 per symbol that changed meanwhile (conflated); one that stays behind is dropped.

use super::market_msg::{bid_ask_108, secs, snapshot_104, trade_107, Answer};
use super::server::{Mode, Server};
use super::snapshot::{QuoteRow, Snapshot};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use tungstenite::protocol::{Message, Role, WebSocketConfig, WebSocketContext};

/// Subscriptions per client at most.
const MAX_SUBS: usize = 256;
/// Messages received and not yet handled, at most (then the client is closed).
const MAX_INBOX: usize = 8192;
/// Largest message accepted from a client.
const MAX_MESSAGE: usize = 16 * 1024;
/// A client with more output than this queued gets no updates until it drains (conflated).
const SOFT_QUEUE: usize = 32 * 1024;
/// First SymbolID handed to symbols that only the pipe feeds (DTC symbols keep theirs).
const FIRST_PIPE_ID: u32 = 1_000_001;

/// A socket's bytes as a stream for tungstenite: reads what the server put in, collects writes.
#[derive(Debug, Default)]
struct MemIo {
    rx: Vec<u8>,
    pos: usize,
    tx: Vec<u8>,
}

impl Read for MemIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.rx.len() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.rx.len() - self.pos);
        buf[..n].copy_from_slice(&self.rx[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.rx.len() {
            self.rx.clear();
            self.pos = 0;
        }
        Ok(n)
    }
}

impl Write for MemIo {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One subscription.
#[derive(Debug)]
struct Sub {
    /// The symbol as the client asked for it (echoed in every message).
    requested: String,
    /// The market-state key it maps to.
    key: String,
    /// Updates were skipped while the client was behind: send a fresh 104 when it drains.
    dirty: bool,
}

/// One market-data WebSocket client.
pub(crate) struct WsClient {
    ctx: WebSocketContext,
    io: MemIo,
    inbox: Vec<Message>,
    subs: Vec<Sub>,
    /// Closed by the peer, or a protocol error: close once the output is flushed.
    done: bool,
}

impl WsClient {
    /// A client whose handshake was just answered.
    pub(crate) fn new() -> WsClient {
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0)
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE));
        WsClient {
            ctx: WebSocketContext::new(Role::Server, Some(config)),
            io: MemIo::default(),
            inbox: Vec::new(),
            subs: Vec::new(),
            done: false,
        }
    }

    /// Bytes from the socket: decodes the frames they complete into the inbox.
    pub(crate) fn received(&mut self, bytes: &[u8]) {
        self.io.rx.extend_from_slice(bytes);
        while !self.done {
            match self.ctx.read(&mut self.io) {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) if self.inbox.len() < MAX_INBOX => {
                    self.inbox.push(m)
                }
                Ok(Message::Text(_) | Message::Binary(_)) => self.done = true, // flooding
                Ok(_) => {} // ping (answered by tungstenite), pong, close (answered), frame
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => self.done = true,
            }
        }
        let _ = self.ctx.flush(&mut self.io);
    }

    /// True when the inbox is full (the server stops reading until it is handled).
    pub(crate) fn inbox_full(&self) -> bool {
        self.inbox.len() >= MAX_INBOX
    }

    fn send(&mut self, text: String) {
        if self.ctx.write(&mut self.io, Message::text(text)).is_err() {
            self.done = true;
        }
        let _ = self.ctx.flush(&mut self.io);
    }

    fn send_json<T: Serialize>(&mut self, v: &T) {
        if let Ok(text) = serde_json::to_string(v) {
            self.send(text);
        }
    }
}

/// What was last sent per symbol, and the SymbolIDs of pipe-only symbols.
#[derive(Debug, Default)]
pub(crate) struct MarketFeed {
    prev: HashMap<String, Last>,
    ids: HashMap<String, u32>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Last {
    updates: u64,
    bid_ask: [f64; 4],
    trade: [f64; 2],
}

impl MarketFeed {
    fn id(&mut self, q: &QuoteRow) -> u32 {
        if q.symbol_id != 0 {
            return q.symbol_id;
        }
        let next = FIRST_PIPE_ID + self.ids.len() as u32;
        *self.ids.entry(q.symbol.clone()).or_insert(next)
    }

    /// (quote index, bid/ask changed, trade to send) per quote updated since the last call;
    /// an update that moved neither still sends its trade.
    fn changed(&mut self, snap: &Snapshot) -> Vec<(usize, bool, bool)> {
        let mut changed: Vec<(usize, bool, bool)> = Vec::new();
        for (i, q) in snap.quotes.iter().enumerate() {
            let bid_ask = [q.bid, q.ask, q.bid_size, q.ask_size];
            let trade = [q.last, q.volume];
            let last = self.prev.entry(q.symbol.clone()).or_default();
            if last.updates == q.updates {
                continue;
            }
            let same = |a: &[f64], b: &[f64]| {
                a.iter().zip(b).all(|(x, y)| x == y || x.is_nan() && y.is_nan())
            };
            let ba = !same(&bid_ask, &last.bid_ask);
            let tr = !same(&trade, &last.trade) || !ba;
            *last = Last { updates: q.updates, bid_ask, trade };
            changed.push((i, ba, tr));
        }
        changed
    }
}

/// The market-state key a subscription names: a symbol with a quote, or a DTC symbol (by its
/// server name or its market name).
fn resolve(snap: &Snapshot, sym: &str) -> Option<String> {
    if snap.quotes.iter().any(|q| q.symbol == sym) {
        return Some(sym.to_string());
    }
    let dtc = snap.dtc.iter().flat_map(|d| d.symbols.iter());
    dtc.clone().find(|s| s.name == sym || s.market_name == sym).map(|s| s.market_name.clone())
}

fn quote<'a>(snap: &'a Snapshot, key: &str) -> Option<&'a QuoteRow> {
    snap.quotes.binary_search_by(|q| q.symbol.as_str().cmp(key)).ok().map(|i| &snap.quotes[i])
}

impl Server {
    /// Handles the messages a market-data client sent, then flushes its answers.
    pub(crate) fn ws_process(&mut self, key: usize) {
        let Some(c) = self.conns.get_mut(key) else { return };
        let Mode::Ws(ws) = &mut c.mode else { return };
        let inbox = std::mem::take(&mut ws.inbox);
        self.stats.ws_messages += inbox.len() as u64;
        for m in inbox {
            let Some(c) = self.conns.get_mut(key) else { return };
            let Mode::Ws(ws) = &mut c.mode else { return };
            let snap = &self.view.snap;
            match m {
                Message::Text(t) => command(ws, snap, &mut self.market, t.as_str()),
                _ => ws.send_json(&Answer {
                    action: "",
                    symbol: None,
                    success: false,
                    reason: Some("text JSON messages only"),
                }),
            }
        }
        self.ws_out(key);
    }

    /// Moves a client's frames to its socket; closes a finished client once flushed.
    fn ws_out(&mut self, key: usize) {
        let max = self.cfg.max_client_queue_bytes;
        let Some(c) = self.conns.get_mut(key) else { return };
        let Mode::Ws(ws) = &mut c.mode else { return };
        c.out.extend_from_slice(&ws.io.tx);
        ws.io.tx.clear();
        let done = ws.done;
        if c.pending() > max {
            return self.drop_slow(key);
        }
        self.flush(key);
        if done && self.conns.get(key).is_some_and(|c| c.pending() == 0) {
            self.close(key);
        }
    }

    /// A behind client drained: a fresh 104 for every symbol that changed meanwhile.
    pub(crate) fn ws_drained(&mut self, key: usize) {
        let Some(c) = self.conns.get_mut(key) else { return };
        let Mode::Ws(ws) = &mut c.mode else { return };
        if ws.done {
            return self.close(key);
        }
        if !ws.subs.iter().any(|s| s.dirty) {
            return;
        }
        let snap = &self.view.snap;
        let mut msgs = Vec::new();
        for s in ws.subs.iter_mut().filter(|s| s.dirty) {
            s.dirty = false;
            let q = quote(snap, &s.key);
            let id = q.map_or(0, |q| self.market.id(q));
            msgs.push(
                serde_json::to_string(&snapshot_104(q, &s.requested, id)).unwrap_or_default(),
            );
        }
        for m in msgs {
            ws.send(m);
        }
        self.ws_out(key);
    }

    /// A new snapshot: updates for every subscribed symbol that changed.
    pub(crate) fn market_updates(&mut self) {
        // Held aside while clients are written to (which needs `&mut self`), then put back.
        let snap = std::mem::take(&mut self.view.snap);
        self.updates_from(&snap);
        self.view.snap = snap;
    }

    fn updates_from(&mut self, snap: &Snapshot) {
        let changed = self.market.changed(snap);
        if changed.is_empty() {
            return;
        }
        let keys: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(c.mode, Mode::Ws(_)))
            .map(|(k, _)| k)
            .collect();
        for key in keys {
            let Some(c) = self.conns.get_mut(key) else { continue };
            let behind = c.pending() > SOFT_QUEUE;
            let Mode::Ws(ws) = &mut c.mode else { continue };
            let mut msgs = Vec::new();
            for &(i, ba, tr) in &changed {
                let q = &snap.quotes[i];
                for s in ws.subs.iter_mut().filter(|s| s.key == q.symbol) {
                    if behind {
                        if !s.dirty {
                            self.stats.conflated += 1;
                        }
                        s.dirty = true;
                        continue;
                    }
                    let id = self.market.id(q);
                    let dt = if q.ts_ns > 0 { secs(q.ts_ns) } else { 0.0 };
                    if ba {
                        msgs.push(bid_ask_108(q, &s.requested, id, dt));
                    }
                    if tr {
                        msgs.push(trade_107(q, &s.requested, id, dt));
                    }
                }
            }
            for m in msgs {
                ws.send(m);
            }
            self.ws_out(key);
        }
    }
}

/// One client command.
fn command(ws: &mut WsClient, snap: &Snapshot, feed: &mut MarketFeed, text: &str) {
    let v: serde_json::Value = match serde_json::from_str(text) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        Ok(_) => return refuse(ws, "", None, "expected a JSON object"),
        Err(_) => return refuse(ws, "", None, "bad JSON"),
    };
    let action = v.get("action").and_then(|a| a.as_str()).unwrap_or("");
    let symbol = v.get("symbol").and_then(|s| s.as_str());
    let (action, Some(symbol)) = (action, symbol) else {
        return refuse(ws, action, None, "missing symbol");
    };
    match action {
        "subscribe" => {
            let Some(key) = resolve(snap, symbol) else {
                return refuse(ws, action, Some(symbol), "unknown symbol");
            };
            if !ws.subs.iter().any(|s| s.requested == symbol) {
                if ws.subs.len() >= MAX_SUBS {
                    return refuse(ws, action, Some(symbol), "too many subscriptions");
                }
                ws.subs.push(Sub { requested: symbol.to_string(), key: key.clone(), dirty: false });
            }
            ws.send_json(&Answer { action, symbol: Some(symbol), success: true, reason: None });
            let q = quote(snap, &key);
            let id = q.map_or(0, |q| feed.id(q));
            ws.send_json(&snapshot_104(q, symbol, id));
        }
        "unsubscribe" => match ws.subs.iter().position(|s| s.requested == symbol) {
            Some(i) => {
                ws.subs.swap_remove(i);
                ws.send_json(&Answer { action, symbol: Some(symbol), success: true, reason: None });
            }
            None => refuse(ws, action, Some(symbol), "not subscribed"),
        },
        _ => refuse(ws, action, Some(symbol), "unknown action (subscribe or unsubscribe)"),
    }
}

fn refuse(ws: &mut WsClient, action: &str, symbol: Option<&str>, reason: &str) {
    ws.send_json(&Answer { action, symbol, success: false, reason: Some(reason) });
}
