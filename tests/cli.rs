//! The binary as a user runs it: `run` with SIGTERM, `signal`, `--print-config`.

mod common;
use common::*;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_v9bridge");

#[test]
fn print_config_shows_effective_values_and_masks_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("v9.toml");
    std::fs::write(
        &cfg,
        "[v9]\nlisten = '127.0.0.1:6000'\npublisher_token = 'hunter2-hunter2-hunter2'\n[engine]\npin = 'none'\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["run", "--journal", "none", "--config"])
        .arg(&cfg)
        .args(["--v9-listen", "127.0.0.1:7000", "--print-config"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("listen = \"127.0.0.1:7000\""), "{text}");
    assert!(text.contains("pin = \"none\""));
    assert!(!text.contains("hunter2"));
    let bad = Command::new(BIN)
        .args(["run", "--journal", "none", "--pin", "banana", "--print-config"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[cfg(unix)]
#[test]
fn sigterm_sends_server_shutdown_to_clients_and_exits_cleanly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(BIN)
        .args([
            "run",
            "--journal",
            "none",
            "--v9-listen",
            "127.0.0.1:0",
            "--pin",
            "none",
            "--report-s",
            "0",
        ])
        .args(["--ops-listen", "none"]) // the default 127.0.0.1:8080 may be taken
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("engine exited early").unwrap();
        if let Some(a) = line.split("listening on ").nth(1) {
            break a.trim().parse().unwrap();
        }
    };
    let mut r = Raw::receiver(addr, "r");
    // A malformed publisher CONNECT carrying a token: logged as bad input, token masked.
    let mut bad = Raw::connect(addr);
    bad.send("CONNECT|pub|Account_Count:many|Role:Publisher|Token:hunter2-secret");
    assert!(bad.line().starts_with("ERROR|PROTOCOL_ERROR|"));
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(r.line().starts_with("ERROR|SERVER_SHUTDOWN|"));
    assert!(r.closed());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("latency (µs)")), "percentile table at shutdown");
    assert!(rest.iter().any(|l| l.contains("Token:***")), "the bad CONNECT was logged, masked");
    assert!(!rest.iter().any(|l| l.contains("hunter2")), "secrets never logged");
}

#[test]
fn signal_command_prints_the_id_and_fails_on_errors() {
    let e = start(test_config());
    let mut r = Raw::receiver(e.addr, "r");
    let addr = e.addr.to_string();
    let out = Command::new(BIN)
        .args(["signal", "LONG", "MES", "1", "--tp", "4700", "--server", &addr])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
    assert_eq!(r.line(), "LONG|MES|1|TP:4700|ID:1");
    let out =
        Command::new(BIN).args(["signal", "long", "mes", "2", "--server", &addr]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(r.line(), "LONG|MES|2|ID:2", "lower case normalised");
    assert!(String::from_utf8_lossy(&out.stderr).contains("LONG MES 2"));
    let out =
        Command::new(BIN).args(["signal", "LONG", "MES", "0", "--server", &addr]).output().unwrap();
    assert!(!out.status.success(), "qty 0 refused");
    let out =
        Command::new(BIN).args(["signal", "long", "all", "1", "--server", &addr]).output().unwrap();
    assert!(!out.status.success(), "`all` is ALL, refused with an opening action");
    let out =
        Command::new(BIN).args(["signal", "JUMP", "MES", "1", "--server", &addr]).output().unwrap();
    assert!(!out.status.success());
    drop(e);
    let out =
        Command::new(BIN).args(["signal", "LONG", "MES", "1", "--server", &addr]).output().unwrap();
    assert!(!out.status.success(), "no server");
}

#[test]
fn signal_command_with_token() {
    let mut cfg = test_config();
    cfg.v9.publisher_token = Some("tok-0123456789abcdef".into());
    let e = start(cfg);
    let addr = e.addr.to_string();
    let out = Command::new(BIN)
        .args(["signal", "FLATTEN", "ALL", "0", "--server", &addr])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("UNAUTHORIZED"), "{err}");
    assert!(err.contains("--token") && err.contains("V9BRIDGE_PUBLISHER_TOKEN"), "{err}");
    // One failure throttles the address for 250 ms.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = Command::new(BIN)
        .args(["signal", "FLATTEN", "ALL", "0", "--server", &addr])
        .env("V9BRIDGE_PUBLISHER_TOKEN", "tok-0123456789abcdef")
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn config_example_prints_a_config_that_runs() {
    let out = Command::new(BIN).args(["config", "--example"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[v9]") && text.contains("listen = \"127.0.0.1:5000\""), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("example.toml");
    std::fs::write(&path, &text).unwrap();
    let check = Command::new(BIN).args(["config", "--check"]).arg(&path).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
}

#[test]
fn an_integer_pin_is_accepted_and_a_busy_address_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("pin.toml");
    std::fs::write(&cfg, "[engine]\npin = 0\n").unwrap();
    let out = Command::new(BIN)
        .args(["run", "--journal", "none", "--print-config", "--config"])
        .arg(&cfg)
        .output();
    let out = out.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pin = 0"));
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args([
            "run",
            "--journal",
            "none",
            "--pin",
            "none",
            "--report-s",
            "0",
            "--v9-listen",
            &addr,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&addr) && err.contains("V9 listen address"), "{err}");
}

#[test]
fn a_short_publisher_token_is_refused_at_start() {
    let out = Command::new(BIN)
        .args([
            "run",
            "--journal",
            "none",
            "--v9-listen",
            "127.0.0.1:0",
            "--pin",
            "none",
            "--print-config",
        ])
        .env("V9BRIDGE_PUBLISHER_TOKEN", "hunter2")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at least 16 bytes") && !err.contains("hunter2"), "{err}");
}

#[test]
fn trace_logging_never_shows_the_dtc_password() {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let args = v9bridge::sim::dtc_server::DtcServerArgs {
        listen: "127.0.0.1:0".into(),
        ..Default::default()
    };
    let (addr, join) = v9bridge::sim::dtc_server::spawn(&args, stop.clone()).unwrap();
    let out = Command::new(BIN)
        .args(["dtc", "--server", &addr.to_string(), "--ws", "--encoding", "json"])
        .args(["--username", "u", "--password-env", "V9B_TEST_PW", "accounts"])
        .env("V9B_TEST_PW", "hunter2-very-secret")
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = join.join();
    let all =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{all}");
    assert!(all.contains("TRACE") || all.contains("DEBUG"), "trace logging is on: {all}");
    assert!(!all.contains("hunter2"), "{all}");
}
