//! Unit tests of the journal's pure parts: record encoding, frames, headers, names, config.

use super::record::{
    body_len, check_frame, decode_body, encode_frame, FRAME_HEAD, MAX_BODY, MAX_FRAME,
};
use super::segment::{file_name, parse_name, Header, HEADER_LEN};
use super::*;

/// One record of every kind, with every variant of the sub-fields.
pub(crate) fn samples() -> Vec<Record<'static>> {
    let r = Receiver { name: "NT-1", peer: Some("10.0.0.7:50123".parse().unwrap()), accounts: 20 };
    let r6 = Receiver { name: "NT-2", peer: Some("[::1]:5000".parse().unwrap()), accounts: 0 };
    let r0 = Receiver { name: "", peer: None, accounts: u32::MAX };
    vec![
        Record::Signal { id: 1, source: Source::Publisher("sc-es"), bytes: b"LONG|MES|1|ID:1\n" },
        Record::Signal { id: u64::MAX, source: Source::Pipe, bytes: b"" },
        Record::Signal { id: 7, source: Source::Cli, bytes: b"FLATTEN|ALL|0\r\n" },
        Record::Signal { id: 8, source: Source::Ops, bytes: &[0, 255, b'|'] },
        Record::Signal { id: 9, source: Source::Dtc("es"), bytes: b"SHORT|ES|2" },
        Record::Refused { source: Source::Pipe, reason: "BAD_SYMBOL", bytes: b"LONG|M$S|1" },
        Record::ReceiverConnected(r),
        Record::ReceiverDisconnected(r6),
        Record::ReceiverConnected(r0),
        Record::Summary {
            receiver: "NT-1",
            signal_id: 42,
            summary: PositionSummary { accounts: 20, qty: 40, pnl: -1234.5 },
        },
        Record::KillSwitch { armed: true, by: "ops:alice" },
        Record::KillSwitch { armed: false, by: "" },
        Record::Epoch { n: 3 },
        Record::Reconcile {
            receiver: "NT-1",
            account: "Sim101",
            symbol: "MES",
            expected: -2,
            reported: 1,
            flagged: true,
        },
        Record::LossLimit { account: "Apex1", rule: "DAILY_LOSS" },
        Record::LossLimit { account: "Apex1", rule: "" },
    ]
}

