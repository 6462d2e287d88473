//! Signals through the V9 server: symbol case from every source, bursts against the queue bound.

mod support;
use support::engine::*;

#[cfg(unix)]
#[test]
fn lower_case_symbols_from_publishers_and_the_pipe_leave_upper_cased() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.fifo");
    let mut cfg = test_config();
    cfg.pipe = Some(v9bridge::pipe::PipeConfig {
        path: path.to_string_lossy().into_owned(),
        ..Default::default()
    });
    let e = start(cfg);
    let mut r = Raw::receiver(e.addr, "r");
    let mut p = Raw::publisher(e.addr, None);
    p.send("SHORT|nq|2");
    assert_eq!(p.line(), "SIGNAL_ACK|1|1");
    assert_eq!(r.line(), "SHORT|NQ|2|ID:1");
    p.send("LONG|all|1");
    assert!(p.line().starts_with("ERROR|INVALID_SIGNAL|ALL"), "`all` is ALL");
    wait_for("the FIFO", || path.exists());
    let mut w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    w.write_all(b"{\"signal\":\"LONG\",\"symbol\":\"mes\",\"qty\":1}\n").unwrap();
    assert_eq!(r.line(), "LONG|MES|1|ID:2");
}

#[test]
fn a_burst_read_in_one_go_does_not_overflow_a_receiver_that_keeps_up() {
    let mut cfg = test_config();
    cfg.v9.max_output_bytes = 4096;
    let e = start(cfg);
    let mut r = Raw::receiver(e.addr, "r");
    let mut p = Raw::publisher(e.addr, None);
    // 30 signals of ~480 bytes in one write: 14 KiB for a 4 KiB queue bound.
    let pad: String = (0..8).map(|i| format!("|P{i}:{}", "x".repeat(52))).collect();
    let burst: String = (0..30).map(|_| format!("LONG|MES|1{pad}\n")).collect();
    p.send_raw(burst.as_bytes());
    for i in 1..=30 {
        assert_eq!(p.line(), format!("SIGNAL_ACK|{i}|1"));
        assert!(r.line().ends_with(&format!("|ID:{i}")));
    }
    assert_eq!(e.stats().overflows, 0);
}
