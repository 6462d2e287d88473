//! Codec tests: round trips in every encoding, byte layouts of the DTC header, bad input.

mod header;

use super::types::{DecodeError, MESSAGE_TABLE};
use super::wire::jsonlex::JVal;
use super::*;

/// A message of type `ty` with every field set to a distinct non-default value.
fn sample(ty: u16) -> Message {
    let mut m = Message::empty(ty).unwrap();
    for pos in 0..m.field_count() {
        let num = format!("{}.5", pos + 2);
        let text = format!("v{pos}\"\\é");
        if m.set_pos(pos, &JVal::Num(&num)).is_err() {
            m.set_pos(pos, &JVal::Str(text.as_bytes())).unwrap();
        }
    }
    m
}

fn all_codecs() -> Vec<Codec> {
    vec![
        Codec::new(Encoding::Binary, false),
        Codec::new(Encoding::Json, false),
        Codec::new(Encoding::JsonCompact, false),
        Codec::new(Encoding::JsonCompact, true),
    ]
}

#[test]
fn message_table_is_sorted_and_named() {
    assert!(MESSAGE_TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    for &t in Message::TYPES {
        assert_ne!(types::message_name(t), "UNKNOWN", "type {t}");
    }
    assert_eq!(types::message_name(301), "ORDER_UPDATE");
    assert_eq!(types::message_name(9999), "UNKNOWN");
}

#[test]
fn layouts_fit_and_do_not_overlap() {
    for &t in Message::TYPES {
        let (size, layout) = Message::layout(t);
        let mut end = 4;
        for &(name, off, width) in layout {
            assert!(off >= end, "type {t} field {name} overlaps");
            end = off + width;
        }
        assert!(end <= size, "type {t} exceeds sizeof {size}");
    }
}

#[test]
fn every_message_has_the_newest_header_layout() {
    // The table's sizeof and every field (name, offset, width, in order) against the header's.
    for &t in Message::TYPES {
        let (size, layout) = Message::layout(t);
        let Some(&(_, name, hsize, hfields)) = header::HEADER.iter().find(|h| h.0 == t) else {
            panic!("type {t} is not in the newest header");
        };
        assert_eq!(size, hsize, "{name} ({t}): sizeof");
        for (i, h) in hfields.iter().enumerate() {
            assert_eq!(layout.get(i), Some(h), "{name} ({t}): field {i}");
        }
        assert_eq!(layout.len(), hfields.len(), "{name} ({t}): fields past the header's");
    }
}

#[test]
fn header_sizes_of_the_messages_we_implement() {
    // Spelled out, so a change to the table shows in review as a change to this list.
    #[rustfmt::skip]
    let want: &[(u16, usize)] = &[
        (1, 284), (2, 256), (3, 16), (5, 102), (6, 16), (7, 16), (100, 8), (101, 96), (102, 96),
        (103, 104), (104, 144), (106, 56), (107, 40), (108, 40), (112, 24), (113, 24), (114, 24),
        (115, 24), (116, 12), (117, 28), (119, 24), (120, 24), (121, 104), (122, 56), (124, 16),
        (134, 32), (135, 16), (136, 12), (137, 40), (138, 12), (140, 31), (141, 23), (142, 19),
        (143, 24), (144, 32), (145, 24), (146, 27), (201, 448), (203, 100), (204, 192), (208, 304),
        (300, 76), (301, 720), (302, 104), (303, 88), (304, 480), (305, 40), (306, 240),
        (307, 104), (308, 104), (400, 8), (401, 52), (506, 88), (507, 432), (509, 104), (600, 416),
        (601, 40), (602, 104), (700, 262), (701, 132), (702, 164),
    ];
    for &(t, size) in want {
        let hsize = header::HEADER.iter().find(|h| h.0 == t).map(|h| h.2);
        assert_eq!(hsize, Some(size), "type {t}: the header's sizeof");
        if Message::TYPES.contains(&t) {
            assert_eq!(Message::layout(t).0, size, "type {t}: our SIZE");
        }
    }
    for &t in Message::TYPES {
        assert!(want.iter().any(|w| w.0 == t), "type {t} missing from this list");
    }
}

#[test]
fn older_shorter_messages_decode_with_defaults_past_size() {
    // An older server's struct ends earlier: cut every message before each of its fields.
    for &t in Message::TYPES {
        let (full, layout) = Message::layout(t);
        let (mut s, mut d) = (Vec::new(), Vec::new());
        binary::encode(&sample(t), &mut s);
        binary::encode(&Message::empty(t).unwrap(), &mut d);
        for &(name, off, _) in layout {
            let mut short = s[..off].to_vec();
            short[0..2].copy_from_slice(&(off as u16).to_le_bytes());
            // What it must equal: the sample's bytes up to `off`, defaults after.
            let mut want = s[..off].to_vec();
            want.extend_from_slice(&d[off..full]);
            want[0..2].copy_from_slice(&(full as u16).to_le_bytes());
            assert_eq!(
                binary::decode(&short).unwrap(),
                binary::decode(&want).unwrap(),
                "type {t} cut before {name} (Size {off})"
            );
        }
    }
    // The structs the newest header grew, at their older sizes.
    let o = SubmitNewSingleOrder {
        quantity: 3.0,
        price2_as_string: "1.5".into(),
        intended_position_quantity: 7.0,
        ..Default::default()
    };
    let mut out = Vec::new();
    binary::encode(&o.into(), &mut out);
    out.truncate(296);
    out[0..2].copy_from_slice(&296u16.to_le_bytes());
    let Message::SubmitNewSingleOrder(b) = binary::decode(&out).unwrap() else { panic!() };
    assert_eq!((b.quantity, b.price2_as_string.as_str()), (3.0, "1.5"));
    assert_eq!(b.intended_position_quantity, 0.0, "past Size: default");
    let r = TradeAccountResponse { request_id: 4, trading_is_disabled: 1, ..Default::default() };
    let mut out = Vec::new();
    binary::encode(&r.into(), &mut out);
    out.truncate(48);
    out[0..2].copy_from_slice(&48u16.to_le_bytes());
    let Message::TradeAccountResponse(b) = binary::decode(&out).unwrap() else { panic!() };
    assert_eq!((b.request_id, b.trading_is_disabled), (4, 0));
}

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
fn encoding_request_bytes_match_the_protocol_example() {
    let m = Message::from(EncodingRequest { encoding: 2, ..Default::default() });
    let mut out = Vec::new();
    binary::encode(&m, &mut out);
    assert_eq!(out, [0x10, 0, 6, 0, 8, 0, 0, 0, 2, 0, 0, 0, b'D', b'T', b'C', 0]);
}

fn le(buf: &mut [u8], off: usize, b: &[u8]) {
    buf[off..off + b.len()].copy_from_slice(b);
}

#[test]
fn trade_and_bid_ask_bytes_match_offsets() {
    let mut b = vec![0u8; 40];
    le(&mut b, 0, &40u16.to_le_bytes());
    le(&mut b, 2, &107u16.to_le_bytes());
    le(&mut b, 4, &7u32.to_le_bytes());
    le(&mut b, 8, &2u16.to_le_bytes());
    le(&mut b, 16, &4500.25f64.to_le_bytes());
    le(&mut b, 24, &3.0f64.to_le_bytes());
    le(&mut b, 32, &1_700_000_000.5f64.to_le_bytes());
    let m = MarketDataUpdateTrade {
        symbol_id: 7,
        at_bid_or_ask: 2,
        price: 4500.25,
        volume: 3.0,
        date_time: 1_700_000_000.5,
    };
    assert_eq!(binary::decode(&b).unwrap(), Message::from(m));
    let mut out = Vec::new();
    binary::encode(&m.into(), &mut out);
    assert_eq!(out, b);

    // 117: SymbolID last in the binary struct.
    let mut b = vec![0u8; 28];
    le(&mut b, 0, &28u16.to_le_bytes());
    le(&mut b, 2, &117u16.to_le_bytes());
    le(&mut b, 4, &1.5f32.to_le_bytes());
    le(&mut b, 8, &10f32.to_le_bytes());
    le(&mut b, 12, &1.75f32.to_le_bytes());
    le(&mut b, 16, &11f32.to_le_bytes());
    le(&mut b, 20, &1_700_000_000u32.to_le_bytes());
    le(&mut b, 24, &9u32.to_le_bytes());
    let m = MarketDataUpdateBidAskCompact {
        bid_price: 1.5,
        bid_quantity: 10.0,
        ask_price: 1.75,
        ask_quantity: 11.0,
        date_time: 1_700_000_000,
        symbol_id: 9,
    };
    let mut out = Vec::new();
    binary::encode(&m.into(), &mut out);
    assert_eq!(out, b);

    // 140: pack(1), 31 bytes.
    let mut b = vec![0u8; 31];
    le(&mut b, 0, &31u16.to_le_bytes());
    le(&mut b, 2, &140u16.to_le_bytes());
    le(&mut b, 4, &3u32.to_le_bytes());
    le(&mut b, 8, &1_700_000_000_123i64.to_le_bytes());
    le(&mut b, 16, &99.5f32.to_le_bytes());
    le(&mut b, 20, &4f32.to_le_bytes());
    b[24] = 1;
    b[25] = 2;
    le(&mut b, 26, &5u16.to_le_bytes());
    b[28] = 1;
    le(&mut b, 29, &6u16.to_le_bytes());
    let m = MarketDepthUpdateLevelFloatWithMilliseconds {
        symbol_id: 3,
        date_time: 1_700_000_000_123,
        price: 99.5,
        quantity: 4.0,
        side: 1,
        update_type: 2,
        num_orders: 5,
        final_update_in_batch: 1,
        level: 6,
    };
    assert_eq!(binary::decode(&b).unwrap(), Message::from(m));
    let mut out = Vec::new();
    binary::encode(&m.into(), &mut out);
    assert_eq!(out, b);
}

#[test]
fn order_messages_bytes_match_offsets() {
    let o = SubmitNewSingleOrder {
        symbol: "ESZ6".into(),
        trade_account: "Sim1".into(),
        client_order_id: "c-1".into(),
        order_type: 2,
        buy_sell: 1,
        price1: 4500.25,
        quantity: 2.0,
        time_in_force: 1,
        is_automated_order: 1,
        price1_as_string: "4500.25".into(),
        intended_position_quantity: -1.0,
        ..Default::default()
    };
    let mut out = Vec::new();
    binary::encode(&o.into(), &mut out);
    let mut b = vec![0u8; 304];
    le(&mut b, 0, &304u16.to_le_bytes());
    le(&mut b, 2, &208u16.to_le_bytes());
    le(&mut b, 4, b"ESZ6");
    le(&mut b, 84, b"Sim1");
    le(&mut b, 116, b"c-1");
    le(&mut b, 148, &2i32.to_le_bytes());
    le(&mut b, 152, &1i32.to_le_bytes());
    le(&mut b, 160, &4500.25f64.to_le_bytes());
    le(&mut b, 176, &2.0f64.to_le_bytes());
    le(&mut b, 184, &1i32.to_le_bytes());
    b[200] = 1;
    le(&mut b, 264, b"4500.25");
    le(&mut b, 296, &(-1.0f64).to_le_bytes());
    assert_eq!(out, b);

    // SUBMIT_NEW_OCO_ORDER: a few fields at their computed offsets, total 448.
    let oco = SubmitNewOcoOrder {
        price1_1: 1.5,
        quantity_2: 2.0,
        good_till_date_time: 7,
        parent_trigger_client_order_id: "P".into(),
        offset_from_parent1: 3.0,
        price2_2_as_string: "9".into(),
        ..Default::default()
    };
    let mut out = Vec::new();
    binary::encode(&oco.into(), &mut out);
    assert_eq!(out.len(), 448);
    assert_eq!(&out[128..136], &1.5f64.to_le_bytes());
    assert_eq!(&out[208..216], &2.0f64.to_le_bytes());
    assert_eq!(&out[224..232], &7i64.to_le_bytes());
    assert_eq!(out[265], b'P');
    assert_eq!(&out[360..368], &3.0f64.to_le_bytes());
    assert_eq!(out[425], b'9');

    // TRADE_ACCOUNT_RESPONSE: RequestID after the account, at 44; TradingIsDisabled appended.
    let mut out = Vec::new();
    let r = TradeAccountResponse {
        total_number_messages: 2,
        message_number: 1,
        trade_account: "Sim1".into(),
        request_id: 5,
        trading_is_disabled: 1,
    };
    binary::encode(&r.into(), &mut out);
    assert_eq!(out.len(), 52);
    assert_eq!(&out[44..48], &5i32.to_le_bytes());
    assert_eq!(&out[48..52], &1i32.to_le_bytes());
    assert_eq!(&out[12..16], b"Sim1");

    // ORDER_UPDATE: a few fields at their offsets.
    let u = OrderUpdate {
        server_order_id: "S9".into(),
        order_status: 7,
        average_fill_price: 12.5,
        trade_account: "Sim1".into(),
        username: "me".into(),
        ..Default::default()
    };
    let mut out = Vec::new();
    binary::encode(&u.into(), &mut out);
    assert_eq!(out.len(), 720);
    assert_eq!(&out[128..130], b"S9");
    assert_eq!(&out[224..228], &7i32.to_le_bytes());
    assert_eq!(&out[296..304], &12.5f64.to_le_bytes());
    assert_eq!(&out[240..248], &f64::MAX.to_le_bytes(), "unset Price1 = DBL_MAX");
    assert_eq!(&out[392..396], b"Sim1");
    assert_eq!(&out[688..690], b"me");
}

#[test]
fn shorter_and_longer_sizes_decode() {
    // Older LOGON_REQUEST (280 B): MarketDataTransmissionInterval takes its default.
    let m = LogonRequest {
        heartbeat_interval_in_seconds: 10,
        market_data_transmission_interval: 5,
        ..Default::default()
    };
    let mut out = Vec::new();
    binary::encode(&m.into(), &mut out);
    out.truncate(280);
    out[0..2].copy_from_slice(&280u16.to_le_bytes());
    let Message::LogonRequest(back) = binary::decode(&out).unwrap() else { panic!() };
    assert_eq!(back.heartbeat_interval_in_seconds, 10);
    assert_eq!(back.market_data_transmission_interval, 0);

    // SC's 62-byte HeartbeatExtended: extra bytes ignored, framing advances by Size.
    let mut hb = vec![0u8; 62];
    hb[0..2].copy_from_slice(&62u16.to_le_bytes());
    hb[2..4].copy_from_slice(&3u16.to_le_bytes());
    hb[8..16].copy_from_slice(&1_700_000_000i64.to_le_bytes());
    hb.extend_from_slice(&[16, 0, 3, 0]);
    assert_eq!(framing::binary_frame(&hb, 65535).unwrap(), Some(62));
    let Message::Heartbeat(h) = binary::decode(&hb[..62]).unwrap() else { panic!() };
    assert_eq!(h.current_date_time, 1_700_000_000);

    // Older ORDER_UPDATE (688 B) keeps its fields and defaults Username.
    let u = OrderUpdate { order_status: 4, username: "x".into(), ..Default::default() };
    let mut out = Vec::new();
    binary::encode(&u.into(), &mut out);
    out.truncate(688);
    out[0..2].copy_from_slice(&688u16.to_le_bytes());
    let Message::OrderUpdate(b) = binary::decode(&out).unwrap() else { panic!() };
    assert_eq!(b.order_status, 4);
    assert!(b.username.is_empty());

    // A string cut by Size keeps its prefix.
    let r = MarketDataReject { symbol_id: 1, reject_text: "no CME data".into() };
    let mut out = Vec::new();
    binary::encode(&r.into(), &mut out);
    out.truncate(14);
    out[0..2].copy_from_slice(&14u16.to_le_bytes());
    let Message::MarketDataReject(b) = binary::decode(&out).unwrap() else { panic!() };
    assert_eq!(b.reject_text.as_str(), "no CME");

    // Short and long compact F arrays.
    let Message::LogonResponse(l) = compact::decode(br#"{"Type":2,"F":[8,1]}"#, false).unwrap()
    else {
        panic!()
    };
    assert_eq!((l.result, l.market_data_supported), (1, 1));
    let long = br#"{"Type":3,"F":[1,1700000000,5,6,"x"]}"#;
    assert!(matches!(compact::decode(long, false).unwrap(), Message::Heartbeat(_)));
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

#[test]
fn config_sections_parse_and_mask() {
    let c = crate::config::Config::from_toml(
        r#"
[dtc.es]
addr = "127.0.0.1:11099"
encoding = "compact"
symbols = ["ESZ6_FUT_CME"]
market_symbols = { ESZ6_FUT_CME = "ES" }
username = "me"
password = "secret"

[dtc.nq]
addr = "127.0.0.1:11100"
transport = "ws"
password_env = "NQ_PW"
"#,
    )
    .unwrap();
    assert_eq!(c.dtc.len(), 2);
    let es = &c.dtc["es"];
    assert_eq!(es.market_symbols["ESZ6_FUT_CME"], "ES");
    assert!(!format!("{es:?}").contains("secret"), "Debug masks the password");
    assert!(!c.to_masked_toml().contains("secret"));
    assert_eq!(c.dtc["nq"].heartbeat_s, 10);
    assert!(crate::config::Config::from_toml("[dtc.x]\nbogus = 1\n").is_err());
}

#[test]
fn config_validate_rejects_unusable_sections() {
    let ok = DtcConfig::default();
    assert!(ok.validate().is_ok());
    let bad = |f: &dyn Fn(&mut DtcConfig)| {
        let mut c = DtcConfig::default();
        f(&mut c);
        c.validate().unwrap_err()
    };
    assert!(bad(&|c| c.addr = "localhost:11099".into()).contains("IP:port"));
    assert!(bad(&|c| c.addr = "127.0.0.1".into()).contains("IP:port"));
    assert!(bad(&|c| c.encoding = "protobuf".into()).contains("encoding"));
    assert!(bad(&|c| c.transport = "udp".into()).contains("transport"));
    assert!(bad(&|c| c.heartbeat_s = 0).contains("heartbeat"));
    assert!(bad(&|c| {
        c.reconnect_min_ms = 5000;
        c.reconnect_max_ms = 100;
    })
    .contains("reconnect"));
    assert!(bad(&|c| c.max_binary_message = 63).contains("max_binary"));
    assert!(bad(&|c| c.max_binary_message = 65536).contains("max_binary"));
    let mut v6 = DtcConfig { addr: "[::1]:11099".into(), ..Default::default() };
    v6.max_binary_message = 65535;
    assert!(v6.validate().is_ok());
}

#[test]
fn debug_output_masks_the_logon_password() {
    let r = LogonRequest {
        username: "me".into(),
        password: "hunter2secret".into(),
        ..Default::default()
    };
    let s = format!("{r:?}");
    assert!(!s.contains("hunter2secret") && s.contains("me"), "{s}");
    let m = Message::from(r);
    assert!(!format!("{m:?}").contains("hunter2secret"));
    assert!(!format!("{m:#?}").contains("hunter2secret"));
}

#[test]
fn read_budget_yields_and_the_timeout_path_reads_the_rest() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    const N: usize = 5000;
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else { return };
        let mut h = [0u8; 4];
        let mut skip = |s: &mut std::net::TcpStream| {
            let _ = s.read_exact(&mut h);
            let mut rest = vec![0u8; (u16::from_le_bytes([h[0], h[1]]) as usize).saturating_sub(4)];
            let _ = s.read_exact(&mut rest);
        };
        skip(&mut s);
        let mut out = Vec::new();
        binary::encode(&EncodingResponse { encoding: 0, ..Default::default() }.into(), &mut out);
        let _ = s.write_all(&out);
        skip(&mut s);
        out.clear();
        binary::encode(&LogonResponse { result: 1, ..Default::default() }.into(), &mut out);
        // One burst, then silence: only the timeout path can finish reading it.
        for i in 0..N {
            let t = MarketDataUpdateTrade {
                symbol_id: 1,
                price: 1.0 + i as f64,
                volume: 1.0,
                ..Default::default()
            };
            binary::encode(&t.into(), &mut out);
        }
        let _ = s.write_all(&out);
        std::thread::sleep(std::time::Duration::from_secs(5));
    });
    let conf = DtcConfig {
        addr: addr.to_string(),
        symbols: vec!["X".into()],
        trading: false,
        ..Default::default()
    };
    let mut cfg = crate::config::Config::default();
    cfg.engine.pin = crate::config::Pin::None;
    cfg.dtc.insert("budget".into(), conf);
    let mut engine = crate::engine::Engine::without_v9(&cfg).unwrap();
    engine.endpoints_mut().dtc_mut("budget").unwrap().set_read_budget(4096);
    let handle = engine.handle();
    let thread = std::thread::spawn(move || engine.run());
    let wait = std::time::Duration::from_secs(4);
    let until = std::time::Instant::now() + wait;
    let last = || handle.call(|_, c| c.market.get("X").map(|q| q.last), wait).ok().flatten();
    while last() != Some(N as f64) && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let got = last();
    handle.stop();
    let _ = thread.join();
    assert_eq!(got, Some(N as f64), "all {N} trades handled");
}

