//! The simulated receiver's protocol state (pure): dedupe, replay, SYNC, catch-up and its reports.
//
// Lines in, bytes to send out (in `out`); no sockets, no clock: the caller passes the time. What
// survives reconnects lives here: the server epoch, the highest id received and, per account,
// the last id executed.

use super::saved::Saved;
use super::{instrument, ReceiverArgs, ReceiverReport, XorShift};
use crate::signal::Signal;
use crate::sim::catchup::{self, CatchUp, CatchUpMode, ReadyInfo, Sync};
use crate::sim::model::Routing;
use crate::v9::codec::{self, Direction, ErrorCode, Message};
use crate::v9::encode;
use log::{debug, info, warn};
use std::time::Instant;

/// What the connection loop must know about a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Event {
    /// READY: the connection is up.
    Ready,
    /// HEARTBEAT_ACK.
    Ack,
    /// Anything else (answers, if any, are in `out`).
    Other,
}

pub(super) struct State {
    name: String,
    no_terminator: bool,
    pub(super) record: bool,
    pub(super) report: ReceiverReport,
    prices: Vec<(String, f64)>,
    pub(super) rng: XorShift,
    /// Bytes to send, message boundaries marked as [`end_message`] says.
    pub(super) out: Vec<u8>,
    /// Highest id received (any part of it), sent as `Last_ID:` on reconnect.
    high: u64,
    /// A CONNECT went out before (so the next one carries Last_ID/Epoch).
    resumed: bool,
    /// This connection's CONNECT carried no Last_ID: ids up to READY's Last_ID are history.
    fresh: bool,
    /// The server's READY has no Epoch: a base server, whose ids restart at 1 when it does.
    base: bool,
    /// No signal yet on this connection (for the base server's restart check).
    first_signal: bool,
    /// Symbols SYNC changed since the last CAUGHT_UP.
    synced: Vec<String>,
    /// Bumped by every change worth saving (`--state-file`).
    pub(super) changes: u64,
}

