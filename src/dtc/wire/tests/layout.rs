//! The message table against the newest DTC header: sizes, offsets, bytes, shorter and longer sizes.

use super::{header, le, sample};
use crate::dtc::types::MESSAGE_TABLE;
use crate::dtc::*;

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
        (307, 104), (308, 104), (400, 8), (401, 52), (500, 8), (501, 76), (506, 88), (507, 432),
        (509, 104), (600, 416), (601, 40), (602, 104), (603, 48), (604, 104), (606, 232),
        (700, 262), (701, 132), (702, 164),
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
fn encoding_request_bytes_match_the_protocol_example() {
    let m = Message::from(EncodingRequest { encoding: 2, ..Default::default() });
    let mut out = Vec::new();
    binary::encode(&m, &mut out);
    assert_eq!(out, [0x10, 0, 6, 0, 8, 0, 0, 0, 2, 0, 0, 0, b'D', b'T', b'C', 0]);
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
    single_order_bytes();
    oco_order_bytes();
    trade_account_response_bytes();
    order_update_bytes();
}

/// SUBMIT_NEW_SINGLE_ORDER: every set field at its offset, the rest zero, total 304.
fn single_order_bytes() {
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
}

/// SUBMIT_NEW_OCO_ORDER: a few fields at their computed offsets, total 448.
fn oco_order_bytes() {
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
}

/// TRADE_ACCOUNT_RESPONSE: RequestID after the account, at 44; TradingIsDisabled appended.
fn trade_account_response_bytes() {
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
}

/// ORDER_UPDATE: a few fields at their offsets.
fn order_update_bytes() {
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
