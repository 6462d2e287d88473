//! The simulator's book: symbols with random-walk prices, accounts, orders, positions, fills.

use crate::dtc::messages::*;
use crate::dtc::types::consts::*;
use std::collections::BTreeMap;

/// A simulated instrument.
#[derive(Clone, Debug)]
pub(crate) struct SimSymbol {
    pub name: String,
    /// Real (display) price of the last trade.
    pub last: f64,
    pub tick: f64,
    /// Wire prices are `real / display_mult` (SC sends ES ×100 with multiplier 0.01).
    pub display_mult: f32,
    scale: crate::dtc::book::PriceScale,
    pub volume: f64,
    pub high: f64,
    pub low: f64,
    pub open: f64,
}

impl SimSymbol {
    fn new(name: &str, i: usize) -> Self {
        let upper = name.to_ascii_uppercase();
        let (last, tick, mult) = if upper.starts_with("ES") {
            (4500.0, 0.25, 0.01)
        } else if upper.starts_with("NQ") {
            (15000.0, 0.25, 1.0)
        } else {
            (100.0 + 10.0 * i as f64, 0.01, 1.0)
        };
        SimSymbol {
            name: name.to_string(),
            last,
            tick,
            display_mult: mult,
            scale: crate::dtc::book::PriceScale::new(mult),
            volume: 0.0,
            high: last,
            low: last,
            open: last,
        }
    }

    /// Best bid/ask around the last trade (one tick spread).
    pub fn bid_ask(&self) -> (f64, f64) {
        // On the price grid, like a real book: bid at the last trade, ask one tick above.
        (self.last, self.last + self.tick)
    }

    /// Real price to wire price.
    pub fn wire(&self, p: f64) -> f64 {
        self.scale.wire(p)
    }

    /// Wire price to real price.
    pub fn real(&self, p: f64) -> f64 {
        self.scale.display(p)
    }
}

/// One order known to the server.
#[derive(Clone, Debug)]
pub(crate) struct SimOrder {
    pub server_id: String,
    pub client_id: String,
    pub account: String,
    pub symbol: String,
    pub order_type: i32,
    pub buy_sell: i32,
    pub price1: f64,
    pub price2: f64,
    pub qty: f64,
    pub filled: f64,
    pub avg: f64,
    pub status: i32,
    pub tif: i32,
    /// ClientOrderID of the parent this (bracket child) order waits for; empty if none.
    pub parent: String,
    /// ServerOrderID of the OCO sibling; empty if none.
    pub sibling: String,
}

/// Shared simulator state (behind a mutex; connections are threads).
#[derive(Debug)]
pub(crate) struct SimState {
    pub symbols: Vec<SimSymbol>,
    pub accounts: Vec<String>,
    pub balances: BTreeMap<String, f64>,
    /// (account, symbol) -> (quantity, average price)
    pub positions: BTreeMap<(String, String), (f64, f64)>,
    pub orders: Vec<SimOrder>,
    pub fills: Vec<HistoricalOrderFillResponse>,
    next_order: u64,
    rng: u64,
}

impl SimState {
    pub fn new(symbols: &[String], seed: u64) -> Self {
        let accounts = vec!["Sim1".to_string(), "Sim2".to_string()];
        let balances = accounts.iter().map(|a| (a.clone(), 100_000.0)).collect();
        SimState {
            symbols: symbols.iter().enumerate().map(|(i, s)| SimSymbol::new(s, i)).collect(),
            accounts,
            balances,
            positions: BTreeMap::new(),
            orders: Vec::new(),
            fills: Vec::new(),
            next_order: 1,
            rng: seed | 1,
        }
    }

