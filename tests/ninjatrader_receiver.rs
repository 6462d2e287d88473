//! The NinjaTrader strategy (tools/ninjatrader/V9_CopyReceiver.cs), compiled against the
//! stand-in API and run by its host under mono, trading 20 simulated accounts (plus one that
//! rejects every order) against the engine: the spec's example session, bursts of random
//! signals of every action with brackets, an engine restart in the middle, bracket and TIF
//! behaviour, and at the end every account checked against the model and the engine's book.
//! A second test plays a misbehaving server. Skipped (one line) without mono and mcs.

mod support;

use std::net::TcpListener;
use std::time::Duration;
use support::nt::{host, start_host, FakeServer, Running};
use v9bridge::demo::external::{Dump, ExternalReceiver};
use v9bridge::engine::EngineOutcome;
use v9bridge::signal::{Action, Signal};
use v9bridge::sim::model::Book;
use v9bridge::sim::receiver::XorShift;
use v9bridge::v9::publisher::Publisher;

const ACCOUNTS: usize = 20;
const REJECTING: &str = "Account21";
const NAME: &str = "V9_CopyReceiver";
const LONG_WAIT: Duration = Duration::from_secs(120);

/// The expected book plus the publisher that sends to the current engine.
struct Session {
    model: Book,
    publisher: Publisher,
    sent: u64, // summaries with an ID the current engine is owed: signals sent, CAUGHT_UP
}

impl Session {
    fn new(engine: &Running) -> Result<Session, String> {
        let addr = engine.addr().to_string();
        let publisher = Publisher::connect(&addr, "nt-test", None, Duration::from_secs(5))?;
        Ok(Session { model: Book::with_accounts(ACCOUNTS), publisher, sent: 0 })
    }

    /// Sends a signal; `traded` = the receiver executes it (false for an unmapped symbol).
    fn send(&mut self, sig: &Signal<'_>, traded: bool) -> Result<(), String> {
        self.publisher.send(sig)?;
        self.sent += 1;
        if traded {
            self.model.apply(sig, |_| 0.0);
        }
        Ok(())
    }
}

/// Valid TP/SL around the stub's fixed prices, on the right side for the direction.
fn bracket(symbol: &str, long: bool) -> (f64, f64) {
    let base = match symbol {
        "MES" => 4520.5,
        "ES" => 4580.0,
        _ => 16000.0,
    };
    if long {
        (base + 50.0, base - 50.0)
    } else {
        (base - 50.0, base + 50.0)
    }
}

fn random_signal(rng: &mut XorShift) -> Signal<'static> {
    let symbol = ["MES", "ES", "NQ"][(rng.next_u64() % 3) as usize];
    let qty = 1 + (rng.next_u64() % 3) as u32;
    let mut s = match rng.next_u64() % 24 {
        0..=5 | 20..=21 => Signal::new(Action::Long, symbol, qty),
        6..=11 | 22..=23 => Signal::new(Action::Short, symbol, qty),
        12..=13 => Signal::new(Action::CloseHalf, symbol, 0),
        14..=15 => Signal::new(Action::CloseOne, symbol, 0),
        16..=17 => Signal::new(Action::Reverse, symbol, 0),
        18 => Signal::new(Action::Flatten, symbol, 0),
        _ => Signal::new(Action::Flatten, "ALL", 0),
    };
    if s.action.opens() && rng.next_u64() % 4 == 0 {
        let (tp, sl) = bracket(symbol, s.action == Action::Long);
        (s.tp, s.sl) = (Some(tp), Some(sl));
        s.tif = Some(if rng.next_u64() % 2 == 0 { "GTC" } else { "DAY" });
    }
    s
}

/// `n` random signals sent back to back, the receiver's accounts checked against the model
/// every 25: positions reconverge quickly (a LONG over a short sets it absolutely), so a rule
/// broken only now and then would slip through a check at the end alone.
fn burst(
    s: &mut Session,
    engine: &Running,
    rx: &mut ExternalReceiver,
    rng: &mut XorShift,
    n: usize,
) -> Result<(), String> {
    for i in 0..n {
        if i == n / 2 {
            // Unmapped symbol: answered with INVALID_SIGNAL and a summary, nothing traded.
            s.send(&Signal::new(Action::Long, "ZZZ", 1), false)?;
        }
        s.send(&random_signal(rng), true)?;
        if i % 25 == 24 || i + 1 == n {
            engine.wait_answered(s.sent, LONG_WAIT)?;
            let d = rx.dump(LONG_WAIT)?;
            check_dump(&d, &s.model)
                .map_err(|e| format!("after {} signals: {e}\n{}", i + 1, rx.stderr_tail()))?;
        }
    }
    Ok(())
}

