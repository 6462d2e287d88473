//! Trading state of one connection: request bookkeeping, orders (new, cancel, replace), the book.

mod answers;

use super::book::TradingBook;
use super::codec::Outbox;
use super::health::LogGate;
use super::messages::*;
use super::orders::{ClientOrderId, OrderError, OrderIds, OrderRequest};
use super::symbols::{PriceScale, SymbolTable};
use super::types::consts::*;
use std::time::Instant;

/// RequestIDs, and the ones whose (last) answer has not arrived yet.
#[derive(Debug)]
pub(crate) struct Requests {
    next: i32,
    outstanding: Vec<i32>,
}

impl Requests {
    pub(crate) fn new() -> Self {
        Requests { next: 1, outstanding: Vec::new() }
    }

    /// A fresh RequestID (never 0: 0 means unsolicited).
    pub(crate) fn next_id(&mut self) -> i32 {
        let id = self.next;
        self.next = self.next.checked_add(1).unwrap_or(1);
        id
    }

    /// A RequestID whose answer `synced` waits for.
    fn tracked(&mut self) -> i32 {
        let id = self.next_id();
        self.outstanding.push(id);
        id
    }

    fn answered(&mut self, request_id: i32, last: bool) {
        if last && request_id != 0 {
            self.outstanding.retain(|&r| r != request_id);
        }
    }
}

/// What we asked the server to do with an order, until its first ORDER_UPDATE.
#[derive(Clone, Copy, Debug)]
struct Pending {
    cid: ClientOrderId,
    /// When it was sent (a latency stamp: nothing times out on it).
    sent_at: Instant,
}

/// Orders, positions, balances, fills of one connection, and the requests behind them.
#[derive(Debug)]
pub(crate) struct Trading {
    book: TradingBook,
    requests: Requests,
    pending: Vec<Pending>,
    ids: OrderIds,
    default_account: Option<String>,
    exchange: S16,
    /// Order prices in wire units (`order_prices_scaled`).
    prices_scaled: bool,
    /// Book updates dropped at a cap, as last reported.
    dropped_seen: u64,
    drop_log: LogGate,
}

/// Display price to order price when `k` is set (scaled order prices); unset (0, DBL_MAX) stays.
fn to_wire(p: f64, k: Option<PriceScale>) -> f64 {
    match k {
        Some(k) if p != 0.0 && p != f64::MAX && p.is_finite() => k.wire(p),
        _ => p,
    }
}

/// Order price to display price, the inverse of [`to_wire`].
fn from_wire(p: &mut f64, k: Option<PriceScale>) {
    if let Some(k) = k.filter(|_| *p != 0.0 && *p != f64::MAX && p.is_finite()) {
        *p = k.display(*p);
    }
}

/// The book entry of an order just sent: "sent" until the server's first ORDER_UPDATE.
fn sent(
    o: &SubmitNewSingleOrder,
    cid: S32,
    order_type: i32,
    buy_sell: i32,
    price1: f64,
) -> OrderUpdate {
    OrderUpdate {
        symbol: o.symbol,
        client_order_id: cid,
        trade_account: o.trade_account,
        order_status: 1,
        order_type,
        buy_sell,
        price1,
        order_quantity: o.quantity,
        ..Default::default()
    }
}

impl Trading {
    pub(crate) fn new(cfg: &super::DtcConfig, ids: OrderIds) -> Self {
        Trading {
            book: TradingBook::default(),
            requests: Requests::new(),
            pending: Vec::new(),
            ids,
            default_account: cfg.trade_account.clone(),
            exchange: cfg.exchange.as_str().into(),
            prices_scaled: cfg.order_prices_scaled,
            dropped_seen: 0,
            drop_log: LogGate::new(super::health::LOG_EVERY),
        }
    }

    pub(crate) fn book(&self) -> &TradingBook {
        &self.book
    }

    pub(crate) fn requests(&mut self) -> &mut Requests {
        &mut self.requests
    }

    /// Every request answered.
    pub(crate) fn synced(&self) -> bool {
        self.requests.outstanding.is_empty()
    }

    /// Requests sent whose first ORDER_UPDATE has not arrived.
    pub(crate) fn awaiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The connection closed: answers to requests on it will not come.
    pub(crate) fn on_close(&mut self) {
        self.pending.clear();
        self.requests.outstanding.clear();
    }

    /// The symbol's scale when order prices travel in wire units.
    fn scale(&self, symbols: &SymbolTable, symbol: &str) -> Option<PriceScale> {
        if !self.prices_scaled {
            return None;
        }
        symbols.iter().find(|s| s.name == symbol).map(|s| s.scale)
    }

    /// Accounts, balances, positions and open orders (after logon, and `refresh`).
    pub(crate) fn request_state(&mut self, out: &mut Outbox) {
        out.send(TradeAccountsRequest { request_id: self.requests.tracked() });
        out.send(AccountBalanceRequest {
            request_id: self.requests.tracked(),
            ..Default::default()
        });
        out.send(CurrentPositionsRequest {
            request_id: self.requests.tracked(),
            ..Default::default()
        });
        let request_id = self.requests.tracked();
        out.send(OpenOrdersRequest { request_id, request_all_orders: 1, ..Default::default() });
    }

