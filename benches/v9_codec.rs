//! Criterion benches of the V9 codec (parse and encode per message type, framing) and the pure peer.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use v9bridge::signal::{Action, Signal};
use v9bridge::v9::codec::{parse, Direction};
use v9bridge::v9::{encode, frame};

const LINES: [(&str, &str); 6] = [
    ("signal", "SHORT|NQ|2|TP:4700|SL:4650|ID:42"),
    ("position", "POSITION|Account1|LONG|1|4520.50|+150.00|2026-01-27T18:05:30Z|Symbol:MES"),
    ("summary", "POSITION_SUMMARY|20|20|+2800.00|4520.50|LONG:20,SHORT:0|ID:42"),
    ("heartbeat", "HEARTBEAT|V9_CopyReceiver|Connected:20_Accounts"),
    ("connect", "CONNECT|V9_CopyReceiver|Account_Count:20|Version:1.0"),
    ("error", "ERROR|INVALID_SIGNAL|Unknown action type|Action: INVALID_ACTION"),
];

fn parse_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("v9_parse");
    for (name, line) in LINES {
        g.throughput(Throughput::Elements(1));
        g.bench_function(name, |b| b.iter(|| black_box(parse(black_box(line.as_bytes()))).is_ok()));
    }
    g.finish();
}

fn encode_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("v9_encode");
    g.throughput(Throughput::Elements(1));
    let mut out = Vec::with_capacity(1024);
    let mut sig = Signal::new(Action::Short, "NQ", 2);
    sig.tp = Some(4700.0);
    sig.sl = Some(4650.0);
    g.bench_function("signal", |b| {
        b.iter(|| {
            out.clear();
            encode::signal(&mut out, black_box(&sig), Some(42));
            black_box(out.len())
        })
    });
    g.bench_function("position", |b| {
        b.iter(|| {
            out.clear();
            encode::position(
                &mut out,
                "Account1",
                Direction::Long,
                1,
                4520.5,
                150.0,
                1_769_537_130,
                "MES",
            );
            black_box(out.len())
        })
    });
    g.bench_function("heartbeat_ack", |b| {
        b.iter(|| {
            out.clear();
            encode::heartbeat_ack(&mut out, black_box(1_769_537_130), "All_Systems_OK");
            black_box(out.len())
        })
    });
    g.finish();
}

fn framing_benches(c: &mut Criterion) {
    // 21 lines: what one receiver sends back per signal (20 POSITIONs + 1 summary).
    let mut batch = Vec::new();
    for i in 0..20 {
        encode::position(
            &mut batch,
            &format!("Account{i}"),
            Direction::Long,
            1,
            4520.5,
            1.0,
            1_769_537_130,
            "MES",
        );
    }
    encode::summary(&mut batch, 20, 20, 20.0, 4520.5, 20, 0, Some(1));
    let mut g = c.benchmark_group("v9_frame_and_parse");
    g.throughput(Throughput::Bytes(batch.len() as u64));
    g.bench_function("receiver_reply_batch", |b| {
        b.iter_batched_ref(
            || batch.clone(),
            |buf| {
                let mut start = 0;
                let mut n = 0;
                while let frame::Frame::Complete { len, consumed } =
                    frame::next_frame(&buf[start..])
                {
                    n += parse(&buf[start..start + len]).is_ok() as u32;
                    start += consumed;
                }
                black_box(n)
            },
            BatchSize::SmallInput,
        )
    });
    let mut glued = batch.clone();
    glued.retain(|&b| b != b'\n');
    g.bench_function("unterminated_split_batch", |b| {
        b.iter(|| {
            let mut rest = &glued[..];
            let mut n = 0;
            while !rest.is_empty() {
                let k = frame::split_unterminated(rest);
                rest = &rest[k..];
                n += 1;
            }
            black_box(n)
        })
    });
    g.finish();
}

/// The pure peer end to end, no sockets: a READY receiver takes the 21-line reply batch
/// (frame, parse, book update, summary) as the server would after one read.
fn peer_benches(c: &mut Criterion) {
    use std::time::{Duration, Instant};
    use v9bridge::v9::guard::AuthThrottle;
    use v9bridge::v9::peer::{Cue, Peer};
    use v9bridge::v9::reply::{Policy, Time};
    let mut batch = Vec::new();
    for i in 0..20 {
        encode::position(
            &mut batch,
            &format!("Account{i}"),
            Direction::Long,
            1,
            4520.5,
            1.0,
            1_769_537_130,
            "MES",
        );
    }
    encode::summary(&mut batch, 20, 20, 20.0, 4520.5, 20, 0, Some(1));
    let auth = AuthThrottle::default();
    let policy = Policy {
        token: None,
        auth: &auth,
        last_signal: 1,
        epoch: 1,
        timeout: Duration::from_secs(30),
        grace: Duration::from_millis(200),
    };
    let t = Time { now: Instant::now(), wall_ns: 1_769_537_130_000_000_000 };
    let mut peer = Peer::new("127.0.0.1:1".parse().unwrap(), t);
    peer.receive(b"CONNECT|V9_CopyReceiver|Account_Count:20\n");
    while peer.poll_line(Cue::Data, t, &policy).is_some() {}
    let mut g = c.benchmark_group("v9_peer");
    g.throughput(Throughput::Bytes(batch.len() as u64));
    g.bench_function("receiver_reply_batch", |b| {
        b.iter(|| {
            peer.receive(&batch);
            let mut n = 0;
            while peer.poll_line(Cue::Data, t, &policy).is_some() {
                n += 1;
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, parse_benches, encode_benches, framing_benches, peer_benches);
criterion_main!(benches);
