//! End to end through the engine's routing: an engine with `[groups]` and `[mapping]` (ES ->
//! MES x10 for one group), a publisher sending `Group:` signals, and the NinjaTrader strategy
//! (under mono, stub API) whose accounts end with the mapped, routed positions, also across a
//! restart of the strategy.
//! Skipped (one line) without mono and mcs.

mod support;

use std::time::{Duration, Instant};
use support::nt::{host, start_host, Running};
use v9bridge::demo::external::Dump;
use v9bridge::signal::{Action, Signal};
use v9bridge::v9::publisher::Publisher;

const LIMIT: Duration = Duration::from_secs(60);
const CONFIG: &str = "[groups]\nmicro = ['Account1', 'Account2']\nbig = ['Account3']\n\
    [mapping.micro]\nsymbols = { ES = { to = 'MES', ratio = 10 } }\n";

/// Sends `action symbol qty` with `opts` and waits for the engine's acknowledgement.
fn send(p: &mut Publisher, action: Action, qty: u32, opts: &[&str]) -> Result<(), String> {
    let mut s = Signal::new(action, "ES", qty);
    for o in opts {
        if !s.push_extra(o) {
            return Err(format!("option {o} does not fit"));
        }
    }
    p.send(&s).map(|_| ())
}

/// The (account, root) positions once they equal `want`, polled through the host's dump.
fn settle(
    rx: &mut v9bridge::demo::external::ExternalReceiver,
    want: &[(&str, &str, i64)],
) -> Result<Dump, String> {
    let until = Instant::now() + LIMIT;
    loop {
        let d = rx.dump(LIMIT)?;
        if want.iter().all(|&(a, r, q)| d.qty(a, r) == q) {
            return Ok(d);
        }
        if Instant::now() >= until {
            return Err(format!("positions never became {want:?}: {d:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn grouped_and_mapped_signals_reach_the_strategy_accounts() -> Result<(), String> {
    let Some(host) = host()? else { return Ok(()) };
    let engine = Running::start_toml("127.0.0.1:0", CONFIG)?;
    let addr = engine.addr().to_string();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ud = dir.path().to_string_lossy().into_owned();
    let mut rx = start_host(&host, &["--connect", &addr, "--accounts", "3", "--user-data", &ud])?;
    engine.wait_receiver("V9_CopyReceiver", LIMIT)?;
    let mut p = Publisher::connect(&addr, "nt-e2e", None, Duration::from_secs(5))?;

    // Both groups: micro trades MES x10, big trades ES as sent.
    send(&mut p, Action::Long, 1, &["Group:micro+big"])?;
    settle(&mut rx, &[("Account1", "MES", 10), ("Account2", "MES", 10), ("Account3", "ES", 1)])?;
    // One group only: the other accounts are untouched.
    send(&mut p, Action::Long, 2, &["Group:big"])?;
    settle(&mut rx, &[("Account3", "ES", 3), ("Account1", "MES", 10), ("Account2", "MES", 10)])?;
    send(&mut p, Action::Short, 1, &["Accounts:Account2"])?;
    settle(&mut rx, &[("Account2", "MES", -10), ("Account1", "MES", 10), ("Account3", "ES", 3)])?;
    // No routing option: every account, each with its group's mapping.
    send(&mut p, Action::Flatten, 0, &[])?;
    let d =
        settle(&mut rx, &[("Account1", "MES", 0), ("Account2", "MES", 0), ("Account3", "ES", 0)])?;
    for a in ["Account1", "Account2", "Account3"] {
        assert_eq!(d.qty(a, "ES") + d.qty(a, "MES"), 0, "{d:?}");
    }
    assert_eq!((d.qty("Account1", "ES"), d.qty("Account3", "MES")), (0, 0), "{d:?}");

    // The strategy disabled and enabled: it resumes from its state file (CONNECT with Last_ID
    // and Epoch), the engine catches it up, and nothing it ran before runs again.
    send(&mut p, Action::Long, 1, &["Group:micro"])?;
    settle(&mut rx, &[("Account1", "MES", 10), ("Account2", "MES", 10)])?;
    rx.command("restart", "OK|restart", LIMIT)?;
    support::nt::wait(LIMIT, || rx.stderr_tail().contains("caught up by "))
        .map_err(|_| format!("no catch-up after the restart: {}", rx.stderr_tail()))?;
    send(&mut p, Action::Long, 1, &["Group:big"])?;
    let d = settle(
        &mut rx,
        &[("Account1", "MES", 10), ("Account2", "MES", 10), ("Account3", "ES", 1)],
    )?;
    assert!(d.orders.is_empty(), "{d:?}");
    rx.quit(LIMIT)?;
    engine.stop()?;
    Ok(())
}
