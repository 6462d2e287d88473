//! Drivers shared by the fuzz targets: each feeds bytes through a decoder the way the engine
//! reads a peer. Only public APIs of the engine crate are used.

use v9bridge::dtc::framing::RecvBuf;
use v9bridge::dtc::Codec;

/// Frames and decodes everything `rbuf` holds, as the DTC client does. False when the stream
/// cannot be framed (the client then resets the connection).
pub fn dtc_frames(codec: &Codec, rbuf: &mut RecvBuf) -> bool {
    loop {
        let data = rbuf.data();
        match codec.next_frame(data) {
            Ok(Some((len, used))) => {
                // A frame that consumes nothing would spin the client forever.
                assert!(0 < used && used <= data.len() && len <= used, "{len} {used}");
                if len > 0 {
                    let _ = codec.decode(&data[..len]);
                }
                rbuf.consume(used);
            }
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

/// Feeds `data[1..]` into a small receive buffer in reads of 1..=64 bytes (`data[0]` picks the
/// size), so framing across split reads, growth and compaction all run.
pub fn dtc_stream(codec: Codec, data: &[u8]) {
    let Some((&k, mut rest)) = data.split_first() else { return };
    let piece = usize::from(k % 64) + 1;
    let mut rbuf = RecvBuf::new(64, 1 << 17);
    while !rest.is_empty() {
        let spare = rbuf.spare();
        if spare.is_empty() {
            return; // full: the client resets
        }
        let n = spare.len().min(piece).min(rest.len());
        spare[..n].copy_from_slice(&rest[..n]);
        rbuf.commit(n);
        rest = &rest[n..];
        if !dtc_frames(&codec, &mut rbuf) {
            return;
        }
    }
}
