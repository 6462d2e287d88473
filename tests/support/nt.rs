//! Helpers for the NinjaTrader receiver tests: the compiled strategy host (or a skip), engines on
//! a fixed loopback address so one can be restarted in place, and a fake V9 server connection.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use v9bridge::config::{Config, Pin};
use v9bridge::demo::external::ExternalReceiver;
use v9bridge::engine::{CallCtx, Endpoints, Engine, EngineHandle, EngineOutcome};

/// Upper bound for one control call into the engine.
const WAIT: Duration = Duration::from_secs(5);

/// The strategy host `V9Host.exe`: `$V9BRIDGE_NT_HOST` (scripts/ci-ninjatrader.sh builds it),
/// else built here when mono and mcs are installed. `Ok(None)` = skip, with the reason printed.
pub fn host() -> Result<Option<PathBuf>, String> {
    static BUILT: OnceLock<Result<Option<PathBuf>, String>> = OnceLock::new();
    let host = BUILT.get_or_init(build).clone();
    if let Ok(None) = host {
        eprintln!("skipped: mono and mcs not installed (scripts/ci-ninjatrader.sh installs them)");
    }
    host
}

fn build() -> Result<Option<PathBuf>, String> {
    if let Ok(p) = std::env::var("V9BRIDGE_NT_HOST") {
        return Ok(Some(PathBuf::from(p)));
    }
    let have =
        |tool: &str| Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !have("mono") || !have("mcs") {
        return Ok(None);
    }
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ninjatrader");
    let root = env!("CARGO_MANIFEST_DIR");
    let status = Command::new("bash")
        .arg(format!("{root}/scripts/build-ninjatrader.sh"))
        .arg(&out)
        .status()
        .map_err(|e| format!("scripts/build-ninjatrader.sh: {e}"))?;
    if !status.success() {
        return Err(format!("scripts/build-ninjatrader.sh failed: {status}"));
    }
    Ok(Some(out.join("V9Host.exe")))
}

/// Starts the host under mono with `args`; waits for its `HOST|started` line.
pub fn start_host(host: &Path, args: &[&str]) -> Result<ExternalReceiver, String> {
    let mut all = vec![host.to_string_lossy().into_owned()];
    all.extend(args.iter().map(|s| s.to_string()));
    let r = ExternalReceiver::spawn("mono", &all)?;
    r.expect_line("HOST|started", Duration::from_secs(60))
        .map_err(|e| format!("{e}\n{}", r.stderr_tail()))?;
    Ok(r)
}

/// An engine running on its own thread.
pub struct Running {
    pub handle: EngineHandle,
    thread: Option<JoinHandle<std::io::Result<EngineOutcome>>>,
}

impl Running {
    /// An engine on `listen` ("127.0.0.1:0" for a fresh port).
    pub fn start(listen: &str) -> Result<Running, String> {
        Running::start_config(listen, Config::default())
    }

    /// An engine on `listen` with the config `toml` (its `[groups]`, `[mapping]`, ...).
    pub fn start_toml(listen: &str, toml: &str) -> Result<Running, String> {
        Running::start_config(listen, Config::from_toml(toml).map_err(|e| format!("config: {e}"))?)
    }

    fn start_config(listen: &str, mut cfg: Config) -> Result<Running, String> {
        cfg.v9.listen = listen.parse().map_err(|e| format!("{listen}: {e}"))?;
        cfg.engine.pin = Pin::None;
        cfg.engine.report_interval_s = 0;
        cfg.journal.dir = "none".into();
        let engine = Engine::new(&cfg).map_err(|e| format!("engine on {listen}: {e}"))?;
        let handle = engine.handle();
        let thread = Some(std::thread::spawn(move || engine.run()));
        Ok(Running { handle, thread })
    }

    pub fn addr(&self) -> SocketAddr {
        self.handle.v9_addr()
    }

