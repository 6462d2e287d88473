//! An external copy receiver process, such as the NinjaTrader strategy run by its stand-in host
//! (`tools/ninjatrader/stub/Host.cs`) under mono: started with piped stdin/stdout, driven by
//! one-line commands, and asked at the end for every account's positions and working orders
//! (the host's `POS|...`, `ORD|...`, `END|...` lines). The demo and the tests use it to check
//! the receiver's own accounts, not only what it reported to the engine.

use crate::sim::model::{Book, Holding};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Stderr lines kept for error messages.
const STDERR_TAIL: usize = 200;

/// A running receiver process.
#[derive(Debug)]
pub struct ExternalReceiver {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

/// One position in the dump.
#[derive(Clone, Debug, PartialEq)]
pub struct DumpPosition {
    /// Account name.
    pub account: String,
    /// Instrument root (NinjaTrader's master instrument name, e.g. `MES`).
    pub root: String,
    /// Signed contracts.
    pub qty: i64,
}

/// One working order in the dump.
#[derive(Clone, Debug, PartialEq)]
pub struct DumpOrder {
    /// Account name.
    pub account: String,
    /// Instrument root.
    pub root: String,
    /// `Buy`, `Sell`, `BuyToCover` or `SellShort`.
    pub action: String,
    /// `Limit`, `StopMarket`, ...
    pub kind: String,
    /// Contracts.
    pub qty: i64,
    /// `Day`, `Gtc`, ...
    pub tif: String,
}

/// Every account's positions and working orders as the receiver's own API holds them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dump {
    /// Open positions.
    pub positions: Vec<DumpPosition>,
    /// Orders not in a final state.
    pub orders: Vec<DumpOrder>,
}

impl Dump {
    /// Signed position of `account` in `root` (0 when none).
    pub fn qty(&self, account: &str, root: &str) -> i64 {
        self.positions.iter().find(|p| p.account == account && p.root == root).map_or(0, |p| p.qty)
    }

    /// The dump as a model book over `accounts` names (positions of other accounts are left out;
    /// see [`Dump::accounts_outside`]).
    pub fn book(&self, accounts: &[String]) -> Book {
        let mut b =
            Book { accounts: accounts.to_vec(), holdings: vec![Vec::new(); accounts.len()] };
        for p in &self.positions {
            if let Some(i) = accounts.iter().position(|a| *a == p.account) {
                let symbol = p.root.clone();
                b.holdings[i].push(Holding { symbol, qty: p.qty, entry: 0.0, realized: 0.0 });
            }
        }
        b
    }

    /// Accounts holding a position that are not in `accounts`.
    pub fn accounts_outside(&self, accounts: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.positions {
            if !accounts.contains(&p.account) && !out.contains(&p.account) {
                out.push(p.account.clone());
            }
        }
        out
    }

    fn parse_line(&mut self, line: &str) -> Result<(), String> {
        let f: Vec<&str> = line.split('|').collect();
        let num = |i: usize| -> Result<i64, String> {
            f.get(i).and_then(|s| s.parse().ok()).ok_or_else(|| format!("bad dump line {line:?}"))
        };
        let text = |i: usize| f.get(i).map(|s| s.to_string()).unwrap_or_default();
        match f.first().copied() {
            Some("POS") => {
                self.positions.push(DumpPosition { account: text(1), root: text(2), qty: num(4)? })
            }
            Some("ORD") => self.orders.push(DumpOrder {
                account: text(1),
                root: text(2),
                action: text(3),
                kind: text(4),
                qty: num(5)?,
                tif: text(8),
            }),
            _ => {}
        }
        Ok(())
    }
}

impl ExternalReceiver {
    /// Starts `program args...`.
    pub fn spawn(program: &str, args: &[String]) -> Result<Self, String> {
        let mut cmd = Command::new(program);
        cmd.args(args);
        Self::start(cmd, program)
    }

    /// Starts a shell command line (`sh -c`, or `cmd /C` on Windows) with extra environment.
    pub fn spawn_shell(line: &str, env: &[(&str, &str)]) -> Result<Self, String> {
        let mut cmd = if cfg!(windows) { Command::new("cmd") } else { Command::new("sh") };
        cmd.arg(if cfg!(windows) { "/C" } else { "-c" }).arg(line);
        cmd.envs(env.iter().copied());
        Self::start(cmd, line)
    }

