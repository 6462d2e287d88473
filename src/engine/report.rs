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
mod tests {
    use super::*;
    use crate::market::Feed;
    use crate::v9::codec::Summary;
    use crate::v9::reply::{Role, State};
    use crate::v9::snapshot::BookRow;
    use std::time::Duration;

    fn sample(at: Instant) -> Report {
        let mut hist = LatencyHist::new("engine.loop_turn");
        hist.record(Duration::from_micros(3));
        let book = BookRow {
            accounts: 2,
            totals: (2, 2, 2, 0),
            pnl: 74.5,
            summary: Some(Summary {
                accounts: 2,
                qty: 3,
                pnl: 74.5,
                avg_entry: 4520.5,
                breakdown: None,
                signal_id: None,
            }),
            mismatch: true,
            out_of_sync: vec!["Acc\u{2028}2".into()],
            last_update: Some(at - Duration::from_secs(2)),
            mismatches: vec![crate::v9::snapshot::PositionMismatch {
                account: "Acc\n3".into(),
                symbol: "MES".into(),
                expected: 2,
                reported: -1,
                since: at,
                flagged: true,
            }],
        };
        let peer = PeerRow {
            addr: "127.0.0.1:4000".parse().unwrap(),
            name: "Desk\nFAKE LOG LINE".into(),
            role: Role::Receiver,
            state: State::Ready,
            book: Some(book),
        };
        let mut stats = PipeStats::default();
        stats.bad[BadInput::Oversized.index()] = 1;
        let quote = Quote {
            bid: 1.0,
            ask: 1.25,
            last: f64::NAN,
            volume: 0.0,
            bid_size: 0.0,
            ask_size: 0.0,
            ts_ns: 0,
            updated: at - Duration::from_secs(1),
            last_seq: None,
            seq_gaps: 0,
            updates: 7,
            feed: Feed::Pipe,
            stale_warned: false,
        };
        Report {
            at,
            histograms: vec![hist, LatencyHist::new("v9.empty")],
            v9: Some(V9Report {
                addr: "127.0.0.1:5000".parse().unwrap(),
                stats: V9Stats { clients: 1, signals: 4, ..V9Stats::default() },
                peers: vec![peer],
                pipeline: PipelineReport {
                    epoch: 7,
                    last_id: 4,
                    stats: crate::pipeline::PipelineStats {
                        accepted: 4,
                        refused: 1,
                        journal_failures: 0,
                    },
                    replay_window: 4,
                },
                risk: Some(risk_sample()),
            }),
            pipe: Some(PipeReport { path: "/tmp/feed".into(), stats }),
            dtc: Vec::new(),
            market: vec![("ES".into(), quote)],
        }
    }

    fn risk_sample() -> RiskReport {
        let h = crate::risk::Headroom {
            loss_left: Some(350.0),
            drawdown_left: None,
            session_pnl: -150.0,
            equity: -150.0,
            excluded: false,
            breached: None,
        };
        let bad = crate::risk::Headroom {
            loss_left: Some(0.0),
            drawdown_left: Some(0.0),
            session_pnl: -520.0,
            excluded: true,
            breached: Some(crate::risk::LossRule::DailyLoss),
            ..h
        };
        RiskReport {
            kill_switch: crate::risk::KillSwitch::Trading,
            accounts: vec![
                AccountRisk { name: "A1".into(), headroom: h },
                AccountRisk { name: "A\n2".into(), headroom: bad },
            ],
            refused: 2,
        }
    }

    #[test]
    fn report_text_has_every_section_on_its_own_lines() {
        let text = sample(Instant::now()).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "report");
        assert!(lines[1].starts_with("  engine.loop_turn n=1 "), "{text}");
        assert!(!text.contains("v9.empty"), "empty histograms are left out: {text}");
        assert!(lines[2].starts_with("v9 127.0.0.1:5000: 1 clients, signals 4"), "{text}");
        assert!(lines[3].contains(
            "Receiver/Ready accounts 2 holding 2 qty 2 long 2 short 0 pnl +74.50 | summary 2 3 +74.50 MISMATCH"
        ));
        assert!(lines[3].ends_with("| last update 2.0s ago"), "{text}");
        assert_eq!(
            lines[4],
            "pipeline: epoch 7 last id 4, accepted 4 refused 1 journal failures 0, \
             replay window 4 signal(s)"
        );
        assert_eq!(lines[5], "risk: kill switch off (trading), refused 2, accounts 2 (1 excluded)");
        assert_eq!(lines[6], "  account A1: session pnl -150.00 loss left 350.00 drawdown left -");
        assert_eq!(
            lines[7],
            "  account A\\n2: session pnl -520.00 loss left 0.00 drawdown left 0.00 \
             EXCLUDED (DAILY_LOSS; arm to trade)"
        );
        assert!(
            lines[8].starts_with("pipe /tmp/feed: messages 0") && lines[8].ends_with("oversized=1")
        );
        assert_eq!(lines[9], "market:");
        assert!(lines[10].starts_with("  ES ") && lines[10].contains("age 1.0s (Pipe)"), "{text}");
        assert_eq!(lines.len(), 11, "{text}");
    }

    #[test]
    fn peer_strings_cannot_forge_report_lines() {
        let text = sample(Instant::now()).to_string();
        assert!(text.contains("Desk\\u{a}FAKE LOG LINE"), "{text}");
        assert!(text.contains("OUT OF SYNC after FLATTEN: Acc\\u{2028}2"), "{text}");
        assert!(text.contains("OUT OF SYNC: Acc\\u{a}3/MES expected 2 reported -1"), "{text}");
        assert!(!text.lines().any(|l| l.starts_with("FAKE")));
    }

    #[test]
    fn a_full_queue_drops_reports_instead_of_blocking() {
        let (tx, rx) = crossbeam_channel::bounded(REPORTS_IN_FLIGHT);
        let join = std::thread::spawn(|| {});
        let mut r = Reporter { tx, join, dropped: 0 };
        let at = Instant::now();
        for _ in 0..REPORTS_IN_FLIGHT + 3 {
            r.send(sample(at));
        }
        assert_eq!(r.dropped, 3);
        assert_eq!(rx.len(), REPORTS_IN_FLIGHT);
        r.finish();
        assert_eq!(rx.iter().count(), REPORTS_IN_FLIGHT, "the queued ones stay deliverable");
    }
}
