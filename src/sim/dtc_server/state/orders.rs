//! The simulated exchange's order handling: submit (single, OCO, bracket), fills, cancel, replace.

use super::accounts::position_update;
use super::{SimOrder, SimState};
use crate::dtc::messages::*;
use crate::dtc::types::consts::*;

impl SimState {
    /// OCO: a filled order cancels its sibling; bracket: a filled parent activates its children.
    fn after_fill(&mut self, idx: usize, now_s: f64) -> Vec<Message> {
        let mut out = Vec::new();
        let (sibling, cid) = (self.orders[idx].sibling.clone(), self.orders[idx].client_id.clone());
        for o in self.orders.iter_mut() {
            let live = o.status == ORDER_STATUS_OPEN || o.status == ORDER_STATUS_PENDING_CHILD;
            if live && !sibling.is_empty() && o.server_id == sibling {
                o.status = ORDER_STATUS_CANCELED;
                out.push(order_update(o, OUR_ORDER_CANCELED, "OCO sibling filled", now_s).into());
            } else if o.status == ORDER_STATUS_PENDING_CHILD && !cid.is_empty() && o.parent == cid {
                o.status = ORDER_STATUS_OPEN;
                out.push(order_update(o, OUR_GENERAL_ORDER_UPDATE, "parent filled", now_s).into());
            }
        }
        out
    }

    /// Accepts an OCO pair (a bracket when it names a parent); rejects both on bad input.
    pub(crate) fn submit_oco(&mut self, o: &SubmitNewOcoOrder, now_s: f64) -> Vec<Message> {
        let account = if o.trade_account.is_empty() {
            self.accounts[0].clone()
        } else {
            o.trade_account.as_str().to_string()
        };
        let parent = o.parent_trigger_client_order_id.as_str().to_string();
        let parent_state = self
            .orders
            .iter()
            .find(|x| !parent.is_empty() && x.client_id == parent)
            .map(|x| x.status);
        let status = match parent_state {
            Some(ORDER_STATUS_FILLED) | None => ORDER_STATUS_OPEN,
            Some(_) => ORDER_STATUS_PENDING_CHILD,
        };
        let orders = self.oco_orders(o, &account, &parent, status);
        let reject = self.oco_reject(o, &account, &parent, parent_state, &orders);
        let mut out = Vec::new();
        for mut x in orders {
            if let Some(why) = reject {
                x.status = ORDER_STATUS_REJECTED;
                out.push(order_update(&x, OUR_NEW_ORDER_REJECTED, why, now_s).into());
            } else {
                out.push(order_update(&x, OUR_NEW_ORDER_ACCEPTED, "", now_s).into());
                self.orders.push(x);
            }
        }
        out
    }

    /// Both legs of an OCO pair as orders, each naming the other as its sibling.
    fn oco_orders(
        &mut self,
        o: &SubmitNewOcoOrder,
        account: &str,
        parent: &str,
        status: i32,
    ) -> Vec<SimOrder> {
        let legs = [
            (
                o.client_order_id_1,
                o.order_type_1,
                o.buy_sell_1,
                o.price1_1,
                o.price2_1,
                o.quantity_1,
            ),
            (
                o.client_order_id_2,
                o.order_type_2,
                o.buy_sell_2,
                o.price1_2,
                o.price2_2,
                o.quantity_2,
            ),
        ];
        let ids = [self.new_server_id(), self.new_server_id()];
        let mut orders: Vec<SimOrder> = legs
            .iter()
            .zip(ids.iter())
            .map(|(l, id)| SimOrder {
                server_id: id.clone(),
                client_id: l.0.as_str().to_string(),
                account: account.to_string(),
                symbol: o.symbol.as_str().to_string(),
                order_type: l.1,
                buy_sell: l.2,
                price1: l.3,
                price2: l.4,
                qty: l.5,
                filled: 0.0,
                avg: 0.0,
                status,
                tif: o.time_in_force,
                parent: parent.to_string(),
                sibling: String::new(),
            })
            .collect();
        orders[0].sibling = ids[1].clone();
        orders[1].sibling = ids[0].clone();
        orders
    }

