//! The V9 server's shared state and counters; it carries out a peer's replies.

use super::broadcast::{Broadcast, Record};
use super::conn::Conns;
use super::escape::Esc;
use super::guard::{AuthThrottle, RateLog};
use super::peer::Peer;
use super::reply::{CloseReason, Reply, Role};
use super::reply::{Counters, Policy};
use super::retired::Retired;
use super::server::route::Receivers;
use super::snapshot::{Answer, Recent, Written};
use super::timers::Deadlines;
use crate::config::V9Config;
use crate::metrics::LatencyHist;
use crate::pipeline::{Delta, Output, Route, Sent};
use crate::signal::Origin;
use log::{info, warn};
use std::time::{Duration, Instant};

/// Server-level counts (per-peer ones live in each peer's [`Counters`] until it leaves).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Totals {
    /// Connections accepted.
    pub accepted: u64,
    /// Signals broadcast.
    pub signals: u64,
    /// Signals refused by the broadcast itself (validation, length).
    pub rejected: u64,
    /// Receivers dropped for a full output queue.
    pub overflows: u64,
    /// Failed publisher authentications.
    pub auth_failures: u64,
    /// Retired books evicted to stay within their bounds.
    pub evicted_books: u64,
    /// The counters of peers that have left.
    pub departed: Counters,
}

/// Settings taken from the configuration once.
#[derive(Debug)]
pub(super) struct Settings {
    /// Idle timeout.
    pub timeout: Duration,
    /// Unterminated grace period.
    pub grace: Duration,
    /// Connections beyond this are refused.
    pub max_clients: usize,
    /// Time allowed for accounts to go flat after a FLATTEN.
    pub flatten_check: Duration,
    token: Option<crate::config::Secret>,
}

/// The server's shared state apart from its sockets and peers.
#[derive(Debug)]
pub(super) struct Hub {
    settings: Settings,
    bcast: Broadcast,
    retired: Retired,
    auth: AuthThrottle,
    auth_log: RateLog,
    totals: Totals,
    h_read: LatencyHist,
    h_pipe: LatencyHist,
    h_summary: LatencyHist,
    recent: Recent,
    rx: Receivers,
}

impl Hub {
    /// From the configuration.
    pub(super) fn new(cfg: &V9Config) -> Hub {
        Hub {
            settings: Settings {
                timeout: Duration::from_secs_f64(cfg.client_timeout_s),
                grace: Duration::from_millis(cfg.unterminated_grace_ms),
                max_clients: cfg.max_clients,
                flatten_check: Duration::from_millis(cfg.flatten_check_ms),
                token: cfg.publisher_token.clone(),
            },
            bcast: Broadcast::default(),
            retired: Retired::default(),
            auth: AuthThrottle::default(),
            auth_log: RateLog::new(Duration::from_secs(10)),
            totals: Totals::default(),
            h_read: LatencyHist::new("v9.publisher_read_to_broadcast_written"),
            h_pipe: LatencyHist::new("v9.pipe_signal_to_broadcast_written"),
            h_summary: LatencyHist::new("v9.signal_sent_to_summary_back"),
            recent: Recent::default(),
            rx: Receivers::default(),
        }
    }

    /// The settings.
    pub(super) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Counts so far.
    pub(super) fn totals(&self) -> &Totals {
        &self.totals
    }

    /// Books kept for reconnection.
    pub(super) fn retired(&self) -> &Retired {
        &self.retired
    }

