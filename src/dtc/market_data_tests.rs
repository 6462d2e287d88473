//! Tests of the pure market-data mapping: one effect per message type, unset values, sizes.

use super::*;

#[test]
fn one_mapping_for_every_market_data_type() {
    let k = PriceScale::new(0.01);
    let t = MarketDataUpdateTrade {
        symbol_id: 3,
        price: 450_025.0,
        volume: 2.0,
        date_time: 1.5,
        ..Default::default()
    };
    let m = Message::from(t);
    assert_eq!(m.symbol_id(), Some(3));
    let Some(MdEffect::Quote(Some(q))) = effect(&m, k, false) else { panic!() };
    assert_eq!((q.last, q.volume, q.ts_ns), (Some(4500.25), Some(2.0), 1_500_000_000));
    let ba = MarketDataUpdateBidAsk {
        bid_price: f64::MAX,
        ask_price: 100.0,
        ask_quantity: 3.0,
        ..Default::default()
    };
    let Some(MdEffect::Quote(Some(q))) = effect(&ba.into(), k, false) else { panic!() };
    assert_eq!((q.bid, q.bid_size, q.ask, q.ask_size), (None, None, Some(1.0), Some(3.0)));
    let zeros = MarketDataUpdateTrade { price: 0.0, volume: 0.0, ..Default::default() };
    assert_eq!(effect(&zeros.into(), k, true), Some(MdEffect::Quote(None)), "JSON zeros unset");
    let hi = MarketDataUpdateSessionHigh { price: 200.0, ..Default::default() };
    assert_eq!(
        effect(&hi.into(), k, false),
        Some(MdEffect::Session(SessionField::High, Some(2.0)))
    );
    let acc = Message::from(TradeAccountsRequest { request_id: 1 });
    assert_eq!((acc.symbol_id(), effect(&acc, k, false)), (None, None));
    let status = Message::from(MarketDataFeedSymbolStatus { symbol_id: 4, status: 2 });
    assert_eq!((status.symbol_id(), effect(&status, k, false)), (Some(4), None));
}

#[test]
fn a_decoded_message_is_a_small_value() {
    // Large trading/session structs are boxed: a trade no longer moves 720 bytes.
    let largest_md = std::mem::size_of::<MarketDataSnapshot>();
    assert!(std::mem::size_of::<Message>() <= largest_md + 8, "{}", std::mem::size_of::<Message>());
}
