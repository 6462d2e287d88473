//! The NinjaTrader strategy (under mono, stub API) and signals split over several lines (issue
//! #13): one id on disjoint `Accounts:` runs of long-named accounts is one signal, deduped per
//! (id, account). Against a scripted server: a split signal cut by a reconnect and replayed,
//! and a split SYNC. Through the engine: 40 accounts named `APEX-123456-PA-n`, sized per
//! account, live, routed replay after the strategy's process restarts, and SYNC after the
//! engine restarts into a new epoch; every account ends with its model position.
//! Skipped (one line) without mono and mcs.

mod support;

use std::net::TcpListener;
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use support::nt::{host, start_host, wait, FakeServer};
use v9bridge::config::{Config, Pin};
use v9bridge::demo::external::{Dump, ExternalReceiver};
use v9bridge::engine::{CallCtx, Endpoints, Engine, EngineHandle, EngineOutcome};
use v9bridge::signal::Action;
use v9bridge::sim::model::Book;
use v9bridge::v9::publisher::Publisher;

const LIMIT: Duration = Duration::from_secs(60);
const PREFIX: &str = "APEX-123456-PA-";
const N: usize = 40;

fn names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{PREFIX}{i}")).collect()
}

fn start(host: &Path, addr: &str, n: usize, user_data: &Path) -> Result<ExternalReceiver, String> {
    start_named(host, addr, (PREFIX, n), user_data)
}

fn start_named(
    host: &Path,
    addr: &str,
    (prefix, n): (&str, usize),
    user_data: &Path,
) -> Result<ExternalReceiver, String> {
    let (n, dir) = (n.to_string(), user_data.to_string_lossy().into_owned());
    let args =
        ["--connect", addr, "--accounts", &n, "--account-prefix", prefix, "--user-data", &dir];
    start_host(host, &args)
}

