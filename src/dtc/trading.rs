//! Trading requests of a DTC connection: orders (new, cancel, replace), fills, state refresh.

use super::client::DtcClient;
use super::messages::*;
use super::types::consts::*;
use std::time::Instant;

/// The book entry of an order just sent: "sent" until the server's first ORDER_UPDATE.
fn sent(
    symbol: S64,
    account: S32,
    cid: S32,
    order_type: i32,
    buy_sell: i32,
    price1: f64,
    qty: f64,
) -> OrderUpdate {
    OrderUpdate {
        symbol,
        client_order_id: cid,
        trade_account: account,
        order_status: 1,
        order_type,
        buy_sell,
        price1,
        order_quantity: qty,
        ..Default::default()
    }
}

/// A new order (the `order` command); prices in display units.
#[derive(Clone, Debug, Default)]
pub struct OrderRequest {
    /// Buy (else sell).
    pub buy: bool,
    /// Symbol as the server names it.
    pub symbol: String,
    /// Quantity.
    pub qty: f64,
    /// `OrderTypeEnum` (1 market, 2 limit, 3 stop, 4 stop-limit).
    pub order_type: i32,
    /// Limit or stop price.
    pub price1: f64,
    /// Limit price of a stop-limit.
    pub price2: f64,
    /// Trade account (else the configured one, else the first listed).
    pub account: Option<String>,
    /// Bracket profit target (limit), with `stop`.
    pub target: Option<f64>,
    /// Bracket stop, with `target`.
    pub stop: Option<f64>,
}