fn frame_of(rec: &Record<'_>, wall_ns: i64) -> Vec<u8> {
    let mut buf = vec![0u8; MAX_FRAME];
    let n = encode_frame(rec, wall_ns, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn head(frame: &[u8]) -> [u8; FRAME_HEAD] {
    frame[..FRAME_HEAD].try_into().unwrap()
}

#[test]
fn every_record_kind_round_trips() {
    for (i, rec) in samples().iter().enumerate() {
        let t = 1_769_537_130_123_456_789 - i as i64 * 1_000_000_007;
        let f = frame_of(rec, t);
        let n = body_len(&head(&f)).unwrap();
        assert_eq!(n + FRAME_HEAD, f.len());
        check_frame(&head(&f), &f[FRAME_HEAD..]).unwrap();
        let (wall, back) = decode_body(&f[FRAME_HEAD..]).unwrap();
        assert_eq!((wall, back), (t, *rec));
        assert_eq!(back.kind(), rec.kind());
    }
    let kinds: std::collections::HashSet<_> = samples().iter().map(|r| r.kind()).collect();
    assert_eq!(kinds.len(), Kind::ALL.len(), "samples cover every kind");
}

#[test]
fn a_flipped_bit_anywhere_fails_the_checksum() {
    let f = frame_of(&samples()[0], 5);
    for i in 0..f.len() * 8 {
        let mut g = f.clone();
        g[i / 8] ^= 1 << (i % 8);
        let h = head(&g);
        let ok = body_len(&h)
            .is_ok_and(|n| g.len() == n + FRAME_HEAD && check_frame(&h, &g[FRAME_HEAD..]).is_ok());
        assert!(!ok, "bit {i} flipped undetected");
    }
}

#[test]
fn truncated_or_padded_bodies_are_refused_not_misread() {
    for rec in samples() {
        let f = frame_of(&rec, 1);
        let body = &f[FRAME_HEAD..];
        for cut in 0..body.len() {
            assert!(
                matches!(decode_body(&body[..cut]), Err(Damage::BadBody(_))),
                "{rec:?} cut {cut}"
            );
        }
        let mut long = body.to_vec();
        long.push(0);
        assert_eq!(decode_body(&long), Err(Damage::BadBody("bytes after the last field")));
    }
    assert_eq!(decode_body(&[0; 9]), Err(Damage::BadBody("unknown record kind")));
    assert_eq!(decode_body(&[10; 9]), Err(Damage::BadBody("unknown record kind")));
}

#[test]
fn oversized_records_are_refused_without_writing_past_the_buffer() {
    let big = vec![b'x'; 70_000];
    let rec = Record::Signal { id: 1, source: Source::Cli, bytes: &big };
    let mut buf = vec![0u8; MAX_FRAME];
    assert!(matches!(encode_frame(&rec, 0, &mut buf), Err(Error::TooLarge(_))));
    // Fields that fit one by one but not together.
    let half = vec![b'x'; 40_000];
    let rec = Record::Refused { source: Source::Cli, reason: "R", bytes: &half };
    let name = std::str::from_utf8(&half).unwrap();
    let rec2 = Record::Refused { source: Source::Publisher(name), reason: "R", bytes: &half };
    assert!(encode_frame(&rec, 0, &mut buf).is_ok());
    assert!(matches!(encode_frame(&rec2, 0, &mut buf), Err(Error::TooLarge(_))));
    let mut small = [0u8; 16];
    assert!(matches!(encode_frame(&samples()[0], 0, &mut small), Err(Error::TooLarge(_))));
    let mut h = [0u8; FRAME_HEAD];
    h[..4].copy_from_slice(&(MAX_BODY as u32 + 1).to_le_bytes());
    assert_eq!(body_len(&h), Err(Damage::BadLength));
    assert_eq!(body_len(&[0; FRAME_HEAD]), Err(Damage::BadLength));
}

#[test]
fn headers_round_trip_and_damage_is_named() {
    let h = Header { base: 65_536, epoch: 4, first_id: 1001, created_ns: -5 };
    let b = h.encode();
    assert_eq!(b.len(), HEADER_LEN);
    assert_eq!(Header::decode(&b), Ok(h));
    let mut bad = b;
    bad[0] = b'X';
    assert!(matches!(Header::decode(&bad), Err(Damage::BadHeader(w)) if w.contains("magic")));
    let mut bad = b;
    bad[20] ^= 1;
    assert_eq!(Header::decode(&bad), Err(Damage::BadHeader("checksum mismatch")));
}

#[test]
fn segment_names_sort_in_journal_order() {
    assert_eq!(file_name(65_536), "00000000000000065536.v9j");
    assert_eq!(parse_name(&file_name(u64::MAX)), Some(u64::MAX));
    for other in ["00000000000000065536.v9j.corrupt", "1.v9j", "x0000000000000065536.v9j", "README"]
    {
        assert_eq!(parse_name(other), None, "{other}");
    }
    assert!(file_name(9) < file_name(10));
}

#[test]
fn config_defaults_validate_and_none_disables() {
    let c = JournalConfig::default();
    assert!(c.validate().is_ok() && c.enabled());
    assert_eq!(c.fsync, FsyncPolicy::EveryMs);
    let none = JournalConfig { dir: "none".into(), ..c.clone() };
    assert!(!none.enabled());
    for bad in [
        JournalConfig { fsync_every_ms: 0, ..c.clone() },
        JournalConfig { segment_bytes: 100, ..c.clone() },
        JournalConfig { retain_bytes: 1, ..c.clone() },
        JournalConfig { dir: "".into(), ..c.clone() },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
    }
    let parsed: JournalConfig = toml::from_str("fsync = 'always'\ndir = 'none'").unwrap();
    assert_eq!((parsed.fsync, parsed.enabled()), (FsyncPolicy::Always, false));
    assert!(toml::from_str::<JournalConfig>("fsync = 'sometimes'").is_err());
}

#[cfg(feature = "tools")]
#[test]
fn human_and_json_lines_show_every_field() {
    let want = [
        r#"2026-01-27T18:05:30.000000001Z SIGNAL id=1 source=publisher:sc-es "LONG|MES|1|ID:1\n""#,
        r#"SIGNAL id=18446744073709551615 source=pipe """#,
        r#"SIGNAL id=7 source=cli "FLATTEN|ALL|0\r\n""#,
        r#"SIGNAL id=8 source=ops "\x00\xff|""#,
        r#"SIGNAL id=9 source=dtc:es "SHORT|ES|2""#,
        r#"REFUSED source=pipe reason=BAD_SYMBOL "LONG|M$S|1""#,
        "CONNECTED receiver=NT-1 peer=10.0.0.7:50123 accounts=20",
        "DISCONNECTED receiver=NT-2 peer=[::1]:5000 accounts=0",
        "CONNECTED receiver= peer=- accounts=4294967295",
        "SUMMARY receiver=NT-1 id=42 accounts=20 qty=40 pnl=-1234.50",
        "KILL_SWITCH armed=true by=ops:alice",
        "KILL_SWITCH armed=false by=",
        "EPOCH epoch=3",
    ];
    for (rec, want) in samples().iter().zip(want) {
        let e = Entry { offset: 48, wall_ns: 1_769_537_130_000_000_001, record: *rec };
        let mut line = String::new();
        cli::human_line(&e, &mut line);
        assert!(line.ends_with(want), "{line}\nwanted …{want}");
        assert!(line.starts_with("2026-01-27T18:05:30.000000001Z "), "{line}");
        let v: serde_json::Value = serde_json::from_str(&cli::json_line(&e)).unwrap();
        assert_eq!((v["kind"].as_str(), v["offset"].as_u64()), (Some(rec.kind().name()), Some(48)));
    }
    assert_eq!(cli::iso_ns(-1), "1969-12-31T23:59:59.999999999Z");
    let e = Entry { offset: 0, wall_ns: 0, record: samples()[3] };
    let v: serde_json::Value = serde_json::from_str(&cli::json_line(&e)).unwrap();
    assert_eq!(v["hex"], "00ff7c", "non-UTF-8 bytes are also given in hex");
}