/// The (account, root) positions once they equal `want`, polled through the host's dump.
fn settle(rx: &mut ExternalReceiver, want: &[(String, &str, i64)]) -> Result<Dump, String> {
    let until = Instant::now() + LIMIT;
    loop {
        let d = rx.dump(LIMIT)?;
        if want.iter().all(|(a, r, q)| d.qty(a, r) == *q) {
            return Ok(d);
        }
        if Instant::now() >= until {
            let got: Vec<i64> = want.iter().map(|(a, r, _)| d.qty(a, r)).collect();
            return Err(format!("positions never became {want:?}: {got:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn split_lines_with_one_id_run_once_per_account_against_a_scripted_server() -> Result<(), String> {
    let Some(host) = host()? else { return Ok(()) };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = l.local_addr().map_err(|e| e.to_string())?.to_string();
    let all = names(12);
    let sized = |r: std::ops::Range<usize>| -> String {
        all[r].iter().map(|a| format!("{a}=2")).collect::<Vec<_>>().join("+")
    };
    let (first, second) = (sized(0..7), sized(7..12));
    let rx = start(&host, &addr, 12, dir.path())?;
    let mut c = FakeServer::accept(&l, LIMIT)?;
    let connect = c.line(LIMIT)?.ok_or("closed before CONNECT")?;
    assert!(connect.ends_with(&format!("|Accounts:{}", all.join("+"))), "{connect}");
    c.send(b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:5|Last_ID:0\n")?;
    // Signal 1 in two lines; the connection drops after the first.
    c.send(format!("LONG|MES|2|Accounts:{first}|ID:1\n").as_bytes())?;
    c.answer(1)?;
    drop(c);
    let mut c = FakeServer::accept(&l, LIMIT)?;
    let connect = c.line(LIMIT)?.ok_or("closed before CONNECT")?;
    assert!(connect.contains("|Last_ID:1|Epoch:5|"), "{connect}");
    // The replay from id 1 (inclusive): the first line's accounts skip it, the second's run.
    let replay = format!(
        "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:5|Last_ID:1\n\
         LONG|MES|2|Accounts:{first}|Replay:1|ID:1\nLONG|MES|2|Accounts:{second}|Replay:1|ID:1\n\
         CAUGHT_UP|REPLAY|1|ID:1\n"
    );
    c.send(replay.as_bytes())?;
    c.answer(1)?;
    let mut rx = rx;
    let want: Vec<(String, &str, i64)> = all.iter().map(|a| (a.clone(), "MES", 2)).collect();
    settle(&mut rx, &want)?;
    drop(c);
    // A new epoch: SYNC in two lines (one id, one symbol, disjoint accounts).
    let mut c = FakeServer::accept(&l, LIMIT)?;
    c.line(LIMIT)?.ok_or("closed before CONNECT")?;
    let sync = format!(
        "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:6|Last_ID:1\n\
         SYNC|MES|SHORT|3|Accounts:{}|ID:1\nSYNC|MES|SHORT|3|Accounts:{}|ID:1\n\
         CAUGHT_UP|SYNC|2|ID:1\n",
        all[..6].join("+"),
        all[6..].join("+")
    );
    c.send(sync.as_bytes())?;
    c.answer(1)?;
    let want: Vec<(String, &str, i64)> = all.iter().map(|a| (a.clone(), "MES", -3)).collect();
    settle(&mut rx, &want)?;
    let d = rx.quit(LIMIT)?;
    assert!(d.orders.is_empty(), "{d:?}");
    Ok(())
}

#[test]
fn a_name_too_long_to_route_is_not_declared() -> Result<(), String> {
    let Some(host) = host()? else { return Ok(()) };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = l.local_addr().map_err(|e| e.to_string())?.to_string();
    // `A...A1`: 65 bytes, one more than the server accepts in CONNECT's Accounts:.
    let rx = start_named(&host, &addr, (&"A".repeat(64), 1), dir.path())?;
    let mut c = FakeServer::accept(&l, LIMIT)?;
    let connect = c.line(LIMIT)?.ok_or("closed before CONNECT")?;
    assert_eq!(connect, "CONNECT|V9_CopyReceiver|Account_Count:1|Version:1.0");
    wait(LIMIT, || rx.stderr_tail().contains("Accounts: not declared"))
        .map_err(|_| format!("not logged: {}", rx.stderr_tail()))?;
    rx.quit(LIMIT)?;
    Ok(())
}

/// An engine on `listen` with groups from `toml` and its journal in `journal`.
struct Eng {
    handle: EngineHandle,
    thread: Option<JoinHandle<std::io::Result<EngineOutcome>>>,
}

impl Eng {
    fn start(listen: &str, toml: &str, journal: &Path) -> Result<Eng, String> {
        let mut cfg = Config::from_toml(toml).map_err(|e| format!("config: {e}"))?;
        cfg.v9.listen = listen.parse().map_err(|e| format!("{listen}: {e}"))?;
        cfg.engine.pin = Pin::None;
        cfg.engine.report_interval_s = 0;
        cfg.journal.dir = journal.to_path_buf();
        let engine = Engine::new(&cfg).map_err(|e| format!("engine on {listen}: {e}"))?;
        let handle = engine.handle();
        let thread = Some(std::thread::spawn(move || engine.run()));
        Ok(Eng { handle, thread })
    }

    fn ready(&self, name: &str) -> Result<(), String> {
        wait(LIMIT, || {
            let want = name.to_string();
            let ready = move |e: &mut Endpoints, _: &mut CallCtx<'_>| {
                e.v9.as_ref().is_some_and(|v| v.receivers().iter().any(|r| r.name == want))
            };
            self.handle.call(ready, Duration::from_secs(5)).unwrap_or(false)
        })
        .map_err(|_| format!("no READY receiver {name}"))
    }

    fn stop(mut self) {
        self.handle.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Eng {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.handle.stop();
            let _ = t.join();
        }
    }
}

/// Per account: the model position in MES (ES x10, the first account x2 more).
struct Model(Vec<i64>);

impl Model {
    fn apply(&mut self, action: Action, qty: u32) {
        for (i, p) in self.0.iter_mut().enumerate() {
            *p = Book::target(action, *p, qty * 10 * if i == 0 { 2 } else { 1 });
        }
    }

    fn want(&self) -> Vec<(String, &'static str, i64)> {
        names(N).into_iter().zip(&self.0).map(|(a, q)| (a, "MES", *q)).collect()
    }
}

fn send(p: &mut Publisher, action: Action, qty: u32, opts: &[&str]) -> Result<(u64, u32), String> {
    let mut s = v9bridge::signal::Signal::new(action, "ES", qty);
    for o in opts {
        if !s.push_extra(o) {
            return Err(format!("option {o} does not fit"));
        }
    }
    p.send(&s)
}

#[test]
fn forty_long_named_accounts_through_the_engine_live_replayed_and_synced() -> Result<(), String> {
    let Some(host) = host()? else { return Ok(()) };
    let quoted: Vec<String> = names(N).iter().map(|a| format!("'{a}'")).collect();
    let toml = format!(
        "[groups]\nwide = [{}]\n[mapping.wide]\nmultipliers = {{ {PREFIX}1 = 2.0 }}\n\
         symbols = {{ ES = {{ to = 'MES', ratio = 10 }} }}\n",
        quoted.join(", ")
    );
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (journal, ud) = (dir.path().join("journal"), dir.path().join("nt"));
    let e = Eng::start("127.0.0.1:0", &toml, &journal)?;
    let addr = e.handle.v9_addr().to_string();
    let mut rx = start(&host, &addr, N, &ud)?;
    e.ready("V9_CopyReceiver")?;
    let mut p = Publisher::connect(&addr, "nt-split", None, Duration::from_secs(5))?;
    // Long pass-through options: with 40 x `APEX-123456-PA-n=10` the part is ~1060 bytes.
    let (note, tag) = (format!("Note:{}", "n".repeat(59)), format!("Tag:{}", "t".repeat(60)));
    let memo = format!("Memo:{}", "m".repeat(59));
    let opts = [note.as_str(), tag.as_str(), memo.as_str(), "TIF:GTC", "Group:wide"];
    let mut m = Model(vec![0; N]);

    send(&mut p, Action::Long, 1, &opts)?;
    m.apply(Action::Long, 1);
    settle(&mut rx, &m.want())?;
    send(&mut p, Action::Short, 2, &opts)?;
    m.apply(Action::Short, 2);
    settle(&mut rx, &m.want())?;

    // The strategy's process ends; two signals while it is away; a new process resumes from its
    // state file (Last_ID:2): the engine replays 2 (split; every account ran it), 3 and 4.
    // The stub's accounts start empty in a new process, so an id run twice would show.
    rx.quit(LIMIT)?;
    send(&mut p, Action::Long, 1, &opts)?;
    send(&mut p, Action::Long, 2, &opts)?;
    let mut m = Model(vec![0; N]);
    m.apply(Action::Long, 1);
    m.apply(Action::Long, 2);
    let mut rx = start(&host, &addr, N, &ud)?;
    support::nt::wait(LIMIT, || rx.stderr_tail().contains("caught up by REPLAY"))
        .map_err(|_| format!("no replay: {}", rx.stderr_tail()))?;
    settle(&mut rx, &m.want())?;

    // Away again for #5; the engine restarts (new epoch, targets from its journal); the new
    // process gets SYNC to each account's target.
    rx.quit(LIMIT)?;
    send(&mut p, Action::Short, 1, &opts)?;
    drop(p);
    e.stop();
    let e = Eng::start(&addr, &toml, &journal)?;
    let mut rx = start(&host, &addr, N, &ud)?;
    support::nt::wait(LIMIT, || rx.stderr_tail().contains("caught up by SYNC"))
        .map_err(|_| format!("no SYNC: {}", rx.stderr_tail()))?;
    // From the journal: +10, -20, +10, +30, -10 (the first account twice that).
    let want: Vec<(String, &str, i64)> = names(N)
        .into_iter()
        .enumerate()
        .map(|(i, a)| (a, "MES", if i == 0 { -20 } else { -10 }))
        .collect();
    let d = settle(&mut rx, &want)?;
    assert!(names(N).iter().all(|a| d.qty(a, "ES") == 0), "{d:?}");
    rx.quit(LIMIT)?;
    e.stop();
    Ok(())
}