    fn start(mut cmd: Command, what: &str) -> Result<Self, String> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("cannot start {what}: {e}"))?;
        let (stdout, stderr) = match (child.stdout.take(), child.stderr.take()) {
            (Some(o), Some(e)) => (o, e),
            _ => return Err(format!("{what}: no stdout/stderr pipe")),
        };
        let (tx, lines) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let t = tail.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut q) = t.lock() {
                    if q.len() == STDERR_TAIL {
                        q.pop_front();
                    }
                    q.push_back(line);
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(ExternalReceiver { child, stdin, lines, stderr: tail })
    }

    /// The last lines the process wrote to stderr (its log), for error messages.
    pub fn stderr_tail(&self) -> String {
        self.stderr
            .lock()
            .map(|q| q.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    /// Writes one command line.
    pub fn send(&mut self, line: &str) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("receiver stdin closed")?;
        writeln!(stdin, "{line}")
            .and_then(|_| stdin.flush())
            .map_err(|e| format!("receiver stdin: {e}"))
    }

    /// Reads stdout until a line starting with `prefix` (earlier lines are dropped).
    pub fn expect_line(&self, prefix: &str, timeout: Duration) -> Result<String, String> {
        let until = Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l.starts_with(prefix) => return Ok(l),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!("no {prefix:?} line from the receiver within {timeout:?}"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("receiver exited before printing {prefix:?}"))
                }
            }
        }
    }

    /// Sends `line` and waits for the answer line starting with `answer`.
    pub fn command(
        &mut self,
        line: &str,
        answer: &str,
        timeout: Duration,
    ) -> Result<String, String> {
        self.send(line)?;
        self.expect_line(answer, timeout)
    }

    /// Asks for the positions and working orders now.
    pub fn dump(&mut self, timeout: Duration) -> Result<Dump, String> {
        self.send("dump")?;
        self.read_dump(timeout)
    }

    /// Ends the receiver (`quit`, then end of input) and returns its final dump; fails unless it
    /// exits with status 0 within `timeout` (it is killed then).
    pub fn quit(mut self, timeout: Duration) -> Result<Dump, String> {
        // A receiver that already exited cannot take the command; its exit status tells why.
        let _ = self.send("quit");
        self.stdin = None;
        let dump = self.read_dump(timeout);
        let until = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(s)) if s.success() => return dump,
                Ok(Some(s)) => {
                    return Err(format!("receiver exited with {s}:\n{}", self.stderr_tail()))
                }
                Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(20)),
                Ok(None) => return Err("receiver did not exit after quit".into()),
                Err(e) => return Err(format!("receiver status: {e}")),
            }
        }
    }

    fn read_dump(&self, timeout: Duration) -> Result<Dump, String> {
        let until = Instant::now() + timeout;
        let mut d = Dump::default();
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).map_err(|_| {
                format!("no complete dump from the receiver:\n{}", self.stderr_tail())
            })?;
            if line.starts_with("END|") {
                return Ok(d);
            }
            d.parse_line(&line)?;
        }
    }
}

impl Drop for ExternalReceiver {
    fn drop(&mut self) {
        // Never leave the process behind when a test or the demo fails half way.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_lines_become_positions_orders_and_a_book() -> Result<(), String> {
        let mut d = Dump::default();
        for line in [
            "POS|Account1|MES|MES 12-26|3|4520.50",
            "POS|Account2|ES|ES 12-26|-2|4580.00",
            "POS|Account9|NQ|NQ 12-26|1|16000.00",
            "ORD|Account1|MES|Sell|Limit|3|4530|0|Gtc|Working",
            "[print] not a dump line",
        ] {
            d.parse_line(line)?;
        }
        assert_eq!(
            (d.qty("Account1", "MES"), d.qty("Account2", "ES"), d.qty("Account2", "MES")),
            (3, -2, 0)
        );
        assert_eq!(d.orders.len(), 1);
        assert_eq!(
            (d.orders[0].kind.as_str(), d.orders[0].qty, d.orders[0].tif.as_str()),
            ("Limit", 3, "Gtc")
        );
        let accounts = vec!["Account1".to_string(), "Account2".to_string()];
        let book = d.book(&accounts);
        assert_eq!((book.qty(0, "MES"), book.qty(1, "ES")), (3, -2));
        assert_eq!(d.accounts_outside(&accounts), vec!["Account9".to_string()]);
        assert!(Dump::default().parse_line("POS|Account1|MES|MES 12-26|x|0").is_err());
        Ok(())
    }
}
