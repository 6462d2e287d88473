//! Peer tests without sockets: bytes and a fake clock in, replies out.

use super::*;
use crate::v9::guard::AuthThrottle;

const GRACE: Duration = Duration::from_millis(200);
const TIMEOUT: Duration = Duration::from_secs(30);

fn t0() -> Time {
    Time { now: Instant::now(), wall_ns: 1_769_537_130 * 1_000_000_000 }
}

fn at(t: Time, ms: u64) -> Time {
    Time { now: t.now + Duration::from_millis(ms), wall_ns: t.wall_ns + ms as i64 * 1_000_000 }
}

fn policy<'a>(auth: &'a AuthThrottle, token: Option<&'static str>) -> Policy<'a> {
    Policy { token, auth, last_signal: 0, epoch: 0, timeout: TIMEOUT, grace: GRACE }
}

fn peer(t: Time) -> Peer {
    Peer::new("127.0.0.1:4000".parse().unwrap(), t)
}

/// Feeds `bytes`, polls with `cue`, and returns every reply rendered as text.
fn feed(p: &mut Peer, bytes: &[u8], cue: Cue, t: Time, pol: &Policy<'_>) -> Vec<String> {
    p.receive(bytes);
    let mut out = Vec::new();
    while let Some(r) = p.poll_line(cue, t, pol) {
        out.push(render(&r));
    }
    out
}

fn render(r: &Reply<'_>) -> String {
    let mut b = Vec::new();
    match r {
        Reply::Send(m) | Reply::Fail(m, _) | Reply::Refused { msg: m, .. } => {
            m.encode(&mut b, "1.0")
        }
        Reply::Connected(role, _) => {
            Outgoing::Ready { role: *role, epoch: 0, last_id: 0 }.encode(&mut b, "1.0")
        }
        Reply::Publish(s) => crate::v9::encode::signal(&mut b, s, None),
        Reply::Answered(id, _) => return format!("answered {id}"),
        Reply::Nothing => return "nothing".into(),
        Reply::Kill => return "kill".into(),
        Reply::Arm => return "arm".into(),
    }
    String::from_utf8(b).unwrap().trim_end().to_string()
}

#[test]
fn handshake_heartbeat_and_turn_time() {
    let (auth, t) = (AuthThrottle::default(), t0());
    let pol = policy(&auth, None);
    let mut p = peer(t);
    let r = feed(&mut p, b"CONNECT|V9|Account_Count:20|Version:1.0\n", Cue::Data, t, &pol);
    assert_eq!(r, ["READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:0|Last_ID:0"]);
    assert!(p.receives() && p.framing() == Framing::Terminated);
    let r = feed(&mut p, b"HEARTBEAT|V9|ok\n", Cue::Data, t, &pol);
    assert_eq!(r, ["HEARTBEAT_ACK|2026-01-27T18:05:30Z|All_Systems_OK"], "the turn's wall time");
    assert_eq!(p.last_heartbeat_ns(), Some(t.wall_ns));
}

#[test]
fn anything_before_connect_fails_and_later_input_is_discarded() {
    let (auth, t) = (AuthThrottle::default(), t0());
    let pol = policy(&auth, None);
    let mut p = peer(t);
    let r = feed(&mut p, b"HEARTBEAT|x|y\nCONNECT|a|Account_Count:1\n", Cue::Data, t, &pol);
    assert_eq!(r, ["ERROR|PROTOCOL_ERROR|CONNECT expected first"]);
    assert!(p.is_closing());
    assert!(feed(&mut p, b"CONNECT|a|Account_Count:1\n", Cue::Data, t, &pol).is_empty());
}