/// Every model account and symbol in the receiver's own accounts; the rejecting account flat.
fn check_dump(d: &Dump, model: &Book) -> Result<(), String> {
    let mut bad = Vec::new();
    for (a, account) in model.accounts.iter().enumerate() {
        for h in &model.holdings[a] {
            if d.qty(account, &h.symbol) != h.qty {
                bad.push(format!(
                    "{account} {}: {} (model {})",
                    h.symbol,
                    d.qty(account, &h.symbol),
                    h.qty
                ));
            }
        }
    }
    for p in &d.positions {
        let Some(a) = model.accounts.iter().position(|x| *x == p.account) else {
            bad.push(format!("{} holds {} {} (expected none)", p.account, p.qty, p.root));
            continue;
        };
        if model.qty(a, &p.root) != p.qty {
            bad.push(format!(
                "{} holds {} {} (model {})",
                p.account,
                p.qty,
                p.root,
                model.qty(a, &p.root)
            ));
        }
    }
    // Working orders are only brackets that close a whole open position.
    for o in &d.orders {
        let pos = d.qty(&o.account, &o.root);
        let closes = if pos > 0 { o.action == "Sell" } else { o.action == "BuyToCover" };
        if pos == 0 || !closes || o.qty != pos.abs() {
            bad.push(format!("stray order {o:?} (position {pos})"));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!("{} mismatches: {:?}", bad.len(), &bad[..bad.len().min(10)]))
    }
}

/// The engine's position book for the receiver equals the model (the rejecting account flat).
fn check_engine(o: &EngineOutcome, model: &Book) -> Result<(), String> {
    let (_, rows) =
        o.positions.iter().find(|(n, _)| n == NAME).ok_or("receiver not in the engine's book")?;
    let mut bad = Vec::new();
    for (a, account) in model.accounts.iter().enumerate() {
        for h in &model.holdings[a] {
            let got =
                rows.iter().find(|(acc, sym, _)| acc == account && *sym == h.symbol).map(|r| r.2);
            if got != Some(h.qty) {
                bad.push(format!("{account} {}: engine {got:?}, model {}", h.symbol, h.qty));
            }
        }
    }
    for (acc, sym, q) in rows.iter().filter(|r| r.0 == REJECTING && r.2 != 0) {
        bad.push(format!("{acc} {sym}: engine {q}, expected 0"));
    }
    let modelled: usize = model.holdings.iter().map(Vec::len).sum();
    let others = rows.iter().filter(|r| r.0 == REJECTING).count();
    if rows.len() != modelled + others {
        bad.push(format!("engine book has {} rows, model {modelled} + {others}", rows.len()));
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!("engine book: {:?}", &bad[..bad.len().min(10)]))
    }
}

#[test]
fn csharp_receiver_copies_every_signal_across_an_engine_restart() -> Result<(), String> {
    let Some(host) = host()? else { return Ok(()) };
    let engine = Running::start("127.0.0.1:0")?;
    let addr = engine.addr().to_string();
    let accounts = ACCOUNTS.to_string();
    let mut rx = start_host(
        &host,
        &[
            "--connect",
            &addr,
            "--accounts",
            &accounts,
            "--reject",
            REJECTING,
            "--set",
            "HeartbeatSeconds=1",
        ],
    )?;
    engine.wait_receiver(NAME, Duration::from_secs(60))?;
    let mut s = Session::new(&engine)?;

    // The spec's example session, each step checked in the receiver's own accounts.
    s.send(&Signal::new(Action::Long, "MES", 1), true)?;
    engine.wait_answered(s.sent, LONG_WAIT)?;
    let d = rx.dump(LONG_WAIT)?;
    check_dump(&d, &s.model)?;
    assert_eq!(d.positions.len(), ACCOUNTS, "20 accounts long 1 MES: {d:?}");
    s.send(&Signal::new(Action::Short, "ES", 2), true)?;
    s.send(&Signal::new(Action::Flatten, "ALL", 0), true)?;
    engine.wait_answered(s.sent, LONG_WAIT)?;
    assert_eq!(rx.dump(LONG_WAIT)?, Dump::default(), "FLATTEN|ALL leaves nothing");

    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    burst(&mut s, &engine, &mut rx, &mut rng, 600)?;

    // Restart: the receiver gets SERVER_SHUTDOWN, reconnects to the new engine on the same
    // port, reports every position again, and executes the new server's ids (which restart at 1).
    let model = s.model.clone();
    check_engine(&engine.stop()?, &model)?;
    let engine = Running::start(&addr)?;
    engine.wait_receiver(NAME, Duration::from_secs(60))?;
    // It reconnects with Last_ID and Epoch: the new engine (another epoch, no journal) sends
    // CAUGHT_UP|SYNC with no SYNC line, answered with a POSITION_SUMMARY carrying its ID.
    engine.wait_answered(1, LONG_WAIT)?;
    let mut s = Session { model, sent: 1, ..Session::new(&engine)? };
    burst(&mut s, &engine, &mut rx, &mut rng, 600)?;

    brackets_and_tif(&mut s, &engine, &mut rx)?;

    // A signal on MES, so the bracket fill's positions have reached the engine before it stops.
    s.send(&Signal::new(Action::CloseOne, "MES", 0), true)?;
    engine.wait_answered(s.sent, LONG_WAIT)?;
    let outcome = engine.stop()?;
    check_dump(&rx.quit(LONG_WAIT)?, &s.model)?;
    check_engine(&outcome, &s.model)
}