    /// What peers decide with, now (`last_signal`, `epoch`: the pipeline's).
    pub(super) fn policy(&self, last_signal: u64, epoch: u64) -> Policy<'_> {
        Policy {
            token: self.settings.token.as_ref().map(crate::config::Secret::expose),
            auth: &self.auth,
            last_signal,
            epoch,
            timeout: self.settings.timeout,
            grace: self.settings.grace,
        }
    }

    /// The last signals written and summaries back.
    pub(super) fn recent(&self) -> &Recent {
        &self.recent
    }

    /// The histograms.
    pub(super) fn histograms(&self) -> [&LatencyHist; 3] {
        [&self.h_read, &self.h_pipe, &self.h_summary]
    }

    /// Clears the histograms.
    pub(super) fn reset_histograms(&mut self) {
        self.h_read.reset();
        self.h_pipe.reset();
        self.h_summary.reset();
    }

    /// Counts a signal accepted (or refused) by the pipeline.
    pub(super) fn counted(&mut self, accepted: bool) {
        if accepted {
            self.totals.signals += 1;
        } else {
            self.totals.rejected += 1;
        }
    }

    /// The pipeline's output into `conns`: fan-out plus the record the flush logs and times.
    pub(super) fn output<'a>(&'a mut self, conns: &'a mut Conns) -> V9Out<'a> {
        V9Out { conns, bcast: &mut self.bcast, rx: &mut self.rx }
    }

    /// Receivers' bound accounts.
    pub(super) fn receivers(&self) -> &Receivers {
        &self.rx
    }

    /// Receivers' bound accounts, to bind or route.
    pub(super) fn receivers_mut(&mut self) -> &mut Receivers {
        &mut self.rx
    }

    /// What each receiver was sent of routed signal `r` (see [`Broadcast::deltas`]).
    pub(super) fn deltas(&self, r: &Record) -> &[(u32, Delta)] {
        self.bcast.deltas(r)
    }

    /// True when signals wait for the flush.
    pub(super) fn pending(&self) -> bool {
        self.bcast.pending()
    }

    /// The next signal written by the flush that just ran; its latency is recorded at `at`.
    pub(super) fn next_written(&mut self, at: Instant) -> Option<Record> {
        let r = self.bcast.next_written(at)?;
        let hist = if r.origin == Origin::Pipe { &mut self.h_pipe } else { &mut self.h_read };
        hist.record(at.saturating_duration_since(r.read_at));
        self.recent.written.push(Written { record: r, at });
        Some(r)
    }

    /// Carries out `reply` for the peer under `key` (`Connected` goes to [`Hub::connected`],
    /// `Publish` to the pipeline).
    pub(super) fn apply(
        &mut self,
        conns: &mut Conns,
        key: usize,
        reply: Reply<'_>,
        read_at: Instant,
    ) {
        match reply {
            Reply::Nothing
            | Reply::Connected(..)
            | Reply::Publish(_)
            | Reply::Kill
            | Reply::Arm => {}
            Reply::Send(msg) | Reply::Refused { msg, .. } => conns.queue(key, msg),
            Reply::Fail(msg, _) => conns.finish(key, msg, false),
            Reply::Answered(id, _) => {
                let latency = self.bcast.log().written_at(id).map(|at| {
                    let l = read_at.saturating_duration_since(at);
                    self.h_summary.record(l);
                    l
                });
                self.recent.answers.push(Answer { id, key, latency });
            }
        }
    }

    /// Handshake done: a reconnecting receiver gets its book back; READY is queued.
    pub(super) fn connected(
        &mut self,
        conns: &mut Conns,
        key: usize,
        peer: &mut Peer,
        ready: (u64, u64),
    ) {
        let role = peer.role();
        if role == Role::Receiver {
            if let Some(book) = self.retired.take(peer.name()) {
                info!(
                    "v9 {}: {} reconnected; its {} known positions were kept",
                    peer.addr(),
                    Esc(peer.name()),
                    book.positions().len()
                );
                peer.restore_book(book);
            }
        } else {
            self.auth.succeeded(peer.addr().ip());
        }
        info!(
            "v9 {}: {} READY as {role:?} with {} accounts",
            peer.addr(),
            Esc(peer.name()),
            peer.accounts()
        );
        if let Some(c) = conns.get_mut(key) {
            c.set_mode(peer.receives(), peer.unterminated());
        }
        conns.queue(key, peer.ready(ready.0, ready.1));
    }

    /// A departed peer: its counters join the totals, a receiver's book is filed.
    pub(super) fn departed(&mut self, peer: Peer) {
        let c = peer.counters();
        let d = &mut self.totals.departed;
        d.messages += c.messages;
        d.bad += c.bad;
        d.rejected += c.rejected;
        d.summaries_with_id += c.summaries_with_id;
        d.timeouts += c.timeouts;
        d.positions_refused += c.positions_refused;
        if let Some(id) = peer.book().pending_flatten() {
            warn!(
                "v9 {}: disconnected before its FLATTEN #{id} check: flatness unknown",
                Esc(peer.name())
            );
        }
        if let Some((name, book)) = peer.into_retired() {
            self.totals.evicted_books += self.retired.put(name, book) as u64;
        }
    }

    /// Counts an accepted connection.
    pub(super) fn accepted(&mut self) {
        self.totals.accepted += 1;
    }

    /// Counts a receiver dropped as a slow consumer.
    pub(super) fn overflowed(&mut self) {
        self.totals.overflows += 1;
    }

    /// Records a refused publisher (throttle + rate-limited log); a throttled attempt is not a
    /// failure (its token was not checked) and does not lengthen the delay.
    pub(super) fn auth_refused(&mut self, peer: &Peer, reason: CloseReason, now: Instant) {
        self.totals.auth_failures += 1;
        let (failures, delay) = if reason == CloseReason::Unauthorized {
            self.auth.failed(peer.addr().ip(), now)
        } else {
            (0, self.auth.blocked(peer.addr().ip(), now).unwrap_or_default())
        };
        if let Some(held) = self.auth_log.open(now) {
            warn!(
                "v9 {}: publisher refused: {reason} ({failures} failure(s) in a row; next token check in {:.1}s); {held} more refusals since the last line",
                peer.addr(),
                delay.as_secs_f64()
            );
        }
    }

    /// Starts the FLATTEN check of signal `r` for every READY receiver and arms its deadline.
    pub(super) fn expect_flat(
        &self,
        r: &Record,
        peers: &mut slab::Slab<Peer>,
        timers: &mut Deadlines,
    ) {
        let deadline = r.read_at + self.settings.flatten_check;
        let (timeout, grace) = (self.settings.timeout, self.settings.grace);
        for (key, p) in peers.iter_mut().filter(|(_, p)| p.receives()) {
            p.expect_flat(r.id, r.symbol.as_str(), deadline);
            timers.arm(key, p.deadline(timeout, grace));
        }
    }
}

/// The V9 connections as the pipeline's output.
pub(super) struct V9Out<'a> {
    conns: &'a mut Conns,
    bcast: &'a mut Broadcast,
    rx: &'a mut Receivers,
}

impl Output for V9Out<'_> {
    fn fan_out(&mut self, route: Route<'_>, line: &[u8], sent: &Sent) -> u32 {
        match route {
            Route::AllReady => {
                let receivers = self.conns.fan_out(line);
                self.bcast.queued(sent, receivers);
                receivers
            }
            Route::Routed(routing) => {
                let receivers = self.conns.fan_out_with(line, &mut self.rx.picker(routing));
                let skipped = self.rx.take_skipped();
                self.bcast.queued_routed(sent, (receivers, skipped), self.rx.deltas());
                self.rx.clear_deltas();
                receivers
            }
        }
    }
}
