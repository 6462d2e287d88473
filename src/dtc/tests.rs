//! DTC tests beside the wire ones (`wire/tests`): config sections, secrets, the read budget.

use super::*;

#[test]
fn config_sections_parse_and_mask() {
    let c = crate::config::Config::from_toml(
        r#"
[dtc.es]
addr = "127.0.0.1:11099"
encoding = "compact"
symbols = ["ESZ6_FUT_CME"]
market_symbols = { ESZ6_FUT_CME = "ES" }
username = "me"
password = "secret"

[dtc.nq]
addr = "127.0.0.1:11100"
transport = "ws"
password_env = "NQ_PW"
"#,
    )
    .unwrap();
    assert_eq!(c.dtc.len(), 2);
    let es = &c.dtc["es"];
    assert_eq!(es.market_symbols["ESZ6_FUT_CME"], "ES");
    assert!(!format!("{es:?}").contains("secret"), "Debug masks the password");
    assert!(!c.to_masked_toml().contains("secret"));
    assert_eq!(c.dtc["nq"].heartbeat_s, 10);
    assert!(crate::config::Config::from_toml("[dtc.x]\nbogus = 1\n").is_err());
}

#[test]
fn transport_and_encoding_are_enums_parsed_with_the_key_named() {
    use crate::config::Config;
    let parse = |body: &str| Config::from_toml(&format!("[dtc.es]\n{body}\n"));
    let c = parse("transport = 'WebSocket'\nencoding = 'json_compact'").unwrap();
    let d = &c.dtc["es"];
    assert_eq!((d.transport, d.encoding), (TransportKind::WebSocket, Encoding::JsonCompact));
    // They print as the canonical names, which read back.
    let shown = c.to_masked_toml();
    assert!(shown.contains("transport = \"websocket\"") && shown.contains("json_compact"));
    let back = &Config::from_toml(&shown).unwrap().dtc["es"];
    assert_eq!((back.transport, back.encoding), (d.transport, d.encoding));
    // The old spellings still read, in any case.
    let old = &parse("transport = 'ws'\nencoding = 'Compact'").unwrap().dtc["es"];
    assert_eq!((old.transport, old.encoding), (TransportKind::WebSocket, Encoding::JsonCompact));
    let tcp = &parse("transport = 'tcp'\nencoding = 'json'").unwrap().dtc["es"];
    assert_eq!((tcp.transport, tcp.encoding), (TransportKind::Tcp, Encoding::Json));
    let e = parse("addr = '127.0.0.1:1'\nencoding = 'protobuf'").unwrap_err();
    assert!(e.starts_with("line 3: encoding = \"protobuf\": expected"), "{e}");
    let e = parse("transport = 'udp'").unwrap_err();
    assert!(e.starts_with("line 2: transport = \"udp\": expected"), "{e}");
    assert!(parse("encoding = 3").is_err(), "a number is not an encoding name");
}

#[test]
fn config_validate_rejects_unusable_sections() {
    let ok = DtcConfig::default();
    assert!(ok.validate().is_ok());
    let bad = |f: &dyn Fn(&mut DtcConfig)| {
        let mut c = DtcConfig::default();
        f(&mut c);
        c.validate().unwrap_err()
    };
    assert!(bad(&|c| c.addr = "localhost:11099".into()).contains("IP:port"));
    assert!(bad(&|c| c.addr = "127.0.0.1".into()).contains("IP:port"));
    assert!(bad(&|c| c.heartbeat_s = 0).contains("heartbeat"));
    assert!(bad(&|c| {
        c.reconnect_min_ms = 5000;
        c.reconnect_max_ms = 100;
    })
    .contains("reconnect"));
    assert!(bad(&|c| c.max_binary_message = 63).contains("max_binary"));
    assert!(bad(&|c| c.max_binary_message = 65536).contains("max_binary"));
    let mut v6 = DtcConfig { addr: "[::1]:11099".into(), ..Default::default() };
    v6.max_binary_message = 65535;
    assert!(v6.validate().is_ok());
}

#[test]
fn debug_output_masks_the_logon_password() {
    let r = LogonRequest {
        username: "me".into(),
        password: "hunter2secret".into(),
        ..Default::default()
    };
    let s = format!("{r:?}");
    assert!(!s.contains("hunter2secret") && s.contains("me"), "{s}");
    let m = Message::from(r);
    assert!(!format!("{m:?}").contains("hunter2secret"));
    assert!(!format!("{m:#?}").contains("hunter2secret"));
}

