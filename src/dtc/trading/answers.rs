//! Trading replies from the server: account, position, fill and order answers into the book.

use super::{from_wire, reject, Trading};
use crate::dtc::events::{DtcEvent, Fill};
use crate::dtc::messages::*;
use crate::dtc::orders::{is_refusal, ClientOrderId, OrderStatus};
use crate::dtc::symbols::SymbolTable;
use crate::dtc::types::consts::*;
use std::collections::VecDeque;
use std::time::Instant;

impl Trading {
    /// Handles a trading reply; false when `m` is not one.
    pub(crate) fn handle(
        &mut self,
        m: &Message,
        symbols: &SymbolTable,
        now: Instant,
        events: &mut VecDeque<DtcEvent>,
        label: &str,
    ) -> bool {
        let rq = &mut self.requests;
        match m {
            Message::TradeAccountResponse(a) => {
                self.book.on_account(a.trade_account.as_str());
                rq.answered(a.request_id, a.message_number >= a.total_number_messages);
            }
            Message::AccountBalanceUpdate(b) => {
                self.book.on_balance(b);
                let last =
                    b.no_account_balances != 0 || b.message_number >= b.total_number_messages;
                rq.answered(b.request_id, last);
            }
            Message::PositionUpdate(p) => {
                let mut p = **p;
                let k = self.scale(symbols, p.symbol.as_str());
                from_wire(&mut p.average_price, k);
                from_wire(&mut p.high_price_during_position, k);
                from_wire(&mut p.low_price_during_position, k);
                self.book.on_position(&p);
                let last = p.no_positions != 0 || p.message_number >= p.total_number_messages;
                self.requests.answered(p.request_id, last);
            }
            Message::OrderUpdate(u) => self.on_order(u, symbols, now, events, label),
            Message::HistoricalOrderFillResponse(f) => {
                let mut f = **f;
                let k = self.scale(symbols, f.symbol.as_str());
                from_wire(&mut f.price, k);
                from_wire(&mut f.high_price_during_position, k);
                from_wire(&mut f.low_price_during_position, k);
                self.book.on_fill(&f);
                let last = f.no_order_fills != 0 || f.message_number >= f.total_number_messages;
                self.requests.answered(f.request_id, last);
            }
            Message::AccountBalanceReject(r) => {
                reject(rq, label, "account balance", r.request_id, &r.reject_text)
            }
            Message::CurrentPositionsReject(r) => {
                reject(rq, label, "positions", r.request_id, &r.reject_text)
            }
            Message::OpenOrdersReject(r) => {
                reject(rq, label, "open orders", r.request_id, &r.reject_text)
            }
            Message::HistoricalOrderFillsReject(r) => {
                reject(rq, label, "order fills", r.request_id, &r.reject_text)
            }
            _ => return false,
        }
        if self.book.dropped() > self.dropped_seen && self.drop_log.open(now).is_some() {
            self.dropped_seen = self.book.dropped();
            log::warn!(
                "{label}: trading book full: {} updates not kept ({} orders kept; finished orders make room first)",
                self.dropped_seen,
                self.book.order_count()
            );
        }
        true
    }

    fn on_order(
        &mut self,
        u: &OrderUpdate,
        symbols: &SymbolTable,
        now: Instant,
        events: &mut VecDeque<DtcEvent>,
        label: &str,
    ) {
        let mut u = *u;
        let refused = is_refusal(u.order_update_reason);
        if refused {
            log::warn!("{label}: order {} rejected: {:?}", u.client_order_id, u.info_text.as_str());
        }
        let k = self.scale(symbols, u.symbol.as_str());
        for p in [&mut u.price1, &mut u.price2, &mut u.average_fill_price, &mut u.last_fill_price] {
            from_wire(p, k);
        }
        self.book.on_order(&u);
        let last = u.no_orders != 0 || u.message_number >= u.total_num_messages;
        self.requests.answered(u.request_id, last);
        if u.no_orders != 0 || u.client_order_id.is_empty() {
            return;
        }
        let cid = ClientOrderId::from_wire(u.client_order_id);
        let first_update_after = self
            .pending
            .iter()
            .position(|p| p.cid == cid)
            .map(|i| now.saturating_duration_since(self.pending.swap_remove(i).sent_at));
        let status = OrderStatus::from_code(u.order_status);
        events.push_back(DtcEvent::Order {
            cid,
            status,
            refused,
            text: u.info_text,
            first_update_after,
        });
        let filled = matches!(u.order_update_reason, OUR_ORDER_FILLED | OUR_ORDER_FILLED_PARTIALLY);
        if filled && u.last_fill_quantity > 0.0 && u.last_fill_quantity != f64::MAX {
            events.push_back(DtcEvent::Fill(Fill {
                cid,
                account: u.trade_account,
                symbol: u.symbol,
                buy: u.buy_sell == BUY,
                qty: u.last_fill_quantity,
                price: u.last_fill_price,
            }));
        }
    }
}
