//! The NinjaTrader strategy (under mono, stub API) against a scripted V9 server writing the
//! exact lines of the contract: `Accounts:` routing with per-account sizes, one id for disjoint
//! accounts executing on each, once per account, names it does not trade ignored (logged
//! once), hostile `Accounts:` and SYNC lines refused without a trade, and SYNC with
//! `Accounts:`. Then restarts of the strategy itself (disabled and enabled, and its process
//! started again) resuming from its state file without running an id twice, and a corrupt
//! state file starting fresh. Skipped (one line) without mono and mcs.

mod support;

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;
use support::nt::{host, start_host, wait, FakeServer};
use v9bridge::demo::external::ExternalReceiver;

const LIMIT: Duration = Duration::from_secs(60);
const ACCOUNTS: &str = "Accounts:Account1+Account2+Account3";
const BASE: &str = "CONNECT|V9_CopyReceiver|Account_Count:3|Version:1.0";

fn has(lines: &[String], want: &str) -> Result<(), String> {
    match lines.iter().any(|l| l.starts_with(want)) {
        true => Ok(()),
        false => Err(format!("no line starting {want:?} in {lines:?}")),
    }
}

/// No POSITION_SUMMARY answering `id` among `lines` (a skipped duplicate is not answered).
fn unanswered(lines: &[String], id: u64) -> Result<(), String> {
    let tail = format!("|ID:{id}");
    match lines.iter().any(|l| l.starts_with("POSITION_SUMMARY|") && l.ends_with(&tail)) {
        true => Err(format!("ID:{id} was answered (executed again?): {lines:?}")),
        false => Ok(()),
    }
}

fn next_connect(listener: &TcpListener) -> Result<(FakeServer, String), String> {
    let mut c = FakeServer::accept(listener, LIMIT)?;
    let line = c.line(LIMIT)?.ok_or("closed before CONNECT")?;
    Ok((c, line))
}

fn listen() -> Result<(TcpListener, String), String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = l.local_addr().map_err(|e| e.to_string())?.to_string();
    Ok((l, addr))
}

fn start(host: &Path, addr: &str, user_data: &Path) -> Result<ExternalReceiver, String> {
    let dir = user_data.to_string_lossy();
    start_host(host, &["--connect", addr, "--accounts", "3", "--user-data", &dir])
}

/// Hostile lines: each must be refused with ERROR|INVALID_SIGNAL and trade nothing.
const HOSTILE: &[&str] = &[
    "LONG|MES|1|Accounts:|ID:4",
    "LONG|MES|1|Accounts:+|ID:4",
    "LONG|MES|1|Accounts:Account1++Account2|ID:4",
    "LONG|MES|1|Accounts:Account1=|ID:4",
    "LONG|MES|1|Accounts:Account1=-1|ID:4",
    "LONG|MES|1|Accounts:Account1=99999999999999999999|ID:4",
    "LONG|MES|1|Accounts:Account1=1001|ID:4",
    "LONG|MES|1|Accounts:Account1+Account1|ID:4",
    "LONG|MES|1|Accounts:Account1=1+Account1=2|ID:4",
    "LONG|MES|1|Accounts:=2|ID:4",
    "SHORT|MES|1|accounts:Account1=x|ID:4",
    "SYNC|MES|LONG|x|ID:4",
    "SYNC|MES|UP|1|ID:4",
    "SYNC|MES|LONG|1|ID:x",
    "SYNC|MES|LONG|1|ID:-4",
    "SYNC|MES|LONG|1",
    "SYNC|MES|FLAT|2|ID:4",
    "SYNC|MES|LONG|0|ID:4",
    "SYNC|MES|LONG|1001|ID:4",
    "SYNC|MES|SHORT|1|Accounts:Account1=|ID:4",
    "SYNC|MES|SHORT|1|Accounts:Account1+Account1|ID:4",
    "SYNC||LONG|1|ID:4",
    "SYNC|MES",
];

