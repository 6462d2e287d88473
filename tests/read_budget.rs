//! Read budgets: a flooding peer on each endpoint (V9, pipe, DTC) gets at most its budget per
//! loop turn, another peer gets through within a few turns, and every flooded byte is read.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use support::engine::{test_config, WAIT};
use v9bridge::engine::Engine;

/// Turns a starved-of-nothing peer may need: accept, its first read, the flush.
const FEW_TURNS: usize = 10;

/// A V9 client read without blocking, so the test thread can also turn the engine.
struct Client {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr, first: &str) -> Client {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(format!("{first}\n").as_bytes()).unwrap();
        s.set_nonblocking(true).unwrap();
        Client { s, buf: Vec::new() }
    }

    /// The first complete line received so far, if any.
    fn line(&mut self) -> Option<String> {
        let mut chunk = [0u8; 4096];
        loop {
            match self.s.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("client read: {e}"),
            }
        }
        let end = self.buf.iter().position(|&b| b == b'\n')?;
        let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..=end);
        Some(line)
    }
}

/// Turns `engine` until `done` (checked after every turn, with the turn count), within WAIT.
#[track_caller]
fn turn_until(engine: &mut Engine, what: &str, mut done: impl FnMut(&mut Engine, usize) -> bool) {
    let until = Instant::now() + WAIT;
    let mut turns = 0;
    while Instant::now() < until {
        engine.turn(Some(Duration::from_millis(5))).unwrap();
        turns += 1;
        if done(engine, turns) {
            return;
        }
    }
    panic!("timed out after {turns} turns waiting for {what}");
}

/// Signals the V9 server has broadcast so far.
fn signals(engine: &mut Engine) -> u64 {
    engine.endpoints_mut().v9.as_ref().unwrap().stats().signals
}

/// A receiver connecting while `flooding` still holds gets READY within a few turns.
fn receiver_gets_through(
    engine: &mut Engine,
    addr: SocketAddr,
    flooding: impl Fn(&mut Engine) -> bool,
) {
    assert!(flooding(engine), "the flood must still be on for the test to mean anything");
    let mut rx = Client::connect(addr, "CONNECT|late|Account_Count:1|Version:1.0");
    turn_until(engine, "the late receiver's READY", |e, turns| match rx.line() {
        Some(l) => {
            assert!(l.starts_with("READY|"), "{l}");
            assert!(turns <= FEW_TURNS, "READY after {turns} turns of a flood");
            assert!(flooding(e), "the flood ended first: nothing was shown");
            true
        }
        None => false,
    });
}

#[test]
fn a_flooding_publisher_gets_one_budget_per_turn_and_a_receiver_still_gets_through() {
    const N: u64 = 20_000;
    const BUDGET: usize = 1024;
    const LINE: &str = "LONG|MES|1\n";
    let mut engine = Engine::new(&test_config()).unwrap();
    let addr = engine.handle().v9_addr();
    engine.endpoints_mut().v9.as_mut().unwrap().set_read_budget(BUDGET);
    let mut publ = Client::connect(addr, "CONNECT|flood|Account_Count:0|Role:Publisher");
    turn_until(&mut engine, "the publisher's READY", |_, _| publ.line().is_some());
    // The publisher writes all its signals at once and reads its acks on other threads.
    publ.s.set_nonblocking(false).unwrap();
    let mut acks = publ.s.try_clone().unwrap();
    let reader = std::thread::spawn(move || std::io::copy(&mut acks, &mut std::io::sink()));
    let mut w = publ.s.try_clone().unwrap();
    let writer = std::thread::spawn(move || w.write_all(LINE.repeat(N as usize).as_bytes()));
    let per_turn = (BUDGET / LINE.len() + 1) as u64;
    turn_until(&mut engine, "the flood to start", |e, _| signals(e) > 0);
    receiver_gets_through(&mut engine, addr, |e| signals(e) < N);
    let mut last = signals(&mut engine);
    turn_until(&mut engine, "every flooded signal", |e, _| {
        let now = signals(e);
        assert!(now - last <= per_turn, "{} signals in one turn (budget {per_turn})", now - last);
        last = now;
        now == N
    });
    writer.join().unwrap().unwrap();
    drop(publ);
    drop(engine);
    let _ = reader.join();
}

#[cfg(unix)]
#[test]
fn a_flooding_pipe_writer_gets_one_budget_per_turn_and_a_receiver_still_gets_through() {
    const N: u64 = 5_000;
    const BUDGET: usize = 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.fifo");
    let mut cfg = test_config();
    let path_s = path.to_string_lossy().into_owned();
    cfg.pipe = Some(v9bridge::pipe::PipeConfig { path: path_s, ..Default::default() });
    let mut engine = Engine::new(&cfg).unwrap();
    let addr = engine.handle().v9_addr();
    engine.endpoints_mut().pipe.as_mut().unwrap().set_read_budget(BUDGET);
    let stream: String = (1..=N).map(|i| support::pipe::tick("ES", i)).collect();
    let total = stream.len() as u64;
    // A blocking writer: the FIFO holds 64 KiB, the rest waits for the engine to read.
    let mut fifo = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let writer = std::thread::spawn(move || fifo.write_all(stream.as_bytes()));
    let pipe = |e: &mut Engine| e.endpoints_mut().pipe.as_ref().unwrap().stats();
    turn_until(&mut engine, "the flood to start", |e, _| pipe(e).bytes > 0);
    receiver_gets_through(&mut engine, addr, |e| pipe(e).bytes < total);
    let mut last = pipe(&mut engine).bytes;
    turn_until(&mut engine, "every flooded byte", |e, _| {
        let now = pipe(e).bytes;
        assert!(now - last <= BUDGET as u64, "{} bytes in one turn", now - last);
        last = now;
        now == total
    });
    writer.join().unwrap().unwrap();
    assert_eq!(pipe(&mut engine).ticks, N, "every tick applied");
}

