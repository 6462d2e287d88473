//! The periodic report: a typed snapshot taken on the loop, formatted and logged on its own thread.

use super::endpoints::Endpoints;
use crate::dtc::DtcSnapshot;
use crate::market::{MarketState, Quote};
use crate::metrics::LatencyHist;
use crate::pipe::endpoint::PipeStats;
use crate::pipe::BadInput;
use crate::v9::snapshot::{PeerRow, V9Stats};
use crossbeam_channel::{Sender, TrySendError};
use log::{info, warn};
use std::fmt::{self, Write as _};
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Instant;

mod risk;
pub use risk::{AccountRisk, RiskReport};

/// Reports in flight to the reporter thread. Each holds copies of every histogram (a few
/// hundred KB), so the queue is short: when logging stalls, reports are dropped, not queued.
const REPORTS_IN_FLIGHT: usize = 2;

/// Everything one periodic report shows, by value: counters, copies of the histograms, the
/// connections and the market table. Taken on the loop (allocates, once per report period),
/// formatted by [`fmt::Display`] anywhere else.
#[derive(Clone, Debug)]
pub struct Report {
    /// When it was taken (ages in the text are relative to this).
    pub at: Instant,
    /// Every histogram, the engine's loop-turn first.
    pub histograms: Vec<LatencyHist>,
    /// The V9 server, when there is one.
    pub v9: Option<V9Report>,
    /// The pipe ingest, when configured.
    pub pipe: Option<PipeReport>,
    /// Every DTC connection, in configuration order.
    pub dtc: Vec<DtcSnapshot>,
    /// The market state, sorted by symbol.
    pub market: Vec<(String, Quote)>,
}

/// The V9 section of a report.
#[derive(Clone, Debug)]
pub struct V9Report {
    /// The listening address.
    pub addr: SocketAddr,
    /// Its counters.
    pub stats: V9Stats,
    /// Every connection.
    pub peers: Vec<PeerRow>,
    /// The signal pipeline it holds.
    pub pipeline: PipelineReport,
    /// The risk layer (kill switch, loss-limit headroom), when configured.
    pub risk: Option<RiskReport>,
}

/// The signal pipeline's line of a report.
#[derive(Clone, Copy, Debug)]
pub struct PipelineReport {
    /// This run's epoch.
    pub epoch: u64,
    /// The last id given.
    pub last_id: u64,
    /// Its counters.
    pub stats: crate::pipeline::PipelineStats,
    /// Signals held for replay.
    pub replay_window: usize,
}

/// The pipe section of a report.
#[derive(Clone, Debug)]
pub struct PipeReport {
    /// The pipe or FIFO path.
    pub path: String,
    /// Its counters.
    pub stats: PipeStats,
}

