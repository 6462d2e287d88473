//! Reconnects, heartbeat timeout, several connections, quirks, authentication, the CLI.

mod dtc_common;
use dtc_common::miniloop::MiniLoop;
use dtc_common::*;
use std::time::Duration;
use v9bridge::dtc::cli::{self, DtcCliArgs};
use v9bridge::dtc::session::Phase;
use v9bridge::dtc::text::BookText;
use v9bridge::dtc::DtcEndpoint;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn reconnects_after_the_server_restarts_on_the_same_port() {
    init_log();
    let mut sim = Sim::start(args());
    let addr = sim.addr;
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("re", &cfg(addr, "tcp", "binary", false)).unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, m| cs[0].connection().synced()
        && m.get("XAUUSD").is_some()));
    l.command(&mut c, "order buy ES 1 market").unwrap().unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0]
        .connection()
        .trading_book()
        .positions_text()
        .contains("qty 1")));

    sim.stop();
    assert!(
        l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().phase() == Phase::Down),
        "sees the drop"
    );
    let before = l.market.get("XAUUSD").unwrap().updates;

    let mut a = args();
    a.listen = addr.to_string();
    let _sim2 = Sim::start(a);
    let ok = l.run_until(&mut [&mut c], WAIT, |cs, m| {
        cs[0].connection().synced() && m.get("XAUUSD").is_some_and(|q| q.updates > before + 10)
    });
    assert!(ok, "re-logged on and re-subscribed: {:?}", err(&c));
    assert!(c.connection().reconnects() >= 1);
    // The new server has no position: the re-requested state replaced... nothing, but accounts
    // were listed again and balances re-read.
    assert!(l.command(&mut c, "accounts").unwrap().unwrap().contains("Sim2: cash"));
}

#[test]
fn heartbeat_timeout_declares_the_server_dead() {
    init_log();
    let mut a = args();
    a.slow_heartbeats = true;
    let sim = Sim::start(a);
    let mut cfg = cfg(sim.addr, "tcp", "json", false);
    cfg.symbols.clear();
    cfg.heartbeat_s = 1;
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("hb", &cfg).unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().synced()));
    // The server heartbeats every 3 s; 2 s of silence is the limit.
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().reconnects() >= 1));
    assert!(err(&c).contains("heartbeat"), "{:?}", err(&c));
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().synced()), "logs on again");
}

#[test]
fn two_named_connections_at_once() {
    init_log();
    let s1 = Sim::start(args());
    let mut a2 = args();
    a2.symbols = vec!["NQZ6_FUT_CME".into()];
    a2.encoding = "compact".into();
    let s2 = Sim::start(a2);
    let mut l = MiniLoop::new().unwrap();
    let mut es = DtcEndpoint::new("es", &cfg(s1.addr, "tcp", "binary", false)).unwrap();
    let mut nq_cfg = cfg(s2.addr, "tcp", "json", false);
    nq_cfg.symbols = vec!["NQZ6_FUT_CME".into()];
    nq_cfg.market_symbols.insert("NQZ6_FUT_CME".into(), "NQ".into());
    let mut nq = DtcEndpoint::new("nq", &nq_cfg).unwrap();
    l.register(&mut es, 0).unwrap();
    l.register(&mut nq, 1).unwrap();
    let ok = l.run_until(&mut [&mut es, &mut nq], WAIT, |cs, m| {
        cs.iter().all(|c| c.connection().synced())
            && m.get("ESZ6_FUT_CME").is_some_and(|q| q.updates > 10)
            && m.get("NQ").is_some_and(|q| q.updates > 10)
    });
    assert!(ok);
    // The server fixed to compact answered the JSON request with compact.
    assert_eq!(nq.connection().encoding(), v9bridge::dtc::Encoding::JsonCompact);
    assert_eq!(es.snapshot().phase, v9bridge::dtc::session::Phase::LoggedOn);
}

#[test]
fn cme_market_data_reject_is_reported_and_trading_continues() {
    init_log();
    let mut a = args();
    a.reject_cme_market_data = true;
    let sim = Sim::start(a);
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("cme", &cfg(sim.addr, "tcp", "compact", false)).unwrap();
    l.register(&mut c, 0).unwrap();
    let ok = l.run_until(&mut [&mut c], WAIT, |cs, m| {
        cs[0].connection().synced()
            && !rejected(cs[0]).is_empty()
            && m.get("XAUUSD").is_some_and(|q| q.updates > 10)
    });
    assert!(ok);
    let rej = rejected(&c);
    assert_eq!(rej.len(), 1);
    assert_eq!(rej[0].0, "ESZ6_FUT_CME");
    assert!(rej[0].1.contains("CME"));
    assert!(l.market.get("ESZ6_FUT_CME").is_none());
    l.command(&mut c, "order sell ES 3 market").unwrap().unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0]
        .connection()
        .trading_book()
        .positions_text()
        .contains("qty -3")));
    assert!(l.command(&mut c, "symbols").unwrap().unwrap().contains("REJECTED"));
}

