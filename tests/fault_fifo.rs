//! Fault injection on the pipe: the FIFO removed while the engine runs and the study writes.
#![cfg(unix)]

mod support;

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use support::engine::Raw;
use support::fault::{engine, signal_id, Proc, WAIT};

/// The simulated study (`sim pipe-feed`, a signal every 500 ticks at 2,000 ticks/s) keeps
/// writing while its FIFO is deleted. The engine must notice, log it, create a new private
/// FIFO at the path, and the study (which reopens on EPIPE, as the ACSIL study does) must
/// reach the engine again: the receiver keeps getting the study's signals.
#[test]
fn a_fifo_removed_while_running_is_recreated_and_the_feed_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.fifo").to_string_lossy().into_owned();
    let (mut eng, addr) = engine(&["--pipe", &path]);
    let mut r = Raw::receiver(addr, "r");
    let mut feed = Proc::spawn(
        "pipe-feed",
        &["sim", "pipe-feed", "--pipe", &path, "--rate", "2000", "--signals", "--duration-s", "60"],
    );
    let mut next_signal = || loop {
        if let Some(id) = signal_id(&r.line()) {
            return id;
        }
    };
    let before = next_signal();

    std::fs::remove_file(&path).unwrap();
    eng.wait_line("the FIFO was removed", WAIT);
    let m = std::fs::symlink_metadata(&path).expect("recreated");
    assert!(m.file_type().is_fifo() && m.mode() & 0o077 == 0, "a private FIFO");

    // Signals keep coming through the new FIFO (ids go on increasing from the same server).
    let mut after = next_signal();
    while after <= before + 2 {
        after = next_signal();
    }
    assert!(eng.alive());
    let status = feed.stop(libc::SIGTERM);
    assert!(status.success(), "{status:?}");
    let summary = feed.wait_line("connects", WAIT);
    let connects: u64 =
        summary.split(", ").last().unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(connects >= 2, "the feed reopened the path: {summary}");
    assert_eq!(eng.count("the FIFO was removed"), 1, "logged once: {:?}", eng.lines());
    assert!(eng.stop(libc::SIGTERM).success());
}