    /// Summaries carrying an ID the engine has received (0 when it does not answer).
    pub fn answered(&self) -> u64 {
        let answered = |e: &mut Endpoints, _: &mut CallCtx<'_>| {
            e.v9.as_ref().map_or(0, |v| v.stats().summaries_with_id)
        };
        self.handle.call(answered, WAIT).unwrap_or(0)
    }

    /// Waits until a receiver named `name` is READY.
    pub fn wait_receiver(&self, name: &str, limit: Duration) -> Result<(), String> {
        wait(limit, || {
            let want = name.to_string();
            let ready = move |e: &mut Endpoints, _: &mut CallCtx<'_>| {
                e.v9.as_ref().is_some_and(|v| v.receivers().iter().any(|r| r.name == want))
            };
            self.handle.call(ready, WAIT).unwrap_or(false)
        })
        .map_err(|_| format!("no READY receiver {name} within {limit:?}"))
    }

    /// Waits until `want` POSITION_SUMMARYs carrying an ID have arrived.
    pub fn wait_answered(&self, want: u64, limit: Duration) -> Result<(), String> {
        let mut got = 0;
        wait(limit, || {
            got = self.answered();
            got >= want
        })
        .map_err(|_| format!("{got} of {want} signals answered within {limit:?}"))
    }

    pub fn stop(mut self) -> Result<EngineOutcome, String> {
        self.handle.stop();
        let t = self.thread.take().ok_or("engine already stopped")?;
        t.join().map_err(|_| "engine thread panicked".to_string())?.map_err(|e| e.to_string())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.handle.stop();
            let _ = t.join();
        }
    }
}

/// Polls `cond` every 5 ms until true or `limit`.
pub fn wait(limit: Duration, mut cond: impl FnMut() -> bool) -> Result<(), ()> {
    let until = Instant::now() + limit;
    loop {
        if cond() {
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The test's side of one connection from the receiver, acting as a V9 server.
pub struct FakeServer {
    write: TcpStream,
    read: BufReader<TcpStream>,
    /// Answer HEARTBEAT with HEARTBEAT_ACK (off to make the receiver time out).
    pub ack: bool,
}

impl FakeServer {
    /// Accepts the next connection on `l` within `limit`.
    pub fn accept(l: &TcpListener, limit: Duration) -> Result<FakeServer, String> {
        l.set_nonblocking(true).map_err(|e| e.to_string())?;
        let until = Instant::now() + limit;
        let s = loop {
            match l.accept() {
                Ok((s, _)) => break s,
                Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < until => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(e) => {
                    return Err(format!("no connection from the receiver within {limit:?}: {e}"))
                }
            }
        };
        s.set_nonblocking(false).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_millis(200))).map_err(|e| e.to_string())?;
        let read = BufReader::new(s.try_clone().map_err(|e| e.to_string())?);
        Ok(FakeServer { write: s, read, ack: true })
    }

    pub fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.write.write_all(bytes).map_err(|e| format!("write to receiver: {e}"))
    }

    /// The next line (without LF); `Ok(None)` once the receiver closed the connection.
    pub fn line(&mut self, limit: Duration) -> Result<Option<String>, String> {
        let until = Instant::now() + limit;
        let mut buf = Vec::new();
        loop {
            match self.read.read_until(b'\n', &mut buf) {
                Ok(0) => return Ok(None),
                Ok(_) if buf.ends_with(b"\n") => break,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(None),
                Err(e) => return Err(format!("read from receiver: {e}")),
            }
            if Instant::now() >= until {
                return Err(format!("no line from the receiver within {limit:?}"));
            }
        }
        buf.pop();
        let line = String::from_utf8(buf).map_err(|_| "receiver sent non-UTF-8".to_string())?;
        if self.ack && line.starts_with("HEARTBEAT|") {
            self.send(b"HEARTBEAT_ACK|2026-01-27T18:05:15Z|All_Systems_OK\n")?;
        }
        Ok(Some(line))
    }

    /// Every line up to and including the first for which `last` is true.
    pub fn until(
        &mut self,
        limit: Duration,
        last: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, String> {
        let until = Instant::now() + limit;
        let mut seen = Vec::new();
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.line(left).map_err(|e| format!("{e}; saw {seen:?}"))? {
                Some(l) if last(&l) => {
                    seen.push(l);
                    return Ok(seen);
                }
                Some(l) => seen.push(l),
                None => return Err(format!("receiver closed the connection; saw {seen:?}")),
            }
        }
    }

    /// Lines up to the POSITION_SUMMARY answering signal `id`.
    pub fn answer(&mut self, id: u64) -> Result<Vec<String>, String> {
        let tail = format!("|ID:{id}");
        self.until(Duration::from_secs(30), |l| {
            l.starts_with("POSITION_SUMMARY|") && l.ends_with(&tail)
        })
    }
}
