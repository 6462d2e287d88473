//! Codec tests: every example of the V9 spec verbatim, then malformed and edge cases.

use super::*;
use crate::signal::Action;

fn ok(line: &str) -> Message<'_> {
    match parse(line.as_bytes()) {
        Ok(m) => m,
        Err(e) => panic!("{line:?} should parse: {e:?}"),
    }
}

fn err(line: &[u8]) -> ParseError {
    match parse(line) {
        Ok(m) => panic!("{:?} should fail, got {m:?}", String::from_utf8_lossy(line)),
        Err(e) => e,
    }
}

fn sig(line: &str) -> SignalMsg<'_> {
    match ok(line) {
        Message::Signal(s) => s,
        m => panic!("not a signal: {m:?}"),
    }
}

#[test]
fn spec_connect_examples() {
    for line in [
        "CONNECT|V9_CopyReceiver|Account_Count:20|Version:1.0",
        "CONNECT|V9_CopyReceiver|ACCOUNT_COUNT:20",
    ] {
        let Message::Connect(c) = ok(line) else { panic!() };
        assert_eq!(c.name, "V9_CopyReceiver");
        assert_eq!(c.account_count, Some(20));
    }
    let Message::Connect(c) = ok("CONNECT|V9_CopyReceiver|Account_Count:20|Version:1.0") else {
        panic!()
    };
    assert_eq!(c.meta("version"), Some("1.0"));
    assert_eq!(c.meta("Role"), None);
    let Message::Connect(c) = ok("CONNECT|pub|Account_Count:0|Role:Publisher|Token:a:b") else {
        panic!()
    };
    assert_eq!(c.meta("Token"), Some("a:b"));
}

#[test]
fn spec_ready_examples() {
    assert_eq!(
        ok("READY|1.0|Broadcast_Ready:Yes"),
        Message::Ready { version: "1.0", status: "Broadcast_Ready:Yes" }
    );
    assert_eq!(
        ok("READY|Server_Version:1.0"),
        Message::Ready { version: "Server_Version:1.0", status: "" }
    );
}

#[test]
fn spec_signal_examples() {
    let s = sig("LONG|MES|1");
    assert_eq!(
        (s.signal.action, s.signal.symbol, s.signal.qty, s.id),
        (Action::Long, "MES", 1, None)
    );
    let s = sig("SHORT|NQ|2|TP:4700|SL:4650");
    assert_eq!(
        (s.signal.action, s.signal.qty, s.signal.tp, s.signal.sl),
        (Action::Short, 2, Some(4700.0), Some(4650.0))
    );
    assert_eq!(sig("FLATTEN|ALL|0").signal.action, Action::Flatten);
    assert_eq!(sig("CLOSE_HALF|MES|0").signal.action, Action::CloseHalf);
    assert_eq!(sig("CLOSE_ONE|ES|0").signal.action, Action::CloseOne);
    assert_eq!(sig("REVERSE|ES|0").signal.action, Action::Reverse);
    assert_eq!(sig("SHORT|ES|2").signal.symbol, "ES");
    let s = sig("LONG|MES|1|TIF:GTC|ID:42|Strategy:abc|X:1");
    assert_eq!(s.id, Some(42));
    assert_eq!(s.signal.tif, Some("GTC"));
    assert_eq!(s.signal.extras(), &["Strategy:abc", "X:1"]);
    assert_eq!(sig("FLATTEN|ALL").signal.qty, 0);
    assert_eq!(sig("LONG|MES|1|").signal.qty, 1);
}

