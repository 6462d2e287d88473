//! Routed lines over 1024 bytes are split (issue #13): receivers holding 60 accounts of long
//! names, sized per account, get each signal as lines within the limit, over disjoint accounts
//! that cover the targets, live, replayed after a reconnect with Last_ID and as SYNC after an
//! epoch change; the simulated receivers end with every account positioned exactly once.
//! Receivers holding no target account are skipped and counted. And the bounds that let one
//! account always fit a line: long declared names refused at CONNECT, signals too long to route
//! (or to replay) refused before their id.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use support::engine::*;
use v9bridge::config::Config;
use v9bridge::signal::Action;
use v9bridge::sim::model::Book;
use v9bridge::sim::receiver::{self, ReceiverArgs, ReceiverReport};
use v9bridge::v9::codec::Direction;

// The phases of the 60-account scenario, beside it to keep this file short.
#[path = "route_split/sixty.rs"]
mod sixty;
use sixty::*;

const WIDE: &str = "APEX-98765-P"; // 60 accounts: APEX-98765-P1 .. P60, traded as MES x10
const LONG: &str = "APEX-123456-PA-"; // 40 accounts: APEX-123456-PA-1 .. 40, traded as ES

fn names(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

fn quoted(prefix: &str, n: usize) -> String {
    names(prefix, n).iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ")
}

/// Groups `wide` (ES -> MES x10, the first account x2) and `long` (ES, the first account x3):
/// per-account quantities, so every account carries `=q` in its line.
fn config(journal: &Path) -> Config {
    let toml = format!(
        "[groups]\nwide = [{}]\nlong = [{}]\n\
         [mapping.wide]\nallow_hedge = true\nmultipliers = {{ {WIDE}1 = 2.0 }}\n\
         symbols = {{ ES = {{ to = 'MES', ratio = 10 }} }}\n\
         [mapping.long]\nallow_hedge = true\nmultipliers = {{ {LONG}1 = 3.0 }}\n",
        quoted(WIDE, 60),
        quoted(LONG, 40)
    );
    let r = Config::from_toml(&toml).unwrap();
    let mut c = test_config();
    (c.risk, c.groups, c.mapping) = (r.risk, r.groups, r.mapping);
    c.journal.dir = journal.to_path_buf();
    c
}

struct Sim {
    stop: Arc<AtomicBool>,
    join: std::thread::JoinHandle<Result<ReceiverReport, String>>,
}

impl Sim {
    fn start(addr: std::net::SocketAddr, name: &str, prefix: &str, n: usize, state: &Path) -> Sim {
        let args = ReceiverArgs {
            connect: addr.to_string(),
            accounts: n,
            account_prefix: prefix.into(),
            name: name.into(),
            heartbeat_s: 0.5,
            state_file: Some(state.to_path_buf()),
            ..Default::default()
        };
        let stop = Arc::new(AtomicBool::new(false));
        let join = receiver::spawn(args, stop.clone(), Arc::new(AtomicUsize::new(0)));
        Sim { stop, join }
    }

    fn stop(self) -> ReceiverReport {
        self.stop.store(true, Ordering::SeqCst);
        self.join.join().expect("receiver thread").expect("receiver report")
    }
}

/// A raw receiver declaring `accounts`, with extra CONNECT keys; returns it and its READY.
fn spy(e: &Running, name: &str, accounts: &[String], keys: &str) -> (Raw, String) {
    let mut r = Raw::connect(e.addr);
    let line = format!("CONNECT|{name}{keys}|Accounts:{}", accounts.join("+"));
    assert!(line.len() <= 1024, "the CONNECT itself must fit: {} bytes", line.len());
    r.send(&line);
    let ready = r.line();
    assert!(ready.starts_with("READY|"), "{ready}");
    (r, ready)
}

/// Reads the lines of `id` until their accounts cover `want`. Each must be within 1024 bytes,
/// end with `ID:id` (`Replay:1` before it when replayed) and name accounts no other line of
/// the id named; or be the signal unchanged for all of them. Returns how many lines it took.
fn parts(r: &mut Raw, id: u64, want: &[String], replay: bool) -> usize {
    let want: BTreeSet<&str> = want.iter().map(|s| s.as_str()).collect();
    let mut got = BTreeSet::new();
    let mut lines = 0;
    while got.len() < want.len() {
        let l = r.line();
        lines += 1;
        assert!(l.len() <= 1024, "#{id}: a line of {} bytes: {l}", l.len());
        let tail = if replay { format!("|Replay:1|ID:{id}") } else { format!("|ID:{id}") };
        assert!(l.ends_with(&tail), "#{id}: {l}");
        let Some(list) = l.split('|').find_map(|f| f.strip_prefix("Accounts:")) else {
            // Unchanged for every account it holds: the signal as sent, one line.
            assert!(got.is_empty(), "#{id}: {l} after parts");
            return 1;
        };
        for entry in list.split('+') {
            let name = entry.split('=').next().unwrap();
            assert!(want.contains(name), "#{id}: {name} is not a target");
            assert!(got.insert(name.to_string()), "#{id}: {name} twice");
        }
    }
    lines
}

/// The expected position per (account, symbol) after each signal, by the execution rule.
#[derive(Default)]
struct Model(BTreeMap<(String, String), i64>);

impl Model {
    /// `action qty` on the accounts of `prefix`, each sized `qty x ratio x (first: mult)`.
    fn apply(&mut self, (prefix, n): (&str, usize), action: Action, qty: u32, sized: (u32, u32)) {
        let symbol = if prefix == WIDE { "MES" } else { "ES" };
        for (i, a) in names(prefix, n).into_iter().enumerate() {
            let q = qty * sized.0 * if i == 0 { sized.1 } else { 1 };
            let p = self.0.entry((a, symbol.to_string())).or_default();
            *p = Book::target(action, *p, q);
        }
    }

    fn of(&self, prefix: &str) -> BTreeMap<(String, String), i64> {
        let mine = |k: &(String, String)| k.0.strip_prefix(prefix).is_some_and(is_number);
        self.0.iter().filter(|(k, v)| mine(k) && **v != 0).map(|(k, v)| (k.clone(), *v)).collect()
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// What the engine holds of `name`'s reports: (account, symbol) -> signed position, flat left out.
fn reported(e: &Running, name: &str) -> BTreeMap<(String, String), i64> {
    let rows = e.handle.call(|eps, _| eps.v9.as_ref().unwrap().receivers(), WAIT).unwrap();
    let mut t = BTreeMap::new();
    for r in rows.iter().filter(|r| r.name == name) {
        for p in r.positions.iter().filter(|p| p.qty != 0) {
            let q = i64::from(p.qty);
            let signed = if p.direction == Direction::Short { -q } else { q };
            t.insert((p.account.clone(), p.symbol.clone()), signed);
        }
    }
    t
}

/// Waits until the engine holds `want` of `name`'s reports.
#[track_caller]
fn converge(e: &Running, name: &str, want: &BTreeMap<(String, String), i64>) {
    let until = std::time::Instant::now() + WAIT;
    while reported(e, name) != *want {
        let now = std::time::Instant::now();
        assert!(now < until, "{name}: {:?}\nwant {want:?}", reported(e, name));
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The sim's own book, same shape.
fn held(r: &ReceiverReport) -> BTreeMap<(String, String), i64> {
    let b = &r.book;
    let mut t = BTreeMap::new();
    for (a, hs) in b.accounts.iter().zip(&b.holdings) {
        for h in hs.iter().filter(|h| h.qty != 0) {
            t.insert((a.clone(), h.symbol.clone()), h.qty);
        }
    }
    t
}

/// Accounts each id ran on, summed over its lines and the receiver's lives.
fn executions(r: &ReceiverReport) -> BTreeMap<u64, u32> {
    let mut m = BTreeMap::new();
    for &(id, n) in &r.executions {
        *m.entry(id).or_default() += n;
    }
    m
}

/// Publishes `line`; returns (id, receivers) from its SIGNAL_ACK.
fn publish(p: &mut Raw, line: &str) -> (u64, u32) {
    p.send(line);
    let ack = p.line();
    let f: Vec<&str> = ack.split('|').collect();
    assert_eq!(f[0], "SIGNAL_ACK", "{line}: {ack}");
    (f[1].parse().unwrap(), f[2].parse().unwrap())
}

#[test]
fn sixty_long_named_accounts_get_every_signal_once_in_lines_within_1024_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = Groups { wide: names(WIDE, 60), long: names(LONG, 40), model: Model::default() };
    let w_state = dir.path().join("w.json");
    let e = start(config(&dir.path().join("journal")));
    let sim_w = Sim::start(e.addr, "rxW", WIDE, 60, &w_state);
    let sim_l = Sim::start(e.addr, "rxL", LONG, 40, &dir.path().join("l.json"));
    let sim_o = Sim::start(e.addr, "rxO", "Other", 1, &dir.path().join("o.json"));
    let (mut spy_w, ready) = spy(&e, "spyW", &g.wide, "");
    let (mut spy_l, _) = spy(&e, "spyL", &g.long, "");
    let epoch = ready.split('|').find_map(|f| f.strip_prefix("Epoch:")).unwrap().to_string();
    wait_for("the sims READY", || ["rxW", "rxL", "rxO"].iter().all(|n| e.book(n).is_some()));
    let mut p = Raw::publisher(e.addr, None);
    live_signals(&mut g, &e, &mut p, &mut spy_w, &mut spy_l);
    let (sim_w, spy_w) = replay_after_reconnect(&mut g, &e, &mut p, sim_w, spy_w, &w_state, &epoch);

    // rxW away for #7, the engine restarted (a new epoch, targets from the journal), rxW back
    // with its old epoch: SYNC per account target (P1 -20 MES, the others -10).
    let r = sim_w.stop();
    assert_eq!(held(&r), g.model.of(WIDE));
    assert_eq!(publish(&mut p, "SHORT|ES|1|Group:wide"), (7, 1));
    g.model.apply(W, Action::Short, 1, W_SIZE);
    drop((p, spy_w, spy_l));
    let (r_l, r_o) = (sim_l.stop(), sim_o.stop());
    e.stop();
    let r_w = sync_after_restart(&g, &dir.path().join("journal"), &w_state, &epoch);

    // Each account ran each of its ids exactly once, across lines, replays and lives; SYNC did
    // the rest. The sims' books are the model.
    assert_eq!(held(&r_w), g.model.of(WIDE));
    assert_eq!(held(&r_l), g.model.of(LONG));
    assert!(held(&r_o).is_empty(), "rxO got nothing");
    let w_runs = BTreeMap::from([(1, 60), (2, 60), (4, 60), (5, 60), (6, 60)]);
    assert_eq!(executions(&r_w), w_runs);
    assert_eq!(executions(&r_l), BTreeMap::from([(1, 40), (3, 40), (4, 40)]));
    assert!(r_w.syncs >= 2 && r_w.replayed >= 3, "{} syncs, {} replayed", r_w.syncs, r_w.replayed);
    assert_eq!(r_l.duplicates, 0);
}

/// A SYNC line over 1024 bytes (65 accounts with one target in a 32-byte mapped symbol) is
/// split the same way.
#[test]
fn sync_lines_over_1024_bytes_are_split() {
    const SYM: &str = "ESZ6_FUT_CME_SPLIT_TEST_SYMBOL_X"; // 32 bytes, the longest symbol
    let all = names(WIDE, 66);
    let toml = format!(
        "[groups]\ng = [{}]\n[mapping.g]\nmultipliers = {{ {WIDE}1 = 2.0 }}\n\
         symbols = {{ ES = {{ to = '{SYM}', ratio = 10 }} }}\n",
        quoted(WIDE, 66)
    );
    let r = Config::from_toml(&toml).unwrap();
    let mut c = test_config();
    (c.risk, c.groups, c.mapping) = (r.risk, r.groups, r.mapping);
    let e = start(c);
    let mut p = Raw::publisher(e.addr, None);
    assert_eq!(publish(&mut p, "SHORT|ES|1|Group:g"), (1, 0));
    let (mut s, _) = spy(&e, "s", &all, "|Last_ID:1|Epoch:1");
    let mut lines = Vec::new();
    loop {
        let l = s.line();
        assert!(l.len() <= 1024, "{} bytes: {l}", l.len());
        if l.starts_with("CAUGHT_UP|") {
            assert_eq!(l, format!("CAUGHT_UP|SYNC|{}|ID:1", lines.len()));
            break;
        }
        lines.push(l);
    }
    let ten: Vec<&String> = lines.iter().filter(|l| l.contains("|SHORT|10|")).collect();
    assert!(ten.len() >= 2, "65 accounts at -10 in one line would pass 1024 bytes: {lines:?}");
    let mut seen = BTreeSet::new();
    for l in &lines {
        let Some(list) = l.split('|').find_map(|f| f.strip_prefix("Accounts:")) else { continue };
        list.split('+').for_each(|a| assert!(seen.insert(a.to_string()), "{a} twice"));
    }
    assert_eq!(seen, all.iter().cloned().collect::<BTreeSet<_>>());
    e.stop();
}

/// One account always fits a line: CONNECT refuses declared names over 64 bytes (or holding
/// `=`), and a signal too long to route with one account, or to replay, is refused before its
/// id.
#[test]
fn names_and_signals_too_long_for_a_line_are_refused_up_front() {
    let r = Config::from_toml("[groups]\ng = ['A1']\n").unwrap();
    let mut c = test_config();
    (c.risk, c.groups) = (r.risk, r.groups);
    let e = start(c);
    for (name, ok) in [("a".repeat(64), true), ("a".repeat(65), false), ("a=1".into(), false)] {
        let mut r = Raw::connect(e.addr);
        r.send(&format!("CONNECT|rx|Account_Count:2|Accounts:A1+{name}"));
        let l = r.line();
        match ok {
            true => assert!(l.starts_with("READY|"), "{name}: {l}"),
            false => assert_eq!(l, "ERROR|PROTOCOL_ERROR|Invalid field|Field: ACCOUNTS", "{name}"),
        }
    }
    // `opts` options of 64 bytes, TIF of 64 and SL 1e300: 907 bytes (8 options) plus the TP
    // digits.
    let head = |opts: usize, tp_digits: usize| {
        let opts: Vec<String> = (0..opts).map(|k| format!("O{k}:{}", "x".repeat(61))).collect();
        let tp = format!("1{}", "0".repeat(tp_digits - 1));
        let sl = format!("1{}", "0".repeat(300));
        format!("LONG|ES|1|TP:{tp}|SL:{sl}|TIF:{}|{}", "T".repeat(64), opts.join("|"))
    };
    assert_eq!(head(8, 1).len(), 908);
    let mut p = Raw::publisher(e.addr, None);
    let too_long = "ERROR|INVALID_SIGNAL|Signal longer than 1024 bytes";
    // Broadcast as `...|ID:1`: 1016 bytes leave no room for `|Replay:1`, 1015 do.
    p.send(&head(8, 104));
    assert!(p.line().starts_with(too_long));
    assert_eq!(publish(&mut p, &head(8, 103)).0, 1);
    // Routed: the head may grow (mapped symbol, sizing) and must leave room for one account.
    // 7 options and Group: (8 in all), a line of 925 bytes, its longest routed line 1049.
    p.send(&format!("{}|Group:g", head(7, 75)));
    let l = p.line();
    assert!(l.starts_with(too_long), "{l}");
    assert_eq!(publish(&mut p, "LONG|ES|1|Group:g").0, 2);
    e.stop();
}