#[test]
fn read_budget_yields_and_the_next_turns_read_the_rest() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    const N: usize = 5000;
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else { return };
        let mut h = [0u8; 4];
        let mut skip = |s: &mut std::net::TcpStream| {
            let _ = s.read_exact(&mut h);
            let mut rest = vec![0u8; (u16::from_le_bytes([h[0], h[1]]) as usize).saturating_sub(4)];
            let _ = s.read_exact(&mut rest);
        };
        skip(&mut s);
        let mut out = Vec::new();
        binary::encode(&EncodingResponse { encoding: 0, ..Default::default() }.into(), &mut out);
        let _ = s.write_all(&out);
        skip(&mut s);
        out.clear();
        binary::encode(&LogonResponse { result: 1, ..Default::default() }.into(), &mut out);
        // One burst, then silence: only the timeout path can finish reading it.
        for i in 0..N {
            let t = MarketDataUpdateTrade {
                symbol_id: 1,
                price: 1.0 + i as f64,
                volume: 1.0,
                ..Default::default()
            };
            binary::encode(&t.into(), &mut out);
        }
        let _ = s.write_all(&out);
        std::thread::sleep(std::time::Duration::from_secs(5));
    });
    let conf = DtcConfig {
        addr: addr.to_string(),
        symbols: vec!["X".into()],
        trading: false,
        ..Default::default()
    };
    let mut cfg = crate::config::Config::default();
    cfg.engine.pin = crate::config::Pin::None;
    cfg.dtc.insert("budget".into(), conf);
    let mut engine = crate::engine::Engine::without_v9(&cfg).unwrap();
    engine.endpoints_mut().dtc_mut("budget").unwrap().set_read_budget(4096);
    let handle = engine.handle();
    let thread = std::thread::spawn(move || engine.run());
    let wait = std::time::Duration::from_secs(4);
    let until = std::time::Instant::now() + wait;
    let last = || handle.call(|_, c| c.market.get("X").map(|q| q.last), wait).ok().flatten();
    while last() != Some(N as f64) && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let got = last();
    handle.stop();
    let _ = thread.join();
    assert_eq!(got, Some(N as f64), "all {N} trades handled");
}

#[test]
fn engine_config_validation_names_the_dtc_section() {
    let mut c = crate::config::Config::default();
    c.dtc.insert(
        "es".into(),
        DtcConfig { addr: "sc.example.com:11099".into(), ..Default::default() },
    );
    let e = c.validate().unwrap_err();
    assert!(e.starts_with("dtc.es: ") && e.contains("IP:port"), "{e}");
    c.dtc.insert("es".into(), DtcConfig::default());
    assert!(c.validate().is_ok());
}

#[test]
fn unset_to_zero_clears_only_the_markers() {
    let mut m =
        Message::from(MarketDataSnapshot { symbol_id: 7, bid_price: 1.5, ..Default::default() });
    m.unset_to_zero();
    let Message::MarketDataSnapshot(s) = m else { panic!() };
    assert_eq!((s.symbol_id, s.bid_price), (7, 1.5), "set fields kept");
    assert_eq!((s.session_settlement_price, s.session_num_trades, s.ask_quantity), (0.0, 0, 0.0));
    let mut m = Message::from(MarketDataUpdateBidAskCompact::default());
    m.unset_to_zero();
    let Message::MarketDataUpdateBidAskCompact(b) = m else { panic!() };
    assert_eq!((b.bid_price, b.ask_price), (0.0, 0.0), "FLT_MAX");
    let mut out = Vec::new();
    let mut u =
        Message::from(OrderUpdate { price1: f64::MAX, order_quantity: 2.0, ..Default::default() });
    u.unset_to_zero();
    json::encode(&u, &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(r#""Price1":0,"#) && text.contains(r#""OrderQuantity":2,"#), "{text}");
    assert!(!text.contains("e308"), "{text}");
}

#[test]
fn an_unset_password_env_fails_at_start_naming_the_variable() {
    let var = "V9B_TEST_DTC_PASSWORD_NEVER_SET";
    let cfg = DtcConfig { password_env: Some(var.into()), ..Default::default() };
    let e = DtcEndpoint::new("es", &cfg).unwrap_err();
    assert_eq!(e, StartError::PasswordEnvUnset(var.into()));
    assert!(e.to_string().contains(var), "{e}");
    let mut c = crate::config::Config::default();
    c.dtc.insert("es".into(), cfg);
    let e = crate::engine::Engine::without_v9(&c).expect_err("refused at start").to_string();
    assert!(e.contains("dtc.es") && e.contains(var), "{e}");
    // No password_env: the plain password (or none) is used.
    let plain = DtcConfig { password: Some("p".into()), ..Default::default() };
    assert_eq!(plain.resolve_password(), Ok(Some("p".into())));
}
