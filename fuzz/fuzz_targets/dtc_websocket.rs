//! DTC over WebSocket: server frames parsed by tungstenite with the limits the transport sets
//! (`dtc::transport`), each text payload NUL-framed and decoded as JSON, as `read_ws` does.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::{self, Cursor, Read, Write};
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use v9bridge::dtc::{
    framing::RecvBuf,
    types::{Encoding, MAX_JSON_SIZE},
    Codec,
};

/// The server side of the socket: yields the input, then `WouldBlock`; our writes vanish.
struct Server(Cursor<Vec<u8>>);
impl Read for Server {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        match self.0.read(b)? {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}
impl Write for Server {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let cfg = WebSocketConfig::default()
        .max_message_size(Some(MAX_JSON_SIZE))
        .max_frame_size(Some(MAX_JSON_SIZE));
    let mut ws =
        WebSocket::from_raw_socket(Server(Cursor::new(data.to_vec())), Role::Client, Some(cfg));
    let (codec, mut rbuf) = (Codec::new(Encoding::Json, false), RecvBuf::new(64 * 1024, 1 << 20));
    while let Ok(m) = ws.read() {
        if let tungstenite::Message::Text(t) = m {
            let fits = rbuf.extend(t.as_bytes()) && rbuf.extend(&[0]);
            if !fits || !v9bridge_fuzz::dtc_frames(&codec, &mut rbuf) {
                return;
            }
        }
    }
});
