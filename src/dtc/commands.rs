//! The text command language of a DTC connection: words parsed into typed calls, answers as text.

use super::connection::Connection;
use super::orders::{OrderError, OrderRequest};
use super::symbols::SymbolTable;
use super::text::{order_type_name, symbols_text, BookText};
use super::types::consts::*;
use std::time::Instant;

/// Help text.
pub const HELP: &str = "accounts | positions | orders | fills | symbols | refresh | \
order buy|sell SYMBOL QTY market|limit|stop|stoplimit [PRICE1 [PRICE2]] [account=NAME] \
[target=PRICE stop=PRICE] | \
cancel ID | replace ID PRICE [QTY]";

/// One parsed command.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Trade accounts and balances.
    Accounts,
    /// Open positions.
    Positions,
    /// Known orders.
    Orders,
    /// Request the fills of the last 30 days, show the known ones.
    Fills,
    /// Configured symbols.
    Symbols,
    /// Re-request accounts, balances, positions and open orders.
    Refresh,
    /// The help text.
    Help,
    /// A new order.
    Order(OrderRequest),
    /// Cancel by server or client order ID.
    Cancel(String),
    /// Replace price (and quantity).
    Replace {
        /// Server or client order ID.
        id: String,
        /// New price.
        price: f64,
        /// New quantity.
        qty: Option<f64>,
    },
}

fn num(s: Option<&&str>, what: &str) -> Result<f64, String> {
    let s = s.ok_or_else(|| format!("missing {what}"))?;
    s.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("bad {what}: {s}"))
}

/// Parses one command (`symbols` resolves short names such as `ES`); `None` when the verb is
/// not a DTC one.
pub fn parse(cmd: &str, symbols: &SymbolTable) -> Option<Result<Command, String>> {
    let mut words = cmd.split_whitespace();
    let verb = words.next()?.to_ascii_lowercase();
    let rest: Vec<&str> = words.collect();
    Some(match verb.as_str() {
        "accounts" => Ok(Command::Accounts),
        "positions" => Ok(Command::Positions),
        "orders" => Ok(Command::Orders),
        "fills" => Ok(Command::Fills),
        "symbols" => Ok(Command::Symbols),
        "refresh" => Ok(Command::Refresh),
        "help" => Ok(Command::Help),
        "order" => order(&rest, symbols).map(Command::Order),
        "cancel" => match rest.first() {
            Some(id) => Ok(Command::Cancel(id.to_string())),
            None => Err("usage: cancel ID".into()),
        },
        "replace" => match rest.as_slice() {
            [id, p, more @ ..] => (|| {
                let price = num(Some(p), "price")?;
                let qty = more.first().map(|q| num(Some(q), "quantity")).transpose()?;
                Ok(Command::Replace { id: id.to_string(), price, qty })
            })(),
            _ => Err("usage: replace ID PRICE [QTY]".into()),
        },
        _ => return None,
    })
}

fn order(args: &[&str], symbols: &SymbolTable) -> Result<OrderRequest, String> {
    let mut r = OrderRequest::default();
    let mut pos: Vec<&str> = Vec::new();
    for a in args {
        if let Some(v) = a.strip_prefix("account=") {
            r.account = Some(v.to_string());
        } else if let Some(v) = a.strip_prefix("target=") {
            r.target = Some(num(Some(&v), "target price")?);
        } else if let Some(v) = a.strip_prefix("stop=") {
            r.stop = Some(num(Some(&v), "stop price")?);
        } else {
            pos.push(a);
        }
    }
    let usage = || {
        format!("usage: {}", HELP.split(" | ").find(|h| h.starts_with("order")).unwrap_or("order"))
    };
    if pos.len() < 4 {
        return Err(usage());
    }
    r.buy = match pos[0].to_ascii_lowercase().as_str() {
        "buy" | "b" => true,
        "sell" | "s" => false,
        _ => return Err(usage()),
    };
    r.symbol = symbols.resolve(pos[1]);
    r.qty = num(pos.get(2), "quantity")?;
    (r.order_type, r.price1, r.price2) = match pos[3].to_ascii_lowercase().as_str() {
        "market" | "mkt" => (ORDER_TYPE_MARKET, 0.0, 0.0),
        "limit" | "lmt" => (ORDER_TYPE_LIMIT, num(pos.get(4), "limit price")?, 0.0),
        "stop" | "stp" => (ORDER_TYPE_STOP, num(pos.get(4), "stop price")?, 0.0),
        "stoplimit" | "stop-limit" => {
            (ORDER_TYPE_STOP_LIMIT, num(pos.get(4), "stop price")?, num(pos.get(5), "limit price")?)
        }
        other => return Err(format!("unknown order type {other}")),
    };
    Ok(r)
}