/// A bracket that fills (target closes every account, the OCO stop is cancelled), then DAY
/// brackets that end with the session while the position stays.
fn brackets_and_tif(
    s: &mut Session,
    engine: &Running,
    rx: &mut ExternalReceiver,
) -> Result<(), String> {
    let mut long = Signal::new(Action::Long, "MES", 2);
    (long.tp, long.sl) = (Some(4530.0), Some(4510.0));
    s.send(&long, true)?;
    engine.wait_answered(s.sent, LONG_WAIT)?;
    let d = rx.dump(LONG_WAIT)?;
    check_dump(&d, &s.model)?;
    let mes_orders = d.orders.iter().filter(|o| o.root == "MES").count();
    assert_eq!(mes_orders, 2 * ACCOUNTS, "target + stop per account: {:?}", d.orders);
    rx.command("price MES 4531", "OK|price", LONG_WAIT)?;
    s.model.apply(&Signal::new(Action::Flatten, "MES", 0), |_| 0.0);
    rx.command("price MES 4520.5", "OK|price", LONG_WAIT)?;
    let d = rx.dump(LONG_WAIT)?;
    check_dump(&d, &s.model)?;
    assert!(d.orders.iter().all(|o| o.root != "MES"), "OCO sibling left: {:?}", d.orders);

    // TIF:DAY brackets end with the session, the position stays.
    let mut short = Signal::new(Action::Short, "ES", 1);
    let (tp, sl) = bracket("ES", false);
    (short.tp, short.sl, short.tif) = (Some(tp), Some(sl), Some("DAY"));
    s.send(&short, true)?;
    engine.wait_answered(s.sent, LONG_WAIT)?;
    let es_day = |d: &Dump| d.orders.iter().filter(|o| o.root == "ES" && o.tif == "Day").count();
    assert_eq!(es_day(&rx.dump(LONG_WAIT)?), 2 * ACCOUNTS);
    rx.command("session-end", "OK|session-end", LONG_WAIT)?;
    assert_eq!(es_day(&rx.dump(LONG_WAIT)?), 0);
    Ok(())
}

/// No HEARTBEAT_ACK: the receiver gives up on the connection and connects again; then
/// SERVER_SHUTDOWN: it reconnects later and trades on the new connection.
fn reconnects(listener: &TcpListener, mut c: FakeServer) -> Result<(), String> {
    // Every reconnect resumes: the highest id received (no Epoch: this server sends none).
    let connect = Some(
        "CONNECT|V9_CopyReceiver|Account_Count:2|Version:1.0|Last_ID:7|Accounts:Account1+Account2",
    );
    c.ack = false;
    let hb = c.until(Duration::from_secs(30), |l| l.starts_with("HEARTBEAT|"))?;
    has(&hb, "HEARTBEAT|V9_CopyReceiver|Connected:2_Accounts")?;
    let mut c2 = FakeServer::accept(listener, Duration::from_secs(30))?;
    assert_eq!(c2.line(Duration::from_secs(30))?.as_deref(), connect);
    c2.send(b"READY|1.0|Broadcast_Ready:Yes\n")?;
    c2.until(Duration::from_secs(30), |l| l.starts_with("POSITION_SUMMARY|"))?;
    c2.send(b"ERROR|SERVER_SHUTDOWN|Server shutting down\n")?;
    drop(c2);
    let mut c3 = FakeServer::accept(listener, Duration::from_secs(30))?;
    assert_eq!(c3.line(Duration::from_secs(30))?.as_deref(), connect);
    c3.send(b"READY|1.0|Broadcast_Ready:Yes\nLONG|MES|1|ID:8\n")?;
    has(&c3.answer(8)?, "POSITION|Account1|LONG|3|")?;
    Ok(())
}