#[test]
fn spec_position_examples() {
    let Message::Position(p) = ok("POSITION|Account1|LONG|1|4520.50|+150.00|2026-01-27T18:05:30Z")
    else {
        panic!()
    };
    assert_eq!(
        (p.account, p.direction, p.qty, p.entry, p.pnl),
        ("Account1", Direction::Long, 1, 4520.5, 150.0)
    );
    assert_eq!(p.time, Some(1_769_537_130));
    for (line, pnl) in [
        ("POSITION|Account1|LONG|1|4520.50|+0.00|2026-01-27T18:05:11Z", 0.0),
        ("POSITION|Account2|LONG|1|4520.50|+10.00|2026-01-27T18:05:11Z", 10.0),
        ("POSITION|Account3|LONG|1|4520.50|-5.00|2026-01-27T18:05:11Z", -5.0),
        ("POSITION|Account1|SHORT|2|4580.00|+150.00|2026-01-27T18:05:21Z", 150.0),
        ("POSITION|Account1|FLAT|0|0.00|+150.00|2026-01-27T18:05:31Z", 150.0),
        ("POSITION|Account1|LONG|1|4520.50|-75.50", -75.5),
    ] {
        let Message::Position(p) = ok(line) else { panic!() };
        assert_eq!(p.pnl, pnl, "{line}");
    }
    let Message::Position(p) =
        ok("POSITION|A1|SHORT|2|4580.00|+1.00|2026-01-27T18:05:21Z|Symbol:ES|Future:x")
    else {
        panic!()
    };
    assert_eq!((p.symbol, p.direction, p.qty), ("ES", Direction::Short, 2));
}

#[test]
fn spec_summary_examples() {
    let Message::Summary(s) = ok("POSITION_SUMMARY|20|20|+2800.00|4520.50|LONG:20,SHORT:0") else {
        panic!()
    };
    assert_eq!(
        (s.accounts, s.qty, s.pnl, s.avg_entry, s.breakdown),
        (20, 20, 2800.0, 4520.5, Some((20, 0)))
    );
    let Message::Summary(s) = ok("POSITION_SUMMARY|20|40|+3200.00|4550.25|LONG:20,SHORT:20") else {
        panic!()
    };
    assert_eq!(s.breakdown, Some((20, 20)));
    let Message::Summary(s) = ok("POSITION_SUMMARY|0|0|+3200.00|0.00|LONG:0,SHORT:0|ID:7") else {
        panic!()
    };
    assert_eq!((s.accounts, s.signal_id), (0, Some(7)));
    let Message::Summary(s) = ok("POSITION_SUMMARY|1|1|-1.00|1.00") else { panic!() };
    assert_eq!(s.breakdown, None);
}

#[test]
fn spec_heartbeat_and_error_examples() {
    assert_eq!(
        ok("HEARTBEAT|V9_CopyReceiver|Connected:20_Accounts"),
        Message::Heartbeat { name: "V9_CopyReceiver", status: "Connected:20_Accounts" }
    );
    assert_eq!(
        ok("HEARTBEAT_ACK|2026-01-27T18:05:30Z|All_Systems_OK"),
        Message::HeartbeatAck { server_time: "2026-01-27T18:05:30Z", status: "All_Systems_OK" }
    );
    for (line, code, msg, details) in [
        (
            "ERROR|CONNECTION_LOST|Lost connection to V9 server|Reconnecting...",
            "CONNECTION_LOST",
            "Lost connection to V9 server",
            "Reconnecting...",
        ),
        (
            "ERROR|INVALID_SIGNAL|Unknown action type|Action: INVALID_ACTION",
            "INVALID_SIGNAL",
            "Unknown action type",
            "Action: INVALID_ACTION",
        ),
        (
            "ERROR|ACCOUNT_NOT_FOUND|Account does not exist|Account: Account99",
            "ACCOUNT_NOT_FOUND",
            "Account does not exist",
            "Account: Account99",
        ),
        ("ERROR|TIMEOUT|x", "TIMEOUT", "x", ""),
    ] {
        assert_eq!(ok(line), Message::Error(ErrorMsg { code, message: msg, details }));
    }
    assert_eq!(ok("SIGNAL_ACK|42|3"), Message::SignalAck { id: 42, receivers: 3 });
}

