//! Unit tests of the pipe codec: framing edge cases and one case per bad-input reason.

use super::codec::Parser;
use super::frame::{Frame, Framer, MAX_MESSAGE};
use super::message::{Message, TsKind};
use super::reason::BadInput;
use crate::signal::Action;

/// What the framer produced, owned, for comparisons.
#[derive(Clone, Debug, PartialEq)]
enum Out {
    Obj(Vec<u8>),
    Bad(BadInput),
}

fn drain(f: &mut Framer, out: &mut Vec<Out>) {
    while let Some(fr) = f.next_frame() {
        out.push(match fr {
            Frame::Object(b) => Out::Obj(b.to_vec()),
            Frame::Bad(r, _) => Out::Bad(r),
        });
    }
}

fn frame_in_pieces(pieces: &[&[u8]]) -> Vec<Out> {
    let mut f = Framer::new(64 * 1024);
    let mut out = Vec::new();
    for p in pieces {
        let mut rest = *p;
        while !rest.is_empty() {
            let n = f.push(rest);
            rest = &rest[n..];
            drain(&mut f, &mut out);
        }
    }
    out
}

fn obj(s: &str) -> Out {
    Out::Obj(s.as_bytes().to_vec())
}

const A: &str = r#"{"symbol":"ES","price":4700.25,"bid":4700,"ask":4700.5,"timestamp":46115.5}"#;
const B: &str =
    r#"{"symbol":"N{Q}","note":"a \"}{\" b \\","ts_ns":1769537130000000000,"seq":7,"price":1}"#;
const D: &str = r#"{"symbol":"ES","note":"x\n\\\"{\u007d\\","price":2}"#;
const C: &str = r#"{"signal":"LONG","symbol":"MES","qty":1,"tp":4700,"sl":4650}"#;

#[test]
fn frames_lf_nul_and_back_to_back() {
    let stream = format!("{A}\n{B}\0{C}{A}  \r\n");
    let out = frame_in_pieces(&[stream.as_bytes()]);
    assert_eq!(out, vec![obj(A), obj(B), obj(C), obj(A)]);
}

#[test]
fn frames_identically_when_split_at_every_byte() {
    let stream = format!("{A}{B}\n\0xx{C}\n garbage \n{A}{D}");
    let whole = frame_in_pieces(&[stream.as_bytes()]);
    assert_eq!(
        whole,
        vec![
            obj(A),
            obj(B),
            Out::Bad(BadInput::Garbage),
            obj(C),
            Out::Bad(BadInput::Garbage),
            obj(A),
            obj(D)
        ]
    );
    assert!(Parser::new(0).parse(D.as_bytes()).is_ok());
    let b = stream.as_bytes();
    for cut in 0..=b.len() {
        assert_eq!(frame_in_pieces(&[&b[..cut], &b[cut..]]), whole, "cut at {cut}");
    }
    // And one byte per read.
    let bytes: Vec<&[u8]> = b.chunks(1).collect();
    assert_eq!(frame_in_pieces(&bytes), whole);
}

#[test]
fn garbage_run_counts_once_across_reads_and_keeps_a_sample() {
    let out = frame_in_pieces(&[b"]]]]", b"zzzz", format!("zz{A}").as_bytes()]);
    assert_eq!(out, vec![Out::Bad(BadInput::Garbage), obj(A)]);
    let mut f = Framer::new(4096);
    f.push(b"oops{}");
    assert_eq!(f.next_frame(), Some(Frame::Bad(BadInput::Garbage, b"oops")));
    assert_eq!(f.next_frame(), Some(Frame::Object(b"{}")));
}

