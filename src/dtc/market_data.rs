//! Market data as pure effects: what one decoded message does to a symbol's quote, depth or session.

use super::health::DtcStats;
use super::messages::*;
use super::symbols::{PriceScale, SessionStats, SymbolInfo, SymbolTable};
use super::types::consts::DEPTH_DELETE;
use crate::market::{Feed, MarketState, TickUpdate};
use std::time::Instant;

/// `FinalUpdateInBatchEnum::TRUE`: the last message of a batch.
const FINAL_UPDATE_TRUE: u8 = 1;
/// `FinalUpdateInBatchEnum::BEGIN_BATCH`: the first message of a batch.
const FINAL_UPDATE_BEGIN_BATCH: u8 = 3;
const NS_PER_S: f64 = 1e9;

/// The quote fields one message sets, in display units (`None`: absent or unset).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QuoteFields {
    /// Last trade price.
    pub last: Option<f64>,
    /// Best bid.
    pub bid: Option<f64>,
    /// Best ask.
    pub ask: Option<f64>,
    /// Last trade volume.
    pub volume: Option<f64>,
    /// Bid size.
    pub bid_size: Option<f64>,
    /// Ask size.
    pub ask_size: Option<f64>,
    /// Source time, Unix ns (0 = none).
    pub ts_ns: i64,
}

impl QuoteFields {
    /// The market-state update for `symbol`.
    pub fn tick<'a>(&self, symbol: &'a str) -> TickUpdate<'a> {
        TickUpdate {
            symbol,
            last: self.last,
            bid: self.bid,
            ask: self.ask,
            volume: self.volume,
            bid_size: self.bid_size,
            ask_size: self.ask_size,
            ts_ns: self.ts_ns,
            seq: None,
        }
    }

    /// Sierra Chart's JSON encodings send unset fields as 0, so there a zero
    /// price or size means "not set"; binary marks unset with DBL_MAX/FLT_MAX instead (handled
    /// by [`px64`]/[`px32`]). `None` when nothing is left (counted, not applied).
    fn zero_is_unset(mut self) -> Option<QuoteFields> {
        let nz = |v: Option<f64>| v.filter(|&x| x != 0.0);
        self.bid = nz(self.bid);
        self.ask = nz(self.ask);
        self.last = nz(self.last);
        self.volume = nz(self.volume);
        self.bid_size = nz(self.bid_size).filter(|_| self.bid.is_some());
        self.ask_size = nz(self.ask_size).filter(|_| self.ask.is_some());
        (self.bid.is_some() || self.ask.is_some() || self.last.is_some()).then_some(self)
    }
}

/// One session statistic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionField {
    /// Session open.
    Open,
    /// Session high.
    High,
    /// Session low.
    Low,
    /// Settlement.
    Settlement,
    /// Session volume.
    Volume,
}

/// Whether a depth-snapshot level starts a new book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepthClear {
    /// It continues the current batch.
    No,
    /// It is the first level of a batch.
    Yes,
    /// Only if the previous batch was closed (servers that never send BEGIN_BATCH).
    IfBatchClosed,
}

/// What one market-data message does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MdEffect {
    /// A quote update; `None` when every field was unset (JSON zeros).
    Quote(Option<QuoteFields>),
    /// MARKET_DATA_SNAPSHOT: a quote and the session statistics.
    Snapshot {
        /// The quote part (`None` as in [`MdEffect::Quote`]).
        quote: Option<QuoteFields>,
        /// Session open/high/low/settlement/volume.
        session: SessionStats,
    },
    /// One level of a depth snapshot.
    DepthSnapshot {
        /// `AT_BID` or `AT_ASK`.
        side: u16,
        /// Display price.
        price: f64,
        /// Quantity.
        qty: f64,
        /// Whether it replaces the book.
        clear: DepthClear,
        /// The last level of the batch.
        ends_batch: bool,
    },
    /// One incremental depth update.
    Depth {
        /// `AT_BID` or `AT_ASK`.
        side: u16,
        /// Display price.
        price: f64,
        /// Quantity.
        qty: f64,
        /// Remove the level.
        delete: bool,
    },
    /// One session statistic (`None`: unset).
    Session(SessionField, Option<f64>),
}

/// A double price to display units; DBL_MAX and non-finite are unset.
#[inline]
fn px64(v: f64, k: PriceScale) -> Option<f64> {
    (v != f64::MAX && v.is_finite()).then(|| k.display(v))
}

/// A float price to display units; FLT_MAX and non-finite are unset.
#[inline]
fn px32(v: f32, k: PriceScale) -> Option<f64> {
    (v != f32::MAX && v.is_finite()).then(|| k.display(v as f64))
}

/// A double quantity; DBL_MAX and non-finite are unset.
#[inline]
fn qty64(v: f64) -> Option<f64> {
    (v != f64::MAX && v.is_finite()).then_some(v)
}