#[test]
fn malformed_messages() {
    assert_eq!(err(b""), ParseError::Empty);
    assert_eq!(err(b"\r"), ParseError::Empty);
    assert_eq!(err(b"INVALID_ACTION|MES|1"), ParseError::UnknownType);
    assert_eq!(err(b"long|MES|1"), ParseError::UnknownType);
    assert_eq!(err(b"CONNECT"), ParseError::Missing("STRATEGY_NAME"));
    assert_eq!(err(b"CONNECT||Account_Count:2"), ParseError::Missing("STRATEGY_NAME"));
    assert_eq!(err(b"CONNECT|x|Account_Count:many"), ParseError::Invalid("ACCOUNT_COUNT"));
    assert_eq!(err(b"POSITION|Account1|UP|1|4520.50|+1.00"), ParseError::Invalid("DIRECTION"));
    assert_eq!(err(b"POSITION|Account1|LONG|-1|4520.50|+1.00"), ParseError::Invalid("QUANTITY"));
    assert_eq!(err(b"POSITION|Account1|FLAT|1|4520.50|+1.00"), ParseError::Invalid("QUANTITY"));
    assert_eq!(err(b"POSITION|Account1|LONG|1|abc|+1.00"), ParseError::Invalid("ENTRY_PRICE"));
    assert_eq!(err(b"POSITION|Account1|LONG|1|4520.50|NaN"), ParseError::Invalid("PNL"));
    assert_eq!(err(b"POSITION|Account1|LONG|1|4520.50|1e309"), ParseError::Invalid("PNL"));
    assert_eq!(
        err(b"POSITION|Account1|LONG|1|4520.50|+1.00|2026-99-01T00:00:00Z"),
        ParseError::Invalid("TIMESTAMP")
    );
    assert_eq!(err(b"POSITION|Account1|LONG|1|4520.50"), ParseError::Missing("PNL"));
    assert_eq!(err(b"POSITION|Account1|LONG||4520.50|+1.00"), ParseError::Missing("QUANTITY"));
    assert_eq!(err(b"POSITION_SUMMARY|20|20|+2800.00"), ParseError::Missing("AVG_ENTRY"));
    assert_eq!(
        err(b"POSITION_SUMMARY|20|20|+2800.00|1.0|LONG:x,SHORT:0"),
        ParseError::Invalid("CONTRACTS_BREAKDOWN")
    );
    assert_eq!(err(b"HEARTBEAT"), ParseError::Missing("STRATEGY_NAME"));
    assert_eq!(err(b"SIGNAL_ACK|x|1"), ParseError::Invalid("ID"));
}

#[test]
fn invalid_signals_keep_the_connection() {
    use crate::signal::SignalError as S;
    for (line, e) in [
        (&b"LONG|MES|0"[..], S::ZeroQuantity),
        (b"LONG|MES|abc", S::BadQuantity),
        (b"LONG|MES|-1", S::BadQuantity),
        (b"LONG|MES|", S::BadQuantity),
        (b"LONG||1", S::BadSymbol),
        (b"LONG|M$S|1", S::BadSymbol),
        (b"LONG|ALL|1", S::AllNotAllowed),
        (b"LONG|MES|1001", S::QuantityTooLarge),
        (b"LONG|MES|99999999999", S::BadQuantity),
        (b"LONG|MES|1|TP:abc", S::BadPrice),
        (b"LONG|MES|1|SL:-5", S::BadPrice),
        (b"LONG|MES|1|TP:inf", S::BadPrice),
        (b"LONG|MES|1|a:1|b:2|c:3|d:4|e:5|f:6|g:7|h:8|i:9", S::TooManyOptions),
    ] {
        let got = err(line);
        assert_eq!(got, ParseError::Signal(e), "{}", String::from_utf8_lossy(line));
        assert!(got.is_invalid_signal());
    }
    assert!(err(b"NOPE|MES|1").is_invalid_signal());
    assert!(!err(b"POSITION|x").is_invalid_signal());
}

#[test]
fn hostile_bytes() {
    assert_eq!(err(b"LONG|MES|\xff"), ParseError::NotUtf8);
    assert_eq!(err(b"\xc3\x28"), ParseError::NotUtf8);
    assert_eq!(err(b"LONG|MES|1\x01"), ParseError::ControlChar);
    assert_eq!(err(&vec![b'A'; MAX_MESSAGE + 1]), ParseError::TooLong);
    // Exactly at the limit is fine.
    let mut long = b"HEARTBEAT|x|".to_vec();
    long.resize(MAX_MESSAGE, b'a');
    assert!(parse(&long).is_ok());
    // Multi-byte UTF-8 names are valid.
    let Message::Heartbeat { name, .. } = ok("HEARTBEAT|Stratégie_été|ok") else { panic!() };
    assert_eq!(name, "Stratégie_été");
}

