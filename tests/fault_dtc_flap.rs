//! Fault injection on a DTC connection: the DTC server (the simulator) killed with SIGKILL and
//! restarted on the same port again and again, sometimes before the engine could log on.
#![cfg(unix)]

mod support;

use std::time::Duration;
use support::fault::{engine, listening_addr, Conn, Proc, WAIT};

/// Flaps of the DTC server.
const FLAPS: usize = 6;
/// Most engine log lines per flap: the disconnect, the failed reconnects while the server is
/// down (backoff capped at 1 s here), the logon and its security definition; about 6 were
/// measured. A flood (one line per retry without backoff, per bad frame, ...) breaks it.
const LINES_PER_FLAP: usize = 15;

fn dtc_server(listen: &str) -> Proc {
    Proc::spawn("dtc-sim", &["sim", "dtc-server", "--listen", listen, "--tick-ms", "5"])
}

#[test]
fn the_engine_survives_a_flapping_dtc_server_and_reconnects_with_bounded_logs() {
    let mut sim = dtc_server("127.0.0.1:0");
    let dtc = listening_addr(&sim, "dtc-sim listening on ").to_string();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("flap.toml");
    std::fs::write(
        &cfg,
        format!(
            "[dtc.flap]\naddr = \"{dtc}\"\nencoding = \"binary\"\nsymbols = [\"ESZ6_FUT_CME\"]\n\
             heartbeat_s = 1\nreconnect_min_ms = 50\nreconnect_max_ms = 1000\n"
        ),
    )
    .unwrap();
    let (mut eng, addr) = engine(&["--config", cfg.to_str().unwrap()]);
    eng.wait_count("logged on to", 1, WAIT);
    let baseline = eng.lines().len();

    for flap in 0..FLAPS {
        sim.kill9();
        std::thread::sleep(Duration::from_millis(100 * flap as u64));
        if flap % 2 == 1 {
            // Up and down again before the engine's next attempt is likely to log on.
            sim = dtc_server(&dtc);
            sim.wait_line("dtc-sim listening on", WAIT);
            sim.kill9();
        }
        sim = dtc_server(&dtc);
        sim.wait_line("dtc-sim listening on", WAIT);
        eng.wait_count("logged on to", flap + 2, Duration::from_secs(30));
        assert!(eng.alive(), "engine alive after flap {flap}");
    }

    // The V9 side was never disturbed: a receiver connects and gets a published signal.
    let mut r = Conn::receiver(addr, "r");
    let mut p = Conn::publisher(addr);
    p.send("LONG|MES|1");
    assert!(p.line(WAIT).is_some_and(|l| l.starts_with("SIGNAL_ACK|1|1")));
    assert!(r.line(WAIT).is_some_and(|l| l.starts_with("LONG|MES|1|")));

    let lines = eng.lines().len() - baseline;
    assert!(
        lines <= FLAPS * LINES_PER_FLAP,
        "{lines} log lines for {FLAPS} flaps:\n{}",
        eng.lines()[baseline..].join("\n")
    );
    assert!(eng.stop(libc::SIGTERM).success());
}