impl DtcClient {
    /// Sends a new order; returns its ClientOrderID.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_order(
        &mut self,
        buy: bool,
        symbol: &str,
        qty: f64,
        order_type: i32,
        price1: f64,
        price2: f64,
        account: Option<&str>,
        now: Instant,
    ) -> Result<String, String> {
        let r = OrderRequest {
            buy,
            symbol: symbol.to_string(),
            qty,
            order_type,
            price1,
            price2,
            account: account.map(str::to_string),
            ..Default::default()
        };
        self.submit(&r, now)
    }

    /// Display price to order price: `wire()` with `order_prices_scaled`, else unchanged.
    /// Unset prices (0, DBL_MAX) stay as they are.
    fn order_scale(&self, symbol: &str) -> impl Fn(f64) -> f64 {
        let k = self
            .symbols
            .list
            .iter()
            .find(|s| s.name == symbol)
            .map(|s| s.scale)
            .filter(|_| self.cfg.order_prices_scaled);
        move |p| match k {
            Some(k) if p != 0.0 && p != f64::MAX && p.is_finite() => k.wire(p),
            _ => p,
        }
    }

    /// `<name prefix><hash of the full name>-<start time>-<seq>`: the hash keeps connections
    /// whose names share a prefix apart; at most 30 bytes (ClientOrderID is `char[32]`).
    pub(super) fn next_client_order_id(&mut self) -> String {
        self.order_seq += 1;
        let short: String =
            self.short.chars().filter(char::is_ascii_alphanumeric).take(6).collect();
        // FNV-1a: stable across runs and platforms, unlike std's hasher.
        let h = self
            .short
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
        let mut id = format!(
            "{short}{:06x}-{:x}-{:x}",
            (h ^ (h >> 32)) & 0xff_ffff,
            self.session_tag & 0xffff_ffff,
            self.order_seq & 0xffff_ffff
        );
        id.truncate(30);
        id
    }

    /// Sends a new order, plus its OCO target/stop pair when `target` and `stop` are set
    /// (a bracket; the server must support brackets). Returns the parent's ClientOrderID.
    pub fn submit(&mut self, r: &OrderRequest, now: Instant) -> Result<String, String> {
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        let account = match r.account.clone().or_else(|| self.cfg.trade_account.clone()) {
            Some(a) => a,
            None => self.book.account_order.first().cloned().ok_or("no trade account known yet")?,
        };
        if !(r.qty > 0.0 && r.qty.is_finite()) {
            return Err("quantity must be positive".into());
        }
        let bracket = match (r.target, r.stop) {
            (Some(t), Some(s)) if self.bracket_supported => Some((t, s)),
            (Some(_), Some(_)) => return Err("the server does not support bracket orders".into()),
            (None, None) => None,
            _ => return Err("a bracket needs both target= and stop=".into()),
        };
        let cid = self.next_client_order_id();
        let (buy_sell, exit_side) = if r.buy { (BUY, SELL) } else { (SELL, BUY) };
        let w = self.order_scale(&r.symbol);
        let o = SubmitNewSingleOrder {
            symbol: r.symbol.as_str().into(),
            exchange: self.cfg.exchange.as_str().into(),
            trade_account: account.as_str().into(),
            client_order_id: cid.as_str().into(),
            order_type: r.order_type,
            buy_sell,
            price1: w(r.price1),
            price2: w(r.price2),
            quantity: r.qty,
            time_in_force: if r.order_type == ORDER_TYPE_MARKET { TIF_DAY } else { TIF_GTC },
            is_automated_order: 1,
            is_parent_order: bracket.is_some() as u8,
            ..Default::default()
        };
        self.book.on_order(&sent(
            o.symbol,
            o.trade_account,
            o.client_order_id,
            r.order_type,
            buy_sell,
            r.price1,
            r.qty,
        ));
        self.pending_orders.push((o.client_order_id, Instant::now()));
        self.send(o.into());
        if let Some((target, stop)) = bracket {
            let (t_id, s_id) = (format!("{cid}T"), format!("{cid}S"));
            let oco = SubmitNewOcoOrder {
                symbol: o.symbol,
                exchange: o.exchange,
                client_order_id_1: t_id.as_str().into(),
                order_type_1: ORDER_TYPE_LIMIT,
                buy_sell_1: exit_side,
                price1_1: w(target),
                quantity_1: r.qty,
                client_order_id_2: s_id.as_str().into(),
                order_type_2: ORDER_TYPE_STOP,
                buy_sell_2: exit_side,
                price1_2: w(stop),
                quantity_2: r.qty,
                time_in_force: TIF_GTC,
                trade_account: o.trade_account,
                is_automated_order: 1,
                parent_trigger_client_order_id: o.client_order_id,
                ..Default::default()
            };
            self.book.on_order(&sent(
                o.symbol,
                o.trade_account,
                oco.client_order_id_1,
                ORDER_TYPE_LIMIT,
                exit_side,
                target,
                r.qty,
            ));
            self.book.on_order(&sent(
                o.symbol,
                o.trade_account,
                oco.client_order_id_2,
                ORDER_TYPE_STOP,
                exit_side,
                stop,
                r.qty,
            ));
            self.send(oco.into());
        }
        self.flush(now);
        Ok(cid)
    }

    /// Cancels by server or client order ID.
    pub fn cancel_order(&mut self, id: &str, now: Instant) -> Result<String, String> {
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        let (acct, sid, cid) =
            self.book.find_order(id).ok_or_else(|| format!("unknown order {id}"))?;
        self.send(
            CancelOrder {
                server_order_id: sid.as_str().into(),
                client_order_id: cid.as_str().into(),
                trade_account: acct.as_str().into(),
            }
            .into(),
        );
        self.flush(now);
        Ok(format!("cancel sent for {id}"))
    }

    /// Replaces price (and optionally quantity) of an open order.
    pub fn replace_order(
        &mut self,
        id: &str,
        price: f64,
        qty: Option<f64>,
        now: Instant,
    ) -> Result<String, String> {
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        let (acct, sid, cid) =
            self.book.find_order(id).ok_or_else(|| format!("unknown order {id}"))?;
        let sym = self.book.order_symbol(id).unwrap_or_default();
        let price = self.order_scale(&sym)(price);
        self.send(
            CancelReplaceOrder {
                server_order_id: sid.as_str().into(),
                client_order_id: cid.as_str().into(),
                price1: price,
                price2_is_set: 0,
                quantity: qty.unwrap_or(0.0),
                trade_account: acct.as_str().into(),
                ..Default::default()
            }
            .into(),
        );
        self.flush(now);
        Ok(format!("replace sent for {id}"))
    }

    /// Asks for the historical fills of all accounts (answered into the book).
    pub fn request_fills(&mut self, days: i32, now: Instant) -> Result<(), String> {
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        let id = self.tracked_request();
        self.send(
            HistoricalOrderFillsRequest {
                request_id: id,
                number_of_days: days,
                ..Default::default()
            }
            .into(),
        );
        self.flush(now);
        Ok(())
    }

    /// Re-requests accounts, balances, positions and open orders.
    pub fn refresh(&mut self, now: Instant) -> Result<(), String> {
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        self.request_trading_state();
        self.flush(now);
        Ok(())
    }

    pub(super) fn symbols_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        for x in &self.symbols.list {
            let _ = writeln!(
                s,
                "{} id {} multiplier {} updates {}{}",
                x.name,
                x.id,
                x.scale.mult,
                x.updates,
                x.rejected.as_ref().map(|r| format!(" REJECTED: {r}")).unwrap_or_default()
            );
        }
        s
    }
}
