//! Text views of a connection's books, for the command language and the one-shot CLI.

use super::book::TradingBook;
use super::symbols::SymbolTable;
use super::types::consts::*;
use std::fmt::Write as _;

/// The books as the text commands show them.
pub trait BookText {
    /// `accounts` command text.
    fn accounts_text(&self) -> String;
    /// `positions` command text.
    fn positions_text(&self) -> String;
    /// `orders` command text.
    fn orders_text(&self) -> String;
    /// `fills` command text.
    fn fills_text(&self) -> String;
}

impl BookText for TradingBook {
    /// `accounts` command text.
    fn accounts_text(&self) -> String {
        let mut s = String::new();
        for name in self.names() {
            let Some(b) = self.get(name) else { continue };
            match &b.balance {
                Some(x) => {
                    let _ = writeln!(
                        s,
                        "{name}: cash {} available {} {}",
                        fmt_px(x.cash_balance),
                        fmt_px(x.balance_available_for_new_positions),
                        x.account_currency
                    );
                }
                None => {
                    let _ = writeln!(s, "{name}: (no balance yet)");
                }
            }
        }
        if s.is_empty() {
            s.push_str("(no trade accounts)\n");
        }
        s
    }

    /// `positions` command text.
    fn positions_text(&self) -> String {
        let mut s = String::new();
        for name in self.names() {
            for (sym, p) in self.get(name).map(|b| &b.positions).into_iter().flatten() {
                let _ =
                    writeln!(s, "{name} {sym}: qty {} avg {}", p.quantity, fmt_px(p.average_price));
            }
        }
        if s.is_empty() {
            s.push_str("(no positions)\n");
        }
        s
    }

    /// `orders` command text.
    fn orders_text(&self) -> String {
        let mut s = String::new();
        for name in self.names() {
            for (id, o) in self.get(name).map(|b| &b.orders).into_iter().flatten() {
                let u = &o.last;
                let _ = writeln!(
                    s,
                    "{name} {id} client {} {} {} {} qty {} filled {} px {} avg {} status {} ({}) {}",
                    u.client_order_id,
                    if u.buy_sell == BUY { "buy" } else { "sell" },
                    u.symbol,
                    order_type_name(u.order_type),
                    fmt_px(u.order_quantity),
                    fmt_px(u.filled_quantity),
                    fmt_px(u.price1),
                    fmt_px(u.average_fill_price),
                    order_status_name(u.order_status),
                    u.order_status,
                    u.info_text
                );
            }
        }
        if s.is_empty() {
            s.push_str("(no orders)\n");
        }
        s
    }

    /// `fills` command text.
    fn fills_text(&self) -> String {
        let mut s = String::new();
        for name in self.names() {
            for (id, f) in self.get(name).map(|b| &b.fills).into_iter().flatten() {
                let _ = writeln!(
                    s,
                    "{name} {id} order {} {} {} qty {} px {}",
                    f.server_order_id,
                    if f.buy_sell == BUY { "buy" } else { "sell" },
                    f.symbol,
                    f.quantity,
                    fmt_px(f.price)
                );
            }
        }
        if s.is_empty() {
            s.push_str("(no fills)\n");
        }
        s
    }
}

/// `symbols` command text.
pub fn symbols_text(symbols: &SymbolTable) -> String {
    let mut s = String::new();
    for x in symbols.iter() {
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

/// Formats a price, `-` when unset (DBL_MAX).
pub fn fmt_px(p: f64) -> String {
    if p == f64::MAX || !p.is_finite() {
        "-".into()
    } else {
        format!("{p}")
    }
}

/// Short order-type name.
pub fn order_type_name(t: i32) -> &'static str {
    match t {
        ORDER_TYPE_MARKET => "market",
        ORDER_TYPE_LIMIT => "limit",
        ORDER_TYPE_STOP => "stop",
        ORDER_TYPE_STOP_LIMIT => "stop-limit",
        _ => "?",
    }
}

/// Short order-status name.
pub fn order_status_name(s: i32) -> &'static str {
    match s {
        1 => "sent",
        2 => "pending-open",
        3 => "pending-child",
        4 => "open",
        5 => "pending-replace",
        6 => "pending-cancel",
        7 => "filled",
        8 => "canceled",
        9 => "rejected",
        10 => "partially-filled",
        _ => "unspecified",
    }
}
