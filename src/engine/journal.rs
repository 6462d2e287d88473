//! Engine start-up of the signal pipeline: open (and recover) the journal, refill the memory.

use crate::journal::{Journal, JournalConfig, Reader, Record, Recovered};
use crate::pipeline::{Pipeline, Settings};
use log::{info, warn};
use std::io;

/// Opens `[journal]` (refusing a corrupt one with its file, offset and reason unless
/// `fresh_segment`), then builds the pipeline: ids after the last journalled one, the journal's
/// epoch (or the start time in Unix nanoseconds without a journal), replay window and expected
/// positions refilled from the journalled signals.
/// `risk` builds the risk layer from what the journal recovered; it is installed before the
/// signals are read back, so the per-account targets follow the groups and mappings. `pin` is
/// the loop's core, which the journal's sync thread keeps off.
pub(crate) fn open_pipeline(
    cfg: &JournalConfig,
    pin: crate::config::Pin,
    risk: impl FnOnce(&Recovered) -> io::Result<crate::risk::Risk>,
) -> io::Result<(Pipeline, Recovered)> {
    let settings = Settings::of(cfg);
    let (writer, rec) =
        Journal::open_beside(&cfg.dir, cfg, crate::sys::loop_core(pin)).map_err(|e| {
            // Say how to go on: the operator reads this once, at a failed start.
            let hint = match e {
                crate::journal::Error::Corrupt { .. } => {
                    "; to start anyway, setting the damaged segment aside, run once with \
                 --journal-fresh-segment (journal.fresh_segment = true)"
                }
                _ => "",
            };
            let dir = cfg.dir.display();
            io::Error::new(io::ErrorKind::InvalidData, format!("journal {dir}: {e}{hint}"))
        })?;
    if !cfg.enabled() {
        let epoch = crate::pipeline::epoch_without_journal(crate::clock::unix_nanos());
        info!("journal: off (dir = \"none\"); epoch {epoch}, ids from 1");
        let mut p = Pipeline::in_memory_with(epoch, settings);
        p.set_risk(risk(&rec)?);
        return Ok((p, rec));
    }
    if let Some(t) = &rec.torn {
        warn!(
            "journal: a torn last record was cut at start: {} offset {} ({} bytes)",
            t.segment.display(),
            t.offset,
            t.bytes
        );
    }
    for q in &rec.quarantined {
        warn!(
            "journal: corrupt segment {} set aside as {} (offset {}: {}; {} records salvaged)",
            q.segment.display(),
            q.moved_to.display(),
            q.offset,
            q.damage,
            q.salvaged
        );
    }
    let mut p = Pipeline::new(Box::new(writer), rec.last_id, rec.epoch, settings);
    p.set_risk(risk(&rec)?);
    let restored = restore(&mut p, cfg);
    info!(
        "journal: {} open, epoch {}, last id {}, {restored} signal(s) back in memory",
        cfg.dir.display(),
        rec.epoch,
        rec.last_id
    );
    Ok((p, rec))
}

/// Feeds every journalled signal to the pipeline's memory; damage is logged and skipped (the
/// journal itself was verified by `Journal::open`).
fn restore(p: &mut Pipeline, cfg: &JournalConfig) -> u64 {
    let mut reader = match Reader::signals_after(&cfg.dir, 0) {
        Ok(r) => r,
        Err(e) => {
            warn!("journal: cannot read signals back for replay: {e}");
            return 0;
        }
    };
    let mut n = 0;
    while let Some(entry) = reader.next_entry() {
        match entry {
            Ok(e) => {
                if let Record::Signal { id, bytes, .. } = e.record {
                    p.restore(id, e.wall_ns, bytes);
                    n += 1;
                }
            }
            Err(e) => warn!("journal: skipped while reading back: {e}"),
        }
    }
    n
}

/// The risk layer for this run: compiled from the config (groups, mappings and sizing
/// included: the route step applies them), the kill switch restored from the journal.
pub(crate) fn start_risk(
    cfg: &crate::config::Config,
    rec: &Recovered,
    now: std::time::Instant,
) -> io::Result<crate::risk::Risk> {
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidInput, e);
    let slots = crate::pipeline::PUBLISHER_SLOTS;
    let mut risk =
        crate::risk::Risk::new(cfg.risk_sections(), slots, now, crate::clock::unix_nanos())
            .map_err(invalid)?;
    risk.restore_journal(rec);
    if risk.kill_switch().killed() {
        log::warn!("risk: the kill switch is on (restored from the journal): opening signals are refused until `arm`");
    }
    Ok(risk)
}
