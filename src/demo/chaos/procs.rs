//! Child processes: a `v9bridge` child with its output kept (also the tests' fault helper), and the chaos demo's engine and receivers, killed with SIGKILL.
//
// Faults are only real across a process boundary: kill -9 leaves no destructor, no flush, no
// goodbye. Every wait here is bounded; a child left running is killed when dropped.

use crate::sim::receiver::saved::Saved;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Upper bound for any single wait.
pub const WAIT: Duration = Duration::from_secs(30);

/// A running child (`RUST_LOG=info`); its stderr (the log) and stdout lines are collected.
#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    /// Starts `bin ARGS`; `name` labels its errors.
    pub fn spawn<S: AsRef<OsStr>>(bin: &Path, name: &str, args: &[S]) -> Result<Proc, String> {
        let mut child = Command::new(bin)
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{name}: cannot start {}: {e}", bin.display()))?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let outs: Vec<Box<dyn std::io::Read + Send>> = [
            child.stderr.take().map(|e| Box::new(e) as Box<dyn std::io::Read + Send>),
            child.stdout.take().map(|o| Box::new(o) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        .collect();
        for out in outs {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for l in BufReader::new(out).lines().map_while(Result::ok) {
                    if let Ok(mut v) = lines.lock() {
                        v.push(l);
                    }
                }
            });
        }
        Ok(Proc { name: name.to_string(), child, lines })
    }

    /// Its label.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every line logged (or printed) so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// The first line containing `needle`, waiting up to [`WAIT`].
    pub fn wait_line(&self, needle: &str) -> Result<String, String> {
        self.wait_line_within(needle, WAIT)
    }

    /// The first line containing `needle`, waiting up to `limit`.
    pub fn wait_line_within(&self, needle: &str, limit: Duration) -> Result<String, String> {
        let until = Instant::now() + limit;
        loop {
            let found =
                self.lines.lock().ok().and_then(|v| v.iter().find(|l| l.contains(needle)).cloned());
            if let Some(l) = found {
                return Ok(l);
            }
            if Instant::now() >= until {
                return Err(format!(
                    "{}: no line with {needle:?} within {limit:?}{}",
                    self.name,
                    self.tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Lines containing `needle` so far.
    pub fn count(&self, needle: &str) -> usize {
        self.lines.lock().map_or(0, |v| v.iter().filter(|l| l.contains(needle)).count())
    }

    fn tail(&self) -> String {
        let v = self.lines();
        let from = v.len().saturating_sub(15);
        format!("; its last lines:\n  {}", v[from..].join("\n  "))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while it runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its exit status, waiting up to `limit` (None if it still runs).
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(s)) => return Some(s),
                Ok(None) if Instant::now() < until => {}
                _ => return None,
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL (TerminateProcess on Windows), then reaps it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.alive() {
            self.kill9();
        }
    }
}

/// `v9bridge run` with the journal in `dir`/journal on `listen` (port 0 for a fresh one), no
/// operator surface (its fixed default port would collide between runs); returns it with its
/// V9 address.
pub(super) fn engine(bin: &Path, dir: &Path, listen: &str) -> Result<(Proc, SocketAddr), String> {
    let cfg = dir.join("engine.toml");
    let journal = dir.join("journal").to_string_lossy().replace('\\', "/");
    let text = format!(
        "[engine]\npin = \"none\"\nreport_interval_s = 0\n\n[v9]\nlisten = \"{listen}\"\n\n[journal]\ndir = \"{journal}\"\n\n[ops]\nlisten = \"none\"\n"
    );
    std::fs::write(&cfg, text).map_err(|e| format!("{}: {e}", cfg.display()))?;
    let args = vec!["run".to_string(), "--config".into(), cfg.to_string_lossy().into_owned()];
    let p = Proc::spawn(bin, "engine", &args)?;
    let line = p.wait_line("v9: listening on ")?;
    let addr = line
        .split("v9: listening on ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("engine: no address in {line:?}"))?;
    Ok((p, addr))
}

/// A simulated receiver process with its state file.
pub(super) struct Receiver {
    pub(super) proc: Proc,
    pub(super) state: PathBuf,
    args: Vec<String>,
    bin: PathBuf,
}

impl Receiver {
    pub(super) fn start(
        bin: &Path,
        dir: &Path,
        name: &str,
        addr: SocketAddr,
        accounts: usize,
    ) -> Result<Receiver, String> {
        let state = dir.join(format!("{name}.json"));
        let args: Vec<String> = [
            "sim",
            "receiver",
            "--connect",
            &addr.to_string(),
            "--name",
            name,
            "--accounts",
            &accounts.to_string(),
            "--heartbeat-s",
            "1",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(["--state-file".to_string(), state.to_string_lossy().into_owned()])
        .collect();
        let proc = Proc::spawn(bin, name, &args)?;
        Ok(Receiver { proc, state, args, bin: bin.to_path_buf() })
    }

    /// kill -9, then the same command again (it resumes from its state file).
    pub(super) fn kill_and_restart(&mut self) -> Result<(), String> {
        self.proc.kill9();
        self.proc = Proc::spawn(&self.bin, "receiver (restarted)", &self.args)?;
        Ok(())
    }

    /// Waits until its state file satisfies `done`, then returns that snapshot.
    pub(super) fn wait_saved(
        &self,
        what: &str,
        done: impl Fn(&Saved) -> bool,
    ) -> Result<Saved, String> {
        let until = Instant::now() + WAIT * 2;
        let mut last = None;
        loop {
            if let Ok(Some(s)) = Saved::load(&self.state) {
                if done(&s) {
                    return Ok(s);
                }
                last = Some(s.high);
            }
            if Instant::now() >= until {
                return Err(format!(
                    "{}: {what} not reached (its last saved id: {last:?})",
                    self.state.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
