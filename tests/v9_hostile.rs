//! V9 server under attack: slowloris, stuck receivers, token guessing, floods of refusals.
// The stuck-receiver and fd-limit cases are Unix-only; their helpers are unused elsewhere.
#![cfg_attr(not(unix), allow(dead_code))]

mod support;
use std::io::Write;
use std::time::{Duration, Instant};
use support::engine::*;

#[test]
fn a_peer_that_never_completes_a_message_is_timed_out() {
    let mut cfg = test_config();
    cfg.v9.client_timeout_s = 0.5;
    let e = start(cfg);
    let mut r = Raw::receiver(e.addr, "slow");
    // Slowloris: one byte every 100 ms of a message that never ends (bytes, never a message).
    for _ in 0..30 {
        let _ = r.s.write_all(b"H");
        std::thread::sleep(Duration::from_millis(100));
    }
    let l = r.try_line(Duration::from_millis(200)).unwrap_or_default();
    assert!(l.starts_with("ERROR|TIMEOUT|"), "still connected after 3 s of dribbling: {l:?}");
    assert_eq!(e.stats().timeouts, 1);
}

/// 490-byte signals (eight 55-byte pass-through options).
fn fat_signal() -> String {
    let pad: String = (0..8).map(|i| format!("|P{i}:{}", "v".repeat(52))).collect();
    format!("LONG|MES|1{pad}")
}

/// Every line is a whole numbered signal or an ERROR; a clean EOF follows `last` only.
#[track_caller]
fn assert_no_truncated_signal(bytes: &[u8], end: End, last: &str) {
    let text = String::from_utf8_lossy(bytes);
    let complete = text.rsplit_once('\n').map_or("", |(c, _)| c);
    for l in complete.lines() {
        assert!(
            (l.starts_with("LONG|MES|1|P0:") && l.contains("|ID:")) || l.starts_with("ERROR|"),
            "{}",
            &l[..l.len().min(80)]
        );
    }
    match end {
        End::Eof => {
            assert!(text.ends_with('\n'), "a truncated signal then a clean EOF");
            assert_eq!(complete.lines().last(), Some(last), "a clean EOF comes after {last}");
        }
        End::Reset => {} // the stream was cut: a trailing partial line is no message
        End::StillOpen => {
            panic!("the server never ended the stream (truncated tail: {})", !text.ends_with('\n'))
        }
    }
}

#[cfg(unix)]
#[test]
fn a_dropped_slow_receiver_never_reads_a_truncated_signal() {
    let mut cfg = test_config();
    cfg.v9.max_output_bytes = 64 * 1024;
    let e = start(cfg);
    let mut stuck = Raw::receiver(e.addr, "stuck");
    stuck.set_receive_buffer(4096);
    let mut p = Raw::publisher(e.addr, None);
    let sig = fat_signal();
    let mut sent = 0;
    while e.stats().overflows == 0 {
        for _ in 0..200 {
            p.send(&sig);
        }
        for _ in 0..200 {
            assert!(p.line().starts_with("SIGNAL_ACK|"));
        }
        sent += 200;
        assert!(sent < 200_000, "the stuck receiver was never dropped");
    }
    // It reads only after the server gave up on it (past the close grace).
    std::thread::sleep(Duration::from_millis(1500));
    stuck.set_receive_buffer(4 << 20); // now it reads fast
    let (bytes, end) = stuck.drain(WAIT);
    assert_no_truncated_signal(&bytes, end, "ERROR|OVERFLOW|Output queue full|Slow consumer");
}

#[cfg(unix)]
#[test]
fn stopping_with_a_receiver_that_does_not_read_never_leaves_a_truncated_signal() {
    let mut cfg = test_config();
    cfg.v9.max_output_bytes = 64 << 20;
    let e = start(cfg);
    let mut stuck = Raw::receiver(e.addr, "stuck");
    stuck.set_receive_buffer(4096);
    let mut p = Raw::publisher(e.addr, None);
    let sig = fat_signal();
    for _ in 0..40 {
        for _ in 0..250 {
            p.send(&sig);
        }
        for _ in 0..250 {
            assert!(p.line().starts_with("SIGNAL_ACK|"));
        }
    }
    drop(e); // the same stop as SIGTERM: SERVER_SHUTDOWN, a second to flush, then close
    stuck.set_receive_buffer(4 << 20); // now it reads fast
    let (bytes, end) = stuck.drain(WAIT);
    assert_no_truncated_signal(
        &bytes,
        end,
        "ERROR|SERVER_SHUTDOWN|Server shutting down|Reconnect later",
    );
}

#[test]
fn token_guesses_from_one_address_are_throttled() {
    let mut cfg = test_config();
    cfg.v9.publisher_token = Some("the-right-token-0123".into());
    let e = start(cfg);
    let (mut checked, mut throttled) = (0, 0);
    let t0 = Instant::now();
    for i in 0..30 {
        let mut r = Raw::connect(e.addr);
        r.send(&format!("CONNECT|g|Account_Count:0|Role:Publisher|Token:guess-{i:016}"));
        let l = r.line();
        assert!(l.starts_with("ERROR|UNAUTHORIZED|"), "{l}");
        if l.contains("Too many failed attempts") {
            throttled += 1;
        } else {
            checked += 1;
        }
    }
    // 30 guesses within well under a second: only the first few tokens were even compared.
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert!(checked <= 3, "{checked} guesses checked, {throttled} throttled");
}

/// `v9bridge run` as a child (its stderr collected), with a shell prefix such as `ulimit -n 40`.
#[cfg(unix)]
struct Child {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

#[cfg(unix)]
impl Drop for Child {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.kill();
        }
    }
}