#[test]
fn oversized_object_is_dropped_and_the_next_one_survives() {
    let big = format!(r#"{{"symbol":"ES","pad":"{}","x":{{"y":"}}"}}}}"#, "x".repeat(MAX_MESSAGE));
    let stream = format!("{big}{A}\n");
    let whole = frame_in_pieces(&[stream.as_bytes()]);
    assert_eq!(whole, vec![Out::Bad(BadInput::Oversized), obj(A)]);
    for cut in [1, 100, MAX_MESSAGE - 1, MAX_MESSAGE, MAX_MESSAGE + 1, big.len() - 1, big.len()] {
        let b = stream.as_bytes();
        assert_eq!(frame_in_pieces(&[&b[..cut], &b[cut..]]), whole, "cut at {cut}");
    }
    // An object of exactly the cap is fine.
    let fits = format!(r#"{{"p":"{}"}}"#, "y".repeat(MAX_MESSAGE - 8));
    assert_eq!(fits.len(), MAX_MESSAGE);
    assert_eq!(frame_in_pieces(&[fits.as_bytes()]), vec![obj(&fits)]);
}

#[test]
fn oversized_unbalanced_junk_resyncs_at_the_next_lf() {
    // (A nested `{` right after `{` would be a boundary: the junk nests after `:` instead.)
    let junk = format!("{{\"x\":{}", "{\"a\":".repeat(2000));
    let stream = format!("{junk}\n{A}");
    assert_eq!(frame_in_pieces(&[stream.as_bytes()]), vec![Out::Bad(BadInput::Oversized), obj(A)]);
}

#[test]
fn writer_cut_mid_message_costs_only_that_message() {
    let stream = format!("{{\"symbol\":\"ES\",\"pri\n{A}\n{{\"symbol\":\"E\0{A}");
    let out = frame_in_pieces(&[stream.as_bytes()]);
    assert_eq!(
        out,
        vec![Out::Bad(BadInput::Truncated), obj(A), Out::Bad(BadInput::Truncated), obj(A)]
    );
}

#[test]
fn memory_stays_bounded_under_endless_junk() {
    let mut f = Framer::new(4096);
    let mut out = Vec::new();
    let chunk = [b'x'; 4096];
    for _ in 0..1000 {
        assert_eq!(f.push(&chunk), chunk.len(), "the spare area never shrinks");
        drain(&mut f, &mut out);
    }
    assert_eq!(out, vec![Out::Bad(BadInput::Garbage)]);
    let open = format!("{{\"a\":\"{}", "y".repeat(10 * MAX_MESSAGE));
    for piece in open.as_bytes().chunks(4096) {
        assert_eq!(f.push(piece), piece.len());
        drain(&mut f, &mut out);
    }
    assert_eq!(out.last(), Some(&Out::Bad(BadInput::Oversized)));
}

fn parse_both(input: &[u8]) -> Result<String, BadInput> {
    let mut fast = Parser::new(0);
    let mut slow = Parser::new(0);
    slow.set_fast_path(false);
    let a = fast.parse(input).map(|m| format!("{m:?}"));
    let b = slow.parse(input).map(|m| format!("{m:?}"));
    assert_eq!(a, b, "fast path and simd-json disagree on {}", input.escape_ascii());
    a
}

fn reason(input: &str) -> BadInput {
    match parse_both(input.as_bytes()) {
        Err(r) => r,
        Ok(m) => panic!("{input} decoded as {m}"),
    }
}

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

#[test]
fn random_escaped_objects_frame_exactly_with_any_separator_and_split() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet: Vec<char> = "ab{}[]\"\\\n\0\t:,é€ ".chars().collect();
    let mut objects = Vec::new();
    let mut stream = Vec::new();
    for _ in 0..300 {
        let len = (next() % 12) as usize;
        let s: String =
            (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
        // serde_json writes the escapes (\" \\ \n \u0000 ...) a real writer would.
        let o = serde_json::json!({ "symbol": "ES", "k": s, "n": { "deep": [s] } }).to_string();
        stream.extend_from_slice(o.as_bytes());
        stream.extend_from_slice([&b""[..], b"\n", b"\0", b" \r\n"][(next() % 4) as usize]);
        objects.push(obj(&o));
    }
    assert_eq!(frame_in_pieces(&[&stream]), objects);
    let cut = |n: u64| (n as usize) % stream.len();
    for _ in 0..50 {
        let (a, b) = (cut(next()), cut(next()));
        let (a, b) = (a.min(b), a.max(b));
        assert_eq!(frame_in_pieces(&[&stream[..a], &stream[a..b], &stream[b..]]), objects);
    }
}

#[test]
fn pipe_config_section_parses_with_defaults() {
    let c = crate::config::Config::from_toml(
        "[pipe]\npath = '/tmp/x.fifo'\nsc_utc_offset_min = -300\n",
    )
    .unwrap();
    let p = c.pipe.unwrap();
    assert_eq!((p.path.as_str(), p.sc_utc_offset_min), ("/tmp/x.fifo", -300));
    assert_eq!(p.read_chunk, 64 * 1024);
    assert!(crate::config::Config::from_toml("[pipe]\npth = 'x'\n").is_err());
    for bad in [
        "path = ''",
        "sc_utc_offset_min = 1441",
        "sc_utc_offset_min = -1441",
        "read_chunk = 4095",
        "read_chunk = 16777217",
    ] {
        let c = crate::config::Config::from_toml(&format!("[pipe]\n{bad}\n"));
        assert!(c.is_err(), "{bad}");
    }
    for ok in ["sc_utc_offset_min = -1440", "read_chunk = 4096", "read_chunk = 16777216"] {
        let c = crate::config::Config::from_toml(&format!("[pipe]\n{ok}\n")).unwrap();
        assert!(c.validate().is_ok(), "{ok}");
    }
}

/// `n` distinct good ticks, back to back with no separator, and the objects they frame to.
fn good_ticks(n: usize) -> (String, Vec<Out>) {
    let ticks: Vec<String> =
        (0..n).map(|i| format!(r#"{{"symbol":"ES","price":{},"seq":{i}}}"#, 4700 + i)).collect();
    (ticks.concat(), ticks.iter().map(|t| obj(t)).collect())
}

/// Frames `stream` whole, split in two at every byte, and one byte per read; all must agree.
fn frame_every_split(stream: &[u8]) -> Vec<Out> {
    let whole = frame_in_pieces(&[stream]);
    for cut in 0..=stream.len() {
        assert_eq!(frame_in_pieces(&[&stream[..cut], &stream[cut..]]), whole, "cut at {cut}");
    }
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(frame_in_pieces(&bytes), whole, "one byte per read");
    whole
}

fn count_objects(out: &[Out]) -> usize {
    out.iter().filter(|o| matches!(o, Out::Obj(_))).count()
}

#[test]
fn truncated_object_back_to_back_loses_only_itself() {
    let (good, want) = good_ticks(100);
    // A nested object right before the failure may be the next writer's message (the writer was
    // cut after a `:`), so it is handed on; `{"b":2}` the parser then refuses.
    let cuts = [
        (r#"{"a":1"#, None),
        (r#"{"a":{"b":2}"#, Some(r#"{"b":2}"#)),
        ("{", None),
        (r#"{"symbol":"ES","price":1,"x":[1,{"#, None),
    ];
    for (cut, handed_on) in cuts {
        let stream = format!("{good}{cut}{good}");
        let out = frame_every_split(stream.as_bytes());
        assert_eq!(&out[..100], &want[..], "{cut}");
        assert_eq!(out[100], Out::Bad(BadInput::Truncated), "{cut}");
        let rest = match handed_on {
            Some(o) => {
                assert_eq!(out[101], obj(o));
                assert!(Parser::new(0).parse(o.as_bytes()).is_err());
                &out[102..]
            }
            None => &out[101..],
        };
        assert_eq!(rest, &want[..], "{cut}");
    }
    // Whitespace between `}` and `{` does not hide the boundary.
    let stream = format!("{{\"a\":{{\"b\":1}} \r\n\t{}", &good);
    let out = frame_in_pieces(&[stream.as_bytes()]);
    assert_eq!(out[..2], [Out::Bad(BadInput::Truncated), obj(r#"{"b":1}"#)]);
    assert_eq!(&out[2..], &want[..]);
}

#[test]
fn cut_inside_a_string_back_to_back_loses_only_itself() {
    let (good, want) = good_ticks(100);
    for cut in [r#"{"symbol":"E"#, r#"{"a":"x}{"#, r#"{"symbol":"ES","note":"ab\"#] {
        let stream = format!("{cut}{good}");
        let out = frame_every_split(stream.as_bytes());
        assert_eq!(count_objects(&out), 100, "{cut}: {out:?}");
        assert_eq!(&out[out.len() - 100..], &want[..], "{cut}");
        assert!(out[..out.len() - 100].iter().all(|o| *o == Out::Bad(BadInput::Truncated)));
        // Also in the middle of the stream.
        let stream = format!("{good}{cut}{good}");
        let out = frame_in_pieces(&[stream.as_bytes()]);
        assert_eq!(&out[..100], &want[..], "{cut}");
        assert_eq!(&out[out.len() - 100..], &want[..], "{cut}");
    }
}

#[test]
fn oversized_object_back_to_back_loses_only_itself() {
    let (good, want) = good_ticks(100);
    let bigs = [
        format!(r#"{{"symbol":"ES","pad":"{}"}}"#, "x".repeat(MAX_MESSAGE)),
        // Unbalanced and cut inside a string: the skip must not follow its structure.
        format!(r#"{{"a":[[[{{"pad":"{}"#, "x".repeat(MAX_MESSAGE)),
        format!(r#"{{"pad":[{}"#, "{\"a\":1},".repeat(MAX_MESSAGE / 8)),
    ];
    for (k, big) in bigs.iter().enumerate() {
        let stream = format!("{big}{good}");
        let out = frame_every_split(stream.as_bytes());
        assert_eq!(out[0], Out::Bad(BadInput::Oversized));
        // Cut right after a `,` the next `{` may be nested, so that one tick is lost with it.
        let keep = if k == 2 { 99 } else { 100 };
        assert_eq!(&out[out.len() - keep..], &want[100 - keep..], "big #{k}");
        assert_eq!(out.len(), 1 + keep, "big #{k}");
    }
}

#[test]
fn legitimate_braces_in_strings_still_frame_whole() {
    let o = r#"{"symbol":"ES","note":"}{ } {","price":1}"#;
    let stream = format!("{o}{o}\n{o}");
    assert_eq!(frame_in_pieces(&[stream.as_bytes()]), vec![obj(o), obj(o), obj(o)]);
}

/// Prints frames as text, for assertion messages.
fn show(out: &[Out]) -> String {
    let show = |o: &Out| match o {
        Out::Obj(b) => b.escape_ascii().to_string(),
        Out::Bad(r) => format!("<{r}>"),
    };
    out.iter().map(show).collect::<Vec<_>>().join(" ")
}

fn text(o: &Out) -> &str {
    match o {
        Out::Obj(b) => std::str::from_utf8(b).unwrap(),
        Out::Bad(_) => "",
    }
}

/// `good ++ prefix ++ next ++ good`, each message followed by `sep`, framed split in two at
/// every byte (`every_split`) or around the cut: the messages that parse must be `good`, `next`, `good` exactly. A writer killed after
/// `prefix` costs its own message only: its pieces are dropped or refused by the parser, and
/// no other message is lost or made up.
#[track_caller]
fn assert_cut_costs_only_itself(prefix: &str, next: &str, sep: &str, every_split: bool) {
    let (_, want) = good_ticks(3);
    let good: String = want.iter().map(|o| format!("{}{sep}", text(o))).collect();
    let stream = format!("{good}{prefix}{next}{sep}{good}");
    let expect: Vec<Out> =
        want.iter().cloned().chain([obj(next)]).chain(want.iter().cloned()).collect();
    let mut parser = Parser::new(0);
    let b = stream.as_bytes();
    let at = good.len() + prefix.len();
    let splits: Vec<usize> =
        if every_split { (0..=b.len()).collect() } else { vec![0, at - 1, at, at + 1, at + 2] };
    for cut in splits {
        let out = frame_in_pieces(&[&b[..cut], &b[cut..]]);
        let parses = |o: &&Out| matches!(o, Out::Obj(b) if parser.parse(b).is_ok());
        let valid: Vec<Out> = out.iter().filter(parses).cloned().collect();
        assert_eq!(valid, expect, "prefix {prefix:?} sep {sep:?} split at {cut}: {}", show(&out));
    }
}

#[test]
fn writer_killed_after_colon_or_comma_costs_only_its_own_message() {
    for sep in ["\n", "\0", "", "\r\n"] {
        for prefix in [r#"{"symbol":"#, r#"{"symbol":"ES","#, r#"{"symbol": "#, r#"{"a":[1,"#] {
            assert_cut_costs_only_itself(prefix, A, sep, true);
            assert_cut_costs_only_itself(prefix, C, sep, true);
        }
    }
}

#[test]
fn writer_killed_at_any_byte_costs_only_its_own_message() {
    let nested = r#"{"symbol":"ES","x":{"y":[1,{"z":"}{"}],"w":"a\"b\\"},"price":2}"#;
    for sep in ["\n", "\0", ""] {
        for victim in [A, B, C, D, nested] {
            for k in 1..victim.len() {
                for next in [A, C] {
                    assert_cut_costs_only_itself(&victim[..k], next, sep, false);
                }
            }
        }
    }
}
