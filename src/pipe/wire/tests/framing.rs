//! The framer: separators, splits at every byte, garbage, oversized objects, bounded memory.

use super::*;

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