    /// Historical fills of all accounts over `days` (answered into the book).
    pub(crate) fn request_fills(&mut self, days: i32, out: &mut Outbox) {
        let request_id = self.requests.tracked();
        out.send(HistoricalOrderFillsRequest {
            request_id,
            number_of_days: days,
            ..Default::default()
        });
    }

    /// Sends a new order, plus its OCO target/stop pair when `target` and `stop` are set
    /// (a bracket; `brackets`: the server supports them). Returns the parent's ClientOrderID.
    pub(crate) fn submit(
        &mut self,
        r: &OrderRequest,
        brackets: bool,
        symbols: &SymbolTable,
        out: &mut Outbox,
        now: Instant,
    ) -> Result<ClientOrderId, OrderError> {
        let account = match r.account.as_ref().or(self.default_account.as_ref()) {
            Some(a) => a.as_str(),
            None => self.book.first_account().ok_or(OrderError::NoTradeAccount)?,
        };
        if !(r.qty > 0.0 && r.qty.is_finite()) {
            return Err(OrderError::BadQuantity);
        }
        let bracket = match (r.target, r.stop) {
            (Some(t), Some(s)) if brackets => Some((t, s)),
            (Some(_), Some(_)) => return Err(OrderError::BracketUnsupported),
            (None, None) => None,
            _ => return Err(OrderError::BracketNeedsBothLegs),
        };
        let cid = self.ids.next();
        let (buy_sell, exit_side) = if r.buy { (BUY, SELL) } else { (SELL, BUY) };
        let k = self.scale(symbols, &r.symbol);
        let automated = r.automated as u8;
        let o = SubmitNewSingleOrder {
            symbol: r.symbol.as_str().into(),
            exchange: self.exchange,
            trade_account: account.into(),
            client_order_id: cid.wire(),
            order_type: r.order_type,
            buy_sell,
            price1: to_wire(r.price1, k),
            price2: to_wire(r.price2, k),
            quantity: r.qty,
            time_in_force: if r.order_type == ORDER_TYPE_MARKET { TIF_DAY } else { TIF_GTC },
            is_automated_order: automated,
            is_parent_order: bracket.is_some() as u8,
            ..Default::default()
        };
        self.book.on_order(&sent(&o, o.client_order_id, r.order_type, buy_sell, r.price1));
        self.pending.push(Pending { cid, sent_at: now });
        out.send(o);
        if let Some((target, stop)) = bracket {
            let (t_id, s_id) = (cid.child('T').wire(), cid.child('S').wire());
            self.book.on_order(&sent(&o, t_id, ORDER_TYPE_LIMIT, exit_side, target));
            self.book.on_order(&sent(&o, s_id, ORDER_TYPE_STOP, exit_side, stop));
            out.send(SubmitNewOcoOrder {
                symbol: o.symbol,
                exchange: o.exchange,
                client_order_id_1: t_id,
                order_type_1: ORDER_TYPE_LIMIT,
                buy_sell_1: exit_side,
                price1_1: to_wire(target, k),
                quantity_1: r.qty,
                client_order_id_2: s_id,
                order_type_2: ORDER_TYPE_STOP,
                buy_sell_2: exit_side,
                price1_2: to_wire(stop, k),
                quantity_2: r.qty,
                time_in_force: TIF_GTC,
                trade_account: o.trade_account,
                is_automated_order: automated,
                parent_trigger_client_order_id: o.client_order_id,
                ..Default::default()
            });
        }
        Ok(cid)
    }

    /// Cancels by server or client order ID; returns the order's ClientOrderID.
    pub(crate) fn cancel(
        &mut self,
        id: &str,
        out: &mut Outbox,
        now: Instant,
    ) -> Result<ClientOrderId, OrderError> {
        let (acct, sid, cid) =
            self.book.find_order(id).ok_or_else(|| OrderError::UnknownOrder(id.to_string()))?;
        out.send(CancelOrder {
            server_order_id: sid.as_str().into(),
            client_order_id: cid.as_str().into(),
            trade_account: acct.as_str().into(),
        });
        Ok(self.await_answer(&cid, now))
    }

    /// Replaces price (and optionally quantity) of an open order.
    pub(crate) fn replace(
        &mut self,
        id: &str,
        price: f64,
        qty: Option<f64>,
        symbols: &SymbolTable,
        out: &mut Outbox,
        now: Instant,
    ) -> Result<ClientOrderId, OrderError> {
        let (acct, sid, cid) =
            self.book.find_order(id).ok_or_else(|| OrderError::UnknownOrder(id.to_string()))?;
        let sym = self.book.order_symbol(id).unwrap_or_default();
        out.send(CancelReplaceOrder {
            server_order_id: sid.as_str().into(),
            client_order_id: cid.as_str().into(),
            price1: to_wire(price, self.scale(symbols, &sym)),
            price2_is_set: 0,
            quantity: qty.unwrap_or(0.0),
            trade_account: acct.as_str().into(),
            ..Default::default()
        });
        Ok(self.await_answer(&cid, now))
    }

    fn await_answer(&mut self, cid: &str, now: Instant) -> ClientOrderId {
        let cid = ClientOrderId::from_wire(cid.into());
        self.pending.push(Pending { cid, sent_at: now });
        cid
    }
}

fn reject(rq: &mut Requests, label: &str, what: &str, request_id: i32, text: &S96) {
    log::warn!("{label}: {what} request rejected: {:?}", text.as_str());
    rq.answered(request_id, true);
}
