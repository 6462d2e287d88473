use super::*;

fn state(accounts: usize) -> State {
    State::new(&ReceiverArgs { accounts, name: "R".into(), ..Default::default() })
}

/// Feeds each line, returns what the receiver wrote as lines.
fn feed(st: &mut State, lines: &str) -> Vec<String> {
    st.out.clear();
    for l in lines.lines() {
        st.on_line(l.as_bytes(), Instant::now(), 0);
    }
    let out = String::from_utf8(std::mem::take(&mut st.out)).unwrap();
    out.lines().map(str::to_string).collect()
}

fn connect(st: &mut State) -> String {
    st.out.clear();
    st.connect();
    String::from_utf8(std::mem::take(&mut st.out)).unwrap().trim_end().to_string()
}

#[test]
fn connect_keys_and_live_only_on_the_first_connect() {
    let mut st = state(2);
    assert_eq!(
        connect(&mut st),
        "CONNECT|R|Account_Count:2|Version:1.0|Accounts:Account1+Account2"
    );
    // Ids the server assigned before we came (up to READY's Last_ID) are history.
    feed(&mut st, "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:3|Last_ID:10");
    assert_eq!(st.report.last_executed, vec![10, 10]);
    let out = feed(&mut st, "LONG|MES|1|Replay:1|ID:10\nLONG|MES|2|ID:11");
    assert_eq!(st.report.book.qty(0, "MES"), 2, "id 10 skipped, 11 executed");
    assert!(out.last().unwrap().ends_with("|ID:11"), "{out:?}");
    assert_eq!((st.report.duplicate_signals, st.report.duplicates, st.report.id_gaps), (1, 2, 0));
    assert_eq!(
        connect(&mut st),
        "CONNECT|R|Account_Count:2|Version:1.0|Last_ID:11|Epoch:3|Accounts:Account1+Account2"
    );
}

#[test]
fn replay_is_deduped_per_account_and_routing_sizes_per_account() {
    let mut st = state(3);
    connect(&mut st);
    feed(&mut st, "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:1|Last_ID:0");
    // One id, two messages to disjoint accounts (a mapped group): both execute.
    let out = feed(
        &mut st,
        "LONG|ES|1|Accounts:Account1|ID:1\nLONG|MES|1|Accounts:Account2=10+Account3=0|ID:1",
    );
    let b = &st.report.book;
    assert_eq!((b.qty(0, "ES"), b.qty(1, "MES"), b.qty(2, "MES"), b.qty(0, "MES")), (1, 10, 0, 0));
    assert_eq!(out.iter().filter(|l| l.ends_with("|ID:1")).count(), 2);
    assert_eq!(st.report.last_executed, vec![1, 1, 0]);
    // Reconnect: the server replays from id 1 inclusive, then one missed signal.
    connect(&mut st);
    feed(&mut st, "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:1|Last_ID:2");
    let out = feed(
        &mut st,
        "LONG|ES|1|Accounts:Account1|Replay:1|ID:1\nLONG|MES|1|Accounts:Account2=10+Account3=0|Replay:1|ID:1\n\
         SHORT|MES|1|Replay:1|ID:2\nCAUGHT_UP|REPLAY|3|ID:2",
    );
    let b = &st.report.book;
    assert_eq!(
        (b.qty(0, "ES"), b.qty(1, "MES"), b.qty(2, "MES"), b.qty(0, "MES")),
        (1, -1, -1, -1)
    );
    assert_eq!((st.report.replayed, st.report.duplicate_signals), (3, 2));
    assert!(
        out.last().unwrap().starts_with("POSITION_SUMMARY|")
            && out.last().unwrap().ends_with("|ID:2")
    );
    assert_eq!(st.report.catch_ups.len(), 1);
    // A bad list is refused and answered; nothing trades.
    let out = feed(&mut st, "FLATTEN|ALL|0|Accounts:A=x|ID:3");
    assert!(out[0].starts_with("ERROR|INVALID_SIGNAL|Invalid Accounts option"), "{out:?}");
    assert_eq!(st.report.book.qty(0, "MES"), -1);
}

