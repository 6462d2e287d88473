//! Issue #12's end-to-end faults on the real binary (`v9bridge::demo::chaos`, also run by
//! `v9bridge demo --chaos`): a receiver killed with SIGKILL mid 5,000-signal burst and
//! restarted, then the engine killed mid-burst and restarted on its journal.

use v9bridge::demo::chaos::{self, ChaosOpts, Fault};

fn opts() -> ChaosOpts {
    ChaosOpts {
        bin: env!("CARGO_BIN_EXE_v9bridge").into(),
        signals: 5000,
        rate: 2500.0,
        accounts: 5,
    }
}

#[track_caller]
fn assert_pass(f: &Fault) {
    assert!(f.pass(), "{}: {:?}\nfacts: {:?}", f.name, f.problems, f.facts);
    eprintln!("PASS {}: {:?}", f.name, f.facts);
}

/// The killed receiver resumes from its state file: the engine replays what it missed, its
/// accounts end equal to the receiver that never dropped, and no id ran twice on an account.
#[test]
fn a_receiver_killed_mid_burst_converges_without_executing_an_id_twice() {
    let f = chaos::receiver_fault(&opts());
    assert_pass(&f);
    assert!(f.facts.iter().any(|l| l.contains("resumed (1 line)")), "{:?}", f.facts);
}

/// The engine killed with signals in flight: ids continue on restart, every acknowledged
/// signal is in the journal, and both receivers end equal to the journal's model.
#[test]
fn an_engine_killed_mid_burst_continues_its_ids_and_its_receivers_converge() {
    let f = chaos::engine_fault(&opts());
    assert_pass(&f);
    assert!(
        f.facts.iter().any(|l| l.starts_with("after the restart ids continue at")),
        "{:?}",
        f.facts
    );
}
