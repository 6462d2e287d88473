//! The signal journal on real files: round trips, torn tails, corruption, rotation, retention,
//! recovery across reopen, readers, the CLI, kill -9, and no allocation per append.

mod support;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::alloc::{allocs, Counting};
use support::journal::*;
use v9bridge::journal::{
    Damage, Error, FsyncPolicy, Journal, JournalConfig, Kind, PositionSummary, Reader, Receiver,
    Record, Source,
};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn every_record_kind_round_trips_through_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let peer = Some("10.1.2.3:4567".parse().unwrap());
    let want = [
        signal(1, LINE),
        Record::Signal { id: 2, source: Source::Pipe, bytes: b"FLATTEN|ALL|0\n" },
        Record::Signal { id: 3, source: Source::Cli, bytes: b"SHORT|ES|2\n" },
        Record::Signal { id: 4, source: Source::Ops, bytes: b"CLOSE_HALF|NQ|0\n" },
        Record::Signal { id: 5, source: Source::Dtc("es"), bytes: b"REVERSE|ES|1\n" },
        Record::Refused { source: Source::Pipe, reason: "BAD_SYMBOL", bytes: b"LONG|M$S|1" },
        Record::ReceiverConnected(Receiver { name: "NT-1", peer, accounts: 20 }),
        Record::Summary {
            receiver: "NT-1",
            signal_id: 5,
            summary: PositionSummary { accounts: 20, qty: 20, pnl: 2800.5 },
        },
        Record::ReceiverDisconnected(Receiver { name: "NT-1", peer: None, accounts: 20 }),
        Record::KillSwitch { armed: true, by: "ops" },
    ];
    let (mut w, rec) = open(tmp.path(), &cfg());
    assert_eq!((rec.last_id, rec.last_epoch, rec.epoch), (0, 0, 1));
    for (i, r) in want.iter().enumerate() {
        w.append(r, 1_000 + i as i64).unwrap();
    }
    w.close().unwrap();
    let mut r = Reader::open(tmp.path()).unwrap();
    let first = r.next_entry().unwrap().unwrap();
    assert_eq!(first.record, Record::Epoch { n: 1 });
    let mut last_offset = first.offset;
    for (i, want) in want.iter().enumerate() {
        let e = r.next_entry().unwrap().unwrap();
        assert_eq!((e.record, e.wall_ns), (*want, 1_000 + i as i64));
        assert!(e.offset > last_offset);
        last_offset = e.offset;
    }
    assert!(r.next_entry().is_none());
}

#[test]
fn ids_epochs_and_the_kill_switch_survive_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut w, _) = open(tmp.path(), &cfg());
    for id in 1..=10 {
        w.append(&signal(id, LINE), 0).unwrap();
    }
    w.append(&Record::KillSwitch { armed: true, by: "ops:alice" }, 77).unwrap();
    drop(w);
    let (mut w, rec) = open(tmp.path(), &cfg());
    assert_eq!((rec.last_id, rec.last_epoch, rec.epoch, w.last_id(), w.epoch()), (10, 1, 2, 10, 2));
    let ks = rec.kill_switch.as_ref().unwrap();
    assert_eq!((ks.armed, ks.by.as_str(), ks.wall_ns), (true, "ops:alice", 77));
    assert_eq!(rec.counts.get(Kind::Signal), 10);
    assert_eq!(rec.counts.get(Kind::Epoch), 1);
    assert!(rec.to_string().contains("last id 10"), "{rec}");
    // A restarted engine never reuses an id (nor an epoch).
    assert!(matches!(
        w.append(&signal(10, LINE), 0),
        Err(Error::OutOfOrder { value: 10, last: 10, .. })
    ));
    assert!(matches!(w.append(&Record::Epoch { n: 2 }, 0), Err(Error::OutOfOrder { .. })));
    w.append(&signal(11, LINE), 0).unwrap();
    w.append(&Record::KillSwitch { armed: false, by: "ops:bob" }, 78).unwrap();
    drop(w);
    let (_w, rec) = open(tmp.path(), &cfg());
    assert_eq!((rec.last_id, rec.epoch), (11, 3));
    assert!(!rec.kill_switch.unwrap().armed);
    assert_eq!(signal_ids(tmp.path()), (1..=11).collect::<Vec<_>>());
}

