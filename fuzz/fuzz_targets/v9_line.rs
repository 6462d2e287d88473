//! V9 input from a peer: LF/CRLF/NUL framing, parsing of each line and of the remainder cut off
//! by EOF, and the splitting of unterminated chunks where glued messages start.
#![no_main]
use libfuzzer_sys::fuzz_target;
use v9bridge::v9::codec::parse;
use v9bridge::v9::frame::{next_frame, split_unterminated, Frame};

fuzz_target!(|data: &[u8]| {
    let mut buf = data;
    while let Frame::Complete { len, consumed } = next_frame(buf) {
        assert!(len < consumed && consumed <= buf.len());
        let _ = parse(&buf[..len]);
        buf = &buf[consumed..];
    }
    let _ = parse(buf);
    let mut chunk = data;
    while !chunk.is_empty() {
        let n = split_unterminated(chunk);
        assert!((1..=chunk.len()).contains(&n), "split at {n} of {}", chunk.len());
        let _ = parse(&chunk[..n]);
        chunk = &chunk[n..];
    }
});