#[test]
fn routed_signals_run_only_on_their_accounts_once_each() -> Result<(), String> {
    let Some(host) = host()? else { return Ok(()) };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (listener, addr) = listen()?;
    let rx = start(&host, &addr, dir.path())?;
    let (mut c, connect) = next_connect(&listener)?;
    assert_eq!(connect, format!("{BASE}|{ACCOUNTS}"));
    c.send(b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:5|Last_ID:0\n")?;

    // Only the named accounts, at the signal's quantity.
    c.send(b"LONG|MES|1|Accounts:Account1+Account3|ID:1\n")?;
    let lines = c.answer(1)?;
    has(&lines, "POSITION|Account1|LONG|1|")?;
    has(&lines, "POSITION|Account2|FLAT|0|")?;
    has(&lines, "POSITION|Account3|LONG|1|")?;
    // One id, two messages for disjoint accounts (a mapped group): both run; Account3=0 is
    // left untouched.
    c.send(b"LONG|ES|1|Accounts:Account1|ID:2\nLONG|MES|1|Accounts:Account2=10+Account3=0|ID:2\n")?;
    has(&c.answer(2)?, "POSITION|Account1|LONG|1|")?;
    let lines = c.answer(2)?;
    has(&lines, "POSITION|Account2|LONG|10|")?;
    has(&lines, "POSITION|Account3|LONG|1|")?;
    // The same id for the same account again: skipped, not answered. A name it does not
    // trade is ignored, the others run.
    c.send(b"LONG|ES|1|Accounts:Account1|ID:2\nLONG|MES|2|Accounts:Ghost+Account2=1|ID:3\n")?;
    let lines = c.answer(3)?;
    unanswered(&lines, 2)?;
    has(&lines, "POSITION|Account2|LONG|11|")?;

    // Hostile lines: every one refused, none trades; then id 4 sized 0 trades nothing either.
    let mut bytes = HOSTILE.join("\n").into_bytes();
    bytes.extend_from_slice(b"\nLONG|MES|1|Accounts:Account1=0|ID:4\n");
    c.send(&bytes)?;
    let lines = c.answer(4)?;
    let refused = lines.iter().filter(|l| l.starts_with("ERROR|INVALID_SIGNAL|")).count();
    assert_eq!(refused, HOSTILE.len(), "{lines:?}");
    has(&lines, "POSITION|Account1|LONG|1|")?;
    c.send(b"CLOSE_ONE|MES|0|Accounts:Account2|ID:5\n")?;
    has(&c.answer(5)?, "POSITION|Account2|LONG|10|")?;
    // Only a name it does not trade: nothing runs; that name was logged once, not twice.
    c.send(b"LONG|MES|1|Accounts:Ghost|ID:6\n")?;
    has(&c.answer(6)?, "POSITION|Account2|LONG|10|")?;
    let ghost = || rx.stderr_tail().matches("names Ghost,").count();
    wait(LIMIT, || ghost() >= 1).map_err(|_| format!("Ghost not logged: {}", rx.stderr_tail()))?;
    assert_eq!(ghost(), 1, "{}", rx.stderr_tail());
    drop(c);

    // Reconnect into a new epoch: SYNC with Accounts: sets only those accounts.
    let (mut c, connect) = next_connect(&listener)?;
    assert_eq!(connect, format!("{BASE}|Last_ID:6|Epoch:5|{ACCOUNTS}"));
    c.send(
        b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:6|Last_ID:2\n\
          SYNC|MES|SHORT|2|Accounts:Account1+Account2=3|ID:2\n\
          SYNC|ES|FLAT|0|Accounts:Account1|ID:2\nCAUGHT_UP|SYNC|2|ID:2\n",
    )?;
    let lines = c.answer(2)?;
    has(&lines, "POSITION|Account1|SHORT|2|")?;
    has(&lines, "POSITION|Account2|SHORT|3|")?;
    has(&lines, "POSITION|Account1|FLAT|0|")?;
    // SYNC's id counts as executed: the same id again is skipped; the next one runs.
    c.send(b"LONG|MES|1|Accounts:Account1|ID:2\nLONG|MES|1|Accounts:Account3|ID:3\n")?;
    let lines = c.answer(3)?;
    unanswered(&lines, 2)?;
    has(&lines, "POSITION|Account3|LONG|2|")?;

    let d = rx.quit(LIMIT)?;
    let got = |a: &str, r: &str| d.qty(a, r);
    assert_eq!(
        [got("Account1", "MES"), got("Account2", "MES"), got("Account3", "MES")],
        [-2, -3, 2]
    );
    assert_eq!([got("Account1", "ES"), got("Account2", "ES"), got("Account3", "ES")], [0, 0, 0]);
    assert!(d.orders.is_empty(), "{d:?}");
    Ok(())
}

#[test]
fn restarted_strategy_resumes_from_its_state_file() -> Result<(), String> {
    let Some(host) = host()? else { return Ok(()) };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let state = dir.path().join("v9bridge").join("V9_CopyReceiver.state");
    let (listener, addr) = listen()?;
    let mut rx = start(&host, &addr, dir.path())?;
    let (mut c, connect) = next_connect(&listener)?;
    assert_eq!(connect, format!("{BASE}|{ACCOUNTS}"), "no state file yet: a first connect");
    c.send(b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:9|Last_ID:0\nLONG|MES|1|ID:1\n")?;
    c.answer(1)?;
    c.send(b"LONG|ES|2|Accounts:Account2|ID:2\n")?;
    c.answer(2)?;

    // Disabled and enabled: a new instance, whose first CONNECT resumes from the file.
    rx.command("restart", "OK|restart", LIMIT)?;
    let (mut c, connect) = next_connect(&listener)?;
    assert_eq!(connect, format!("{BASE}|Last_ID:2|Epoch:9|{ACCOUNTS}"));
    c.send(
        b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:9|Last_ID:3\n\
          LONG|MES|1|Replay:1|ID:1\nLONG|ES|2|Accounts:Account2|Replay:1|ID:2\n\
          SHORT|MES|1|Accounts:Account3|Replay:1|ID:3\nCAUGHT_UP|REPLAY|3|ID:3\n",
    )?;
    let mut lines = c.answer(3)?;
    lines.extend(c.answer(3)?); // CAUGHT_UP's summary
    unanswered(&lines, 1)?;
    unanswered(&lines, 2)?;
    let d = rx.dump(LIMIT)?;
    let got = |a: &str, r: &str| d.qty(a, r);
    assert_eq!(
        [got("Account1", "MES"), got("Account2", "MES"), got("Account3", "MES")],
        [1, 1, -1]
    );
    assert_eq!(got("Account2", "ES"), 2, "{d:?}");
    rx.quit(LIMIT)?;
    let text = std::fs::read_to_string(&state).map_err(|e| format!("{}: {e}", state.display()))?;
    assert!(text.contains("\nepoch|9\n") && text.contains("\nhigh|3\n"), "{text}");
    assert!(text.contains("\naccount|3|Account3\n"), "{text}");

    // NinjaTrader restarted (a new process; the stub's accounts start empty, which shows any
    // id run again): id 3 replayed is skipped, id 4 runs.
    drop(c);
    let rx = start(&host, &addr, dir.path())?;
    let (mut c, connect) = next_connect(&listener)?;
    assert_eq!(connect, format!("{BASE}|Last_ID:3|Epoch:9|{ACCOUNTS}"));
    c.send(
        b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:9|Last_ID:4\n\
          SHORT|MES|1|Accounts:Account3|Replay:1|ID:3\nLONG|NQ|1|Replay:1|ID:4\n\
          CAUGHT_UP|REPLAY|2|ID:4\n",
    )?;
    let mut lines = c.answer(4)?;
    lines.extend(c.answer(4)?);
    unanswered(&lines, 3)?;
    let d = rx.quit(LIMIT)?;
    let got = |a: &str, r: &str| d.qty(a, r);
    assert_eq!([got("Account1", "NQ"), got("Account2", "NQ"), got("Account3", "NQ")], [1, 1, 1]);
    assert_eq!(got("Account3", "MES"), 0, "ID:3 ran twice: {d:?}");

    // A corrupt state file: logged, and the strategy starts fresh (no Last_ID).
    drop(c);
    std::fs::write(&state, b"V9_CopyReceiver state|1\nepoch|9\nhigh|")
        .map_err(|e| e.to_string())?;
    let rx = start(&host, &addr, dir.path())?;
    let (mut c, connect) = next_connect(&listener)?;
    assert_eq!(connect, format!("{BASE}|{ACCOUNTS}"));
    wait(LIMIT, || rx.stderr_tail().contains("unusable"))
        .map_err(|_| format!("corrupt state file not logged: {}", rx.stderr_tail()))?;
    c.send(b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:10|Last_ID:0\nLONG|MES|1|ID:1\n")?;
    has(&c.answer(1)?, "POSITION|Account1|LONG|1|")?;
    let d = rx.quit(LIMIT)?;
    assert_eq!(d.qty("Account1", "MES"), 1);
    let text = std::fs::read_to_string(&state).map_err(|e| e.to_string())?;
    assert!(text.contains("\nepoch|10\n") && text.ends_with("end|3\n"), "{text}");
    Ok(())
}