    pub fn rand(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    pub fn symbol_index(&self, name: &str) -> Option<usize> {
        self.symbols.iter().position(|s| s.name == name)
    }

    /// `--order-prices-scaled`: order prices arrive in wire units (real / multiplier); the
    /// book works in real prices, so incoming orders are converted here.
    pub fn order_from_wire(&self, m: &mut Message) {
        let sym = match m {
            Message::SubmitNewSingleOrder(o) => o.symbol.as_str().to_string(),
            Message::SubmitNewOcoOrder(o) => o.symbol.as_str().to_string(),
            Message::CancelReplaceOrder(c) => match self.orders.iter().find(|o| {
                o.server_id == c.server_order_id.as_str()
                    || o.client_id == c.client_order_id.as_str()
            }) {
                Some(o) => o.symbol.clone(),
                None => return,
            },
            _ => return,
        };
        let Some(i) = self.symbol_index(&sym) else { return };
        let s = &self.symbols[i];
        let f = |v: &mut f64| convert_set(v, |x| s.real(x));
        match m {
            Message::SubmitNewSingleOrder(o) => {
                f(&mut o.price1);
                f(&mut o.price2);
            }
            Message::SubmitNewOcoOrder(o) => {
                f(&mut o.price1_1);
                f(&mut o.price2_1);
                f(&mut o.price1_2);
                f(&mut o.price2_2);
            }
            Message::CancelReplaceOrder(c) => {
                f(&mut c.price1);
                f(&mut c.price2);
            }
            _ => {}
        }
    }

    /// `--order-prices-scaled`: order, position and fill prices leave in wire units.
    pub fn trading_to_wire(&self, m: &mut Message) {
        let sym = match m {
            Message::OrderUpdate(u) => u.symbol.as_str().to_string(),
            Message::PositionUpdate(p) => p.symbol.as_str().to_string(),
            Message::HistoricalOrderFillResponse(h) => h.symbol.as_str().to_string(),
            _ => return,
        };
        let Some(i) = self.symbol_index(&sym) else { return };
        let s = &self.symbols[i];
        let f = |v: &mut f64| convert_set(v, |x| s.wire(x));
        match m {
            Message::OrderUpdate(u) => {
                f(&mut u.price1);
                f(&mut u.price2);
                f(&mut u.average_fill_price);
                f(&mut u.last_fill_price);
            }
            Message::PositionUpdate(p) => f(&mut p.average_price),
            Message::HistoricalOrderFillResponse(h) => f(&mut h.price),
            _ => {}
        }
    }

    /// One random-walk step; returns the traded volume.
    pub fn step(&mut self, i: usize) -> f64 {
        let r = self.rand();
        let vol = 1.0 + (r >> 8) as f64 % 5.0;
        let s = &mut self.symbols[i];
        match r % 3 {
            0 => s.last += s.tick,
            1 => s.last = (s.last - s.tick).max(s.tick),
            _ => {}
        }
        s.volume += vol;
        s.high = s.high.max(s.last);
        s.low = s.low.min(s.last);
        vol
    }

    pub fn security_definition(&self, i: usize, request_id: i32) -> SecurityDefinitionResponse {
        let s = &self.symbols[i];
        SecurityDefinitionResponse {
            request_id,
            symbol: s.name.as_str().into(),
            exchange: if s.name.contains("_CME") { "CME".into() } else { "SIM".into() },
            security_type: SECURITY_TYPE_FUTURES,
            description: format!("{} (simulated)", s.name).as_str().into(),
            min_price_increment: s.tick as f32,
            price_display_format: 2,
            currency_value_per_increment: 12.5,
            is_final_message: 1,
            display_price_multiplier: s.display_mult,
            currency: "USD".into(),
            contract_size: 50.0,
            ..Default::default()
        }
    }

    pub fn snapshot(&self, i: usize, symbol_id: u32) -> MarketDataSnapshot {
        let s = &self.symbols[i];
        let (bid, ask) = s.bid_ask();
        MarketDataSnapshot {
            symbol_id,
            session_open_price: s.wire(s.open),
            session_high_price: s.wire(s.high),
            session_low_price: s.wire(s.low),
            session_volume: s.volume,
            bid_price: s.wire(bid),
            ask_price: s.wire(ask),
            bid_quantity: 10.0,
            ask_quantity: 12.0,
            last_trade_price: s.wire(s.last),
            last_trade_volume: 1.0,
            trading_status: 2,
            ..Default::default()
        }
    }

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
    pub fn submit_oco(&mut self, o: &SubmitNewOcoOrder, now_s: f64) -> Vec<Message> {
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
                account: account.clone(),
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
                parent: parent.clone(),
                sibling: String::new(),
            })
            .collect();
        orders[0].sibling = ids[1].clone();
        orders[1].sibling = ids[0].clone();
        let reject = if !self.accounts.contains(&account) {
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
        };
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

    fn new_server_id(&mut self) -> String {
        let id = format!("S{}", self.next_order);
        self.next_order += 1;
        id
    }

