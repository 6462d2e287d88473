//! The V9 server as the pipeline's output: other sources' entry, catch-up, reconciliation.

use super::route::Receivers;
use super::V9Server;
use crate::pipeline::{Mode, Pipeline, Refusal, Request, Source};
use crate::signal::{Origin, Signal, SignalError, SignalSink};
use crate::v9::codec::ErrorCode;
use crate::v9::conn::Conns;
use crate::v9::escape::Esc;
use crate::v9::peer::Peer;
use crate::v9::reply::{CloseReason, Details, Outgoing, Time};
use log::info;
use std::time::{Duration, Instant};

impl V9Server {
    /// Compares every receiver's reported positions with the expected ones; differences past
    /// the grace period are flagged (log, journal, snapshot rows), and cleared when fixed.
    pub(super) fn reconcile(&mut self, t: Time) {
        let grace = self.pipeline.reconcile_grace();
        let period = (grace / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
        self.reconcile_at = t.now + period;
        let pl = &mut self.pipeline;
        for (_, p) in self.peers.iter_mut().filter(|(_, p)| p.receives()) {
            let addr = p.addr();
            p.reconcile((t.now, grace), |name, c| {
                if c.flagged {
                    log::warn!(
                        "v9 {addr} ({}): out of sync: account {} {}: expected {} reported {} for over {} ms",
                        Esc(name),
                        Esc(c.account),
                        c.symbol,
                        c.expected,
                        c.reported,
                        grace.as_millis()
                    );
                } else {
                    info!(
                        "v9 {addr} ({}): back in sync: account {} {} at {}",
                        Esc(name),
                        Esc(c.account),
                        c.symbol,
                        c.reported
                    );
                }
                pl.reconciled(name, c, (t.now, t.wall_ns));
            });
        }
    }
}

impl SignalSink for V9Server {
    /// Other endpoints' signals (the pipe, later DTC) enter the pipeline here, stamped with
    /// the turn set by [`V9Server::set_turn`].
    fn publish(
        &mut self,
        signal: &Signal<'_>,
        origin: Origin,
        read_at: Instant,
    ) -> Result<u64, SignalError> {
        let source = match origin {
            Origin::Pipe => Source::Pipe,
            Origin::Publisher | Origin::Engine => Source::Cli,
        };
        match self.submit(signal, source, read_at, self.wall_ns) {
            Ok(a) => Ok(a.id),
            Err(Refusal::Invalid(e)) => Err(e),
            // The sink's callers only know validation errors; the journal's is logged already,
            // a risk refusal is counted by the risk layer.
            Err(Refusal::Journal | Refusal::Risk(_)) => Err(SignalError::BadOption),
        }
    }
}

/// The ERROR a refused publisher gets: `RISK_REJECTED|<rule>|<details>` for a risk rule,
/// `INVALID_SIGNAL|<reason>|<details>` otherwise.
pub(super) fn refusal_error(e: &Refusal) -> Outgoing<'_> {
    let (code, details) = match e {
        Refusal::Risk(r @ crate::risk::Refusal::Risk(_)) => {
            (ErrorCode::RiskRejected, Details::Risk(r))
        }
        Refusal::Risk(r) => (ErrorCode::InvalidSignal, Details::Risk(r)),
        _ => (ErrorCode::InvalidSignal, Details::None),
    };
    Outgoing::Error { code, message: e.message(), details }
}

/// Queues the catch-up `req` asks for after the READY just queued for `key`: replayed
/// signals routed for this receiver, or SYNC per account set.
pub(super) fn catch_up(
    pl: &Pipeline,
    (conns, rx): (&mut Conns, &mut Receivers),
    buf: &mut Vec<u8>,
    (key, peer): (usize, &mut Peer),
    req: Request,
    t: Time,
) {
    buf.clear();
    let room = conns.room(key);
    let mut sent = Vec::new();
    let (accounts, route_buf) = rx.for_catch_up(key);
    let done = pl.catch_up(req, (accounts, route_buf), (t.wall_ns, room), buf, &mut sent);
    // The receiver's expected positions follow what it is sent.
    let names = accounts.names();
    let expected = peer.book_mut().expected_mut();
    match done.mode {
        Mode::Sync => {
            expected.set_all(&pl.targets().sorted(), pl.last_id());
            let book = pl.book();
            for (name, i) in names.iter().filter_map(|n| Some((n, book.accounts.index(n)?))) {
                for (sym, _) in book.accounts.row(i) {
                    let target = crate::pipeline::target_of(book, name, sym.as_str());
                    expected.set_account(name, sym, target);
                }
            }
        }
        Mode::Replay => {
            let mut rest = &sent[..];
            while let Some(&(id, _)) = rest.first() {
                let n = rest.iter().take_while(|d| d.0 == id).count();
                let (mine, next) = rest.split_at(n);
                rest = next;
                if !expected.begin(id) {
                    continue;
                }
                for (_, d) in mine {
                    match d.account.and_then(|i| names.get(i as usize)) {
                        Some(name) => expected.apply_account(name, d.action, &d.symbol, d.qty),
                        None => expected.apply_every(d.action, &d.symbol, d.qty),
                    }
                }
            }
        }
        Mode::None => {}
    }
    if !conns.queue_bytes(key, buf) {
        // Even the SYNC lines do not fit (a tiny max_output_bytes): a slow consumer.
        conns.close_later(key, CloseReason::Overflow);
    }
    info!(
        "v9 {} ({}): caught up by {} ({} line(s)) to #{}",
        peer.addr(),
        Esc(peer.name()),
        done.mode.as_str(),
        done.count,
        pl.last_id()
    );
}

/// A publisher's `KILL` (flatten everyone, then refuse openings) or `ARM`; the answer to it.
pub(super) fn control(
    pl: &mut Pipeline,
    hub: &mut crate::v9::hub::Hub,
    conns: &mut Conns,
    kill: bool,
    by: &str,
    t: Time,
) -> Outgoing<'static> {
    log::warn!("v9: kill switch {} by publisher {}", if kill { "on" } else { "off" }, Esc(by));
    if !kill {
        pl.arm(by, t.now, t.wall_ns);
        return Outgoing::SignalAck { id: pl.last_id(), receivers: 0 };
    }
    let mut out = hub.output(conns);
    let r = pl.kill(by, t.now, t.wall_ns, &mut out);
    hub.counted(r.is_ok());
    match r {
        Ok(a) => Outgoing::SignalAck { id: a.id, receivers: a.receivers },
        Err(_) => Outgoing::Error {
            code: ErrorCode::InvalidSignal,
            message: "Kill switch on; its FLATTEN was not sent",
            details: Details::None,
        },
    }
}