/// A DTC server on loopback: answers the encoding request and the logon, hands its socket over
/// (the test writes more itself), waits for `go` when given, writes `burst`, and stays until
/// the client leaves.
fn dtc_server(
    burst: Vec<u8>,
    sock: mpsc::Sender<TcpStream>,
    go: Option<mpsc::Receiver<()>>,
) -> (SocketAddr, JoinHandle<()>) {
    use v9bridge::dtc::{binary, EncodingResponse, LogonResponse};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else { return };
        s.set_read_timeout(Some(WAIT)).unwrap();
        let skip = |s: &mut TcpStream| {
            let mut h = [0u8; 2];
            s.read_exact(&mut h).unwrap();
            let mut rest = vec![0u8; (u16::from_le_bytes(h) as usize).saturating_sub(2)];
            s.read_exact(&mut rest).unwrap();
        };
        skip(&mut s);
        let mut out = Vec::new();
        binary::encode(&EncodingResponse { encoding: 0, ..Default::default() }.into(), &mut out);
        s.write_all(&out).unwrap();
        skip(&mut s);
        out.clear();
        binary::encode(&LogonResponse { result: 1, ..Default::default() }.into(), &mut out);
        s.write_all(&out).unwrap();
        let _ = sock.send(s.try_clone().unwrap());
        if let Some(go) = go {
            let _ = go.recv_timeout(WAIT);
        }
        s.write_all(&burst).unwrap();
        // Until the client closes (or the bound): the test may still be reading.
        let _ = s.read(&mut [0u8; 1]);
    });
    (addr, thread)
}

fn trades(symbol_id: u32, n: u64) -> Vec<u8> {
    use v9bridge::dtc::{binary, MarketDataUpdateTrade};
    let mut out = Vec::new();
    for i in 1..=n {
        let t =
            MarketDataUpdateTrade { symbol_id, price: i as f64, volume: 1.0, ..Default::default() };
        binary::encode(&t.into(), &mut out);
    }
    out
}

#[test]
fn a_flooding_dtc_server_gets_one_budget_per_turn_and_another_connection_still_gets_through() {
    use support::dtc::miniloop::MiniLoop;
    use v9bridge::dtc::{DtcConfig, DtcEndpoint};
    const N: u64 = 20_000;
    const BUDGET: usize = 4096;
    let burst = trades(1, N);
    let per_turn = (BUDGET / (burst.len() / N as usize) + 1) as u64;
    let (flood_tx, _flood_sock) = mpsc::channel();
    let (quiet_tx, quiet_sock) = mpsc::channel();
    // The flood starts once the quiet connection is logged on (its socket handed over), so
    // the quiet trade is always sent mid-flood, whatever the scheduling.
    let (go_tx, go_rx) = mpsc::channel();
    let (flood_addr, flood) = dtc_server(burst, flood_tx, Some(go_rx));
    let (quiet_addr, quiet) = dtc_server(Vec::new(), quiet_tx, None);
    let conf = |addr: SocketAddr, symbol: &str| DtcConfig {
        addr: addr.to_string(),
        symbols: vec![symbol.into()],
        trading: false,
        ..Default::default()
    };
    let mut flooder = DtcEndpoint::new("flood", &conf(flood_addr, "X")).unwrap();
    let mut other = DtcEndpoint::new("quiet", &conf(quiet_addr, "Y")).unwrap();
    flooder.set_read_budget(BUDGET);
    let mut lp = MiniLoop::new().unwrap();
    lp.register(&mut flooder, 0).unwrap();
    lp.register(&mut other, 1).unwrap();
    let updates = |m: &v9bridge::market::MarketState, s: &str| m.get(s).map_or(0, |q| q.updates);
    let mut quiet: (Option<TcpStream>, Option<JoinHandle<()>>) = (None, Some(quiet));
    let (mut last, mut since_y, mut x_when_y) = (0, None, None);
    let ok = lp.run_until(&mut [&mut flooder, &mut other], WAIT, |_, m| {
        let x = updates(m, "X");
        assert!(x - last <= per_turn, "{} trades in one turn (budget {per_turn})", x - last);
        last = x;
        if quiet.0.is_none() {
            if let Ok(s) = quiet_sock.try_recv() {
                quiet.0 = Some(s);
                let _ = go_tx.send(());
            }
        }
        // Mid-flood (at most `per_turn` of N trades read by now), the quiet server sends one
        // trade: it must not wait for the flood's end.
        if x > 0 && since_y.is_none() {
            if let Some(s) = &mut quiet.0 {
                s.write_all(&trades(1, 1)).unwrap();
                since_y = Some(0);
            }
        }
        if let Some(turns) = &mut since_y {
            *turns += 1;
        }
        if x_when_y.is_none() && updates(m, "Y") == 1 {
            x_when_y = Some((x, since_y.unwrap_or(0)));
        }
        x == N && x_when_y.is_some()
    });
    assert!(ok, "every flooded trade read: {last} of {N}; Y {x_when_y:?}");
    let (x, turns) = x_when_y.unwrap();
    assert!(x < N && turns <= FEW_TURNS, "Y read {turns} turns after it was sent, {x} of {N} X");
    drop((flooder, other, lp));
    drop(quiet.0);
    let _ = (quiet.1.map(JoinHandle::join), flood.join());
}
