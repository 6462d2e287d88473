//! Text commands of a DTC connection (`accounts`, `positions`, `orders`, `order ...`, `cancel`).

use super::client::DtcClient;
use super::trading::OrderRequest;
use super::types::consts::*;
use std::time::Instant;

/// Help text.
pub const HELP: &str = "accounts | positions | orders | fills | symbols | refresh | \
order buy|sell SYMBOL QTY market|limit|stop|stoplimit [PRICE1 [PRICE2]] [account=NAME] \
[target=PRICE stop=PRICE] | \
cancel ID | replace ID PRICE [QTY]";

fn num(s: Option<&&str>, what: &str) -> Result<f64, String> {
    let s = s.ok_or_else(|| format!("missing {what}"))?;
    s.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("bad {what}: {s}"))
}

/// Runs one command; `None` when the command is not a DTC one.
pub fn run(c: &mut DtcClient, cmd: &str, now: Instant) -> Option<Result<String, String>> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let (&verb, rest) = words.split_first()?;
    Some(match verb.to_ascii_lowercase().as_str() {
        "accounts" => Ok(c.book.accounts_text()),
        "positions" => Ok(c.book.positions_text()),
        "orders" => Ok(c.book.orders_text()),
        "fills" => {
            let _ = c.request_fills(30, now);
            Ok(c.book.fills_text())
        }
        "symbols" => Ok(c.symbols_report()),
        "refresh" => {
            c.refresh(now).map(|_| "requested accounts, balances, positions, open orders".into())
        }
        "help" => Ok(HELP.to_string()),
        "order" => order(c, rest, now),
        "cancel" => match rest.first() {
            Some(id) => c.cancel_order(id, now),
            None => Err("usage: cancel ID".into()),
        },
        "replace" => match rest {
            [id, p, more @ ..] => {
                let price = match num(Some(p), "price") {
                    Ok(v) => v,
                    Err(e) => return Some(Err(e)),
                };
                let qty = match more.first() {
                    Some(q) => match num(Some(q), "quantity") {
                        Ok(v) => Some(v),
                        Err(e) => return Some(Err(e)),
                    },
                    None => None,
                };
                c.replace_order(id, price, qty, now)
            }
            _ => Err("usage: replace ID PRICE [QTY]".into()),
        },
        _ => return None,
    })
}

fn order(c: &mut DtcClient, args: &[&str], now: Instant) -> Result<String, String> {
    let mut account = None;
    let (mut target, mut stop) = (None, None);
    let mut pos: Vec<&str> = Vec::new();
    for a in args {
        if let Some(v) = a.strip_prefix("account=") {
            account = Some(v.to_string());
        } else if let Some(v) = a.strip_prefix("target=") {
            target = Some(num(Some(&v), "target price")?);
        } else if let Some(v) = a.strip_prefix("stop=") {
            stop = Some(num(Some(&v), "stop price")?);
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
    let buy = match pos[0].to_ascii_lowercase().as_str() {
        "buy" | "b" => true,
        "sell" | "s" => false,
        _ => return Err(usage()),
    };
    let symbol = c.symbols.resolve(pos[1]);
    let qty = num(pos.get(2), "quantity")?;
    let (ty, p1, p2) = match pos[3].to_ascii_lowercase().as_str() {
        "market" | "mkt" => (ORDER_TYPE_MARKET, 0.0, 0.0),
        "limit" | "lmt" => (ORDER_TYPE_LIMIT, num(pos.get(4), "limit price")?, 0.0),
        "stop" | "stp" => (ORDER_TYPE_STOP, num(pos.get(4), "stop price")?, 0.0),
        "stoplimit" | "stop-limit" => {
            (ORDER_TYPE_STOP_LIMIT, num(pos.get(4), "stop price")?, num(pos.get(5), "limit price")?)
        }
        other => return Err(format!("unknown order type {other}")),
    };
    let req = OrderRequest {
        buy,
        symbol: symbol.clone(),
        qty,
        order_type: ty,
        price1: p1,
        price2: p2,
        account,
        target,
        stop,
    };
    let cid = c.submit(&req, now)?;
    Ok(format!("order sent: {} {} {} {} ClientOrderID {cid}", pos[0], qty, symbol, pos[3]))
}