#[test]
fn dir_none_disables_the_journal() {
    let (mut w, rec) = Journal::open(Path::new("none"), &cfg()).unwrap();
    assert!(!w.is_enabled());
    assert_eq!(w.append(&signal(1, LINE), 0).unwrap().0, 0);
    assert_eq!((rec.epoch, rec.to_string().as_str()), (0, "journal disabled"));
    assert!(!Path::new("none").exists());
}

/// A journal whose last record is signal 5; returns its file and the record's [start, end).
fn journal_ending_in_a_signal(dir: &Path) -> (PathBuf, u64, u64) {
    let (mut w, _) = open(dir, &cfg());
    for id in 1..=4 {
        w.append(&signal(id, LINE), 0).unwrap();
    }
    let start = w.written_offset();
    let end = w.append(&signal(5, LINE), 0).unwrap().0;
    drop(w);
    let seg = segments(dir).pop().unwrap();
    // One segment, based at 0: journal offsets are file offsets.
    (seg, start, end)
}

#[test]
fn a_torn_tail_is_cut_and_reported_at_every_byte_of_the_last_record() {
    let tmp = tempfile::tempdir().unwrap();
    let pristine = tmp.path().join("pristine");
    let (seg, start, end) = journal_ending_in_a_signal(&pristine);
    let name = seg.file_name().unwrap().to_owned();
    let bytes = std::fs::read(&seg).unwrap();
    assert_eq!(bytes.len() as u64, end);
    let mut cases = 0;
    for cut in start + 1..end {
        for flip in [false, true] {
            let dir = tmp.path().join(format!("c{cut}{flip}"));
            copy_dir(&pristine, &dir);
            let path = dir.join(&name);
            // Cut short at `cut`, or whole but with the byte at `cut` damaged.
            let mut b = bytes.clone();
            if flip {
                b[cut as usize] ^= 0x5A;
            } else {
                b.truncate(cut as usize);
            }
            std::fs::write(&path, &b).unwrap();
            let (mut w, rec) = open(&dir, &cfg());
            let torn =
                rec.torn.as_ref().unwrap_or_else(|| panic!("cut {cut} flip {flip}: not torn"));
            assert_eq!(
                (torn.offset, torn.bytes),
                (start, b.len() as u64 - start),
                "cut {cut} {flip}"
            );
            assert_eq!(torn.segment, path);
            assert_eq!(rec.last_id, 4);
            assert!(rec.to_string().contains("torn tail cut"));
            // The cut record's id is free again (it was never acknowledged as written).
            w.append(&signal(5, LINE), 0).unwrap();
            drop(w);
            assert_eq!(signal_ids(&dir), vec![1, 2, 3, 4, 5]);
            cases += 1;
        }
    }
    // The frame head (length, checksum) is cut at every byte too.
    assert!(cases as u64 >= 2 * (end - start - 1) && end - start > 8);
}

#[test]
fn a_torn_segment_header_removes_the_new_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let c = JournalConfig { segment_bytes: 4096, ..cfg() };
    let (mut w, _) = open(tmp.path(), &c);
    let mut id = 0;
    while segments(tmp.path()).len() < 2 {
        id += 1;
        w.append(&signal(id, LINE), 0).unwrap();
    }
    drop(w);
    let last = segments(tmp.path()).pop().unwrap();
    let header = std::fs::read(&last).unwrap()[..20].to_vec();
    std::fs::write(&last, header).unwrap();
    let (_w, rec) = open(tmp.path(), &c);
    assert_eq!(rec.torn.unwrap().offset, 0);
    // Signal `id` went with the torn segment; the one before it is the last.
    assert_eq!(rec.last_id, id - 1);
}

