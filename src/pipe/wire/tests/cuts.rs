//! A writer killed mid-message costs that message only, wherever the cut falls.

use super::*;

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