impl Report {
    /// The state of `eps` and `market` at `now`, with the endpoints' histograms (the engine
    /// puts its own loop-turn histogram first).
    pub fn collect(eps: &Endpoints, market: &MarketState, now: Instant) -> Report {
        let v9 = eps.v9.as_ref().map(|v| V9Report {
            addr: v.local_addr(),
            stats: v.stats(),
            peers: v.peer_rows(),
            pipeline: {
                let p = v.pipeline();
                PipelineReport {
                    epoch: p.epoch(),
                    last_id: p.last_id(),
                    stats: p.stats(),
                    replay_window: p.replay().len(),
                }
            },
            risk: v.pipeline().risk().map(RiskReport::of),
        });
        let pipe =
            eps.pipe.as_ref().map(|p| PipeReport { path: p.path().to_string(), stats: p.stats() });
        let mut quotes: Vec<(String, Quote)> =
            market.iter().map(|(s, q)| (s.to_string(), q.clone())).collect();
        quotes.sort_by(|a, b| a.0.cmp(&b.0));
        Report {
            at: now,
            histograms: eps.histograms().into_iter().cloned().collect(),
            v9,
            pipe,
            dtc: eps.dtc.iter().map(|d| d.snapshot()).collect(),
            market: quotes,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::from("report\n");
        for h in self.histograms.iter().filter(|h| !h.is_empty()) {
            let _ = writeln!(s, "  {}", h.summary_line());
        }
        if let Some(v) = &self.v9 {
            crate::v9::snapshot::write_status(&mut s, v.addr, &v.stats, &v.peers, self.at);
            let p = &v.pipeline;
            let _ = writeln!(
                s,
                "pipeline: epoch {} last id {}, accepted {} refused {} journal failures {}, \
                 replay window {} signal(s)",
                p.epoch,
                p.last_id,
                p.stats.accepted,
                p.stats.refused,
                p.stats.journal_failures,
                p.replay_window
            );
            if let Some(r) = &v.risk {
                r.write(&mut s);
            }
        }
        if let Some(p) = &self.pipe {
            pipe_line(&mut s, p);
        }
        for d in &self.dtc {
            let _ = writeln!(s, "{}", d.status_line());
        }
        if !self.market.is_empty() {
            s.push_str("market:\n");
            for (sym, q) in &self.market {
                quote_line(&mut s, sym, q, self.at);
            }
        }
        f.write_str(&s)
    }
}

fn pipe_line(out: &mut String, p: &PipeReport) {
    let s = &p.stats;
    let connects = s.writer_connects.map_or_else(|| "n/a (FIFO)".to_string(), |c| c.to_string());
    let _ = write!(
        out,
        "pipe {}: messages {} (ticks {}, signals {}, refused {}), bytes {}, writer connects {connects}, bad {}",
        p.path, s.messages, s.ticks, s.signals, s.signals_refused, s.bytes, s.bad_total()
    );
    if s.fifo_reopened + s.fifo_refused > 0 {
        let _ = write!(
            out,
            ", FIFO path changes: reopened {} refused {}",
            s.fifo_reopened, s.fifo_refused
        );
    }
    for r in BadInput::ALL.iter().filter(|r| s.bad(**r) > 0) {
        let _ = write!(out, " {}={}", r.as_str(), s.bad(*r));
    }
    out.push('\n');
}

fn quote_line(out: &mut String, sym: &str, q: &Quote, at: Instant) {
    let _ = writeln!(
        out,
        "  {sym:<12} bid {:>10} ask {:>10} last {:>10} vol {:>6} updates {:>9} gaps {} age {:.1}s ({:?})",
        q.bid,
        q.ask,
        q.last,
        q.volume,
        q.updates,
        q.seq_gaps,
        at.saturating_duration_since(q.updated).as_secs_f64(),
        q.feed
    );
}

/// The thread that formats and logs reports, and the loop's end of its queue.
#[derive(Debug)]
pub(crate) struct Reporter {
    tx: Sender<Report>,
    join: JoinHandle<()>,
    dropped: u64,
}

impl Reporter {
    /// Starts the thread (before the loop pins itself, so the thread does not share its core).
    pub(crate) fn spawn() -> Option<Reporter> {
        let (tx, rx) = crossbeam_channel::bounded::<Report>(REPORTS_IN_FLIGHT);
        let spawned = std::thread::Builder::new().name("v9bridge-report".into()).spawn(move || {
            for report in rx {
                info!("{report}");
            }
        });
        match spawned {
            Ok(join) => Some(Reporter { tx, join, dropped: 0 }),
            Err(e) => {
                warn!("engine: cannot spawn the report thread ({e}); periodic reports are off");
                None
            }
        }
    }

    /// Hands a report over without waiting: when the thread is behind, this one is dropped.
    pub(crate) fn send(&mut self, report: Report) {
        match self.tx.try_send(report) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped += 1;
                // Once per power of two: a stalled logger must not turn into a log flood.
                if self.dropped.is_power_of_two() {
                    warn!("engine: {} periodic reports dropped (logging is behind)", self.dropped);
                }
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// Closes the queue and waits for the thread to log what it holds.
    pub(crate) fn finish(self) {
        drop(self.tx);
        let _ = self.join.join();
    }
}

#[cfg(test)]
mod tests;
