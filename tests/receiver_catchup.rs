//! The simulated receiver (`v9bridge sim receiver`, in-process) against a scripted V9 server:
//! CONNECT keys on reconnect, a replayed duplicate skipped, SYNC converging positions,
//! `Accounts:` routing with per-account sizes, and CAUGHT_UP answered with a summary.

mod support;

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::nt::FakeServer;
use v9bridge::sim::catchup::CatchUpMode;
use v9bridge::sim::receiver::{self, ReceiverArgs, ReceiverReport};

const LIMIT: Duration = Duration::from_secs(20);
const ACCOUNTS: &str = "Accounts:Account1+Account2";

fn has(lines: &[String], want: &str) -> bool {
    lines.iter().any(|l| l.starts_with(want))
}

struct Rx {
    stop: Arc<AtomicBool>,
    join: std::thread::JoinHandle<Result<ReceiverReport, String>>,
}

impl Rx {
    fn start(addr: &str) -> Rx {
        let args = ReceiverArgs {
            connect: addr.to_string(),
            accounts: 2,
            name: "R".into(),
            heartbeat_s: 0.5,
            record_arrivals: true,
            ..Default::default()
        };
        let stop = Arc::new(AtomicBool::new(false));
        let join = receiver::spawn(args, stop.clone(), Arc::new(AtomicUsize::new(0)));
        Rx { stop, join }
    }

    fn finish(self) -> ReceiverReport {
        self.stop.store(true, Ordering::SeqCst);
        self.join.join().expect("receiver thread").expect("receiver report")
    }
}

#[test]
fn reconnects_resume_replay_dedupe_sync_and_routing() -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?.to_string();
    let rx = Rx::start(&addr);

    // First connect of the process: accounts declared, no Last_ID/Epoch.
    let mut c = FakeServer::accept(&listener, LIMIT)?;
    let connect = c.line(LIMIT)?.ok_or("closed before CONNECT")?;
    assert_eq!(connect, format!("CONNECT|R|Account_Count:2|Version:1.0|{ACCOUNTS}"));
    c.send(b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:5|Last_ID:0\nLONG|MES|1|ID:1\n")?;
    let lines = c.answer(1)?;
    assert!(has(&lines, "POSITION|Account1|LONG|1|") && has(&lines, "POSITION|Account2|LONG|1|"));
    // Routed and sized: only Account2 trades ES, at 3.
    c.send(b"LONG|ES|2|Accounts:Account2=3|ID:2\n")?;
    let lines = c.answer(2)?;
    assert!(has(&lines, "POSITION|Account2|LONG|3|"), "{lines:?}");
    assert!(!lines.iter().any(|l| l.starts_with("POSITION|Account1|") && l.contains("Symbol:ES")));
    drop(c);

    // Reconnect: Last_ID and Epoch; the server replays from 2 (inclusive) and one missed signal.
    let mut c = FakeServer::accept(&listener, LIMIT)?;
    let connect = c.line(LIMIT)?.ok_or("closed before CONNECT")?;
    assert_eq!(
        connect,
        format!("CONNECT|R|Account_Count:2|Version:1.0|Last_ID:2|Epoch:5|{ACCOUNTS}")
    );
    c.send(
        b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:5|Last_ID:3\n\
          LONG|ES|2|Accounts:Account2=3|Replay:1|ID:2\nSHORT|MES|1|Replay:1|ID:3\n\
          CAUGHT_UP|REPLAY|2|ID:3\n",
    )?;
    let lines = c.answer(3)?;
    assert!(has(&lines, "POSITION|Account1|SHORT|1|"), "the missed signal executed: {lines:?}");
    let caught = c.answer(3)?; // CAUGHT_UP's own summary
    assert!(caught.last().is_some_and(|l| l.starts_with("POSITION_SUMMARY|")));
    drop(c);

    // The server restarted (new epoch): SYNC to the targets, whatever was held.
    let mut c = FakeServer::accept(&listener, LIMIT)?;
    let connect = c.line(LIMIT)?.ok_or("closed before CONNECT")?;
    assert!(connect.contains("|Last_ID:3|Epoch:5|"), "{connect}");
    c.send(
        b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:6|Last_ID:1\n\
          SYNC|MES|LONG|2|ID:1\nSYNC|ES|FLAT|0|Accounts:Account2|ID:1\nCAUGHT_UP|SYNC|2|ID:1\n",
    )?;
    let lines = c.answer(1)?;
    assert!(has(&lines, "POSITION|Account1|LONG|2|") && has(&lines, "POSITION|Account2|LONG|2|"));
    assert!(has(&lines, "POSITION|Account2|FLAT|0|"), "ES closed: {lines:?}");
    // The new epoch's next id executes.
    c.send(b"CLOSE_ONE|MES|0|Accounts:Account1|ID:2\n")?;
    assert!(has(&c.answer(2)?, "POSITION|Account1|LONG|1|"));

    let r = rx.finish();
    let b = &r.book;
    assert_eq!((b.qty(0, "MES"), b.qty(1, "MES"), b.qty(0, "ES"), b.qty(1, "ES")), (1, 2, 0, 0));
    assert_eq!((r.duplicate_signals, r.duplicates, r.replayed, r.syncs), (1, 1, 2, 2));
    let modes: Vec<CatchUpMode> = r.catch_ups.iter().map(|c| c.mode).collect();
    assert_eq!(modes, [CatchUpMode::Replay, CatchUpMode::Sync]);
    assert_eq!((r.epoch, r.connections, r.last_executed.clone()), (Some(6), 3, vec![2, 1]));
    // Executions per id, across the two epochs: (1, 2) (2, 1) (3, 2) then the new (2, 1).
    assert_eq!(r.executions, [(1, 2), (2, 1), (3, 2), (2, 1)]);
    Ok(())
}
