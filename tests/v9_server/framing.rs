//! V9 server framing edge cases, reconnects, pass-through options and the histogram files at shutdown.

use super::*;

#[test]
fn terminated_peer_whose_first_line_arrives_in_two_pieces() {
    let e = start(test_config());
    let mut r = Raw::connect(e.addr);
    r.send_raw(b"CONNECT|Split|Account_Count:20");
    std::thread::sleep(Duration::from_millis(30)); // a read pause inside the first line
    r.send_raw(b"\n");
    assert_eq!(
        no_epoch(&r.line()),
        "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:E|Last_ID:0",
        "answered with LF: framing detected correctly"
    );
    r.send("HEARTBEAT|Split|ok");
    assert!(r.line().starts_with("HEARTBEAT_ACK|"));
}

#[test]
fn blank_lines_and_nul_padding_are_ignored() {
    let e = start(test_config());
    let mut r = Raw::receiver(e.addr, "pad");
    r.send_raw(b"\n\r\n\0\0\0HEARTBEAT|pad|ok\n\n");
    assert!(r.line().starts_with("HEARTBEAT_ACK|"));
    assert_eq!(e.stats().bad_messages, 0);
}

#[test]
fn last_message_without_terminator_before_eof_is_not_lost() {
    let e = start(test_config());
    let mut r = Raw::receiver(e.addr, "r");
    let mut p = Raw::publisher(e.addr, None);
    p.send_raw(b"LONG|MES|1");
    p.s.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(r.line(), "LONG|MES|1|ID:1");
}

#[test]
fn reconnecting_receiver_keeps_its_book_and_repeated_connect_changes_nothing() {
    let e = start(test_config());
    let mut r = Raw::receiver(e.addr, "Desk1");
    r.send("POSITION|Account1|LONG|2|4520.50|+10.00|2026-01-27T18:05:11Z|Symbol:MES");
    wait_for("the position", || e.held("Desk1") == Some((1, 2)));
    r.send("CONNECT|Other|Account_Count:1|Role:Publisher");
    assert_eq!(
        no_epoch(&r.line()),
        "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:E|Last_ID:0",
        "no role switch mid-session"
    );
    drop(r);
    wait_for("the disconnect", || !e.has_peer("Desk1"));
    let _r = Raw::receiver(e.addr, "Desk1");
    wait_for("the book to come back", || {
        e.book("Desk1").is_some_and(|b| b.accounts == 1 && (b.totals.0, b.totals.1) == (1, 2))
    });
}

#[test]
fn pass_through_options_cannot_smuggle_messages() {
    use v9bridge::signal::{Action, Signal, SignalError};
    let mut s = Signal::new(Action::Long, "MES", 1);
    s.tif = Some("GTC\nSHORT|ES|99");
    assert_eq!(s.validate(), Err(SignalError::BadOption));
    s.tif = Some("DAY|SL:1");
    assert_eq!(s.validate(), Err(SignalError::BadOption));
    s.tif = Some("GTC");
    assert_eq!(s.validate(), Ok(()));
    let e = start(test_config());
    let mut p = Raw::publisher(e.addr, None);
    p.send("LONG|MES|1|ID:x");
    assert!(p.line().starts_with("ERROR|INVALID_SIGNAL|"), "bad ID is a signal error");
    p.send("HEARTBEAT|pub|ok");
    assert!(p.line().starts_with("HEARTBEAT_ACK|"), "and the publisher stays connected");
}

#[test]
fn hgrm_files_are_written_at_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config();
    cfg.engine.hgrm_dir = Some(dir.path().to_path_buf());
    let e = start(cfg);
    let mut r = Raw::receiver(e.addr, "r");
    let mut p = Raw::publisher(e.addr, None);
    p.send("LONG|MES|1");
    assert_eq!(p.line(), "SIGNAL_ACK|1|1");
    assert_eq!(r.line(), "LONG|MES|1|ID:1");
    let outcome = e.stop();
    let name = "v9.publisher_read_to_broadcast_written";
    assert_eq!(outcome.histograms.iter().find(|h| h.name() == name).map(|h| h.len()), Some(1));
    let text =
        std::fs::read_to_string(dir.path().join(format!("{name}.hgrm"))).expect(".hgrm written");
    assert!(
        text.contains("Percentile")
            && text.contains("#[Max")
            && text.contains("Total count    =            1"),
        "{text}"
    );
}