#[test]
fn extra_fields_are_tolerated() {
    assert!(matches!(ok("HEARTBEAT|V9|a|b|c"), Message::Heartbeat { status: "a|b|c", .. }));
    let Message::Position(p) =
        ok("POSITION|A|LONG|1|1.00|+0.00|2026-01-27T18:05:11Z|Future:1|Other")
    else {
        panic!()
    };
    assert_eq!(p.qty, 1);
    assert!(matches!(
        ok("POSITION_SUMMARY|1|1|+0.00|1.00|LONG:1,SHORT:0|Extra:1"),
        Message::Summary(_)
    ));
}

#[test]
fn encoders_round_trip() {
    use super::super::encode;
    let mut out = Vec::new();
    let s = sig("SHORT|NQ|2|TP:4700.25|SL:4650|TIF:DAY|Note:x").signal;
    encode::signal(&mut out, &s, Some(9));
    assert_eq!(out, b"SHORT|NQ|2|TP:4700.25|SL:4650|TIF:DAY|Note:x|ID:9\n");
    let back = sig(std::str::from_utf8(&out[..out.len() - 1]).unwrap());
    assert_eq!((back.signal, back.id), (s, Some(9)));

    out.clear();
    encode::position(&mut out, "Account1", Direction::Long, 1, 4520.5, -75.5, 1_769_537_130, "MES");
    assert_eq!(out, b"POSITION|Account1|LONG|1|4520.50|-75.50|2026-01-27T18:05:30Z|Symbol:MES\n");
    out.clear();
    encode::summary(&mut out, 20, 20, 2800.0, 4520.5, 20, 0, None);
    assert_eq!(out, b"POSITION_SUMMARY|20|20|+2800.00|4520.50|LONG:20,SHORT:0\n");
    out.clear();
    encode::heartbeat_ack(&mut out, 1_769_537_130, "All_Systems_OK");
    assert_eq!(out, b"HEARTBEAT_ACK|2026-01-27T18:05:30Z|All_Systems_OK\n");
    out.clear();
    encode::error(&mut out, ErrorCode::InvalidSignal, "Unknown action type", "Action: A|B\n");
    assert_eq!(out, b"ERROR|INVALID_SIGNAL|Unknown action type|Action: A_B_\n");
    out.clear();
    encode::ready(&mut out, "1.0", "Receiver", 3, 7);
    assert!(matches!(parse(&out[..out.len() - 1]), Ok(Message::Ready { version: "1.0", .. })));
}

#[test]
fn the_field_splitter_cuts_where_split_does() {
    for s in ["", "|", "a", "a|b", "a||b|", "|a|", "LONG|MES|1|TP:4700.25|", "é|ü|"] {
        let ours: Vec<&str> = Pipes(Some(s)).collect();
        let std: Vec<&str> = s.split('|').collect();
        assert_eq!(ours, std, "{s:?}");
    }
}

#[test]
fn prices_read_as_str_parse_reads_them() {
    let mut texts: Vec<String> = ["0", ".5", "5.", ".", "", "1.2.3", "000.000", "-0", "+4700.25"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for i in 0..100_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let digits = (x % 19) as usize; // up to 18 digits: past the fast path's 15
        let all = format!("{:019}", x % 10_000_000_000_000_000_000);
        let cut = (i as usize) % (digits + 1);
        let d = &all[19 - digits..];
        texts.push(format!("{}.{}", &d[..cut], &d[cut..]));
        texts.push(format!("-{}", &d[..cut]));
    }
    for t in &texts {
        let std = t.parse::<f64>().ok().filter(|v| v.is_finite());
        let ok = t.strip_prefix(['+', '-']).unwrap_or(t);
        let ok = !ok.is_empty() && ok.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let want = if ok { std } else { None };
        assert_eq!(parse_signed(t).map(f64::to_bits), want.map(f64::to_bits), "{t:?}");
    }
}
