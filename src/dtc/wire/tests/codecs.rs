//! Round trips in every encoding, Sierra Chart's JSON and compact variants, hostile input.

use super::{all_codecs, sample};
use crate::dtc::types::DecodeError;
use crate::dtc::*;

#[test]
fn round_trip_every_message_in_every_encoding() {
    for &t in Message::TYPES {
        let m = sample(t);
        for c in all_codecs() {
            let mut out = Vec::new();
            c.encode(&m, &mut out, true);
            let (len, consumed) = c.next_frame(&out).unwrap().unwrap();
            assert_eq!(consumed, out.len());
            let back = c.decode(&out[..len]).unwrap_or_else(|e| panic!("{t} {c:?}: {e}"));
            assert_eq!(back, m, "type {t} via {c:?}: {}", String::from_utf8_lossy(&out));
        }
        // Defaults (DBL_MAX sentinels) survive too.
        let d = Message::empty(t).unwrap();
        for c in all_codecs() {
            let mut out = Vec::new();
            c.encode(&d, &mut out, false);
            assert_eq!(c.decode(&out).unwrap(), d, "default {t} via {c:?}");
        }
    }
}

#[test]
fn sierra_compact_order_for_112_and_117() {
    let Message::MarketDataUpdateTradeCompact(t) =
        compact::decode(br#"{"Type":112,"F":[7,1,4500.25,2,1700000000]}"#, true).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (t.symbol_id, t.at_bid_or_ask, t.price, t.volume, t.date_time),
        (7, 1, 4500.25, 2.0, 1_700_000_000)
    );
    let Message::MarketDataUpdateBidAskCompact(b) =
        compact::decode(br#"{"Type":117,"F":[9,1.5,10,1.75,11,1700000000]}"#, true).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (b.symbol_id, b.bid_price, b.ask_quantity, b.date_time),
        (9, 1.5, 11.0, 1_700_000_000)
    );
    let mut out = Vec::new();
    compact::encode(&Message::from(b), &mut out, true);
    assert_eq!(out, br#"{"Type":117,"F":[9,1.5,10,1.75,11,1700000000]}"#);
    out.clear();
    compact::encode(&Message::from(b), &mut out, false);
    assert_eq!(out, br#"{"Type":117,"F":[1.5,10,1.75,11,1700000000,9]}"#);
}

#[test]
fn json_accepts_sierra_style_input() {
    // Keys in any order (python-ws sorts them), floats for integer fields, unknown keys.
    let m = json::decode(br#"{"CurrentDateTime": 1587847557.25, "NumDroppedMessages": 0, "Extra": [1,{"a":2}], "Type": 3}"#)
        .unwrap();
    assert_eq!(
        m,
        Message::from(Heartbeat { num_dropped_messages: 0, current_date_time: 1_587_847_557 })
    );
    let m = json::decode(
        br#"{"Type":507,"Symbol":"ESM20_FUT_CME","DisplayPriceMultiplier":0.009999999776482582}"#,
    )
    .unwrap();
    let Message::SecurityDefinitionResponse(s) = m else { panic!() };
    assert_eq!(s.display_price_multiplier, 0.01f32);
    assert_eq!(s.symbol.as_str(), "ESM20_FUT_CME");
    let mut out = Vec::new();
    json::encode(
        &Message::from(Heartbeat { num_dropped_messages: 1, current_date_time: 2 }),
        &mut out,
    );
    assert_eq!(out, br#"{"Type":3,"NumDroppedMessages":1,"CurrentDateTime":2}"#);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    assert_eq!(binary::decode(&[1, 0]), Err(DecodeError::Truncated));
    assert_eq!(binary::decode(&[2, 0, 3, 0]), Err(DecodeError::SizeTooSmall(2)));
    assert_eq!(
        binary::decode(&[8, 0, 0x0f, 0x27, 0, 0, 0, 0]),
        Err(DecodeError::UnknownType(9999))
    );
    assert_eq!(binary::decode(&[16, 0, 3, 0, 0]), Err(DecodeError::Truncated));
    assert_eq!(framing::binary_frame(&[3, 0, 3, 0], 65535), Err(DecodeError::SizeTooSmall(3)));
    assert_eq!(framing::binary_frame(&[0, 4, 3, 0], 512), Err(DecodeError::TooLong(1024)));
    assert_eq!(framing::binary_frame(&[16, 0, 3], 65535), Ok(None));
    let big = 20_000u16.to_le_bytes();
    let mut small = Codec::new(Encoding::Binary, false);
    small.max_binary = 16 * 1024;
    assert_eq!(small.next_frame(&[big[0], big[1], 3, 0]), Ok(None), "waits for the frame");
    let mut frame = vec![0u8; 20_000];
    frame[..4].copy_from_slice(&[big[0], big[1], 0x0f, 0x27]);
    frame.extend([8, 0, 3, 0, 0, 0, 0, 0]);
    assert_eq!(small.next_frame(&frame), Ok(Some((0, 20_000))), "over the cap: skipped");
    let dflt = Codec::new(Encoding::Binary, false);
    assert_eq!(dflt.next_frame(&frame), Ok(Some((20_000, 20_000))), "default: up to 65535");
    assert_eq!(dflt.decode(&frame[..20_000]), Err(DecodeError::UnknownType(9999)));
    let max = [0xff, 0xff, 3, 0];
    assert_eq!(dflt.next_frame(&max), Ok(None));
    assert!(matches!(framing::json_frame(&[b'{'; 70_000], 1 << 20), Err(DecodeError::TooLong(_))));
    assert_eq!(framing::json_frame(b"{}\0{", 100), Ok(Some((2, 3))));

    let cases: &[(&[u8], DecodeError)] = &[
        (b"{\"Type\":3", DecodeError::InvalidJson),
        (b"[3]", DecodeError::NotAnObject),
        (b"{\"F\":[1]}", DecodeError::MissingType),
        (b"{\"Type\":\"3\"}", DecodeError::MissingType),
        (b"{\"Type\":4242}", DecodeError::UnknownType(4242)),
        (
            b"{\"Type\":3,\"NumDroppedMessages\":\"x\"}",
            DecodeError::WrongFieldType("NumDroppedMessages"),
        ),
        (
            b"{\"Type\":3,\"NumDroppedMessages\":-1}",
            DecodeError::WrongFieldType("NumDroppedMessages"),
        ),
        (b"{\"Type\":103,\"RejectText\":5}", DecodeError::WrongFieldType("RejectText")),
        (b"{\"Type\":3,\"F\":{}}", DecodeError::WrongFieldType("F")),
        (b"{\"Type\":3,\"F\":[[1]]}", DecodeError::WrongFieldType("F")),
        (b"{\"Type\":3,\"F\":[\"x\"]}", DecodeError::WrongFieldType("NumDroppedMessages")),
        (b"\xff\xfe", DecodeError::NotAnObject),
    ];
    for (input, want) in cases {
        assert_eq!(
            json::decode_any(input, false),
            Err(*want),
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let seeds: Vec<Vec<u8>> = Message::TYPES
        .iter()
        .flat_map(|&t| {
            all_codecs().into_iter().map(move |c| {
                let mut out = Vec::new();
                c.encode(&sample(t), &mut out, false);
                out
            })
        })
        .collect();
    for i in 0..20_000 {
        let mut b = seeds[i % seeds.len()].clone();
        let flips = 1 + (next() % 4) as usize;
        for _ in 0..flips {
            let n = b.len().max(1);
            let p = (next() as usize) % n;
            if p < b.len() {
                b[p] = next() as u8;
            }
        }
        if next() % 3 == 0 {
            let cut = (next() as usize) % (b.len() + 1);
            b.truncate(cut);
        }
        let _ = binary::decode(&b);
        let _ = json::decode_any(&b, next() % 2 == 0);
        let _ = framing::binary_frame(&b, 65535);
        let _ = framing::json_frame(&b, 65535);
    }
}