/// A bid/ask pair: sizes only where the price is set.
#[inline]
fn bid_ask(
    bid: Option<f64>,
    bid_qty: f64,
    ask: Option<f64>,
    ask_qty: f64,
    ts_ns: i64,
) -> QuoteFields {
    QuoteFields {
        bid,
        ask,
        bid_size: bid.map(|_| bid_qty),
        ask_size: ask.map(|_| ask_qty),
        ts_ns,
        ..Default::default()
    }
}

/// A trade.
#[inline]
fn trade(last: Option<f64>, volume: Option<f64>, ts_ns: i64) -> QuoteFields {
    QuoteFields { last, volume, ts_ns, ..Default::default() }
}

/// The effect of `m` on its symbol (`k`: the symbol's scale; `zero_unset`: a JSON encoding).
/// `None` for messages that are not market data. Pure and allocation-free.
pub fn effect(m: &Message, k: PriceScale, zero_unset: bool) -> Option<MdEffect> {
    let q = match m {
        Message::MarketDataSnapshot(x) => return Some(snapshot(x, k, zero_unset)),
        Message::MarketDataUpdateTrade(x) => {
            trade(px64(x.price, k), qty64(x.volume), (x.date_time * NS_PER_S) as i64)
        }
        Message::MarketDataUpdateTradeCompact(x) => {
            trade(px32(x.price, k), Some(x.volume as f64), x.date_time as i64 * 1_000_000_000)
        }
        Message::MarketDataUpdateTradeWithUnbundledIndicator(x) => {
            trade(px64(x.price, k), Some(x.volume as f64), (x.date_time * NS_PER_S) as i64)
        }
        Message::MarketDataUpdateTradeWithUnbundledIndicator2(x) => {
            trade(px32(x.price, k), Some(x.volume as f64), x.date_time.saturating_mul(1000))
        }
        Message::MarketDataUpdateTradeNoTimestamp(x) => {
            trade(px32(x.price, k), Some(x.volume as f64), 0)
        }
        Message::MarketDataUpdateLastTradeSnapshot(x) => trade(
            px64(x.last_trade_price, k),
            qty64(x.last_trade_volume),
            (x.last_trade_date_time * NS_PER_S) as i64,
        ),
        Message::MarketDataUpdateBidAsk(x) => bid_ask(
            px64(x.bid_price, k),
            x.bid_quantity as f64,
            px64(x.ask_price, k),
            x.ask_quantity as f64,
            x.date_time as i64 * 1_000_000_000,
        ),
        Message::MarketDataUpdateBidAskCompact(x) => bid_ask(
            px32(x.bid_price, k),
            x.bid_quantity as f64,
            px32(x.ask_price, k),
            x.ask_quantity as f64,
            x.date_time as i64 * 1_000_000_000,
        ),
        Message::MarketDataUpdateBidAskNoTimestamp(x) => bid_ask(
            px32(x.bid_price, k),
            x.bid_quantity as f64,
            px32(x.ask_price, k),
            x.ask_quantity as f64,
            0,
        ),
        Message::MarketDataUpdateBidAskFloatWithMicroseconds(x) => bid_ask(
            px32(x.bid_price, k),
            x.bid_quantity as f64,
            px32(x.ask_price, k),
            x.ask_quantity as f64,
            x.date_time.saturating_mul(1000),
        ),
        other => return depth_or_session(other, k),
    };
    Some(MdEffect::Quote(if zero_unset { q.zero_is_unset() } else { Some(q) }))
}

fn snapshot(x: &MarketDataSnapshot, k: PriceScale, z: bool) -> MdEffect {
    let q = QuoteFields {
        bid: px64(x.bid_price, k),
        ask: px64(x.ask_price, k),
        last: px64(x.last_trade_price, k),
        volume: qty64(x.last_trade_volume),
        bid_size: qty64(x.bid_quantity),
        ask_size: qty64(x.ask_quantity),
        ts_ns: 0,
    };
    let nz = |v: Option<f64>| v.filter(|&p| !(z && p == 0.0));
    let session = SessionStats {
        open: nz(px64(x.session_open_price, k)),
        high: nz(px64(x.session_high_price, k)),
        low: nz(px64(x.session_low_price, k)),
        settlement: nz(px64(x.session_settlement_price, k)),
        volume: nz(qty64(x.session_volume)),
    };
    MdEffect::Snapshot { quote: if z { q.zero_is_unset() } else { Some(q) }, session }
}

