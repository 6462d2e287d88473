//! The V9 server's engine-facing calls: signals in, the kill switch, typed views out.

use super::V9Server;
use crate::pipeline::{Accepted, Pipeline, Refusal, Source};
use crate::signal::Signal;
use crate::v9::peer::Peer;
use crate::v9::snapshot::{self, PeerRow, ReceiverRow, Recent, V9Stats};
use std::net::SocketAddr;
use std::time::Instant;

impl V9Server {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr()
    }

    /// The signal pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The time of the current turn, for signals submitted through [`SignalSink`](crate::signal::SignalSink).
    pub fn set_turn(&mut self, now: Instant, wall_ns: i64) {
        self.now = now;
        self.wall_ns = wall_ns;
    }

    /// Sets the most bytes read from each connection accepted from now on per loop turn (at
    /// least 1; tests use tiny ones). The default is [`crate::v9::peer::READ_BUDGET`].
    pub fn set_read_budget(&mut self, bytes: usize) {
        self.read_budget = crate::endpoint::ReadBudget::new(bytes);
    }

    /// Submits a signal from any source to the pipeline, this server being its output.
    pub fn submit(
        &mut self,
        sig: &Signal<'_>,
        source: Source<'_>,
        read_at: Instant,
        wall_ns: i64,
    ) -> Result<Accepted, Refusal> {
        let mut out = self.hub.output(&mut self.conns);
        let r = self.pipeline.submit(sig, source, read_at, wall_ns, &mut out);
        self.hub.counted(r.is_ok());
        r
    }

    /// Kill switch on (`by` for the journal): `FLATTEN|ALL|0` to every receiver, opening
    /// signals refused until [`Self::arm`].
    pub fn kill(&mut self, by: &str, now: Instant, wall_ns: i64) -> Result<Accepted, Refusal> {
        let mut out = self.hub.output(&mut self.conns);
        let r = self.pipeline.kill(by, now, wall_ns, &mut out);
        self.hub.counted(r.is_ok());
        r
    }

    /// Kill switch off; returns whether it changed.
    pub fn arm(&mut self, by: &str, now: Instant, wall_ns: i64) -> bool {
        self.pipeline.arm(by, now, wall_ns)
    }

    /// Counters.
    pub fn stats(&self) -> V9Stats {
        snapshot::stats(&self.hub, &self.listener, &self.peers)
    }

    /// Connected receivers with their positions (allocates: for reports, not the hot path).
    pub fn receivers(&self) -> Vec<ReceiverRow> {
        self.peers.iter().filter(|(_, p)| p.receives()).map(|(_, p)| ReceiverRow::of(p)).collect()
    }

    /// Every connection, for the periodic report (allocates: not the hot path).
    pub fn peer_rows(&self) -> Vec<PeerRow> {
        self.peers.iter().map(|(_, p)| PeerRow::of(p)).collect()
    }

    /// Every connection's peer with its key and queued output bytes (no allocation: for
    /// observers that read between turns, like the operator surface).
    pub fn peers(&self) -> impl Iterator<Item = (usize, &Peer, usize)> + '_ {
        self.peers.iter().map(|(k, p)| (k, p, self.conns.queued(k)))
    }

    /// The last signals written and summaries back (see [`Recent`]).
    pub fn recent(&self) -> &Recent {
        self.hub.recent()
    }

    /// Connections still flushing their last bytes (the engine waits for them at shutdown).
    pub fn flushing(&self) -> usize {
        self.conns.flushing()
    }
}