#[test]
fn corruption_in_the_middle_refuses_to_start_and_fresh_segment_starts_anew() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut w, _) = open(tmp.path(), &cfg());
    let mut starts = vec![];
    for id in 1..=20 {
        starts.push(w.written_offset());
        w.append(&signal(id, LINE), 0).unwrap();
    }
    drop(w);
    let seg = segments(tmp.path()).pop().unwrap();
    let mut b = std::fs::read(&seg).unwrap();
    b[starts[9] as usize + 20] ^= 1; // inside signal 10's body
    std::fs::write(&seg, &b).unwrap();
    let err = Journal::open(tmp.path(), &cfg()).unwrap_err();
    match &err {
        Error::Corrupt { segment, offset, damage } => {
            assert_eq!((segment, *offset, *damage), (&seg, starts[9], Damage::BadChecksum));
        }
        e => panic!("{e}"),
    }
    let text = err.to_string();
    assert!(text.contains(&format!("offset {}", starts[9])) && text.contains("checksum"), "{text}");
    assert!(text.contains(&*seg.to_string_lossy()), "{text}");
    // Still refused: nothing was changed by the refusal.
    assert!(Journal::open(tmp.path(), &cfg()).is_err());
    let fresh = JournalConfig { fresh_segment: true, ..cfg() };
    let (mut w, rec) = open(tmp.path(), &fresh);
    let q = &rec.quarantined[0];
    assert_eq!((q.offset, q.damage, q.salvaged), (starts[9], Damage::BadChecksum, 10));
    assert!(q.moved_to.exists() && !seg.exists());
    let new_seg = rec.fresh_segment.clone().unwrap();
    assert!(rec.to_string().contains("fresh segment"), "{rec}");
    // Ids 11..=20 sit after the damage: salvaged for their ids, so none is reused.
    assert_eq!(rec.last_id, 20);
    w.append(&signal(21, LINE), 0).unwrap();
    drop(w);
    // The next start needs no flag: the corrupt segment is set aside.
    let (_w, rec) = open(tmp.path(), &cfg());
    assert_eq!((rec.last_id, rec.epoch), (21, 3));
    assert_eq!(segments(tmp.path()), vec![new_seg]);
}

#[test]
fn a_damaged_older_segment_is_corruption_not_a_torn_tail() {
    let tmp = tempfile::tempdir().unwrap();
    let c = JournalConfig { segment_bytes: 4096, ..cfg() };
    let (mut w, _) = open(tmp.path(), &c);
    let mut id = 0;
    while segments(tmp.path()).len() < 3 {
        id += 1;
        w.append(&signal(id, LINE), 0).unwrap();
    }
    drop(w);
    let first = &segments(tmp.path())[0];
    let len = std::fs::metadata(first).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(first).unwrap().set_len(len - 3).unwrap();
    match Journal::open(tmp.path(), &c) {
        Err(Error::Corrupt { segment, damage: Damage::Short, .. }) => assert_eq!(&segment, first),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("opened a journal with a torn middle segment"),
    }
}

#[test]
fn segments_rotate_by_size_and_retention_deletes_the_oldest() {
    let tmp = tempfile::tempdir().unwrap();
    let c = JournalConfig { segment_bytes: 4096, retain_segments: 3, ..cfg() };
    let (mut w, _) = open(tmp.path(), &c);
    w.append(&Record::KillSwitch { armed: true, by: "ops" }, 5).unwrap();
    for id in 1..=500 {
        w.append(&signal(id, LINE), 0).unwrap();
    }
    w.close().unwrap();
    let segs = segments(tmp.path());
    assert_eq!(segs.len(), 3, "{segs:?}");
    for s in &segs {
        assert!(std::fs::metadata(s).unwrap().len() <= 4096);
    }
    let ids = signal_ids(tmp.path());
    assert_eq!(*ids.last().unwrap(), 500);
    assert!(ids.windows(2).all(|p| p[1] == p[0] + 1) && ids[0] > 1);
    // The segment holding the kill-switch record is gone; its state was carried forward.
    let (_w, rec) = open(tmp.path(), &c);
    assert_eq!(rec.last_id, 500);
    assert!(rec.kill_switch.unwrap().armed);

    let tmp = tempfile::tempdir().unwrap();
    let c = JournalConfig { segment_bytes: 4096, retain_bytes: 10_000, ..cfg() };
    let (mut w, _) = open(tmp.path(), &c);
    for id in 1..=500 {
        w.append(&signal(id, LINE), 0).unwrap();
    }
    w.close().unwrap();
    let total: u64 = segments(tmp.path()).iter().map(|s| std::fs::metadata(s).unwrap().len()).sum();
    assert!(total <= 10_000 && total > 4096, "{total}");
}

