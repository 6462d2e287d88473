//! Broadcast to 20 with the operator surface off and on (the dashboard open in headless Chromium, a market-data WebSocket, a REST poller), interleaved in one run.

use super::*;

impl Bench {
    /// Broadcast to 20 with the operator surface off, then on (see [`ops_consumers`]; 400
    /// positions in the book), four rounds each, interleaved, in one run: the on rows carry the
    /// off rows as their baseline.
    pub(super) fn broadcast_ops(&mut self) -> io::Result<()> {
        // Short runs, alternating off/on, so that load from elsewhere on the machine falls on
        // both alike; the per-round ratios are reported too.
        let rounds = super::suite::knob("V9B_BENCH_ROUNDS").unwrap_or(4u64).max(1);
        let count = super::suite::knob("V9B_BENCH_COUNT").unwrap_or(self.n(20_000) / rounds);
        let (n, rate) = (20, super::suite::knob("V9B_BENCH_RATE").unwrap_or(2000.0));
        // `V9B_BENCH_OPS_MODE=on|off`: one mode only (a callgrind count of the loop thread).
        let mode = std::env::var("V9B_BENCH_OPS_MODE").unwrap_or_default();
        let mut last = [
            LatencyHist::new("ops_off.send_to_last_of_20_read"),
            LatencyHist::new("ops_on.send_to_last_of_20_read"),
        ];
        let mut written = [
            LatencyHist::new("ops_off.read_to_written_20"),
            LatencyHist::new("ops_on.read_to_written_20"),
        ];
        let mut per_round = Vec::new();
        for _ in 0..rounds {
            let mut p50 = [0u64; 2];
            for on in [false, true] {
                if mode == if on { "off" } else { "on" } {
                    continue;
                }
                let (w, l) = self.broadcast_once(n, rate, count, on)?;
                p50[on as usize] = w.quantile_ns(0.5);
                written[on as usize].merge(&w);
                last[on as usize].merge(&l);
            }
            per_round.push(format!("{:.2}", p50[1] as f64 / p50[0].max(1) as f64));
        }
        let page = match chromium() {
            Some(b) => format!("the dashboard open in headless Chromium ({b})"),
            None => "no Chromium: an event-stream reader in place of the dashboard".into(),
        };
        self.notes.push(format!("ops on: {page}, a MES WebSocket, REST polled every 250 ms"));
        self.notes.push(format!(
            "ops on / off per round (publisher read → written, p50): {}",
            per_round.join(", ")
        ));
        let [w_off, w_on] = written;
        let [l_off, l_on] = last;
        let ratio = |on: &LatencyHist, off: &LatencyHist, q: f64| {
            on.quantile_ns(q) as f64 / off.quantile_ns(q).max(1) as f64
        };
        self.notes.push(format!(
            "**ops on / off, broadcast to 20: publisher read → written p50 {:.2}×, p99 {:.2}×; send → last receiver read p50 {:.2}×, p99 {:.2}×** (budget ≤ 1.1×)",
            ratio(&w_on, &w_off, 0.5),
            ratio(&w_on, &w_off, 0.99),
            ratio(&l_on, &l_off, 0.5),
            ratio(&l_on, &l_off, 0.99)
        ));
        self.rows.push(Row {
            hop: "publisher read → broadcast written to 20, ops off".into(),
            engine: w_off.clone(),
            baseline: None,
        });
        self.rows.push(Row {
            hop: "… ops on: dashboard + WebSocket + REST poll (raw = ops off)".into(),
            engine: w_on,
            baseline: Some(w_off),
        });
        self.rows.push(Row {
            hop: format!("publisher send → last of 20 read ({rate:.0}/s), ops off"),
            engine: l_off.clone(),
            baseline: None,
        });
        self.rows.push(Row {
            hop: "… ops on: dashboard + WebSocket + REST poll (raw = ops off)".into(),
            engine: l_on,
            baseline: Some(l_off),
        });
        Ok(())
    }
}

