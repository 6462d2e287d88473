//! The parsers (fast scanner and simd-json): ticks, timestamps, signals, each bad-input reason.

use super::*;

#[test]
fn decodes_the_seed_tick_with_an_scdatetime() {
    let mut p = Parser::new(0);
    let Ok(Message::Tick(t)) = p.parse(A.as_bytes()) else { panic!("not a tick") };
    assert_eq!(t.update.symbol, "ES");
    assert_eq!(
        (t.update.last, t.update.bid, t.update.ask),
        (Some(4700.25), Some(4700.0), Some(4700.5))
    );
    assert_eq!(t.ts_kind, TsKind::ScDateTime);
    assert_eq!(t.update.ts_ns, (46_115 - 25_569) * 86_400_000_000_000 + 43_200_000_000_000);
    parse_both(A.as_bytes()).unwrap();
    // A study in UTC+1 stamps an hour ahead.
    let mut p = Parser::new(3_600_000_000_000);
    let Ok(Message::Tick(t2)) = p.parse(A.as_bytes()) else { panic!("not a tick") };
    assert_eq!(t.update.ts_ns - t2.update.ts_ns, 3_600_000_000_000);
}

#[test]
fn decodes_precise_ticks_and_every_timestamp_unit() {
    let cases = [
        (
            r#"{"symbol":"ES","price":1,"ts_ns":1769537130123456789}"#,
            1_769_537_130_123_456_789,
            TsKind::Nanos,
        ),
        (
            r#"{"symbol":"ES","price":1,"ts_us":1769537130123456}"#,
            1_769_537_130_123_456_000,
            TsKind::Micros,
        ),
        (
            r#"{"symbol":"ES","price":1,"ts_ms":1769537130123}"#,
            1_769_537_130_123_000_000,
            TsKind::Millis,
        ),
        (r#"{"symbol":"ES","price":1}"#, 0, TsKind::None),
        (r#"{"symbol":"ES","price":1,"ts_us":0}"#, 0, TsKind::None),
    ];
    for (input, ns, kind) in cases {
        parse_both(input.as_bytes()).unwrap();
        let mut p = Parser::new(0);
        let Ok(Message::Tick(t)) = p.parse(input.as_bytes()) else { panic!("{input}") };
        assert_eq!((t.update.ts_ns, t.ts_kind), (ns, kind), "{input}");
    }
    let full = r#"{ "symbol" : "NQ", "bid":1.5,"ask":1.75,"volume":3,"bid_size":10,"ask_size":12,"seq":42, "extra":"x" , "n":null }"#;
    let mut p = Parser::new(0);
    let Ok(Message::Tick(t)) = p.parse(full.as_bytes()) else { panic!("full") };
    assert_eq!(t.update.seq, Some(42));
    assert_eq!(
        (t.update.volume, t.update.bid_size, t.update.ask_size),
        (Some(3.0), Some(10.0), Some(12.0))
    );
    assert_eq!(t.update.last, None);
    parse_both(full.as_bytes()).unwrap();
    // Nested or escaped input goes to simd-json and still decodes.
    parse_both(br#"{"symbol":"E\u0053","price":1,"meta":{"a":[1,true]}}"#).unwrap();
}

#[test]
fn decodes_every_signal_action() {
    for a in Action::ALL {
        let input = format!(
            r#"{{"signal":"{a}","symbol":"MES","qty":2,"tp":4700,"sl":4650.5,"tif":"GTC"}}"#
        );
        parse_both(input.as_bytes()).unwrap();
        let mut p = Parser::new(0);
        let Ok(Message::Signal(s)) = p.parse(input.as_bytes()) else { panic!("{input}") };
        assert_eq!(
            (s.action, s.symbol, s.qty, s.tp, s.sl, s.tif),
            (a, "MES", 2, Some(4700.0), Some(4650.5), Some("GTC"))
        );
    }
    let mut p = Parser::new(0);
    let Ok(Message::Signal(s)) = p.parse(br#"{"signal":"FLATTEN","symbol":"ALL"}"#) else {
        panic!("flatten")
    };
    assert_eq!((s.action, s.qty), (Action::Flatten, 0));
}

#[test]
fn each_bad_input_has_its_own_reason() {
    assert_eq!(parse_both(b"{\"symbol\":\"\xff\",\"price\":1}"), Err(BadInput::NonUtf8));
    for m in [
        r#"{"symbol":"ES",}"#,
        r#"{"symbol" "ES"}"#,
        r#"{"price":01}"#,
        r#"{"price":1.}"#,
        r#"{"p":nul}"#,
    ] {
        assert_eq!(reason(m), BadInput::Malformed, "{m}");
    }
    assert_eq!(reason(r#"{"price":1}"#), BadInput::MissingField);
    assert_eq!(reason(r#"{"symbol":"ES","volume":1}"#), BadInput::MissingField);
    assert_eq!(reason(r#"{"symbol":"ES","price":"1"}"#), BadInput::WrongType);
    assert_eq!(reason(r#"{"symbol":5,"price":1}"#), BadInput::WrongType);
    assert_eq!(reason(r#"{"symbol":"ES","price":1,"seq":-1}"#), BadInput::WrongType);
    assert_eq!(reason(r#"{"symbol":"ES","price":true}"#), BadInput::WrongType);
    for p in ["0", "-1", "-0.5", "0.0"] {
        assert_eq!(reason(&format!(r#"{{"symbol":"ES","price":{p}}}"#)), BadInput::BadPrice, "{p}");
    }
    assert_eq!(reason(r#"{"symbol":"ES","price":1,"volume":-1}"#), BadInput::BadSize);
    assert_eq!(reason(r#"{"symbol":"ES","bid":2,"ask":1}"#), BadInput::CrossedQuote);
    assert_eq!(reason(r#"{"symbol":"ES","price":1,"ts_ns":-5}"#), BadInput::BadTimestamp);
    assert_eq!(reason(r#"{"symbol":"ES","price":1,"timestamp":-3}"#), BadInput::BadTimestamp);
    assert_eq!(
        reason(r#"{"symbol":"ES","price":1,"ts_ms":99999999999999999}"#),
        BadInput::BadTimestamp
    );
    assert_eq!(reason(r#"{"symbol":"","price":1}"#), BadInput::BadSymbol);
    assert_eq!(
        reason(&format!(r#"{{"symbol":"{}","price":1}}"#, "X".repeat(33))),
        BadInput::BadSymbol
    );
    for bad in ["E|S", "ES\\n", "E\\\"S", "E\\u0000", "ES;rm", "É"] {
        let m = format!(r#"{{"symbol":"{bad}","price":1}}"#);
        assert_eq!(reason(&m), BadInput::BadSymbol, "{m}");
        let m = format!(r#"{{"signal":"FLAT","symbol":"{bad}"}}"#);
        assert_eq!(reason(&m), BadInput::BadSymbol, "{m}");
    }
    assert!(parse_both(br#"{"symbol":"ES #1/Z-5.x_y","price":1}"#).is_ok());
    assert_eq!(reason(r#"{"signal":"BUY","symbol":"ES","qty":1}"#), BadInput::UnknownAction);
    for q in ["-1", "1.5", "5000000000"] {
        assert_eq!(
            reason(&format!(r#"{{"signal":"LONG","symbol":"ES","qty":{q}}}"#)),
            BadInput::BadQuantity,
            "{q}"
        );
    }
}

#[test]
fn huge_exponents_are_refused_by_both_decoders() {
    // JSON has no NaN/inf literal; an overflowing exponent is the nearest thing a writer sends.
    assert_eq!(parse_both(br#"{"symbol":"ES","price":1e400}"#), Err(BadInput::Malformed));
}

#[test]
fn fast_path_numbers_match_simd_json_bit_for_bit() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut cases: Vec<String> =
        ["1", "0.1", "4700.25", "0.000001", "123456789012345678", "9007199254740993", "1e22"]
            .iter()
            .map(|s| s.to_string())
            .chain(
                [
                    "1e23",
                    "1.7976931348623157e308",
                    "5e-324",
                    "2.2250738585072014e-308",
                    "0.30000000000000004",
                ]
                .map(String::from),
            )
            .collect();
    for _ in 0..20_000 {
        let r = next();
        let int = r % 10_000_000;
        let frac_digits = (r >> 32) % 9;
        let frac = (r >> 40) % 10u64.pow(frac_digits as u32);
        let mut s = if frac_digits == 0 {
            int.to_string()
        } else {
            format!("{int}.{frac:0w$}", w = frac_digits as usize)
        };
        if r >> 60 == 0 {
            s.push_str(&format!("e{}", (r >> 20) % 40));
        }
        cases.push(s);
    }
    for c in cases {
        let input = format!(r#"{{"symbol":"ES","price":{c},"ts_ms":{c}}}"#);
        let _ = parse_both(input.as_bytes());
    }
}
