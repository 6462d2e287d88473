//! Pipeline tests: a fake journal and output, time passed in.

use super::*;
use crate::journal::{Error, Kind};
use crate::signal::Action;
use std::sync::{Arc, Mutex};

/// (kind, signal id, source, reason, bytes) per record appended.
type Rows = Arc<Mutex<Vec<(Kind, u64, String, String, Vec<u8>)>>>;

struct FakeLog {
    rows: Rows,
    fail: Arc<Mutex<bool>>,
}

impl Log for FakeLog {
    fn append(&mut self, rec: &Record<'_>, _wall_ns: i64) -> Result<(), Error> {
        if *self.fail.lock().unwrap() {
            return Err(Error::Failed);
        }
        let row = match *rec {
            Record::Signal { id, source, bytes } => {
                (Kind::Signal, id, source.to_string(), String::new(), bytes.to_vec())
            }
            Record::Refused { source, reason, bytes } => {
                (Kind::Refused, 0, source.to_string(), reason.to_string(), bytes.to_vec())
            }
            r => (r.kind(), 0, String::new(), String::new(), Vec::new()),
        };
        self.rows.lock().unwrap().push(row);
        Ok(())
    }
}

#[derive(Default)]
struct FakeOut {
    /// (routed per receiver, bytes, id)
    lines: Vec<(bool, String, u64)>,
}

impl Output for FakeOut {
    fn fan_out(&mut self, route: Route<'_>, line: &[u8], sent: &Sent) -> u32 {
        let routed = matches!(route, Route::Routed(_));
        self.lines.push((routed, String::from_utf8_lossy(line).into_owned(), sent.id));
        3
    }
}

fn pipeline(last_id: u64) -> (Pipeline, Rows, Arc<Mutex<bool>>) {
    let rows = Rows::default();
    let fail = Arc::new(Mutex::new(false));
    let log = FakeLog { rows: rows.clone(), fail: fail.clone() };
    let s = Settings {
        replay_max_signals: 100,
        replay_max_bytes: 64 * 1024,
        replay_max_age: Duration::from_secs(300),
        reconcile_grace: Duration::from_secs(5),
    };
    (Pipeline::new(Box::new(log), last_id, 7, s), rows, fail)
}

fn cu(p: &Pipeline, req: Request, wall_ns: i64, room: usize, buf: &mut Vec<u8>) -> CaughtUp {
    let rx = crate::risk::ReceiverAccounts::default();
    let mut rb = crate::risk::RouteBuf::default();
    p.catch_up(req, (&rx, &mut rb), (wall_ns, room), buf, &mut Vec::new())
}

const T0: i64 = 1_700_000_000_000_000_000;

#[test]
fn accepted_signals_are_numbered_journalled_and_fanned_out_once() {
    let (mut p, rows, _) = pipeline(41);
    let now = Instant::now();
    let mut out = FakeOut::default();
    let sig = Signal::new(Action::Long, "mes", 2);
    let a = p.submit(&sig, Source::Publisher("alpha"), now, T0, &mut out).unwrap();
    assert_eq!(a, Accepted { id: 42, receivers: 3 });
    let b = p.submit(&Signal::new(Action::Flatten, "ALL", 0), Source::Pipe, now, T0, &mut out);
    assert_eq!(b.unwrap().id, 43);
    assert_eq!(
        out.lines,
        [
            (false, "LONG|MES|2|ID:42\n".to_string(), 42),
            (false, "FLATTEN|ALL|0|ID:43\n".to_string(), 43)
        ]
    );
    let rows = rows.lock().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].0, rows[0].1, rows[0].2.as_str()), (Kind::Signal, 42, "publisher:alpha"));
    assert_eq!(rows[0].4, b"LONG|MES|2|ID:42\n", "the journal holds the bytes broadcast");
    assert_eq!((p.last_id(), p.epoch(), p.stats().accepted), (43, 7, 2));
    assert_eq!(p.targets().get("MES"), 0, "FLATTEN ALL flattened it");
}

