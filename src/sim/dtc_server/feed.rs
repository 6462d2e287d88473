//! The simulator's market-data feed: random-walk updates in every variant, depth snapshots.

use super::conn::{now_s, Conn, Io};
use super::state::SimState;
use crate::dtc::messages::*;
use crate::dtc::types::consts::*;
use crate::dtc::Message;
use std::io;

impl Conn {
    /// One market-data round: every subscription gets one update, cycling through the variants.
    pub(super) fn tick(&mut self) -> io::Result<()> {
        self.tick_n += 1;
        let t = now_s();
        let mut msgs = Vec::new();
        // Types a JSON WebSocket client generated from the 2020 header cannot parse.
        let all_variants = self.args.ws_all_variants || !matches!(self.io, Io::Ws(_));
        {
            let Ok(mut st) = self.state.lock() else {
                return Err(io::Error::other("state poisoned"));
            };
            for sub in &self.subs {
                let vol = st.step(sub.sym);
                let s = &st.symbols[sub.sym];
                let (bid, ask) = s.bid_ask();
                let (wl, wb, wa) = (s.wire(s.last), s.wire(bid), s.wire(ask));
                if sub.depth {
                    msgs.push(
                        MarketDepthUpdateLevel {
                            symbol_id: sub.id,
                            side: AT_BID,
                            price: wb,
                            quantity: 10.0 + vol,
                            update_type: DEPTH_INSERT_UPDATE,
                            date_time: t,
                            num_orders: 3,
                            ..Default::default()
                        }
                        .into(),
                    );
                    continue;
                }
                let id = sub.id;
                msgs.push(update(self.tick_n, id, t, (wl, wb, wa), vol, all_variants));
                if self.tick_n % 16 == 0 {
                    msgs.extend(session_stats(id, s));
                }
            }
            let mut fills = st.match_resting(t);
            if self.args.order_prices_scaled {
                fills.iter_mut().for_each(|m| st.trading_to_wire(m));
            }
            msgs.extend(fills);
        }
        self.send_all(msgs)
    }
}

/// Round `tick_n`'s update for one subscription: trades on even rounds, quotes on odd ones,
/// cycling through every variant (full, compact, unbundled or float with microseconds, no
/// timestamp); a JSON WebSocket client of the 2020 header gets only those it can parse unless
/// `all_variants`.
fn update(
    tick_n: u64,
    id: u32,
    t: f64,
    (wl, wb, wa): (f64, f64, f64),
    vol: f64,
    all_variants: bool,
) -> Message {
    if tick_n % 2 == 0 {
        trade(tick_n % 8, id, t, wl, vol, all_variants)
    } else {
        quote(tick_n % 8, id, t, (wb, wa), all_variants)
    }
}

fn trade(round: u64, id: u32, t: f64, wl: f64, vol: f64, all_variants: bool) -> Message {
    match round {
        0 => MarketDataUpdateTrade {
            symbol_id: id,
            at_bid_or_ask: AT_ASK,
            price: wl,
            volume: vol,
            date_time: t,
        }
        .into(),
        2 => MarketDataUpdateTradeCompact {
            price: wl as f32,
            volume: vol as f32,
            date_time: t as u32,
            symbol_id: id,
            at_bid_or_ask: AT_BID,
        }
        .into(),
        4 if !all_variants => MarketDataUpdateTradeWithUnbundledIndicator {
            symbol_id: id,
            at_bid_or_ask: 2,
            price: wl,
            volume: vol as u32,
            date_time: t,
            ..Default::default()
        }
        .into(),
        4 => MarketDataUpdateTradeWithUnbundledIndicator2 {
            symbol_id: id,
            price: wl as f32,
            volume: vol as u32,
            date_time: (t * 1e6) as i64,
            at_bid_or_ask: 2,
            ..Default::default()
        }
        .into(),
        _ => MarketDataUpdateTradeNoTimestamp {
            symbol_id: id,
            price: wl as f32,
            volume: vol as u32,
            at_bid_or_ask: 1,
            ..Default::default()
        }
        .into(),
    }
}

fn quote(round: u64, id: u32, t: f64, (wb, wa): (f64, f64), all_variants: bool) -> Message {
    match round {
        1 => MarketDataUpdateBidAsk {
            symbol_id: id,
            bid_price: wb,
            bid_quantity: 10.0,
            ask_price: wa,
            ask_quantity: 12.0,
            date_time: t as u32,
        }
        .into(),
        3 => MarketDataUpdateBidAskCompact {
            bid_price: wb as f32,
            bid_quantity: 11.0,
            ask_price: wa as f32,
            ask_quantity: 13.0,
            date_time: t as u32,
            symbol_id: id,
        }
        .into(),
        7 if !all_variants => MarketDataUpdateBidAsk {
            symbol_id: id,
            bid_price: wb,
            bid_quantity: 7.0,
            ask_price: wa,
            ask_quantity: 6.0,
            date_time: t as u32,
        }
        .into(),
        5 => MarketDataUpdateBidAskFloatWithMicroseconds {
            symbol_id: id,
            bid_price: wb as f32,
            bid_quantity: 9.0,
            ask_price: wa as f32,
            ask_quantity: 8.0,
            date_time: (t * 1e6) as i64,
        }
        .into(),
        _ => MarketDataUpdateBidAskNoTimestamp {
            symbol_id: id,
            bid_price: wb as f32,
            bid_quantity: 7,
            ask_price: wa as f32,
            ask_quantity: 6,
        }
        .into(),
    }
}

/// The session high, low and volume of one symbol (every 16th round).
fn session_stats(id: u32, s: &super::state::SimSymbol) -> [Message; 3] {
    [
        MarketDataUpdateSessionHigh {
            symbol_id: id,
            price: s.wire(s.high),
            trading_session_date: 0,
        }
        .into(),
        MarketDataUpdateSessionLow { symbol_id: id, price: s.wire(s.low), trading_session_date: 0 }
            .into(),
        MarketDataUpdateSessionVolume { symbol_id: id, volume: s.volume, ..Default::default() }
            .into(),
    ]
}

pub(super) fn depth_snapshot(st: &SimState, i: usize, id: u32, levels: i32) -> Vec<Message> {
    let s = &st.symbols[i];
    let (bid, ask) = s.bid_ask();
    let mut out = Vec::new();
    let total = levels * 2;
    let mut k = 0;
    for (side, base, dir) in [(AT_BID, bid, -1.0), (AT_ASK, ask, 1.0)] {
        for lvl in 0..levels {
            k += 1;
            out.push(
                MarketDepthSnapshotLevel {
                    symbol_id: id,
                    side,
                    price: s.wire(base + dir * s.tick * lvl as f64),
                    quantity: 10.0 + lvl as f64,
                    level: lvl as u16 + 1,
                    is_first_message_in_batch: (k == 1) as u8,
                    is_last_message_in_batch: (k == total) as u8,
                    date_time: now_s(),
                    num_orders: 2,
                }
                .into(),
            );
        }
    }
    out
}
