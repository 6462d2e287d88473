//! The NinjaTrader strategy (under mono, stub API) against a scripted V9 server: CONNECT keys
//! on reconnect, a replayed duplicate skipped, SYNC converging positions through its orders,
//! `Accounts:` routing with per-account sizes, CAUGHT_UP answered with a summary, and a
//! refused Last_ID forgotten. Skipped (one line) without mono and mcs.

mod support;

use std::net::TcpListener;
use std::time::Duration;
use support::nt::{host, start_host, FakeServer};

const LIMIT: Duration = Duration::from_secs(60);
const ACCOUNTS: &str = "Accounts:Account1+Account2+Account3";

fn has(lines: &[String], want: &str) -> Result<(), String> {
    match lines.iter().any(|l| l.starts_with(want)) {
        true => Ok(()),
        false => Err(format!("no line starting {want:?} in {lines:?}")),
    }
}

/// The next connection's CONNECT line.
fn next_connect(listener: &TcpListener) -> Result<(FakeServer, String), String> {
    let mut c = FakeServer::accept(listener, LIMIT)?;
    let line = c.line(LIMIT)?.ok_or("closed before CONNECT")?;
    Ok((c, line))
}

#[test]
fn csharp_receiver_resumes_dedupes_syncs_and_routes() -> Result<(), String> {
    let Some(host) = host()? else { return Ok(()) };
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?.to_string();
    let rx =
        start_host(&host, &["--connect", &addr, "--accounts", "3", "--set", "HeartbeatSeconds=1"])?;

    let (mut c, connect) = next_connect(&listener)?;
    assert_eq!(connect, format!("CONNECT|V9_CopyReceiver|Account_Count:3|Version:1.0|{ACCOUNTS}"));
    c.send(b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:5|Last_ID:0\nLONG|MES|1|ID:1\n")?;
    has(&c.answer(1)?, "POSITION|Account3|LONG|1|")?;
    // Routed and sized per account; Account1 is not touched.
    c.send(b"LONG|ES|2|Accounts:Account2=3+Account3|ID:2\n")?;
    let lines = c.answer(2)?;
    has(&lines, "POSITION|Account2|LONG|3|")?;
    has(&lines, "POSITION|Account3|LONG|2|")?;
    has(&lines, "POSITION|Account1|FLAT|0|")?;
    drop(c);

    // Reconnect: Last_ID and Epoch; id 2 replayed (a duplicate), id 3 missed, then CAUGHT_UP.
    let (mut c, connect) = next_connect(&listener)?;
    assert_eq!(
        connect,
        format!("CONNECT|V9_CopyReceiver|Account_Count:3|Version:1.0|Last_ID:2|Epoch:5|{ACCOUNTS}")
    );
    c.send(
        b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:5|Last_ID:3\n\
          LONG|ES|2|Accounts:Account2=3+Account3|Replay:1|ID:2\nSHORT|MES|1|Replay:1|ID:3\n\
          CAUGHT_UP|REPLAY|2|ID:3\n",
    )?;
    has(&c.answer(3)?, "POSITION|Account1|SHORT|1|")?;
    c.answer(3)?; // CAUGHT_UP's summary
    drop(c);

    // A new epoch: SYNC sets the targets through orders, whatever was held.
    let (mut c, connect) = next_connect(&listener)?;
    assert!(connect.contains("|Last_ID:3|Epoch:5|"), "{connect}");
    c.send(
        b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:6|Last_ID:1\n\
          SYNC|MES|LONG|2|ID:1\nSYNC|ES|FLAT|0|Accounts:Account2|ID:1\nCAUGHT_UP|SYNC|2|ID:1\n",
    )?;
    let lines = c.answer(1)?;
    has(&lines, "POSITION|Account1|LONG|2|")?;
    has(&lines, "POSITION|Account2|FLAT|0|")?;
    // The new epoch's id 2 executes (the old epoch's 2 does not shadow it).
    c.send(b"CLOSE_ONE|MES|0|Accounts:Account1|ID:2\n")?;
    has(&c.answer(2)?, "POSITION|Account1|LONG|1|")?;

    // A server that never assigned our Last_ID refuses it: the next CONNECT starts fresh.
    c.send(b"ERROR|PROTOCOL_ERROR|Last_ID in the future|Last_ID:2,Server_Last_ID:0\n")?;
    drop(c);
    let (mut c, connect) = next_connect(&listener)?;
    assert_eq!(connect, format!("CONNECT|V9_CopyReceiver|Account_Count:3|Version:1.0|{ACCOUNTS}"));
    c.send(b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:7|Last_ID:0\nLONG|ES|1|Accounts:Account1|ID:1\n")?;
    has(&c.answer(1)?, "POSITION|Account1|LONG|1|")?;

    let d = rx.quit(LIMIT)?;
    let got = |a: &str, r: &str| d.qty(a, r);
    assert_eq!(
        [got("Account1", "MES"), got("Account2", "MES"), got("Account3", "MES")],
        [1, 2, 2],
        "{d:?}"
    );
    // ES: Account2 synced flat, Account3 kept (replay not executed twice: 2, not 4).
    assert_eq!([got("Account1", "ES"), got("Account2", "ES"), got("Account3", "ES")], [1, 0, 2]);
    assert_eq!((d.positions.len(), d.orders.len()), (5, 0), "{d:?}");
    Ok(())
}