fn has(lines: &[String], want: &str) -> Result<(), String> {
    match lines.iter().any(|l| l.starts_with(want)) {
        true => Ok(()),
        false => Err(format!("no line starting {want:?} in {lines:?}")),
    }
}

#[test]
fn csharp_receiver_survives_bad_input_and_reports_errors() -> Result<(), String> {
    let Some(host) = host()? else { return Ok(()) };
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?.to_string();
    let rx: ExternalReceiver = start_host(
        &host,
        &[
            "--connect",
            &addr,
            "--accounts",
            "2",
            "--reject",
            "Account2",
            "--set",
            "AccountsToTrade=Account1,Account2,Account99",
            "--set",
            "QuantityMultipliers=Account1=3",
            "--set",
            "HeartbeatSeconds=1",
            "--set",
            "AckTimeoutSeconds=5",
        ],
    )?;
    let mut c = FakeServer::accept(&listener, Duration::from_secs(60))?;
    let connect = c.line(Duration::from_secs(30))?;
    // The accounts it trades are declared (Account99 does not exist, so it is not one).
    assert_eq!(
        connect.as_deref(),
        Some("CONNECT|V9_CopyReceiver|Account_Count:2|Version:1.0|Accounts:Account1+Account2")
    );
    c.send(b"READY|1.0|Broadcast_Ready:Yes\n")?;
    let lines = c.until(Duration::from_secs(30), |l| l.starts_with("POSITION_SUMMARY|"))?;
    has(&lines, "ERROR|ACCOUNT_NOT_FOUND|Account does not exist|Account: Account99")?;

    // Garbage of every kind is skipped; signal-shaped mistakes are answered with INVALID_SIGNAL.
    let mut junk = b"HELLO\n\xff\xfe|MES|1\n".to_vec();
    junk.extend(std::iter::repeat_n(b'x', 3000));
    junk.extend(b"\nLONG|MES|x|ID:1\nFOO|MES|1|ID:2\nLONG|ZZZ|1|ID:3\n");
    c.send(&junk)?;
    let lines = c.answer(3)?;
    has(&lines, "ERROR|INVALID_SIGNAL|Invalid quantity")?;
    has(&lines, "ERROR|INVALID_SIGNAL|Unknown action type|Action: FOO")?;
    has(&lines, "ERROR|INVALID_SIGNAL|Unmapped symbol|Symbol: ZZZ")?;

    // Account1 trades 3x; Account2 rejects and is reported, without stopping Account1.
    c.send(b"LONG|MES|1|ID:4\n")?;
    let lines = c.answer(4)?;
    has(&lines, "POSITION|Account1|LONG|3|4520.50|")?;
    has(&lines, "POSITION|Account2|FLAT|0|")?;
    has(&lines, "ERROR|ORDER_REJECTED|NT rejected order|Account: Account2")?;
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("POSITION_SUMMARY|1|3|") && l.contains("LONG:1,SHORT:0")),
        "{lines:?}"
    );
    // CLOSE_HALF closes ceil(3/2) = 2.
    c.send(b"CLOSE_HALF|MES|0|ID:5\n")?;
    has(&c.answer(5)?, "POSITION|Account1|LONG|1|")?;
    // The same id again is not executed: CLOSE_ONE (up to 3 contracts at 3x) leaves it flat.
    c.send(b"LONG|MES|1|ID:4\nCLOSE_ONE|MES|0|ID:6\n")?;
    has(&c.answer(6)?, "POSITION|Account1|FLAT|0|")?;
    c.send(b"LONG|MES|1|TIF:IOC|ID:7\n")?;
    has(&c.answer(7)?, "ERROR|INVALID_SIGNAL|Unsupported TIF")?;

    reconnects(&listener, c)?;

    let d = rx.quit(Duration::from_secs(60))?;
    assert_eq!((d.qty("Account1", "MES"), d.positions.len(), d.orders.len()), (3, 1, 0), "{d:?}");
    Ok(())
}