#[cfg(unix)]
impl Child {
    fn start(prefix: &str, config: &str) -> Child {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v9.toml");
        std::fs::write(&path, config).unwrap();
        let bin = env!("CARGO_BIN_EXE_v9bridge");
        // No operator surface (--ops-listen none): its default port may be taken.
        let cmd = format!(
            "{prefix} exec {bin} run --journal none --config {} --pin none --report-s 0 --ops-listen none",
            path.display()
        );
        let mut child = Command::new("sh")
            .args(["-c", &cmd])
            .env("RUST_LOG", "info,v9bridge::v9::server=debug") // the per-signal line is debug
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
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let l = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                l.lock().unwrap().push(line);
            }
        });
        std::mem::forget(dir); // the engine has read its config; leave the file be
        Child { child, addr, log }
    }

    /// Kills it without asking (a failed test must not leave it running).
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops it (SIGTERM) and returns its log.
    fn stop(mut self) -> Vec<String> {
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        assert!(self.child.wait().unwrap().success());
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        log
    }
}

/// CONNECT as a receiver; the first line answered within `limit`, if any.
fn hello(addr: std::net::SocketAddr, name: &str, limit: Duration) -> (Raw, Option<String>) {
    let mut r = Raw::connect(addr);
    r.send(&format!("CONNECT|{name}|Account_Count:1"));
    let l = r.try_line(limit);
    (r, l)
}

/// Connects until `n` connections wait unanswered (the server is out of fds), quickly: a
/// refusal is what the server answers once fds have been short for a while.
fn fill(addr: std::net::SocketAddr, ready: &mut Vec<Raw>, n: usize) -> Vec<Raw> {
    let mut waiting = Vec::new();
    while waiting.len() < n {
        match hello(addr, "r", Duration::from_millis(100)) {
            (r, Some(l)) if l.starts_with("READY|") => ready.push(r),
            (_, Some(l)) => assert!(l.contains("Out of file descriptors"), "{l}"),
            (r, None) => waiting.push(r),
        }
        assert!(ready.len() < 64, "the fd limit never bit");
    }
    waiting
}

#[cfg(target_os = "linux")]
#[test]
fn accepting_resumes_when_file_descriptors_free_up() {
    let e = Child::start("ulimit -n 32;", "[v9]\nlisten = '127.0.0.1:0'\n");
    let mut ready = Vec::new();
    let mut waiting = fill(e.addr, &mut ready, 5);
    ready.truncate(ready.len() - 10); // frees ten fds in the server; no new connect follows
    for w in &mut waiting {
        let l = w.try_line(Duration::from_secs(3)).unwrap_or_default();
        assert!(l.starts_with("READY|"), "a waiting connection is still stuck: {l:?}");
    }
    // Out of fds for good: after a second the waiting connections are told, not left hanging.
    ready.append(&mut waiting);
    let mut waiting = fill(e.addr, &mut ready, 3);
    for w in &mut waiting {
        let l = w.try_line(Duration::from_secs(5)).unwrap_or_default();
        assert!(l.contains("Out of file descriptors"), "{l:?}");
    }
    let log = e.stop();
    let fails = log.iter().filter(|l| l.contains("accept on")).count();
    assert!((1..=3).contains(&fails), "one line per interval: {fails}");
}

#[cfg(unix)]
#[test]
fn logs_are_rate_limited_escaped_and_trace_every_signal() {
    let token = "the-right-token-0123";
    let cfg =
        format!("[v9]\nlisten = '127.0.0.1:0'\nmax_clients = 3\npublisher_token = '{token}'\n");
    let e = Child::start("", &cfg);
    let (mut forged, l) = hello(e.addr, "evil\u{2028}INFO forged\u{85}line", WAIT);
    assert!(l.is_some_and(|l| l.starts_with("READY|")));
    let mut p = Raw::publisher(e.addr, Some(token));
    p.send("long mes 1");
    assert!(p.line().starts_with("ERROR|INVALID_SIGNAL|"), "actions are exact");
    p.send("LONG|mes|1");
    assert_eq!(p.line(), "SIGNAL_ACK|1|1");
    assert_eq!(forged.line(), "LONG|MES|1|ID:1", "symbols leave upper-cased");
    drop(p);
    for i in 0..20 {
        let mut r = Raw::connect(e.addr);
        r.send(&format!("CONNECT|g|Account_Count:0|Role:Publisher|Token:guess-{i:016}"));
        assert!(r.line().starts_with("ERROR|UNAUTHORIZED|"));
        assert!(r.closed());
    }
    let _held = (hello(e.addr, "a", WAIT), hello(e.addr, "b", WAIT));
    for _ in 0..20 {
        let (_r, l) = hello(e.addr, "c", WAIT);
        assert!(l.is_some_and(|l| l.contains("Max_Clients reached")));
    }
    let log = e.stop();
    let count = |s: &str| log.iter().filter(|l| l.contains(s)).count();
    assert_eq!(count("signal #1 from Publisher: LONG MES 1 written to 1 receiver(s)"), 1);
    assert!((1..=2).contains(&count("publisher refused")), "{log:#?}");
    assert!((1..=2).contains(&count("(max_clients)")), "{log:#?}");
    assert!(log.iter().all(|l| !l.contains('\u{2028}') && !l.contains('\u{85}')), "{log:#?}");
    assert!(count("evil\\u{2028}INFO forged\\u{85}line") >= 1, "{log:#?}");
}
