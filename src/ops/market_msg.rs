//! The market-data WebSocket's JSON messages, with python-ws-dtc-client's names and order.

use super::snapshot::QuoteRow;
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct Answer<'a> {
    pub(super) action: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) symbol: Option<&'a str>,
    pub(super) success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reason: Option<&'a str>,
}

/// MARKET_DATA_SNAPSHOT as python-ws-dtc-client shows it (its field order: alphabetical).
#[allow(non_snake_case)]
#[derive(Serialize)]
pub(super) struct Snapshot104<'a> {
    pub(super) AskPrice: f64,
    pub(super) AskQuantity: f64,
    pub(super) BidAskDateTime: f64,
    pub(super) BidPrice: f64,
    pub(super) BidQuantity: f64,
    pub(super) LastTradeDateTime: f64,
    pub(super) LastTradePrice: f64,
    pub(super) LastTradeVolume: f64,
    pub(super) MarketDepthUpdateDateTime: f64,
    pub(super) OpenInterest: u32,
    pub(super) SessionHighPrice: f64,
    pub(super) SessionLowPrice: f64,
    pub(super) SessionNumTrades: u32,
    pub(super) SessionOpenPrice: f64,
    pub(super) SessionSettlementDateTime: u32,
    pub(super) SessionSettlementPrice: f64,
    pub(super) SessionVolume: f64,
    pub(super) Symbol: &'a str,
    pub(super) SymbolID: u32,
    pub(super) TradingSessionDate: u32,
    pub(super) TradingStatus: u8,
    pub(super) Type: u16,
}

#[allow(non_snake_case)]
#[derive(Serialize)]
pub(super) struct BidAsk108<'a> {
    pub(super) Type: u16,
    pub(super) Symbol: &'a str,
    pub(super) SymbolID: u32,
    pub(super) BidPrice: f64,
    pub(super) BidQuantity: f64,
    pub(super) AskPrice: f64,
    pub(super) AskQuantity: f64,
    pub(super) DateTime: f64,
}

#[allow(non_snake_case)]
#[derive(Serialize)]
pub(super) struct Trade107<'a> {
    pub(super) Type: u16,
    pub(super) Symbol: &'a str,
    pub(super) SymbolID: u32,
    pub(super) AtBidOrAsk: u8,
    pub(super) Price: f64,
    pub(super) Volume: f64,
    pub(super) DateTime: f64,
}

/// NaN (unknown) as 0, as Sierra Chart sends unset values.
pub(super) fn z(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

pub(super) fn secs(ts_ns: i64) -> f64 {
    (ts_ns / 1_000_000) as f64 / 1e3
}

pub(super) fn snapshot_104<'a>(q: Option<&QuoteRow>, symbol: &'a str, id: u32) -> Snapshot104<'a> {
    let d = QuoteRow::default();
    let q = q.unwrap_or(&d);
    let s = q.session.unwrap_or_default();
    let ts = if q.ts_ns > 0 { secs(q.ts_ns) } else { 0.0 };
    Snapshot104 {
        AskPrice: z(q.ask),
        AskQuantity: z(q.ask_size),
        BidAskDateTime: ts,
        BidPrice: z(q.bid),
        BidQuantity: z(q.bid_size),
        LastTradeDateTime: ts,
        LastTradePrice: z(q.last),
        LastTradeVolume: z(q.volume),
        MarketDepthUpdateDateTime: 0.0,
        OpenInterest: 0,
        SessionHighPrice: z(s.high.unwrap_or(0.0)),
        SessionLowPrice: z(s.low.unwrap_or(0.0)),
        SessionNumTrades: 0,
        SessionOpenPrice: z(s.open.unwrap_or(0.0)),
        SessionSettlementDateTime: 0,
        SessionSettlementPrice: z(s.settlement.unwrap_or(0.0)),
        SessionVolume: z(s.volume.unwrap_or(0.0)),
        Symbol: symbol,
        SymbolID: id,
        TradingSessionDate: 0,
        // TRADING_STATUS_OPEN while the feed is live, UNKNOWN when stale or never seen.
        TradingStatus: if q.updates > 0 && !q.stale { 2 } else { 0 },
        Type: 104,
    }
}

/// MARKET_DATA_UPDATE_BID_ASK for `q`, under the symbol the client subscribed with.
pub(super) fn bid_ask_108(q: &QuoteRow, symbol: &str, id: u32, dt: f64) -> String {
    let m = BidAsk108 {
        Type: 108,
        Symbol: symbol,
        SymbolID: id,
        BidPrice: z(q.bid),
        BidQuantity: z(q.bid_size),
        AskPrice: z(q.ask),
        AskQuantity: z(q.ask_size),
        DateTime: dt,
    };
    serde_json::to_string(&m).unwrap_or_default()
}

/// MARKET_DATA_UPDATE_TRADE for `q`: at the ask (2) or the bid (1) when the last price is
/// there, else undetermined (0).
pub(super) fn trade_107(q: &QuoteRow, symbol: &str, id: u32, dt: f64) -> String {
    let side = if q.last >= q.ask {
        2
    } else if q.last <= q.bid {
        1
    } else {
        0
    };
    let m = Trade107 {
        Type: 107,
        Symbol: symbol,
        SymbolID: id,
        AtBidOrAsk: side,
        Price: z(q.last),
        Volume: z(q.volume),
        DateTime: dt,
    };
    serde_json::to_string(&m).unwrap_or_default()
}