#[test]
fn readers_start_after_an_id_take_the_last_n_and_follow() {
    let tmp = tempfile::tempdir().unwrap();
    let c = JournalConfig { segment_bytes: 4096, ..cfg() };
    let (mut w, _) = open(tmp.path(), &c);
    for id in 1..=300 {
        w.append(&signal(id, LINE), id as i64).unwrap();
        if id % 7 == 0 {
            let s = PositionSummary { accounts: 1, qty: 1, pnl: 0.0 };
            w.append(&Record::Summary { receiver: "r", signal_id: id, summary: s }, 0).unwrap();
        }
    }
    assert!(segments(tmp.path()).len() > 5);
    for n in [0, 1, 123, 299, 300, 10_000] {
        let mut r = Reader::signals_after(tmp.path(), n).unwrap();
        let mut got = vec![];
        while let Some(e) = r.next_entry() {
            let e = e.unwrap();
            let Record::Signal { id, bytes, .. } = e.record else { panic!("{e:?}") };
            assert_eq!((bytes, e.wall_ns), (LINE, id as i64));
            got.push(id);
        }
        assert_eq!(got, (n + 1..=300).collect::<Vec<_>>(), "after {n}");
    }
    let all = kinds_and_ids(tmp.path());
    for n in [0, 1, 5, 100, all.len() as u64, 100_000] {
        let mut r = Reader::last(tmp.path(), n).unwrap();
        let mut got = vec![];
        while let Some(e) = r.next_entry() {
            let e = e.unwrap();
            got.push((
                e.record.kind(),
                if let Record::Signal { id, .. } = e.record { id } else { 0 },
            ));
        }
        let keep = all.len().min(n as usize);
        assert_eq!(got, all[all.len() - keep..], "last {n}");
    }
    // Following: at the end, later appends (and new segments) are read by later calls.
    let mut r = Reader::signals_after(tmp.path(), 300).unwrap();
    assert!(r.next_entry().is_none());
    for id in 301..=400 {
        w.append(&signal(id, LINE), 0).unwrap();
    }
    let mut got = vec![];
    for _ in 0..3 {
        r.refresh().unwrap();
        while let Some(e) = r.next_entry() {
            if let Record::Signal { id, .. } = e.unwrap().record {
                got.push(id);
            }
        }
    }
    assert_eq!(got, (301..=400).collect::<Vec<_>>());
}

#[test]
fn the_sync_thread_reports_what_is_durable() {
    for policy in [FsyncPolicy::Always, FsyncPolicy::EveryMs] {
        let tmp = tempfile::tempdir().unwrap();
        let c = JournalConfig { fsync: policy, segment_bytes: 4096, ..cfg() };
        let (mut w, _) = open(tmp.path(), &c);
        let d = w.durability();
        let mut end = 0;
        for id in 1..=200 {
            end = w.append(&signal(id, LINE), 0).unwrap().0;
        }
        wait_until("durable offset", || d.offset() >= end && d.id() == 200);
        // After idle ticks (every_ms is never woken by the writer), a new record still
        // becomes durable on the thread's own tick.
        std::thread::sleep(Duration::from_millis(3 * c.fsync_every_ms));
        end = w.append(&signal(201, LINE), 0).unwrap().0;
        wait_until("durable offset after idle", || d.offset() >= end && d.id() == 201);
        assert!(!d.failed());
        w.close().unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let (mut w, _) = open(tmp.path(), &cfg());
    w.append(&signal(1, LINE), 0).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!((w.durability().offset(), w.durability().id()), (0, 0), "never: nothing durable");
}

#[test]
fn appending_allocates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // One segment: rotating (once per segment_bytes) allocates a path and a file.
    let c = JournalConfig {
        fsync: FsyncPolicy::EveryMs,
        fsync_every_ms: 1,
        segment_bytes: 64 << 20,
        ..cfg()
    };
    let (mut w, _) = open(tmp.path(), &c);
    let peer = Some("10.0.0.1:5000".parse().unwrap());
    let recs = [
        signal(0, LINE),
        Record::Refused { source: Source::Pipe, reason: "BAD_SYMBOL", bytes: LINE },
        Record::ReceiverConnected(Receiver { name: "NT-1", peer, accounts: 20 }),
        Record::ReceiverDisconnected(Receiver { name: "NT-1", peer, accounts: 20 }),
        Record::Summary {
            receiver: "NT-1",
            signal_id: 1,
            summary: PositionSummary { accounts: 20, qty: 20, pnl: 1.0 },
        },
        Record::KillSwitch { armed: true, by: "ops" },
    ];
    w.append(&recs[5], 0).unwrap(); // first kill switch: may size its buffer
    let before = allocs();
    for id in 1..=5_000u64 {
        for r in &recs {
            let r = match *r {
                Record::Signal { source, bytes, .. } => Record::Signal { id, source, bytes },
                other => other,
            };
            w.append(&r, id as i64).unwrap();
        }
    }
    let during = allocs() - before;
    w.close().unwrap();
    assert_eq!(during, 0, "30,000 appends allocated {during} times");
    assert_eq!(signal_ids(tmp.path()).len(), 5_000);
}