#[test]
fn unterminated_peer_is_detected_at_a_pause_after_the_grace_period() {
    let (auth, t) = (AuthThrottle::default(), t0());
    let pol = policy(&auth, None);
    let mut p = peer(t);
    assert!(feed(&mut p, b"CONNECT|NoEol|Account_Count:2", Cue::Data, t, &pol).is_empty());
    assert!(feed(&mut p, b"", Cue::Pause, t, &pol).is_empty(), "first pause: maybe split");
    assert_eq!(p.deadline(TIMEOUT, GRACE), Some(t.now + GRACE), "grace timer armed");
    assert_eq!(p.handle_timeout(at(t, 200).now, TIMEOUT, GRACE), Due::Frame);
    let r = feed(&mut p, b"", Cue::Pause, at(t, 200), &pol);
    assert_eq!(r, ["READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:0|Last_ID:0"]);
    assert!(p.unterminated());
    // Known unterminated: a complete message at a pause needs no grace; glued ones are split.
    let glued = b"HEARTBEAT|NoEol|aHEARTBEAT|NoEol|b";
    let r = feed(&mut p, glued, Cue::Pause, at(t, 300), &pol);
    assert_eq!(r.len(), 2, "{r:?}");
}

#[test]
fn a_terminated_first_line_in_two_pieces_stays_terminated() {
    let (auth, t) = (AuthThrottle::default(), t0());
    let pol = policy(&auth, None);
    let mut p = peer(t);
    assert!(feed(&mut p, b"CONNECT|Split|Account_Count:20", Cue::Pause, t, &pol).is_empty());
    let r = feed(&mut p, b"\n", Cue::Data, at(t, 30), &pol);
    assert_eq!(r, ["READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:0|Last_ID:0"]);
    assert_eq!(p.framing(), Framing::Terminated);
}

#[test]
fn publishers_need_the_token_and_refusals_hint_at_it() {
    let (auth, t) = (AuthThrottle::default(), t0());
    let pol = policy(&auth, Some("0123456789abcdef"));
    let mut p = peer(t);
    let r =
        feed(&mut p, b"CONNECT|pub|Account_Count:0|Role:Publisher|Token:x\n", Cue::Data, t, &pol);
    assert_eq!(r.len(), 1);
    assert!(r[0].starts_with("ERROR|UNAUTHORIZED|") && r[0].contains("--token"), "{}", r[0]);
    let mut ok = peer(t);
    let line = b"CONNECT|pub|Account_Count:0|Role:Publisher|Token:0123456789abcdef\n";
    let r = feed(&mut ok, line, Cue::Data, t, &pol);
    assert_eq!(r, ["READY|1.0|Broadcast_Ready:Yes|Role:Publisher|Epoch:0|Last_ID:0"]);
    let r = feed(&mut ok, b"LONG|mes|1\n", Cue::Data, t, &pol);
    assert_eq!(r, ["LONG|MES|1"], "published (symbols leave upper-cased)");
}

#[test]
fn a_throttled_address_is_refused_without_checking_its_token() {
    let (mut auth, t) = (AuthThrottle::default(), t0());
    let ip = "127.0.0.1".parse().unwrap();
    auth.failed(ip, t.now);
    let pol = policy(&auth, Some("0123456789abcdef"));
    let mut p = peer(t);
    let line = b"CONNECT|pub|Account_Count:0|Role:Publisher|Token:0123456789abcdef\n";
    p.receive(line);
    let r = p.poll_line(Cue::Data, t, &pol).unwrap();
    assert!(matches!(r, Reply::Fail(_, CloseReason::Throttled)), "{r:?}");
}

#[test]
fn summaries_answer_the_signal_they_name_or_the_oldest_outstanding() {
    let (auth, t) = (AuthThrottle::default(), t0());
    let mut pol = policy(&auth, None);
    pol.last_signal = 4; // signals 1..=4 went out before this receiver connected
    let mut p = peer(t);
    feed(&mut p, b"CONNECT|r|Account_Count:1\n", Cue::Data, t, &pol);
    pol.last_signal = 7;
    let s = |id: &str| format!("POSITION_SUMMARY|1|1|+0.00|1.00|LONG:1,SHORT:0{id}\n");
    assert_eq!(feed(&mut p, s("|ID:3").as_bytes(), Cue::Data, t, &pol), ["nothing"]);
    assert_eq!(feed(&mut p, s("|ID:6").as_bytes(), Cue::Data, t, &pol), ["answered 6"]);
    assert_eq!(feed(&mut p, s("|ID:5").as_bytes(), Cue::Data, t, &pol), ["nothing"]);
    assert_eq!(feed(&mut p, s("").as_bytes(), Cue::Data, t, &pol), ["answered 7"]);
    assert_eq!(feed(&mut p, s("").as_bytes(), Cue::Data, t, &pol), ["nothing"], "periodic");
}