#[test]
fn sync_converges_and_caught_up_reports_what_changed() {
    let mut st = state(2);
    connect(&mut st);
    feed(&mut st, "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:1|Last_ID:0");
    feed(&mut st, "LONG|MES|3|ID:1\nSHORT|ES|1|ID:2");
    connect(&mut st);
    // A new epoch with ids from 1 again (a restart without journal): SYNC, then CAUGHT_UP.
    let out = feed(
        &mut st,
        "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:9|Last_ID:1\n\
         SYNC|MES|SHORT|2|Accounts:Account2|ID:1\nSYNC|NQ|FLAT|0|ID:1\nCAUGHT_UP|SYNC|2|ID:1",
    );
    let b = &st.report.book;
    assert_eq!((b.qty(0, "MES"), b.qty(1, "MES"), b.qty(1, "ES")), (3, -2, -1));
    let mes: Vec<_> = out.iter().filter(|l| l.starts_with("POSITION|")).collect();
    assert_eq!(mes.len(), 2, "the changed symbol, every account holding it: {out:?}");
    assert!(out.last().unwrap().ends_with("|ID:1"));
    assert_eq!(
        (st.report.syncs, st.report.epoch, st.report.last_executed.clone()),
        (2, Some(9), vec![1, 1])
    );
    // The new server's id 2 executes (not taken for the old epoch's 2).
    feed(&mut st, "FLATTEN|ALL|0|ID:2");
    assert_eq!(st.report.book.qty(1, "ES"), 0);
    assert!(connect(&mut st).contains("|Last_ID:2|Epoch:9|"));
}

#[test]
fn base_server_restart_and_future_last_id() {
    let mut st = state(1);
    connect(&mut st);
    feed(&mut st, "READY|1.0|Broadcast_Ready:Yes\nLONG|MES|1|ID:1\nLONG|MES|1|ID:2");
    connect(&mut st);
    // A base server (no Epoch) restarted: its ids start at 1 again and are new signals.
    feed(&mut st, "READY|1.0|Broadcast_Ready:Yes\nLONG|MES|1|ID:1\nLONG|MES|1|ID:1");
    assert_eq!((st.report.book.qty(0, "MES"), st.report.duplicate_signals), (3, 1));
    // Refused for a Last_ID the server never assigned: the next connect starts fresh.
    assert!(connect(&mut st).contains("Last_ID:1|"));
    feed(&mut st, "ERROR|PROTOCOL_ERROR|Last_ID in the future|Last_ID:1,Server_Last_ID:0");
    assert!(!connect(&mut st).contains("Last_ID"));
    feed(&mut st, "READY|1.0|Broadcast_Ready:Yes|Epoch:2|Last_ID:0\nLONG|MES|1|ID:1");
    assert_eq!(st.report.book.qty(0, "MES"), 4);
}

#[test]
fn a_split_signal_cut_by_a_reconnect_runs_each_account_once() {
    // 12 accounts with long names: one Accounts: list is far over 64 bytes.
    let args = ReceiverArgs {
        accounts: 12,
        account_prefix: "APEX-123456-PA-".into(),
        name: "R".into(),
        ..Default::default()
    };
    let mut st = State::new(&args);
    let names: Vec<String> = (1..=12).map(|i| format!("APEX-123456-PA-{i}")).collect();
    let list = |r: std::ops::Range<usize>| {
        names[r].iter().map(|n| format!("{n}=2")).collect::<Vec<_>>().join("+")
    };
    let (first, second) = (list(0..7), list(7..12));
    assert!(first.len() > 64);
    connect(&mut st);
    feed(&mut st, "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:1|Last_ID:0");
    // Signal 1 as two lines; only the first arrives before the connection drops.
    feed(&mut st, &format!("LONG|MES|2|Accounts:{first}|ID:1"));
    assert!(connect(&mut st).contains("|Last_ID:1|Epoch:1|"));
    feed(&mut st, "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:1|Last_ID:1");
    // The replay from id 1 (inclusive) brings both lines: the first's accounts skip it.
    feed(
        &mut st,
        &format!(
            "LONG|MES|2|Accounts:{first}|Replay:1|ID:1\nLONG|MES|2|Accounts:{second}|Replay:1|ID:1\n\
             CAUGHT_UP|REPLAY|1|ID:1"
        ),
    );
    let b = &st.report.book;
    assert!((0..12).all(|a| b.qty(a, "MES") == 2), "{:?}", b.holdings);
    assert_eq!((st.report.duplicates, st.report.duplicate_signals), (7, 1));
    // SYNC split the same way (one id, one symbol, disjoint accounts): each set once.
    connect(&mut st);
    let accounts = |r: std::ops::Range<usize>| names[r].join("+");
    feed(
        &mut st,
        &format!(
            "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:2|Last_ID:1\n\
             SYNC|MES|SHORT|3|Accounts:{}|ID:1\nSYNC|MES|SHORT|3|Accounts:{}|ID:1\n\
             CAUGHT_UP|SYNC|2|ID:1",
            accounts(0..6),
            accounts(6..12)
        ),
    );
    let b = &st.report.book;
    assert!((0..12).all(|a| b.qty(a, "MES") == -3), "{:?}", b.holdings);
}