/// Runs one text command on `conn`; `None` when the command is not a DTC one. `automated`
/// marks orders as placed by a program (IsAutomatedOrder); `now` is the orders' sent-at stamp.
/// The caller sends what the connection queued.
pub fn run(
    conn: &mut Connection,
    cmd: &str,
    automated: bool,
    now: Instant,
) -> Option<Result<String, String>> {
    let c = match parse(cmd, conn.symbols())? {
        Ok(c) => c,
        Err(e) => return Some(Err(e)),
    };
    let label = conn.label().to_string();
    let failed = |e: OrderError| format!("{label}: {e}");
    Some(match c {
        Command::Accounts => Ok(conn.trading_book().accounts_text()),
        Command::Positions => Ok(conn.trading_book().positions_text()),
        Command::Orders => Ok(conn.trading_book().orders_text()),
        Command::Fills => {
            let _ = conn.request_fills(30);
            Ok(conn.trading_book().fills_text())
        }
        Command::Symbols => Ok(symbols_text(conn.symbols())),
        Command::Refresh => conn
            .refresh()
            .map(|_| "requested accounts, balances, positions, open orders".into())
            .map_err(failed),
        Command::Help => Ok(HELP.to_string()),
        Command::Order(r) => {
            let r = OrderRequest { automated, ..r };
            conn.submit(&r, now).map_err(failed).map(|cid| order_sent(&r, cid))
        }
        Command::Cancel(id) => {
            conn.cancel(&id, now).map(|_| format!("cancel sent for {id}")).map_err(failed)
        }
        Command::Replace { id, price, qty } => conn
            .replace(&id, price, qty, now)
            .map(|_| format!("replace sent for {id}"))
            .map_err(failed),
    })
}

/// The answer to an `order` command.
pub fn order_sent(r: &OrderRequest, cid: super::orders::ClientOrderId) -> String {
    let side = if r.buy { "buy" } else { "sell" };
    let ty = order_type_name(r.order_type);
    format!("order sent: {side} {} {} {ty} ClientOrderID {cid}", r.qty, r.symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_typed_commands() {
        let syms = SymbolTable::new(&["ESZ6_FUT_CME".into()], &Default::default());
        let p = |c: &str| parse(c, &syms).unwrap();
        let Ok(Command::Order(r)) =
            p("order sell es 2 limit 4500.25 account=A target=4400 stop=4600")
        else {
            panic!()
        };
        assert_eq!((r.buy, r.symbol.as_str(), r.qty), (false, "ESZ6_FUT_CME", 2.0));
        assert_eq!(
            (r.order_type, r.price1, r.account.as_deref()),
            (ORDER_TYPE_LIMIT, 4500.25, Some("A"))
        );
        assert_eq!((r.target, r.stop, r.automated), (Some(4400.0), Some(4600.0), true));
        assert_eq!(
            p("replace S1 10 2"),
            Ok(Command::Replace { id: "S1".into(), price: 10.0, qty: Some(2.0) })
        );
        assert!(p("replace S1 x").is_err());
        assert!(p("order buy ES x market").is_err());
        assert!(p("cancel").is_err());
        assert!(parse("frobnicate", &syms).is_none());
    }
}