    /// Accepts or rejects a new order; market orders fill at once. Returns the updates to send.
    pub fn submit(&mut self, o: &SubmitNewSingleOrder, now_s: f64) -> Vec<Message> {
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
    pub fn match_resting(&mut self, now_s: f64) -> Vec<Message> {
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

    pub fn cancel(&mut self, c: &CancelOrder, now_s: f64) -> Message {
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

    pub fn replace(&mut self, c: &CancelReplaceOrder, now_s: f64) -> Message {
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

    pub fn open_orders(&self, r: &OpenOrdersRequest, now_s: f64) -> Vec<Message> {
        let acct = r.trade_account.as_str();
        let list: Vec<&SimOrder> = self
            .orders
            .iter()
            .filter(|o| matches!(o.status, ORDER_STATUS_OPEN | ORDER_STATUS_PENDING_CHILD))
            .filter(|o| acct.is_empty() || o.account == acct)
            .filter(|o| r.request_all_orders != 0 || o.server_id == r.server_order_id.as_str())
            .collect();
        if list.is_empty() {
            return vec![OrderUpdate {
                request_id: r.request_id,
                total_num_messages: 1,
                message_number: 1,
                no_orders: 1,
                order_update_reason: OUR_OPEN_ORDERS_REQUEST_RESPONSE,
                ..Default::default()
            }
            .into()];
        }
        let n = list.len() as i32;
        list.iter()
            .enumerate()
            .map(|(k, o)| {
                let mut u = order_update(o, OUR_OPEN_ORDERS_REQUEST_RESPONSE, "", now_s);
                u.request_id = r.request_id;
                u.total_num_messages = n;
                u.message_number = k as i32 + 1;
                u.into()
            })
            .collect()
    }

    pub fn positions(&self, r: &CurrentPositionsRequest) -> Vec<Message> {
        let acct = r.trade_account.as_str();
        let list: Vec<_> =
            self.positions.iter().filter(|((a, _), _)| acct.is_empty() || a == acct).collect();
        if list.is_empty() {
            let mut p = position_update(acct, "", (0.0, 0.0), r.request_id, 1, 1, 0);
            p.no_positions = 1;
            return vec![p.into()];
        }
        let n = list.len() as i32;
        list.iter()
            .enumerate()
            .map(|(k, ((a, s), v))| {
                position_update(a, s, **v, r.request_id, n, k as i32 + 1, 0).into()
            })
            .collect()
    }

    pub fn balances(&self, r: &AccountBalanceRequest) -> Vec<Message> {
        let acct = r.trade_account.as_str();
        let list: Vec<_> =
            self.balances.iter().filter(|(a, _)| acct.is_empty() || *a == acct).collect();
        if list.is_empty() {
            return vec![AccountBalanceReject {
                request_id: r.request_id,
                reject_text: "unknown trade account".into(),
            }
            .into()];
        }
        let n = list.len() as i32;
        list.iter()
            .enumerate()
            .map(|(k, (a, cash))| {
                AccountBalanceUpdate {
                    request_id: r.request_id,
                    cash_balance: **cash,
                    balance_available_for_new_positions: **cash,
                    account_currency: "USD".into(),
                    trade_account: a.as_str().into(),
                    total_number_messages: n,
                    message_number: k as i32 + 1,
                    ..Default::default()
                }
                .into()
            })
            .collect()
    }

    pub fn fills(&self, r: &HistoricalOrderFillsRequest) -> Vec<Message> {
        let acct = r.trade_account.as_str();
        let sid = r.server_order_id.as_str();
        let list: Vec<_> = self
            .fills
            .iter()
            .filter(|f| {
                (acct.is_empty() || f.trade_account.as_str() == acct)
                    && (sid.is_empty() || f.server_order_id.as_str() == sid)
            })
            .collect();
        if list.is_empty() {
            return vec![HistoricalOrderFillResponse {
                request_id: r.request_id,
                total_number_messages: 1,
                message_number: 1,
                no_order_fills: 1,
                ..Default::default()
            }
            .into()];
        }
        let n = list.len() as i32;
        list.iter()
            .enumerate()
            .map(|(k, f)| {
                let mut f = **f;
                f.request_id = r.request_id;
                f.total_number_messages = n;
                f.message_number = k as i32 + 1;
                f.into()
            })
            .collect()
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

fn position_update(
    account: &str,
    symbol: &str,
    (qty, avg): (f64, f64),
    request_id: i32,
    total: i32,
    num: i32,
    unsolicited: u8,
) -> PositionUpdate {
    PositionUpdate {
        request_id,
        total_number_messages: total,
        message_number: num,
        symbol: symbol.into(),
        quantity: qty,
        average_price: avg,
        trade_account: account.into(),
        unsolicited,
        ..Default::default()
    }
}

/// Converts a price unless it is one of DTC's "unset" values (0, f64::MAX, non-finite).
fn convert_set(v: &mut f64, convert: impl Fn(f64) -> f64) {
    if *v != 0.0 && *v != f64::MAX && v.is_finite() {
        *v = convert(*v);
    }
}

#[cfg(test)]
mod tests {
    use super::SimSymbol;

    #[test]
    fn quotes_stay_on_the_tick_grid() {
        let mut s = SimSymbol::new("ESZ6_FUT_CME", 0);
        for step in 0..50 {
            s.last += if step % 3 == 0 { -s.tick } else { s.tick };
            let (bid, ask) = s.bid_ask();
            for p in [bid, ask] {
                let ticks = p / s.tick;
                assert!((ticks - ticks.round()).abs() < 1e-9, "{p} is off the {} grid", s.tick);
            }
            assert!(ask > bid);
        }
    }
}
