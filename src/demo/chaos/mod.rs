//! `v9bridge demo --chaos`: issue #12's faults on real processes, each judged PASS or FAIL.
//
// 1. A receiver is killed with SIGKILL mid-burst and started again (it resumes from its
//    --state-file): at the end its accounts equal those of a receiver that never dropped, and
//    its execution log holds every id exactly once.
// 2. The engine is killed with SIGKILL mid-burst (with signals in flight) and started again on
//    the same journal: ids continue, every acknowledged signal is in the journal, and both
//    receivers end equal to the journal's model (no id executed twice).
// Each fault has its own engine, journal and receivers, in a temporary directory.

mod check;
pub mod procs;

use crate::sim::model::Book;
use crate::sim::receiver::XorShift;
use crate::v9::publisher::Publisher;
use procs::{Receiver, WAIT};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How the faults run.
#[derive(Clone, Debug)]
pub struct ChaosOpts {
    /// The `v9bridge` binary to run the engine and receivers with.
    pub bin: PathBuf,
    /// Signals per burst.
    pub signals: u64,
    /// Burst rate, signals per second.
    pub rate: f64,
    /// Accounts per receiver.
    pub accounts: usize,
}

/// One fault's verdict.
#[derive(Debug)]
pub struct Fault {
    /// What was done.
    pub name: &'static str,
    /// What happened (ids, counts), for the report.
    pub facts: Vec<String>,
    /// Why it failed; empty = PASS.
    pub problems: Vec<String>,
}