    /// Why an OCO pair is refused as a whole, if it is.
    fn oco_reject(
        &self,
        o: &SubmitNewOcoOrder,
        account: &str,
        parent: &str,
        parent_state: Option<i32>,
        orders: &[SimOrder],
    ) -> Option<&'static str> {
        if !self.accounts.iter().any(|a| a == account) {
            Some("unknown trade account")
        } else if self.symbol_index(o.symbol.as_str()).is_none() {
            Some("unknown symbol")
        } else if !parent.is_empty() && parent_state.is_none() {
            Some("unknown parent order")
        } else if orders.iter().any(|x| {
            x.qty <= 0.0
                || !x.qty.is_finite()
                || !matches!(
                    x.order_type,
                    ORDER_TYPE_LIMIT | ORDER_TYPE_STOP | ORDER_TYPE_STOP_LIMIT
                )
        }) {
            Some("OCO legs must be limit/stop orders with a positive quantity")
        } else {
            None
        }
    }

    fn new_server_id(&mut self) -> String {
        let id = format!("S{}", self.next_order);
        self.next_order += 1;
        id
    }

    /// Accepts or rejects a new order; market orders fill at once. Returns the updates to send.
    pub(crate) fn submit(&mut self, o: &SubmitNewSingleOrder, now_s: f64) -> Vec<Message> {
        let mut out = Vec::new();
        let account = if o.trade_account.is_empty() {
            self.accounts[0].clone()
        } else {
            o.trade_account.as_str().to_string()
        };
        let server_id = self.new_server_id();
        let mut order = SimOrder {
            server_id,
            client_id: o.client_order_id.as_str().to_string(),
            account,
            symbol: o.symbol.as_str().to_string(),
            order_type: o.order_type,
            buy_sell: o.buy_sell,
            price1: o.price1,
            price2: o.price2,
            qty: o.quantity,
            filled: 0.0,
            avg: 0.0,
            status: ORDER_STATUS_OPEN,
            tif: o.time_in_force,
            parent: String::new(),
            sibling: String::new(),
        };
        let reject = if !self.accounts.contains(&order.account) {
            Some("unknown trade account")
        } else if self.symbol_index(&order.symbol).is_none() {
            Some("unknown symbol")
        } else if order.qty.is_nan() || order.qty <= 0.0 || !order.qty.is_finite() {
            Some("quantity must be positive")
        } else if order.buy_sell != BUY && order.buy_sell != SELL {
            Some("BuySell must be 1 or 2")
        } else if !matches!(
            order.order_type,
            ORDER_TYPE_MARKET | ORDER_TYPE_LIMIT | ORDER_TYPE_STOP | ORDER_TYPE_STOP_LIMIT
        ) {
            Some("unsupported order type")
        } else if self
            .orders
            .iter()
            .any(|x| x.client_id == order.client_id && !order.client_id.is_empty())
        {
            Some("duplicate ClientOrderID")
        } else {
            None
        };
        if let Some(why) = reject {
            order.status = ORDER_STATUS_REJECTED;
            out.push(order_update(&order, OUR_NEW_ORDER_REJECTED, why, now_s).into());
            return out;
        }
        out.push(order_update(&order, OUR_NEW_ORDER_ACCEPTED, "", now_s).into());
        self.orders.push(order);
        let idx = self.orders.len() - 1;
        if self.orders[idx].order_type == ORDER_TYPE_MARKET {
            out.extend(self.fill(idx, None, now_s));
        }
        out
    }

    /// Fills order `idx` completely at the market (or `px`), moving the position.
    fn fill(&mut self, idx: usize, px: Option<f64>, now_s: f64) -> Vec<Message> {
        let Some(si) = self.symbol_index(&self.orders[idx].symbol) else { return Vec::new() };
        let (bid, ask) = self.symbols[si].bid_ask();
        let o = &mut self.orders[idx];
        let price = px.unwrap_or(if o.buy_sell == BUY { ask } else { bid });
        let qty = o.qty - o.filled;
        o.filled = o.qty;
        o.avg = price;
        o.status = ORDER_STATUS_FILLED;
        let mut u = order_update(o, OUR_ORDER_FILLED, "", now_s);
        u.last_fill_price = price;
        u.last_fill_quantity = qty;
        u.last_fill_date_time = (now_s * 1000.0) as i64;
        u.last_fill_execution_id =
            format!("E{}-{}", o.server_id, self.fills.len() + 1).as_str().into();
        let signed = if o.buy_sell == BUY { qty } else { -qty };
        let key = (o.account.clone(), o.symbol.clone());
        let fill = HistoricalOrderFillResponse {
            symbol: o.symbol.as_str().into(),
            server_order_id: o.server_id.as_str().into(),
            buy_sell: o.buy_sell,
            price,
            date_time: now_s as i64,
            quantity: qty,
            unique_execution_id: u.last_fill_execution_id,
            trade_account: o.account.as_str().into(),
            ..Default::default()
        };
        self.fills.push(fill);
        let pos = self.positions.entry(key.clone()).or_insert((0.0, 0.0));
        let new_q = pos.0 + signed;
        pos.1 = if new_q == 0.0 {
            0.0
        } else if pos.0 == 0.0 || pos.0.signum() != new_q.signum() {
            price
        } else if pos.0.signum() == signed.signum() {
            (pos.0 * pos.1 + signed * price) / new_q
        } else {
            pos.1
        };
        pos.0 = new_q;
        let p = position_update(&key.0, &key.1, *pos, 0, 1, 1, 1);
        let mut out: Vec<Message> = vec![u.into(), p.into()];
        out.extend(self.after_fill(idx, now_s));
        out
    }

    /// Fills resting orders whose trigger the market crossed.
    pub(crate) fn match_resting(&mut self, now_s: f64) -> Vec<Message> {
        let mut out = Vec::new();
        for idx in 0..self.orders.len() {
            let o = &self.orders[idx];
            if o.status != ORDER_STATUS_OPEN || o.order_type == ORDER_TYPE_MARKET {
                continue;
            }
            let Some(si) = self.symbol_index(&o.symbol) else { continue };
            let (bid, ask) = self.symbols[si].bid_ask();
            let buy = o.buy_sell == BUY;
            let hit = match o.order_type {
                ORDER_TYPE_LIMIT => (buy && ask <= o.price1) || (!buy && bid >= o.price1),
                _ => (buy && ask >= o.price1) || (!buy && bid <= o.price1),
            };
            if hit {
                let px = (o.order_type == ORDER_TYPE_LIMIT).then_some(o.price1);
                out.extend(self.fill(idx, px, now_s));
            }
        }
        out
    }

    fn find(&self, server_id: &str, client_id: &str) -> Option<usize> {
        self.orders.iter().position(|o| {
            (!server_id.is_empty() && o.server_id == server_id)
                || (!client_id.is_empty() && o.client_id == client_id)
        })
    }

    pub(crate) fn cancel(&mut self, c: &CancelOrder, now_s: f64) -> Message {
        match self.find(c.server_order_id.as_str(), c.client_order_id.as_str()) {
            Some(i)
                if matches!(
                    self.orders[i].status,
                    ORDER_STATUS_OPEN | ORDER_STATUS_PENDING_CHILD
                ) =>
            {
                self.orders[i].status = ORDER_STATUS_CANCELED;
                order_update(&self.orders[i], OUR_ORDER_CANCELED, "", now_s).into()
            }
            found => {
                let mut u = OrderUpdate {
                    server_order_id: c.server_order_id,
                    client_order_id: c.client_order_id,
                    trade_account: c.trade_account,
                    order_update_reason: OUR_ORDER_CANCEL_REJECTED,
                    info_text: "order not found or not open".into(),
                    ..Default::default()
                };
                if let Some(i) = found {
                    u = order_update(
                        &self.orders[i],
                        OUR_ORDER_CANCEL_REJECTED,
                        "order not open",
                        now_s,
                    );
                }
                u.into()
            }
        }
    }

    pub(crate) fn replace(&mut self, c: &CancelReplaceOrder, now_s: f64) -> Message {
        match self.find(c.server_order_id.as_str(), c.client_order_id.as_str()) {
            Some(i) if self.orders[i].status == ORDER_STATUS_OPEN => {
                let o = &mut self.orders[i];
                if c.price1_is_set != 0 {
                    o.price1 = c.price1;
                }
                if c.price2_is_set != 0 {
                    o.price2 = c.price2;
                }
                if c.quantity > 0.0 && c.quantity.is_finite() {
                    o.qty = c.quantity;
                }
                order_update(o, OUR_ORDER_CANCEL_REPLACE_COMPLETE, "", now_s).into()
            }
            _ => OrderUpdate {
                server_order_id: c.server_order_id,
                client_order_id: c.client_order_id,
                order_update_reason: OUR_ORDER_CANCEL_REPLACE_REJECTED,
                info_text: "order not found or not open".into(),
                ..Default::default()
            }
            .into(),
        }
    }
}

pub(crate) fn order_update(o: &SimOrder, reason: i32, info: &str, now_s: f64) -> OrderUpdate {
    OrderUpdate {
        total_num_messages: 1,
        message_number: 1,
        symbol: o.symbol.as_str().into(),
        server_order_id: o.server_id.as_str().into(),
        client_order_id: o.client_id.as_str().into(),
        exchange_order_id: o.server_id.as_str().into(),
        order_status: o.status,
        order_update_reason: reason,
        order_type: o.order_type,
        buy_sell: o.buy_sell,
        price1: if o.order_type == ORDER_TYPE_MARKET { f64::MAX } else { o.price1 },
        price2: if o.order_type == ORDER_TYPE_STOP_LIMIT { o.price2 } else { f64::MAX },
        time_in_force: o.tif,
        order_quantity: o.qty,
        filled_quantity: o.filled,
        remaining_quantity: o.qty - o.filled,
        average_fill_price: if o.filled > 0.0 { o.avg } else { f64::MAX },
        trade_account: o.account.as_str().into(),
        info_text: info.into(),
        oco_linked_order_server_order_id: o.sibling.as_str().into(),
        latest_transaction_date_time: now_s,
        ..Default::default()
    }
}