#[test]
fn refusals_spend_no_id_reach_no_receiver_and_are_journalled_with_a_code() {
    let (mut p, rows, fail) = pipeline(0);
    let now = Instant::now();
    let mut out = FakeOut::default();
    let bad = Signal::new(Action::Long, "MES", 0);
    assert_eq!(
        p.submit(&bad, Source::Cli, now, T0, &mut out),
        Err(Refusal::Invalid(SignalError::ZeroQuantity))
    );
    let long_opt = "X".repeat(60);
    let mut huge = Signal::new(Action::Long, "MES", 1);
    for _ in 0..8 {
        assert!(huge.push_extra(&long_opt));
    }
    // The largest valid signal still fits the 1024-byte message limit.
    assert!(p.submit(&huge, Source::Ops, now, T0, &mut out).is_ok());
    *fail.lock().unwrap() = true;
    let ok = Signal::new(Action::Short, "ES", 1);
    assert_eq!(p.submit(&ok, Source::Pipe, now, T0, &mut out), Err(Refusal::Journal));
    *fail.lock().unwrap() = false;
    assert_eq!(p.submit(&ok, Source::Pipe, now, T0, &mut out).unwrap().id, 2, "id 2 unspent");
    assert_eq!(out.lines.len(), 2, "refused signals reach no receiver");
    let rows = rows.lock().unwrap();
    assert_eq!((rows[0].0, rows[0].3.as_str()), (Kind::Refused, "ZERO_QUANTITY"));
    assert_eq!(rows[0].4, b"LONG|MES|0\n");
    assert_eq!(p.stats(), PipelineStats { accepted: 2, refused: 2, journal_failures: 2 });
}

#[test]
fn the_memory_serves_replay_and_sync_across_a_restore() {
    let (mut p, _, _) = pipeline(0);
    let now = Instant::now();
    let mut out = FakeOut::default();
    for i in 0..5 {
        let sig = Signal::new(Action::Long, "MES", 1);
        p.submit(&sig, Source::Cli, now, T0 + i, &mut out).unwrap();
    }
    let mut buf = Vec::new();
    let c = cu(&p, Request::From(4), T0 + 10, 1 << 20, &mut buf);
    assert_eq!(c, CaughtUp { mode: Mode::Replay, count: 2 });
    // A restarted engine: a new pipeline refilled from the journalled lines.
    let (mut q, _, _) = pipeline(5);
    for (id, line) in p.replay().from(0) {
        q.restore(id, T0, line);
    }
    buf.clear();
    assert_eq!(cu(&q, Request::From(3), T0 + 10, 1 << 20, &mut buf).count, 3);
    buf.clear();
    let c = cu(&q, Request::Sync, T0, 1 << 20, &mut buf);
    assert_eq!(c, CaughtUp { mode: Mode::Sync, count: 1 });
    assert_eq!(String::from_utf8(buf).unwrap(), "SYNC|MES|LONG|5|ID:5\nCAUGHT_UP|SYNC|1|ID:5\n");
    let late = T0 + 301 * 1_000_000_000;
    let mut buf = Vec::new();
    assert_eq!(cu(&q, Request::From(3), late, 1 << 20, &mut buf).mode, Mode::Sync);
}

#[test]
fn without_a_risk_layer_the_gate_admits_valid_signals_and_no_routing_option_names_anything() {
    let (t, a) = (Targets::default(), super::AccountTargets::default());
    let view = super::View { targets: &t, accounts: &a };
    let sig = Signal::new(Action::Long, "MES", 1);
    let at = (Instant::now(), T0, false);
    assert_eq!(gate(&sig, Source::Pipe, None, at, &view), Ok(None));
    for (opt, code) in [("Group:apex", "UNKNOWN_GROUP"), ("accounts:A1+A2", "UNKNOWN_ACCOUNT")] {
        let mut routed = Signal::new(Action::Long, "MES", 1);
        routed.push_extra(opt);
        let e = gate(&routed, Source::Pipe, None, at, &view).unwrap_err();
        assert_eq!(e.code(), code, "{opt}");
    }
}
