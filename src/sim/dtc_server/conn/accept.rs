//! A new simulated connection: WebSocket or raw TCP on the same port, then serve it until it closes.

use super::{would_block, Chunk, Conn, Io};
use crate::dtc::framing::RecvBuf;
use crate::dtc::{Codec, Encoding};
use crate::sim::dtc_server::state::SimState;
use crate::sim::dtc_server::DtcServerArgs;
use crossbeam_channel::Receiver;
use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Serves one accepted connection until it closes or `stop` is set.
pub(crate) fn serve(
    stream: TcpStream,
    args: DtcServerArgs,
    state: Arc<Mutex<SimState>>,
    stop: Arc<AtomicBool>,
) {
    let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    if let Err(e) = serve_inner(stream, args, state, &stop, &peer) {
        log::info!("dtc-sim {peer}: closed: {e}");
    } else {
        log::info!("dtc-sim {peer}: closed");
    }
}

/// Reads the socket on its own thread until EOF/error (or until the connection shuts it down).
fn spawn_reader(stream: &TcpStream) -> io::Result<Receiver<Chunk>> {
    let mut r = stream.try_clone()?;
    r.set_read_timeout(None)?;
    let (tx, rx) = crossbeam_channel::bounded::<Chunk>(1024);
    std::thread::Builder::new().name("dtc-sim-read".into()).spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) => {
                    let _ =
                        tx.send(Err(io::Error::new(io::ErrorKind::UnexpectedEof, "peer closed")));
                    return;
                }
                Ok(n) => {
                    if tx.send(Ok(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    })?;
    Ok(rx)
}

fn serve_inner(
    stream: TcpStream,
    args: DtcServerArgs,
    state: Arc<Mutex<SimState>>,
    stop: &AtomicBool,
    peer: &str,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_millis(5)))?;
    // Peek the first bytes: an HTTP `GET` is a WebSocket upgrade on the same port.
    let mut first = [0u8; 4];
    let deadline = Instant::now() + Duration::from_secs(10);
    let n = loop {
        if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
            return Ok(());
        }
        match stream.peek(&mut first) {
            Ok(0) => return Ok(()),
            Ok(n) if n >= 3 || first[0] != b'G' => break n,
            Ok(_) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) if would_block(&e) => {}
            Err(e) => return Err(e),
        }
    };
    let fixed = Encoding::parse(&args.encoding);
    let sierra = !args.compact_header_order;
    let (io, codec, decided) = if n >= 3 && &first[..3] == b"GET" {
        let mut hs = tungstenite::accept(stream);
        let ws = loop {
            match hs {
                Ok(ws) => break ws,
                Err(tungstenite::HandshakeError::Interrupted(mid)) => {
                    if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                        return Ok(());
                    }
                    hs = mid.handshake();
                }
                Err(tungstenite::HandshakeError::Failure(e)) => {
                    return Err(io::Error::other(e.to_string()))
                }
            }
        };
        let enc = if fixed == Some(Encoding::JsonCompact) {
            Encoding::JsonCompact
        } else {
            Encoding::Json
        };
        log::info!("dtc-sim {peer}: WebSocket client ({enc:?})");
        (Io::Ws(Box::new(ws)), Codec::new(enc, sierra), true)
    } else {
        let rbuf = RecvBuf::new(16 * 1024, 1 << 20);
        let rx = spawn_reader(&stream)?;
        (Io::Tcp { stream, rbuf, rx }, Codec::new(fixed.unwrap_or(Encoding::Binary), sierra), false)
    };
    let now = Instant::now();
    let mut c = Conn {
        io,
        codec,
        decided,
        args,
        state,
        peer: peer.to_string(),
        logged_on: false,
        hb_interval: Duration::from_secs(10),
        next_hb: now,
        last_rx: now,
        next_tick: now,
        subs: Vec::new(),
        sent: 0,
        tick_n: 0,
        out: Vec::with_capacity(4096),
        closing: false,
    };
    let r = c.run(stop);
    // Also ends the reader thread, which holds a clone of the socket.
    if let Io::Tcp { stream, .. } = &c.io {
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }
    r
}
