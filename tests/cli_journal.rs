//! `v9bridge run` on a damaged journal: it refuses to start, naming the segment, the offset and
//! the flag, and `--journal-fresh-segment` starts it with the damage set aside.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use v9bridge::journal::{Journal, JournalConfig, Record, Source};

const BIN: &str = env!("CARGO_BIN_EXE_v9bridge");
const WAIT: Duration = Duration::from_secs(20);

/// Writes 20 signals into `dir`, then flips one byte inside the 10th; returns the segment.
fn damaged_journal(dir: &Path) -> std::path::PathBuf {
    let cfg = JournalConfig { dir: dir.to_path_buf(), ..JournalConfig::default() };
    let (mut w, _) = Journal::open(dir, &cfg).unwrap();
    let mut tenth = 0;
    for id in 1..=20u64 {
        if id == 10 {
            tenth = w.written_offset();
        }
        let rec = Record::Signal { id, source: Source::Cli, bytes: b"LONG|MES|1" };
        w.append(&rec, 0).unwrap();
    }
    drop(w);
    let seg = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_file() && !p.to_string_lossy().ends_with(".corrupt"))
        .unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[tenth as usize + 20] ^= 1;
    std::fs::write(&seg, &bytes).unwrap();
    seg
}

fn engine(dir: &Path, extra: &[&str]) -> Child {
    Command::new(BIN)
        .args(["run", "--v9-listen", "127.0.0.1:0", "--pin", "none", "--report-s", "0"])
        .args(["--ops-listen", "none", "--journal"])
        .arg(dir)
        .args(extra)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads the engine's log lines until `stop` says so or it exits; kills it after [`WAIT`].
fn log_until(child: &mut Child, stop: impl Fn(&str) -> bool) -> String {
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (mut log, until) = (String::new(), Instant::now() + WAIT);
    while let Ok(line) = rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
        log.push_str(&line);
        log.push('\n');
        if stop(&line) {
            break;
        }
    }
    log
}

#[test]
fn a_corrupt_journal_refuses_to_start_and_the_flag_sets_it_aside() {
    let tmp = tempfile::tempdir().unwrap();
    let seg = damaged_journal(tmp.path());
    let mut refused = engine(tmp.path(), &[]);
    let log = log_until(&mut refused, |l| l.contains("v9: listening on"));
    let _ = refused.kill();
    let status = refused.wait().unwrap();
    assert!(!status.success(), "started on a corrupt journal:\n{log}");
    assert!(log.contains(&*seg.to_string_lossy()) && log.contains("offset"), "{log}");
    assert!(log.contains("--journal-fresh-segment"), "{log}");
    assert!(seg.exists(), "a refused start must change nothing");

    let mut fresh = engine(tmp.path(), &["--journal-fresh-segment"]);
    let log = log_until(&mut fresh, |l| l.contains("v9: listening on"));
    let _ = fresh.kill();
    let _ = fresh.wait();
    assert!(log.contains("v9: listening on"), "{log}");
    assert!(log.contains("set aside") && log.contains("last id 20"), "{log}");
}
