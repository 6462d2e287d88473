//! Broadcast to 20 with the journal on (fsync every_ms, temp dir) beside the same run with it off.

use super::ab::Ab;
use super::Bench;
use std::io;
use v9bridge::journal::FsyncPolicy;

impl Bench {
    /// Journal off, on, off, on; the ratio columns are on / off.
    pub(super) fn journal(&mut self) -> io::Result<()> {
        let count = self.n(20_000);
        let tmp = tempfile::tempdir()?;
        let run = |b: &Bench, on: bool, round: usize| {
            let mut cfg = b.config();
            if on {
                cfg.journal.dir = tmp.path().join(format!("j{round}"));
                // `V9B_BENCH_FSYNC=never|always` (default every_ms): which part of the cost is
                // the append and which the syncs beside it.
                cfg.journal.fsync = match std::env::var("V9B_BENCH_FSYNC").as_deref() {
                    Ok("never") => FsyncPolicy::Never,
                    Ok("always") => FsyncPolicy::Always,
                    _ => FsyncPolicy::EveryMs,
                };
            }
            b.ab_run(cfg, if on { "journal_on" } else { "journal_off" }, count, &|_| String::new())
        };
        let note = |n, on, off| {
            format!(
                "journal on (fsync every_ms) vs off, broadcast to 20 at 2000/s, {n} signals each: allocations on the engine thread {on} on, {off} off"
            )
        };
        self.ab(count, &run, Ab { note: &note, label: "journal on (vs off)" })
    }
}
