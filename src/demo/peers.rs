//! The demo's simulated peers: copy receivers (threads, or one external process such as the
//! NinjaTrader strategy under mono) and the ACSIL study's pipe feed, on the cores the engine
//! does not use.

use super::drive::wait_until;
use super::external::ExternalReceiver;
use super::{DemoArgs, WAIT};
use crate::config::Config;
use crate::engine::EngineHandle;
use crate::sim::model::Book;
use crate::sim::pipe_feed::{self, FeedStats, PipeFeedArgs};
use crate::sim::receiver::{self, ReceiverArgs, ReceiverReport};
use crossbeam_channel::Sender;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

type Joined<T> = JoinHandle<Result<T, String>>;

/// The running pipe feed: its thread, its stop flag, and where to inject study signals.
type Feed = (Joined<FeedStats>, Arc<AtomicBool>, Sender<Vec<u8>>);

/// Everything the demo started besides the engine.
pub(super) struct Peers {
    /// Receivers READY so far.
    pub(super) ready: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    receivers: Vec<Joined<ReceiverReport>>,
    external: Option<ExternalReceiver>,
    feed: Option<Feed>,
}

impl Peers {
    /// Starts the receivers and the pipe feed; returns once an external receiver is READY.
    pub(super) fn start(
        args: &DemoArgs,
        cfg: &Config,
        addr: &str,
        handle: &EngineHandle,
    ) -> Result<Peers, String> {
        let ready = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let cores = peer_cores(cfg);
        let external = match &args.receiver_cmd {
            Some(cmd) => Some(start_external(cmd, addr, handle, &ready)?),
            None => None,
        };
        let simulated = if external.is_some() { 0 } else { args.receivers };
        let receivers = (0..simulated)
            .map(|i| {
                let a = ReceiverArgs {
                    connect: addr.to_string(),
                    accounts: args.accounts,
                    account_prefix: super::account_prefix(args, i).into(),
                    name: format!("V9_CopyReceiver-{}", i + 1),
                    no_terminator: i < args.unterminated_receivers,
                    record_arrivals: true,
                    ..Default::default()
                };
                let (stop, ready, cores) = (stop.clone(), ready.clone(), cores.clone());
                std::thread::spawn(move || {
                    pin_to_any(&cores);
                    receiver::run(&a, &stop, Some(&ready))
                })
            })
            .collect();
        let feed = cfg.pipe.as_ref().map(|p| start_feed(&p.path, args.pipe_rate, &cores));
        pin_to_any(&cores);
        Ok(Peers { ready, stop, receivers, external, feed })
    }

    /// Where the demo writes a signal into the pipe, as the ACSIL study would.
    pub(super) fn inject(&self) -> Option<&Sender<Vec<u8>>> {
        self.feed.as_ref().map(|f| &f.2)
    }

    /// Stops the pipe feed and checks that every tick it wrote was applied (lose nothing).
    pub(super) fn stop_feed(
        &mut self,
        handle: &EngineHandle,
        outcome: &mut Result<super::drive::Driven, String>,
    ) -> Result<Option<String>, String> {
        let Some((join, stop, _)) = self.feed.take() else { return Ok(None) };
        stop.store(true, Ordering::SeqCst);
        let written = join.join().map_err(|_| "pipe feed panicked".to_string())??;
        let applied = || -> u64 {
            handle.call(|e, _| e.pipe.as_ref().map_or(0, |p| p.stats().ticks), WAIT).unwrap_or(0)
        };
        let all = wait_until(Duration::from_secs(10), || applied() >= written.ticks).is_ok();
        let got = applied();
        if !all || got != written.ticks {
            if let Ok(o) = outcome.as_mut() {
                o.problems.push(format!("pipe: {} ticks written but {got} applied", written.ticks));
            }
        }
        Ok(Some(format!(
            "pipe: {} ticks written by the simulated study, {got} applied to the market state",
            written.ticks
        )))
    }

    /// Stops the receivers (after the engine) and collects what each one holds.
    pub(super) fn finish(self, args: &DemoArgs) -> (Vec<ReceiverReport>, Option<String>) {
        self.stop.store(true, Ordering::SeqCst);
        let mut reports: Vec<ReceiverReport> =
            self.receivers.into_iter().filter_map(|j| j.join().ok().and_then(Result::ok)).collect();
        let mut problem = None;
        if let Some(x) = self.external {
            match x.quit(Duration::from_secs(30)) {
                Ok(dump) => {
                    let accounts = Book::with_accounts(args.accounts).accounts;
                    for a in dump.accounts_outside(&accounts) {
                        problem =
                            Some(format!("external receiver: account {a} is not in the model"));
                    }
                    reports
                        .push(ReceiverReport { book: dump.book(&accounts), ..Default::default() });
                }
                Err(e) => problem = Some(format!("external receiver: {e}")),
            }
        }
        (reports, problem)
    }
}

fn start_feed(path: &str, rate: f64, cores: &[core_affinity::CoreId]) -> Feed {
    let (inject_tx, inject_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
    let stop = Arc::new(AtomicBool::new(false));
    let a = PipeFeedArgs {
        pipe: path.to_string(),
        rate,
        symbols: vec!["MES".into(), "ES".into(), "NQ".into()],
        inject: Some(inject_rx),
        ..Default::default()
    };
    let (s, cores) = (stop.clone(), cores.to_vec());
    let join = std::thread::spawn(move || {
        pin_to_any(&cores);
        pipe_feed::run(&a, &s)
    });
    (join, stop, inject_tx)
}

/// Starts `--receiver-cmd` and waits until the engine has it as a READY receiver.
fn start_external(
    cmd: &str,
    addr: &str,
    handle: &EngineHandle,
    ready: &AtomicUsize,
) -> Result<ExternalReceiver, String> {
    let x =
        ExternalReceiver::spawn_shell(&cmd.replace("{addr}", addr), &[("V9BRIDGE_ADDR", addr)])?;
    let is_ready = || {
        handle
            .call(|e, _| e.v9.as_ref().map_or(0, |v| v.receivers().len()), WAIT)
            .is_ok_and(|n| n > 0)
    };
    // A runtime such as mono takes a moment to start before it connects.
    wait_until(Duration::from_secs(60), is_ready).map_err(|_| {
        format!("--receiver-cmd never became a READY receiver; its log:\n{}", x.stderr_tail())
    })?;
    ready.store(1, Ordering::SeqCst);
    Ok(x)
}

/// Cores other than the engine's, for the simulated peers (empty = no pinning).
fn peer_cores(cfg: &Config) -> Vec<core_affinity::CoreId> {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let engine = match cfg.engine.pin {
        crate::config::Pin::Last => cores.last().map(|c| c.id),
        crate::config::Pin::Core(n) => Some(n),
        _ => None,
    };
    match engine {
        Some(e) if cores.len() > 1 => cores.into_iter().filter(|c| c.id != e).collect(),
        _ => Vec::new(),
    }
}

/// Restricts the current thread to `cores` (a no-op when empty). On Linux a thread may be
/// allowed several cores; core_affinity pins to one, so spread threads by thread id.
fn pin_to_any(cores: &[core_affinity::CoreId]) {
    if cores.is_empty() {
        return;
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    let _ = core_affinity::set_for_current(cores[(h.finish() % cores.len() as u64) as usize]);
}