impl State {
    pub(super) fn new(args: &ReceiverArgs) -> State {
        let seed = args
            .name
            .bytes()
            .fold(0x9E37_79B9_7F4A_7C15u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01B3));
        let book =
            crate::sim::model::Book::with_named_accounts(&args.account_prefix, args.accounts);
        State {
            name: args.name.clone(),
            no_terminator: args.no_terminator,
            record: args.record_arrivals,
            report: ReceiverReport {
                last_executed: vec![0; book.accounts.len()],
                book,
                ..Default::default()
            },
            prices: Vec::new(),
            rng: XorShift(seed | 1),
            out: Vec::with_capacity(8192),
            high: 0,
            resumed: false,
            fresh: true,
            base: false,
            first_signal: true,
            synced: Vec::new(),
            changes: 0,
        }
    }

    /// The snapshot for `--state-file`.
    pub(super) fn saved(&self) -> Saved {
        Saved::of(&self.report, self.high)
    }

    /// Continues from a snapshot: the next CONNECT resumes, like a reconnect.
    pub(super) fn restore(&mut self, saved: Saved) -> Result<(), String> {
        if saved.book.accounts != self.report.book.accounts
            || saved.last_executed.len() != saved.book.accounts.len()
        {
            return Err("state file: its accounts are not this receiver's (--accounts)".into());
        }
        self.high = saved.restore(&mut self.report);
        self.resumed = true;
        Ok(())
    }

    /// CONNECT: `Accounts:` always (this receiver honours routing); `Last_ID:`/`Epoch:` from
    /// the second connect of the process on.
    pub(super) fn connect(&mut self) {
        let book = &self.report.book;
        let mut meta = String::from("Version:1.0");
        if self.resumed {
            meta.push_str(&format!("|Last_ID:{}", self.high));
            if let Some(e) = self.report.epoch {
                meta.push_str(&format!("|Epoch:{e}"));
            }
        }
        if !book.accounts.is_empty() {
            meta.push_str("|Accounts:");
            meta.push_str(&book.accounts.join("+"));
        }
        self.fresh = !self.resumed;
        self.resumed = true;
        self.first_signal = true;
        encode::connect(&mut self.out, &self.name, book.accounts.len() as u32, &meta);
        self.end();
    }

    /// HEARTBEAT, then every position and a summary without ID.
    pub(super) fn heartbeat(&mut self, unix_secs: i64) {
        let status = format!("Connected:{}_Accounts", self.report.book.accounts.len());
        encode::heartbeat(&mut self.out, &self.name, &status);
        self.end();
        self.positions_for(None, unix_secs);
        self.summary(None);
    }

    pub(super) fn on_line(&mut self, line: &[u8], arrived: Instant, unix_secs: i64) -> Event {
        if let Some(c) = catchup::parse(line) {
            match c {
                Ok(CatchUp::Sync(s)) => self.sync(&s),
                Ok(CatchUp::CaughtUp(c)) => self.caught_up(c, unix_secs),
                Err(e) => self.bad_line(line, e),
            }
            return Event::Other;
        }
        match codec::parse(line) {
            Ok(Message::Ready { status, .. }) => {
                self.ready(ReadyInfo::from_status(status));
                return Event::Ready;
            }
            Ok(Message::HeartbeatAck { .. }) => return Event::Ack,
            Ok(Message::Signal(s)) => self.signal(&s.signal, s.id, arrived, unix_secs),
            Ok(Message::Error(e)) => {
                warn!(
                    "receiver {}: server ERROR {} {} {}",
                    self.name, e.code, e.message, e.details
                );
                self.report.server_errors.push(format!("{}|{}", e.code, e.message));
                if e.message == "Last_ID in the future" {
                    // The server does not know our ids (a new journal): start over as a new
                    // receiver rather than be refused on every reconnect.
                    warn!(
                        "receiver {}: forgetting ids and epoch; next connect starts fresh",
                        self.name
                    );
                    self.resumed = false;
                }
            }
            Ok(other) => debug!("receiver {}: ignoring {other:?}", self.name),
            Err(e) => self.bad_line(line, e),
        }
        Event::Other
    }

    fn bad_line(&mut self, line: &[u8], e: codec::ParseError) {
        let text = String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned();
        warn!("receiver {}: bad line from server ({}): {text:?}", self.name, e.message());
    }

    fn ready(&mut self, info: ReadyInfo) {
        self.base = info.epoch.is_none();
        if let (Some(old), Some(new)) = (self.report.epoch, info.epoch) {
            if old != new {
                info!("receiver {}: server epoch changed from {old} to {new}", self.name);
            }
        }
        if info.epoch.is_some() {
            self.report.epoch = info.epoch;
        }
        self.changes += 1;
        if let (true, Some(m)) = (self.fresh, info.last_id) {
            // Live only from here: what the server numbered before we came is not ours to run.
            self.high = m;
            self.report.last_executed.iter_mut().for_each(|l| *l = m);
        }
    }

    fn signal(&mut self, sig: &Signal<'_>, id: Option<u64>, arrived: Instant, unix_secs: i64) {
        if Routing::of_signal(sig).is_err() {
            encode::error(
                &mut self.out,
                ErrorCode::InvalidSignal,
                "Invalid Accounts option",
                format_args!("Symbol: {}", sig.symbol),
            );
            self.end();
            self.summary(id);
            return;
        }
        if sig.extras().iter().any(|o| o.eq_ignore_ascii_case("Replay:1")) {
            self.report.replayed += 1;
        }
        if let Some(id) = id {
            if std::mem::take(&mut self.first_signal) && self.base && id <= self.high {
                // A base server numbers from 1 again after a restart and never replays, so an
                // old id first on a new connection means new signals, not duplicates.
                info!("receiver {}: ids restarted at {id}: the server restarted", self.name);
                self.high = 0;
                self.report.last_executed.iter_mut().for_each(|l| *l = 0);
            }
            if id > self.high {
                self.report.id_gaps += id - self.high - 1;
                self.high = id;
            }
        }
        let symbols: Vec<String> = if sig.symbol == "ALL" {
            self.report.book.holdings.iter().flatten().map(|h| h.symbol.clone()).collect()
        } else {
            vec![sig.symbol.to_string()]
        };
        let prices: Vec<(String, f64)> =
            symbols.iter().map(|s| (s.clone(), self.price(s))).collect();
        let price_of =
            |s: &str| prices.iter().find(|(p, _)| p == s).map_or(instrument(s).0, |(_, p)| *p);
        let (last, mut executed, mut skipped) = (&mut self.report.last_executed, 0u32, 0u64);
        let touched = self.report.book.apply_to(sig, price_of, |a| match id {
            Some(id) if last[a] >= id => {
                skipped += 1;
                false
            }
            Some(id) => {
                last[a] = id;
                executed += 1;
                true
            }
            None => {
                executed += 1;
                true
            }
        });
        self.report.duplicates += skipped;
        if executed == 0 && skipped > 0 {
            // Every targeted account already ran it: a duplicate, not answered.
            self.report.duplicate_signals += 1;
            return;
        }
        self.report.signals += 1;
        self.changes += 1;
        if let Some(id) = id.filter(|_| self.record) {
            self.report.arrivals.push((id, arrived));
            self.report.executions.push((id, executed));
        }
        for sym in &touched {
            self.positions_for(Some(sym), unix_secs);
        }
        self.summary(id);
    }

    fn sync(&mut self, s: &Sync<'_>) {
        let Ok(routing) = s.routing() else { return }; // parse() already refused bad lists
        let price = self.price(s.symbol);
        let last = &mut self.report.last_executed;
        let set = self.report.book.sync(s.symbol, s.sign(), s.qty, routing, price, |a| {
            last[a] = s.id; // the target is the position after id m: m counts as executed
            true
        });
        self.report.syncs += 1;
        self.changes += 1;
        if set > 0 && !self.synced.iter().any(|x| x == s.symbol) {
            self.synced.push(s.symbol.to_string());
        }
        debug!(
            "receiver {}: SYNC {} {:?} {} on {set} accounts",
            self.name, s.symbol, s.direction, s.qty
        );
    }

    fn caught_up(&mut self, c: catchup::CaughtUp, unix_secs: i64) {
        info!(
            "receiver {}: caught up by {} ({} lines) at ID:{}",
            self.name,
            c.mode.as_str(),
            c.count,
            c.id
        );
        // Caught up as of m on every account. After a SYNC that is an assignment: a server
        // restarted without its journal numbers from 1 again, and its ids must not be skipped.
        let sync = c.mode == CatchUpMode::Sync;
        for l in self.report.last_executed.iter_mut() {
            *l = if sync { c.id } else { (*l).max(c.id) };
        }
        self.high = if sync { c.id } else { self.high.max(c.id) };
        self.first_signal = false;
        self.changes += 1;
        self.report.catch_ups.push(c);
        for sym in std::mem::take(&mut self.synced) {
            self.positions_for(Some(&sym), unix_secs);
        }
        self.summary(Some(c.id));
    }

    fn price(&mut self, symbol: &str) -> f64 {
        if !self.prices.iter().any(|(s, _)| s == symbol) {
            self.prices.push((symbol.to_string(), instrument(symbol).0));
        }
        let step = (self.rng.next_u64() % 5) as f64 - 2.0;
        let tick = if instrument(symbol).0 > 1000.0 { 0.25 } else { 0.01 };
        match self.prices.iter_mut().find(|(s, _)| s == symbol) {
            Some((_, p)) => {
                *p = (*p + step * tick).max(tick);
                *p
            }
            None => instrument(symbol).0,
        }
    }

    fn last_price(&self, symbol: &str, entry: f64) -> f64 {
        self.prices.iter().find(|(s, _)| s == symbol).map_or(entry, |(_, p)| *p)
    }

    fn positions_for(&mut self, symbol: Option<&str>, unix_secs: i64) {
        let book = &self.report.book;
        for (account, holdings) in book.accounts.iter().zip(&book.holdings) {
            for h in holdings.iter().filter(|h| symbol.is_none_or(|s| s == h.symbol)) {
                let (dir, q) = direction(h.qty);
                let last = self.last_price(&h.symbol, h.entry);
                let pnl = (h.realized + (last - h.entry) * h.qty as f64) * instrument(&h.symbol).1;
                encode::position(
                    &mut self.out,
                    account,
                    dir,
                    q,
                    h.entry,
                    pnl,
                    unix_secs,
                    &h.symbol,
                );
                end_message(&mut self.out, self.no_terminator);
            }
        }
    }

    fn summary(&mut self, id: Option<u64>) {
        let book = &self.report.book;
        let (mut holding, mut qty, mut long, mut short, mut pnl, mut notional) =
            (0u32, 0u32, 0u32, 0u32, 0.0, 0.0);
        for hs in &book.holdings {
            holding += hs.iter().any(|h| h.qty != 0) as u32;
            for h in hs {
                qty += h.qty.unsigned_abs() as u32;
                long += (h.qty > 0) as u32;
                short += (h.qty < 0) as u32;
                let last = self.last_price(&h.symbol, h.entry);
                pnl += (h.realized + (last - h.entry) * h.qty as f64) * instrument(&h.symbol).1;
                notional += h.entry * h.qty.unsigned_abs() as f64;
            }
        }
        let avg = if qty > 0 { notional / qty as f64 } else { 0.0 };
        encode::summary(&mut self.out, holding, qty, pnl, avg, long, short, id);
        self.end();
    }

    fn end(&mut self) {
        end_message(&mut self.out, self.no_terminator);
    }
}

/// In no-terminator mode each message goes out alone, without its LF: 0xFF (never valid UTF-8)
/// marks the boundary for the writer, which writes each message separately.
pub(super) fn end_message(out: &mut Vec<u8>, no_terminator: bool) {
    if no_terminator {
        if let Some(b'\n') = out.last() {
            out.pop();
        }
        out.push(0xFF);
    }
}

fn direction(qty: i64) -> (Direction, u32) {
    match qty {
        0 => (Direction::Flat, 0),
        q if q > 0 => (Direction::Long, q as u32),
        q => (Direction::Short, q.unsigned_abs() as u32),
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