#[test]
fn authentication_and_do_not_reconnect() {
    init_log();
    let mut a = args();
    a.username = Some("trader".into());
    a.password = Some("s3cret".into());
    let sim = Sim::start(a);
    let mut bad = cfg(sim.addr, "tcp", "binary", false);
    bad.username = Some("trader".into());
    bad.password = Some("wrong".into());
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("bad", &bad).unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| err(cs[0]).contains("logon refused")));
    assert!(!c.connection().is_logged_on());

    std::env::set_var("V9B_TEST_DTC_PW", "s3cret");
    let mut good = cfg(sim.addr, "ws", "json", false);
    good.username = Some("trader".into());
    good.password_env = Some("V9B_TEST_DTC_PW".into());
    let mut l2 = MiniLoop::new().unwrap();
    let mut g = DtcEndpoint::new("good", &good).unwrap();
    l2.register(&mut g, 0).unwrap();
    assert!(l2.run_until(&mut [&mut g], WAIT, |cs, _| cs[0].connection().synced()));
}

#[test]
fn drop_after_n_messages_reconnects_and_resubscribes() {
    init_log();
    let mut a = args();
    a.drop_after = Some(60);
    let sim = Sim::start(a);
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("drop", &cfg(sim.addr, "tcp", "binary", false)).unwrap();
    l.register(&mut c, 0).unwrap();
    let ok = l.run_until(&mut [&mut c], WAIT, |cs, m| {
        cs[0].connection().reconnects() >= 2 && m.get("XAUUSD").is_some_and(|q| q.updates > 30)
    });
    assert!(ok, "reconnects {} {:?}", c.connection().reconnects(), err(&c));
}

#[test]
fn cli_one_shot_commands() {
    init_log();
    let sim = Sim::start(args());
    let base = |cmd: &[&str]| DtcCliArgs {
        command: cmd.iter().map(|s| s.to_string()).collect(),
        server: sim.addr.to_string(),
        encoding: "json".into(),
        ws: false,
        no_negotiate: false,
        compact_header_order: false,
        username: None,
        password_env: None,
        account: None,
        timeout_s: 5.0,
    };
    cli::run(&base(&["accounts"])).unwrap();
    cli::run(&base(&["order", "buy", "XAUUSD", "1", "market"])).unwrap();
    let mut ws = base(&["positions"]);
    ws.ws = true;
    cli::run(&ws).unwrap();
    assert!(cli::run(&base(&["frobnicate"])).is_err());
    assert!(cli::run(&base(&["order", "buy", "XAUUSD", "x", "market"])).is_err());
    let mut dead = base(&["accounts"]);
    dead.server = "127.0.0.1:1".into();
    dead.timeout_s = 0.5;
    assert!(cli::run(&dead).is_err());
}

#[test]
fn oversized_websocket_message_is_refused_not_buffered() {
    init_log();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((s, _)) = listener.accept() else { return };
        let Ok(mut ws) = tungstenite::accept(s) else { return };
        let _logon = ws.read();
        let ok = "{\"Type\":2,\"Result\":1,\"TradingIsSupported\":0}\0";
        let _ = ws.send(tungstenite::Message::text(ok));
        // Binary frames are ignored (with a rate-limited warning), not fatal.
        for _ in 0..5 {
            let _ = ws.send(tungstenite::Message::binary(vec![1u8; 10]));
        }
        let huge = format!("{{\"Type\":3,\"x\":\"{}\"}}", "a".repeat(200_000));
        let _ = ws.send(tungstenite::Message::text(huge));
        std::thread::sleep(Duration::from_secs(2));
    });
    let mut conf = cfg(addr, "ws", "json", false);
    conf.trading = false;
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("wsbig", &conf).unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().reconnects() > 0));
    let e = err(&c).to_string();
    assert!(e.to_lowercase().contains("too long") || e.contains("size"), "{e}");
}

/// `v9bridge dtc --server ADDR <words>` as a user runs it.
fn dtc_cli(addr: std::net::SocketAddr, words: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_v9bridge"))
        .arg("dtc")
        .args(["--server", &addr.to_string(), "--timeout-s", "10"])
        .args(words)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn v9bridge")
}

#[test]
fn cli_orders_from_two_processes_at_once_get_distinct_ids_and_a_refusal_exits_non_zero() {
    init_log();
    let sim = Sim::start(args());
    // Two runs in the same second: the simulator refuses a repeated ClientOrderID.
    let runs = [
        dtc_cli(sim.addr, &["order", "buy", "XAUUSD", "1", "market"]),
        dtc_cli(sim.addr, &["order", "sell", "XAUUSD", "1", "market"]),
    ];
    let mut ids = Vec::new();
    for r in runs {
        let out = r.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
        ids.push(text.lines().next().and_then(|l| l.rsplit(' ').next()).unwrap_or("").to_string());
    }
    assert_ne!(ids[0], ids[1], "{ids:?}");
    // Unknown symbol: the server rejects the order, and the command fails.
    let out =
        dtc_cli(sim.addr, &["order", "buy", "NOPE", "1", "market"]).wait_with_output().unwrap();
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused") && err.contains("unknown symbol"), "{err}");
    // A replace the server refuses (a bracket child waiting for its resting parent) fails too.
    let words = ["order", "buy", "XAUUSD", "1", "limit", "1", "target=2", "stop=0.5"];
    let out = dtc_cli(sim.addr, &words).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let parent = text.lines().next().and_then(|l| l.rsplit(' ').next()).unwrap_or("");
    let out =
        dtc_cli(sim.addr, &["replace", &format!("{parent}T"), "3"]).wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("refused"), "{err}");
}
