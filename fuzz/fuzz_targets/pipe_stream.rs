//! Pipe input from the study: any bytes frame and parse without panicking, and frame the same
//! whether they arrive in one read or in reads of 1..=64 bytes (`data[0]` picks the size).
#![no_main]
use libfuzzer_sys::fuzz_target;
use v9bridge::pipe::{BadInput, Frame, Framer, Parser};

fn frames(data: &[u8], piece: usize) -> Vec<Result<Vec<u8>, BadInput>> {
    let (mut framer, mut parser, mut out) = (Framer::new(4096), Parser::new(0), Vec::new());
    for mut rest in data.chunks(piece) {
        while !rest.is_empty() {
            rest = &rest[framer.push(rest)..];
            while let Some(f) = framer.next_frame() {
                out.push(match f {
                    Frame::Object(o) => Ok(o.to_vec()),
                    Frame::Bad(r, _) => Err(r),
                });
            }
        }
    }
    for o in out.iter().flatten() {
        let _ = parser.parse(o);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, data)) = data.split_first() else { return };
    let whole = frames(data, data.len().max(1));
    assert_eq!(whole, frames(data, usize::from(k % 64) + 1), "framing depends on read sizes");
});