/// The operator surface's consumers for the ops bench, each until `stop`: the dashboard page
/// in headless Chromium (`V9B_BENCH_CHROMIUM`, default /usr/bin/chromium; without it, a reader
/// of the dashboard's event stream stands in), a market-data WebSocket subscribed to MES, and a
/// REST poller (positions and latency every 250 ms, as a monitor would).
pub(super) fn ops_consumers(
    ops: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> io::Result<Consumers> {
    let mut threads = Vec::new();
    let chromium = dashboard_in_chromium(ops);
    if chromium.is_none() {
        threads.push(sse_reader(ops, stop.clone())?);
    }
    let s = std::net::TcpStream::connect(ops)?;
    let (mut ws, _) = tungstenite::client(format!("ws://{ops}/api/v1/marketdata"), s)
        .map_err(|e| io::Error::other(e.to_string()))?;
    ws.send(tungstenite::Message::text(r#"{"action":"subscribe","symbol":"MES"}"#))
        .map_err(|e| io::Error::other(e.to_string()))?;
    ws.get_ref().set_read_timeout(Some(Duration::from_millis(200)))?;
    let s1 = stop.clone();
    threads.push(std::thread::spawn(move || {
        while !s1.load(Ordering::SeqCst) {
            match ws.read() {
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if v9bridge::sys::is_transient(&e) => {}
                Err(_) => return,
            }
        }
    }));
    threads.push(std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            for path in ["/api/v1/positions", "/api/v1/latency"] {
                let _ = http_get(ops, path);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }));
    Ok(Consumers { threads, chromium })
}

/// The ops bench's consumers: joined and Chromium killed on [`Consumers::stop`].
pub(super) struct Consumers {
    threads: Vec<std::thread::JoinHandle<()>>,
    chromium: Option<(std::process::Child, tempfile::TempDir)>,
}

impl Consumers {
    /// No consumers (ops off).
    pub(super) fn none() -> Consumers {
        Consumers { threads: Vec::new(), chromium: None }
    }

    /// Joins the threads (their `stop` flag must be set) and ends Chromium.
    pub(super) fn stop(self) {
        for t in self.threads {
            let _ = t.join();
        }
        if let Some((mut c, _dir)) = self.chromium {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The Chromium the bench opens the dashboard in, if installed.
fn chromium() -> Option<String> {
    let bin = std::env::var("V9B_BENCH_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    std::path::Path::new(&bin).exists().then_some(bin)
}

/// The dashboard page loaded in headless Chromium (None when Chromium is not installed). It
/// inherits this thread's mask, the peers' core: everything but the engine shares that core,
/// as on a machine whose pinned engine core is kept for the engine.
fn dashboard_in_chromium(
    ops: std::net::SocketAddr,
) -> Option<(std::process::Child, tempfile::TempDir)> {
    let bin = chromium()?;
    let dir = tempfile::tempdir().ok()?;
    let mut cmd = std::process::Command::new(&bin);
    if std::env::var("V9B_BENCH_CHROMIUM_PRIORITY").is_ok_and(|v| v == "idle") {
        idle_priority(&mut cmd);
    }
    let child = cmd
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update"])
        .arg(format!("--user-data-dir={}", dir.path().display()))
        // A DevTools port keeps headless Chromium running with the page open.
        .arg("--remote-debugging-port=0")
        .arg(format!("http://{ops}/"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    Some((child, dir))
}

/// Starts the browser under `SCHED_IDLE` (it runs only when neither core has anything else to
/// do): the nearest this 2-core machine comes to a dashboard on the operator's own screen,
/// which does not share the engine's cores. The child inherits the peers' core affinity.
#[cfg(unix)]
fn idle_priority(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure only calls sched_setscheduler, which is
    // async-signal-safe, and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            let param = libc::sched_param { sched_priority: 0 };
            if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn idle_priority(_cmd: &mut std::process::Command) {}

fn sse_reader(
    ops: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> io::Result<std::thread::JoinHandle<()>> {
    let mut sse = std::net::TcpStream::connect(ops)?;
    io::Write::write_all(&mut sse, b"GET /api/v1/events HTTP/1.1\r\nHost: bench\r\n\r\n")?;
    sse.set_read_timeout(Some(Duration::from_millis(200)))?;
    Ok(std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while !stop.load(Ordering::SeqCst) {
            if let Ok(0) = io::Read::read(&mut sse, &mut buf) {
                return;
            }
        }
    }))
}

/// One `GET path` on a fresh connection; the whole answer.
fn http_get(ops: std::net::SocketAddr, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(ops).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
    io::Write::write_all(&mut s, req.as_bytes()).ok()?;
    let mut text = String::new();
    io::Read::read_to_string(&mut s, &mut text).ok()?;
    Some(text)
}

/// Waits (at most 30 s) until the dashboard and the WebSocket are connected, then 2 s more:
/// the rows measure the page open, not a browser starting (Chromium's start and first layout
/// take a core for about a second, longer than the warm-up).
pub(super) fn await_dashboard(ops: std::net::SocketAddr) {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while ops_metrics(ops).is_none_or(|(_, _, streams)| streams < 2.0)
        && std::time::Instant::now() < until
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2));
}

/// `v9bridge_ops_fill_seconds`, `v9bridge_ops_fill_max_seconds` and `v9bridge_ops_streams`
/// (open event streams and WebSockets: 2 when the dashboard is connected beside the bench's
/// WebSocket) from the operator surface's /metrics.
pub(super) fn ops_metrics(ops: std::net::SocketAddr) -> Option<(f64, f64, f64)> {
    let text = http_get(ops, "/metrics")?;
    let get = |name: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((
        get("v9bridge_ops_fill_seconds ")?,
        get("v9bridge_ops_fill_max_seconds ")?,
        get("v9bridge_ops_streams ")?,
    ))
}