impl Fault {
    /// Every check held.
    pub fn pass(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Runs every fault and prints PASS/FAIL per fault; Err when any failed.
pub fn run(opts: &ChaosOpts) -> Result<(), String> {
    let faults = execute(opts);
    for f in &faults {
        println!("{} {}", if f.pass() { "PASS" } else { "FAIL" }, f.name);
        f.facts.iter().for_each(|l| println!("     {l}"));
        f.problems.iter().take(20).for_each(|p| println!("     problem: {p}"));
    }
    match faults.iter().filter(|f| !f.pass()).count() {
        0 => Ok(()),
        n => Err(format!("chaos: {n} of {} faults FAILED", faults.len())),
    }
}

/// Runs every fault.
pub fn execute(opts: &ChaosOpts) -> Vec<Fault> {
    vec![receiver_fault(opts), engine_fault(opts)]
}

/// Fault 1: a receiver killed with SIGKILL mid-burst and restarted.
pub fn receiver_fault(opts: &ChaosOpts) -> Fault {
    judged("receiver kill -9 mid-burst, restarted", |f| receiver_kill(opts, f))
}

/// Fault 2: the engine killed with SIGKILL mid-burst and restarted on its journal.
pub fn engine_fault(opts: &ChaosOpts) -> Fault {
    judged("engine kill -9 mid-burst, restarted on its journal", |f| engine_kill(opts, f))
}

/// Runs `body`; an error it returns (a step that could not be done) fails the fault too.
fn judged(name: &'static str, body: impl FnOnce(&mut Fault) -> Result<(), String>) -> Fault {
    let mut f = Fault { name, facts: Vec::new(), problems: Vec::new() };
    if let Err(e) = body(&mut f) {
        f.problems.push(e);
    }
    f
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> Result<TempDir, String> {
        let nanos = crate::clock::unix_nanos();
        let p = std::env::temp_dir()
            .join(format!("v9bridge-chaos-{what}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The burst: signal `i` of every run is the same, so a fault's runs are comparable.
fn signals(n: u64) -> Vec<crate::signal::Signal<'static>> {
    let mut rng = XorShift(0xC4A0_5EED_0000_0001);
    (0..n).map(|_| super::drive::random_signal(&mut rng, &["MES", "ES", "NQ"])).collect()
}

fn start_pair(
    opts: &ChaosOpts,
    dir: &Path,
    addr: std::net::SocketAddr,
) -> Result<(Receiver, Receiver), String> {
    let a = Receiver::start(&opts.bin, dir, "chaos-dropped", addr, opts.accounts)?;
    let b = Receiver::start(&opts.bin, dir, "chaos-steady", addr, opts.accounts)?;
    a.wait_saved("READY", |_| true)?;
    b.wait_saved("READY", |_| true)?;
    Ok((a, b))
}

fn receiver_kill(opts: &ChaosOpts, f: &mut Fault) -> Result<(), String> {
    let dir = TempDir::new("receiver")?;
    let (_engine, addr) = procs::engine(&opts.bin, &dir.0, "127.0.0.1:0")?;
    let (mut a, b) = start_pair(opts, &dir.0, addr)?;
    let mut publisher = Publisher::connect(&addr.to_string(), "chaos", None, WAIT)?;
    let burst = signals(opts.signals);
    // Down for 0.3 s of signals, and back up before the burst's last quarter whatever its size.
    let (kill_at, down) =
        (opts.signals / 2, ((opts.rate * 0.3) as u64).clamp(1, opts.signals / 4 + 1));
    let interval = Duration::from_secs_f64(1.0 / opts.rate.max(1.0));
    let (t0, mut ids, mut model) = (Instant::now(), Vec::new(), Book::with_accounts(opts.accounts));
    for (i, sig) in burst.iter().enumerate() {
        let i = i as u64;
        super::drive::pace_until(t0 + interval.mul_f64(i as f64));
        if i == kill_at {
            a.proc.kill9();
            f.facts.push(format!("receiver killed after signal #{}", ids.last().unwrap_or(&0)));
        } else if i == kill_at + down {
            a.kill_and_restart()?;
            f.facts.push(format!("restarted {down} signals later"));
        }
        ids.push(publisher.send(sig)?.0);
        model.apply(sig, |_| 0.0);
    }
    let last = ids.last().copied().unwrap_or(0);
    let sa = a.wait_saved("the last signal", |s| s.high >= last)?;
    let sb = b.wait_saved("the last signal", |s| s.high >= last)?;
    f.facts.push(format!(
        "{} signals; the restarted receiver resumed ({} line), {} signals replayed to it, {} duplicates skipped",
        ids.len(),
        a.proc.count("resuming from"),
        sa.replayed,
        sa.duplicate_signals
    ));
    f.problems.extend(check::book_diff("never-dropped receiver vs the model", &sb.book, &model));
    f.problems.extend(check::book_diff(
        "restarted receiver vs the never-dropped one",
        &sa.book,
        &sb.book,
    ));
    f.problems.extend(check::executed_once("restarted receiver", &sa, &ids, opts.accounts));
    f.problems.extend(check::executed_once("never-dropped receiver", &sb, &ids, opts.accounts));
    Ok(())
}

fn engine_kill(opts: &ChaosOpts, f: &mut Fault) -> Result<(), String> {
    let dir = TempDir::new("engine")?;
    let journal = dir.0.join("journal");
    let (mut engine, addr) = procs::engine(&opts.bin, &dir.0, "127.0.0.1:0")?;
    let (a, b) = start_pair(opts, &dir.0, addr)?;
    let mut publisher = Publisher::connect(&addr.to_string(), "chaos", None, WAIT)?;
    let burst = signals(opts.signals);
    let interval = Duration::from_secs_f64(1.0 / opts.rate.max(1.0));
    let (t0, mut acked) = (Instant::now(), Vec::new());
    let half = burst.len() / 2;
    for (i, sig) in burst[..half].iter().enumerate() {
        super::drive::pace_until(t0 + interval.mul_f64(i as f64));
        acked.push(publisher.send(sig)?.0);
    }
    // Twenty signals in flight, then SIGKILL: some may be journaled and broadcast, some not.
    for sig in &burst[half..half + 20.min(burst.len() - half)] {
        publisher.send_nowait(sig)?;
    }
    std::thread::sleep(Duration::from_millis(2)); // let the engine take some of them
    engine.kill9();
    let before = acked.len();
    while let Ok((id, _)) = publisher.wait_ack() {
        acked.push(id);
    }
    let (journaled, torn) = check::journal_signals(&journal, true)?;
    let last_before = journaled.last().map_or(0, |s| s.0);
    f.facts.push(format!(
        "engine killed with {} signals acknowledged ({} of the 20 in flight), {} journaled{}",
        acked.len(),
        acked.len() - before,
        journaled.len(),
        torn.map_or(String::new(), |t| format!(" (torn tail: {t})"))
    ));
    let (_engine2, _) = procs::engine(&opts.bin, &dir.0, &addr.to_string())?;
    let mut publisher = Publisher::connect(&addr.to_string(), "chaos", None, WAIT)?;
    let mut after = Vec::new();
    for sig in &burst[(half + 20).min(burst.len())..] {
        after.push(publisher.send(sig)?.0);
    }
    match after.first() {
        Some(&first) if first == last_before + 1 => {
            f.facts.push(format!("after the restart ids continue at {first}"))
        }
        Some(&first) => f.problems.push(format!(
            "the restarted engine's first id is {first}, the journal ended at {last_before}"
        )),
        None => {}
    }
    let last = after.last().copied().unwrap_or(last_before);
    let (all, _) = check::journal_signals(&journal, false)?;
    let ids: Vec<u64> = all.iter().map(|s| s.0).collect();
    if ids.windows(2).any(|w| w[1] <= w[0]) {
        f.problems.push("journal ids are not strictly increasing".into());
    }
    let lost: Vec<u64> =
        acked.iter().chain(&after).copied().filter(|i| ids.binary_search(i).is_err()).collect();
    if !lost.is_empty() {
        f.problems.push(format!(
            "{} acknowledged signals missing from the journal: {lost:?}",
            lost.len()
        ));
    }
    let model = check::journal_model(&all, opts.accounts)?;
    let sa = a.wait_saved("the last signal", |s| s.high >= last)?;
    let sb = b.wait_saved("the last signal", |s| s.high >= last)?;
    f.facts.push(format!(
        "{} signals journaled in all; receivers caught up with {} and {} SYNC lines",
        all.len(),
        sa.syncs,
        sb.syncs
    ));
    for (what, s) in [("receiver 1", &sa), ("receiver 2", &sb)] {
        f.problems.extend(check::book_diff(&format!("{what} vs the journal"), &s.book, &model));
        f.problems.extend(check::executed_once(what, s, &[], opts.accounts));
    }
    Ok(())
}