#[test]
fn engine_config_validation_names_the_dtc_section() {
    let mut c = crate::config::Config::default();
    c.dtc.insert(
        "es".into(),
        DtcConfig { addr: "sc.example.com:11099".into(), ..Default::default() },
    );
    let e = c.validate().unwrap_err();
    assert!(e.starts_with("dtc.es: ") && e.contains("IP:port"), "{e}");
    c.dtc.insert("es".into(), DtcConfig::default());
    assert!(c.validate().is_ok());
}

#[test]
fn unset_to_zero_clears_only_the_markers() {
    let mut m =
        Message::from(MarketDataSnapshot { symbol_id: 7, bid_price: 1.5, ..Default::default() });
    m.unset_to_zero();
    let Message::MarketDataSnapshot(s) = m else { panic!() };
    assert_eq!((s.symbol_id, s.bid_price), (7, 1.5), "set fields kept");
    assert_eq!((s.session_settlement_price, s.session_num_trades, s.ask_quantity), (0.0, 0, 0.0));
    let mut m = Message::from(MarketDataUpdateBidAskCompact::default());
    m.unset_to_zero();
    let Message::MarketDataUpdateBidAskCompact(b) = m else { panic!() };
    assert_eq!((b.bid_price, b.ask_price), (0.0, 0.0), "FLT_MAX");
    let mut out = Vec::new();
    let mut u =
        Message::from(OrderUpdate { price1: f64::MAX, order_quantity: 2.0, ..Default::default() });
    u.unset_to_zero();
    json::encode(&u, &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(r#""Price1":0,"#) && text.contains(r#""OrderQuantity":2,"#), "{text}");
    assert!(!text.contains("e308"), "{text}");
}

#[test]
fn an_unset_password_env_fails_at_start_naming_the_variable() {
    let var = "V9B_TEST_DTC_PASSWORD_NEVER_SET";
    let cfg = DtcConfig { password_env: Some(var.into()), ..Default::default() };
    let e = DtcEndpoint::new("es", &cfg).unwrap_err();
    assert_eq!(e, StartError::PasswordEnvUnset(var.into()));
    assert!(e.to_string().contains(var), "{e}");
    let mut c = crate::config::Config::default();
    c.dtc.insert("es".into(), cfg);
    let e = crate::engine::Engine::without_v9(&c).expect_err("refused at start").to_string();
    assert!(e.contains("dtc.es") && e.contains(var), "{e}");
    // No password_env: the plain password (or none) is used.
    let plain = DtcConfig { password: Some("p".into()), ..Default::default() };
    assert_eq!(plain.resolve_password(), Ok(Some("p".into())));
}
