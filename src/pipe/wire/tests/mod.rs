//! Unit tests of the pipe's wire layer: framing edge cases, one case per bad-input reason, cuts.

mod cuts;
mod framing;
mod parsing;

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
