//! `v9bridge journal cat|tail|verify DIR`: read a journal as human lines or JSON lines.

use super::scan::{scan_segment, Problem, SegmentScan, State};
use super::{segment, Entry, Kind, Reader, Record};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `v9bridge journal` options.
#[derive(clap::Args, Debug)]
pub struct JournalArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: JournalCommand,
}

/// `v9bridge journal` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum JournalCommand {
    /// Print every record, oldest first.
    Cat(CatArgs),
    /// Print the last records; with --follow, keep printing new ones.
    Tail(TailArgs),
    /// Check every record; per-segment counts; exits non-zero on corruption.
    Verify(VerifyArgs),
}

/// `journal cat` options.
#[derive(clap::Args, Debug)]
pub struct CatArgs {
    /// Journal directory.
    pub dir: PathBuf,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Only the signals with an id above this (what a replay from it would send).
    #[arg(long)]
    pub after_id: Option<u64>,
}

/// `journal tail` options.
#[derive(clap::Args, Debug)]
pub struct TailArgs {
    /// Journal directory.
    pub dir: PathBuf,
    /// How many records.
    #[arg(short = 'n', long, default_value_t = 20)]
    pub lines: u64,
    /// Keep printing records as they are appended (until interrupted).
    #[arg(short, long)]
    pub follow: bool,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// `journal verify` options.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Journal directory.
    pub dir: PathBuf,
    /// One JSON object per segment, then a summary object.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `journal` subcommand.
pub fn run(a: &JournalArgs) -> Result<(), String> {
    let out = &mut io::stdout().lock();
    let r = match &a.command {
        JournalCommand::Cat(c) => {
            let reader = match c.after_id {
                Some(n) => Reader::signals_after(&c.dir, n),
                None => Reader::open(&c.dir),
            };
            reader.map_err(|e| e.to_string()).and_then(|r| print_all(r, c.json, false, out))
        }
        JournalCommand::Tail(t) => Reader::last(&t.dir, t.lines)
            .map_err(|e| e.to_string())
            .and_then(|r| print_all(r, t.json, t.follow, out)),
        JournalCommand::Verify(v) => verify(&v.dir, v.json, out),
    };
    match r {
        // `| head`: the reader left; not an error.
        Err(e) if e == BROKEN_PIPE => Ok(()),
        r => r,
    }
}

const BROKEN_PIPE: &str = "broken pipe";

fn io_err(e: io::Error) -> String {
    if e.kind() == io::ErrorKind::BrokenPipe {
        BROKEN_PIPE.into()
    } else {
        format!("cannot write the output: {e}")
    }
}

fn print_all(mut r: Reader, json: bool, follow: bool, out: &mut impl Write) -> Result<(), String> {
    let mut damaged = 0;
    let mut line = String::new();
    loop {
        while let Some(e) = r.next_entry() {
            match e {
                Ok(e) => {
                    line.clear();
                    if json {
                        line.push_str(&json_line(&e));
                    } else {
                        human_line(&e, &mut line);
                    }
                    writeln!(out, "{line}").map_err(io_err)?;
                }
                Err(e) => {
                    damaged += 1;
                    eprintln!("v9bridge: {e}");
                }
            }
        }
        out.flush().map_err(io_err)?;
        if !follow {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        r.refresh().map_err(|e| e.to_string())?;
    }
    if damaged > 0 {
        return Err(format!("{damaged} damaged place(s) skipped; run `v9bridge journal verify`"));
    }
    Ok(())
}

/// `2026-01-27T18:05:30.123456789Z` for Unix ns.
pub fn iso_ns(wall_ns: i64) -> String {
    let mut b = [0u8; 20];
    crate::clock::iso8601_utc(wall_ns.div_euclid(1_000_000_000), &mut b);
    let secs = std::str::from_utf8(&b[..19]).unwrap_or("?");
    format!("{secs}.{:09}Z", wall_ns.rem_euclid(1_000_000_000))
}

/// The human line for one record: time, kind, fields, message text escaped and quoted.
pub fn human_line(e: &Entry<'_>, out: &mut String) {
    let _ = write!(out, "{} {}", iso_ns(e.wall_ns), e.record.kind().name());
    let _ = match e.record {
        Record::Signal { id, source, bytes } => {
            write!(out, " id={id} source={source} \"{}\"", bytes.escape_ascii())
        }
        Record::Refused { source, reason, bytes } => {
            write!(
                out,
                " source={source} reason={} \"{}\"",
                reason.escape_debug(),
                bytes.escape_ascii()
            )
        }
        Record::ReceiverConnected(r) | Record::ReceiverDisconnected(r) => {
            let _ = write!(out, " receiver={} peer=", r.name.escape_debug());
            match r.peer {
                Some(p) => write!(out, "{p} accounts={}", r.accounts),
                None => write!(out, "- accounts={}", r.accounts),
            }
        }
        Record::Summary { receiver, signal_id, summary: s } => write!(
            out,
            " receiver={} id={signal_id} accounts={} qty={} pnl={:.2}",
            receiver.escape_debug(),
            s.accounts,
            s.qty,
            s.pnl
        ),
        Record::KillSwitch { armed, by } => write!(out, " armed={armed} by={}", by.escape_debug()),
        Record::Epoch { n } => write!(out, " epoch={n}"),
        Record::LossLimit { account, rule: "" } => {
            write!(out, " account={} armed", account.escape_debug())
        }
        Record::LossLimit { account, rule } => {
            write!(out, " account={} excluded={}", account.escape_debug(), rule.escape_debug())
        }
        Record::Reconcile { receiver, account, symbol, expected, reported, flagged } => write!(
            out,
            " receiver={} account={} symbol={} expected={expected} reported={reported} {}",
            receiver.escape_debug(),
            account.escape_debug(),
            symbol.escape_debug(),
            if flagged { "OUT_OF_SYNC" } else { "IN_SYNC" }
        ),
    };
}

/// One JSON object for one record.
pub fn json_line(e: &Entry<'_>) -> String {
    use serde_json::{json, Value};
    let mut v = json!({
        "offset": e.offset,
        "time": iso_ns(e.wall_ns),
        "wall_ns": e.wall_ns,
        "kind": e.record.kind().name(),
    });
    let text = |bytes: &[u8]| {
        let mut t = json!({ "text": String::from_utf8_lossy(bytes) });
        if std::str::from_utf8(bytes).is_err() {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            t["hex"] = Value::from(hex);
        }
        t
    };
    let fields = match e.record {
        Record::Signal { id, source, bytes } => {
            let mut t = text(bytes);
            t["id"] = id.into();
            t["source"] = source.to_string().into();
            t
        }
        Record::Refused { source, reason, bytes } => {
            let mut t = text(bytes);
            t["source"] = source.to_string().into();
            t["reason"] = reason.into();
            t
        }
        Record::ReceiverConnected(r) | Record::ReceiverDisconnected(r) => json!({
            "receiver": r.name,
            "peer": r.peer.map(|p| p.to_string()),
            "accounts": r.accounts,
        }),
        Record::Summary { receiver, signal_id, summary: s } => json!({
            "receiver": receiver,
            "id": signal_id,
            "accounts": s.accounts,
            "qty": s.qty,
            "pnl": s.pnl,
        }),
        Record::KillSwitch { armed, by } => json!({ "armed": armed, "by": by }),
        Record::Epoch { n } => json!({ "epoch": n }),
        Record::LossLimit { account, rule } => {
            json!({ "account": account, "excluded": !rule.is_empty(), "rule": rule })
        }
        Record::Reconcile { receiver, account, symbol, expected, reported, flagged } => json!({
            "receiver": receiver,
            "account": account,
            "symbol": symbol,
            "expected": expected,
            "reported": reported,
            "out_of_sync": flagged,
        }),
    };
    if let (Value::Object(m), Value::Object(f)) = (&mut v, fields) {
        m.extend(f);
    }
    v.to_string()
}

fn verify(dir: &Path, json: bool, out: &mut impl Write) -> Result<(), String> {
    let list = segment::list(dir).map_err(|e| e.to_string())?;
    let mut st = State::default();
    let mut corrupt = 0;
    for (i, (base, path)) in list.iter().enumerate() {
        let scan =
            scan_segment(*base, path, i + 1 == list.len(), &mut st).map_err(|e| e.to_string())?;
        if matches!(scan.problem, Some(Problem::Corrupt { .. })) {
            corrupt += 1;
        }
        let line = if json { verify_json(&scan) } else { verify_human(&scan) };
        writeln!(out, "{line}").map_err(io_err)?;
    }
    let status = if corrupt > 0 { "CORRUPT" } else { "ok" };
    let summary = if json {
        serde_json::json!({
            "segments": list.len(),
            "records": st.counts.total(),
            "last_id": st.last_id,
            "last_epoch": st.last_epoch,
            "status": status.to_ascii_lowercase(),
        })
        .to_string()
    } else {
        format!(
            "{} segment(s), {} records, last id {}, last epoch {}: {status}",
            list.len(),
            st.counts.total(),
            st.last_id,
            st.last_epoch
        )
    };
    writeln!(out, "{summary}").map_err(io_err)?;
    out.flush().map_err(io_err)?;
    if corrupt > 0 {
        return Err(format!("{corrupt} corrupt segment(s) in {}", dir.display()));
    }
    Ok(())
}

fn verify_human(s: &SegmentScan) -> String {
    let mut line = format!("{}: {} records", s.path.display(), s.counts.total());
    let kinds: Vec<String> = Kind::ALL
        .iter()
        .filter(|k| s.counts.get(**k) > 0)
        .map(|k| format!("{} {}", s.counts.get(*k), k.name()))
        .collect();
    if !kinds.is_empty() {
        let _ = write!(line, " ({})", kinds.join(", "));
    }
    let _ = write!(line, ", {} bytes", s.len);
    if let Some(h) = &s.header {
        let _ = write!(line, ", first id {}, epoch {}", h.first_id, h.epoch);
    }
    let _ = match s.problem {
        None => write!(line, ": ok"),
        Some(Problem::Torn { offset, bytes }) => {
            write!(line, ": TORN TAIL at offset {offset} ({bytes} bytes; cut at the next start)")
        }
        Some(Problem::Corrupt { offset, damage }) => {
            write!(line, ": CORRUPT at offset {offset}: {damage}")
        }
    };
    line
}

fn verify_json(s: &SegmentScan) -> String {
    let counts: serde_json::Map<String, serde_json::Value> =
        Kind::ALL.iter().map(|k| (k.name().to_string(), s.counts.get(*k).into())).collect();
    let mut v = serde_json::json!({
        "segment": s.path.display().to_string(),
        "base": s.base,
        "records": s.counts.total(),
        "counts": counts,
        "bytes": s.len,
        "first_id": s.header.map(|h| h.first_id),
        "epoch": s.header.map(|h| h.epoch),
        "status": "ok",
    });
    match s.problem {
        None => {}
        Some(Problem::Torn { offset, bytes }) => {
            v["status"] = "torn".into();
            v["offset"] = offset.into();
            v["torn_bytes"] = bytes.into();
        }
        Some(Problem::Corrupt { offset, damage }) => {
            v["status"] = "corrupt".into();
            v["offset"] = offset.into();
            v["reason"] = damage.to_string().into();
        }
    }
    v.to_string()
}
