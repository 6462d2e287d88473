//! Trading requests of a DTC connection: orders (new, cancel, replace), fills, state refresh.

use super::client::DtcClient;
use super::messages::*;
use super::types::consts::*;
use std::time::Instant;

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
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        let account = match account.map(str::to_string).or_else(|| self.cfg.trade_account.clone()) {
            Some(a) => a,
            None => self.book.account_order.first().cloned().ok_or("no trade account known yet")?,
        };
        if !(qty > 0.0 && qty.is_finite()) {
            return Err("quantity must be positive".into());
        }
        self.order_seq += 1;
        let short: String = self.short.chars().take(8).collect();
        let cid = format!("{short}-{:x}-{}", self.session_tag, self.order_seq);
        let o = SubmitNewSingleOrder {
            symbol: symbol.into(),
            exchange: self.cfg.exchange.as_str().into(),
            trade_account: account.as_str().into(),
            client_order_id: cid.as_str().into(),
            order_type,
            buy_sell: if buy { BUY } else { SELL },
            price1,
            price2,
            quantity: qty,
            time_in_force: if order_type == ORDER_TYPE_MARKET { TIF_DAY } else { TIF_GTC },
            is_automated_order: 1,
            ..Default::default()
        };
        // Shown as "sent" until the server's first ORDER_UPDATE arrives.
        self.book.on_order(&OrderUpdate {
            symbol: o.symbol,
            client_order_id: o.client_order_id,
            trade_account: o.trade_account,
            order_status: 1,
            order_type,
            buy_sell: o.buy_sell,
            price1,
            order_quantity: qty,
            ..Default::default()
        });
        self.pending_orders.push((o.client_order_id, Instant::now()));
        self.send(o.into());
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
                x.multiplier,
                x.updates,
                x.rejected.as_ref().map(|r| format!(" REJECTED: {r}")).unwrap_or_default()
            );
        }
        s
    }
}