#[test]
fn the_idle_timeout_counts_messages_not_bytes() {
    let (auth, t) = (AuthThrottle::default(), t0());
    let pol = policy(&auth, None);
    let mut p = peer(t);
    feed(&mut p, b"CONNECT|slow|Account_Count:1\n", Cue::Data, t, &pol);
    // Slowloris: blank lines, then one byte per second of a message that never ends.
    for s in 1..40u64 {
        let b: &[u8] = if s < 10 { b"\r\n" } else { b"H" };
        feed(&mut p, b, Cue::Pause, at(t, s * 1000), &pol);
    }
    assert_eq!(p.deadline(TIMEOUT, GRACE), Some(t.now + TIMEOUT));
    let due = p.handle_timeout(at(t, 30_000).now, TIMEOUT, GRACE);
    let Due::Expire(r) = due else { panic!("{due:?}") };
    assert_eq!(render(&r), "ERROR|TIMEOUT|No heartbeat within timeout|No message for 30s");
    assert_eq!(p.counters().timeouts, 1);
}

#[test]
fn overlong_lines_and_bad_fields_close_with_protocol_error() {
    let (auth, t) = (AuthThrottle::default(), t0());
    let pol = policy(&auth, None);
    let mut p = peer(t);
    feed(&mut p, b"CONNECT|r|Account_Count:1\n", Cue::Data, t, &pol);
    let r = feed(&mut p, b"POSITION|A|UP|1|1.0|+1.00\n", Cue::Data, t, &pol);
    assert_eq!(r, ["ERROR|PROTOCOL_ERROR|Invalid field|Field: DIRECTION"]);
    let mut q = peer(t);
    feed(&mut q, b"CONNECT|r|Account_Count:1\n", Cue::Data, t, &pol);
    let r = feed(&mut q, &[b'A'; 2000], Cue::Data, t, &pol);
    assert_eq!(r, ["ERROR|PROTOCOL_ERROR|Message over 1024 bytes|Max_Size:1024"]);
    let mut n = peer(t);
    let long = format!("CONNECT|{}|Account_Count:1\n", "N".repeat(65));
    let r = feed(&mut n, long.as_bytes(), Cue::Data, t, &pol);
    assert_eq!(r, ["ERROR|PROTOCOL_ERROR|Invalid field|Field: STRATEGY_NAME"]);
}

#[test]
fn invalid_signals_keep_the_connection_and_echo_the_action() {
    let (auth, t) = (AuthThrottle::default(), t0());
    let pol = policy(&auth, None);
    let mut p = peer(t);
    feed(&mut p, b"CONNECT|pub|Account_Count:0|Role:Publisher\n", Cue::Data, t, &pol);
    let r = feed(&mut p, b"BUY|MES|1\n", Cue::Data, t, &pol);
    assert_eq!(r, ["ERROR|INVALID_SIGNAL|Unknown action type|Action: BUY"]);
    assert!(!p.is_closing());
    assert_eq!(p.counters().rejected, 1);
}

#[test]
fn tokens_are_masked_in_samples() {
    use crate::v9::session::redacted_sample;
    assert_eq!(
        redacted_sample(b"CONNECT|p|Account_Count:x|Role:Publisher|Token:s3cret"),
        "CONNECT|p|Account_Count:x|Role:Publisher|Token:***"
    );
    assert_eq!(redacted_sample(b"CONNECT|p|TOKEN:abc"), "CONNECT|p|TOKEN:***");
}