fn depth_or_session(m: &Message, k: PriceScale) -> Option<MdEffect> {
    let depth = |side: u16, price: f64, qty: f64, delete: bool| MdEffect::Depth {
        side,
        price: k.display(price),
        qty,
        delete,
    };
    Some(match m {
        Message::MarketDepthSnapshotLevel(x) => MdEffect::DepthSnapshot {
            side: x.side,
            price: k.display(x.price),
            qty: x.quantity,
            clear: if x.is_first_message_in_batch != 0 { DepthClear::Yes } else { DepthClear::No },
            ends_batch: x.is_last_message_in_batch != 0,
        },
        // A snapshot replaces the book: at BEGIN_BATCH, or at the first level after a batch
        // ended with FinalUpdateInBatch TRUE (servers that never send BEGIN_BATCH).
        Message::MarketDepthSnapshotLevelFloat(x) => MdEffect::DepthSnapshot {
            side: x.side as u16,
            price: k.display(x.price as f64),
            qty: x.quantity as f64,
            clear: if x.final_update_in_batch == FINAL_UPDATE_BEGIN_BATCH {
                DepthClear::Yes
            } else {
                DepthClear::IfBatchClosed
            },
            ends_batch: x.final_update_in_batch == FINAL_UPDATE_TRUE,
        },
        Message::MarketDepthUpdateLevel(x) => {
            depth(x.side, x.price, x.quantity, x.update_type == DEPTH_DELETE)
        }
        Message::MarketDepthUpdateLevelFloatWithMilliseconds(x) => {
            depth(x.side as u16, x.price as f64, x.quantity as f64, x.update_type == DEPTH_DELETE)
        }
        Message::MarketDepthUpdateLevelNoTimestamp(x) => depth(
            x.side as u16,
            x.price as f64,
            x.quantity as f64,
            x.update_type as u8 == DEPTH_DELETE,
        ),
        Message::MarketDataUpdateSessionOpen(x) => {
            MdEffect::Session(SessionField::Open, px64(x.price, k))
        }
        Message::MarketDataUpdateSessionHigh(x) => {
            MdEffect::Session(SessionField::High, px64(x.price, k))
        }
        Message::MarketDataUpdateSessionLow(x) => {
            MdEffect::Session(SessionField::Low, px64(x.price, k))
        }
        Message::MarketDataUpdateSessionSettlement(x) => {
            MdEffect::Session(SessionField::Settlement, px64(x.price, k))
        }
        Message::MarketDataUpdateSessionVolume(x) => {
            MdEffect::Session(SessionField::Volume, qty64(x.volume))
        }
        _ => return None,
    })
}

/// Applies `e` to symbol `s` (its depth book and session stats) and to the market state.
/// Returns true when the market state was updated. No allocation.
pub(crate) fn apply(
    s: &mut SymbolInfo,
    e: MdEffect,
    market: &mut MarketState,
    now: Instant,
) -> bool {
    let quote = match e {
        MdEffect::Quote(q) => q,
        MdEffect::Snapshot { quote, session } => {
            s.session = session;
            quote
        }
        MdEffect::DepthSnapshot { side, price, qty, clear, ends_batch } => {
            if clear == DepthClear::Yes
                || (clear == DepthClear::IfBatchClosed && !s.depth_batch_open)
            {
                s.depth.clear();
            }
            s.depth_batch_open = !ends_batch;
            s.depth.update(side, price, qty, false);
            s.updates += 1;
            return false;
        }
        MdEffect::Depth { side, price, qty, delete } => {
            s.depth.update(side, price, qty, delete);
            s.updates += 1;
            return false;
        }
        MdEffect::Session(f, v) => {
            let st = &mut s.session;
            match f {
                SessionField::Open => st.open = v,
                SessionField::High => st.high = v,
                SessionField::Low => st.low = v,
                SessionField::Settlement => st.settlement = v,
                SessionField::Volume => st.volume = v,
            }
            return false;
        }
    };
    s.updates += 1;
    match quote {
        Some(q) => {
            market.apply(&q.tick(&s.market_name), Feed::Dtc, now);
            true
        }
        None => false,
    }
}

/// Handles a message that may be market data for one of `symbols` (counted in `stats`).
pub(crate) fn handle(
    m: &Message,
    symbols: &mut SymbolTable,
    zero_unset: bool,
    market: &mut MarketState,
    now: Instant,
    stats: &mut DtcStats,
    label: &str,
) {
    let Some(id) = m.symbol_id() else {
        log::debug!("{label}: {} ignored", m.name());
        return;
    };
    let Some(s) = symbols.by_id(id) else {
        // Market data for a SymbolID we never asked for.
        if effect(m, PriceScale::default(), zero_unset).is_some() {
            stats.bad += 1;
        }
        return;
    };
    match effect(m, s.scale, zero_unset) {
        Some(e) => {
            if apply(s, e, market, now) {
                stats.market_data += 1;
            }
        }
        None => log::debug!("{label}: {} ignored", m.name()),
    }
}

#[cfg(test)]
#[path = "market_data_tests.rs"]
mod tests;
