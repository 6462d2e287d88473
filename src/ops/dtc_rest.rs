//! python-ws-dtc-client's REST API over a DTC connection: the same paths and the same JSON
//! (DTC messages with their header's field names and `Type`, in a list), per connection
//! (`?connection=es`, default the first). Answered from the connection's state when it is
//! synced; otherwise the request goes out on that connection (a refresh, or a fills request)
//! and the answer comes from the first snapshot taken after the server answered, within
//! `[ops] dtc_wait_ms`. The exchange list and balance history are one-off queries
//! (`dtc_query.rs`).

use super::routes::{Outcome, Pending, ReplyBody, Waiter};
use super::server::Server;
use super::snapshot::DtcRow;
use crate::dtc::{Message, SecurityDefinitionResponse, TradeAccountResponse};
use std::time::{Duration, Instant};

/// The python-ws-dtc-client paths.
pub(crate) const PATHS: [&str; 7] = [
    "/api/v1/accountbalance",
    "/api/v1/currentpositions",
    "/api/v1/exchangelist",
    "/api/v1/historicalaccountbalances",
    "/api/v1/historicalorderfills",
    "/api/v1/securitydefinition",
    "/api/v1/tradeaccounts",
];

/// What a query asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    AccountBalance,
    ExchangeList,
    HistoricalBalances,
    CurrentPositions,
    HistoricalOrderFills,
    TradeAccounts,
}

/// A DTC query waiting for the server's answer.
#[derive(Debug)]
pub(crate) struct Query {
    kind: Kind,
    /// Index of the connection in the snapshot.
    conn: usize,
    /// `TradeAccount=` filter.
    account: Option<String>,
    /// The RequestID of a one-off query, once the loop sent it.
    request_id: Option<i32>,
}

impl Query {
    pub(crate) fn new(kind: Kind, conn: usize, account: Option<String>) -> Query {
        Query { kind, conn, account, request_id: None }
    }

    /// The loop sent the query with this RequestID.
    pub(crate) fn asked(&mut self, request_id: i32) {
        self.request_id = Some(request_id);
    }
}

impl Server {
    /// Answers a python-ws-dtc-client path (now, or once the connection has the data).
    pub(crate) fn dtc_rest(&mut self, key: usize, path: &str, query: &str, close: bool) -> Outcome {
        let s = &self.view.snap;
        let want = super::http::query_param(query, "connection");
        let found = match &want {
            Some(w) => s.dtc.iter().position(|d| d.short == *w || d.name == *w),
            None => (!s.dtc.is_empty()).then_some(0),
        };
        let Some(conn) = found else {
            let have: Vec<&str> = s.dtc.iter().map(|d| d.short.as_str()).collect();
            return match want {
                Some(w) => {
                    Outcome::error(404, &format!("no DTC connection named {w:?} (have {have:?})"))
                }
                None => Outcome::error(404, "no DTC connection is configured ([dtc.NAME])"),
            };
        };
        let d = &s.dtc[conn];
        let account = super::http::query_param(query, "TradeAccount");
        let kind = match path.rsplit('/').next().unwrap_or("") {
            "accountbalance" => Kind::AccountBalance,
            "currentpositions" => Kind::CurrentPositions,
            "historicalorderfills" => Kind::HistoricalOrderFills,
            "tradeaccounts" => Kind::TradeAccounts,
            "securitydefinition" => return security_definition(d, query),
            "exchangelist" => return self.dtc_query(key, conn, Kind::ExchangeList, query, close),
            _ => return self.dtc_query(key, conn, Kind::HistoricalBalances, query, close),
        };
        if !d.logged_on {
            let err = if d.last_error.is_empty() {
                String::new()
            } else {
                format!("; last error: {}", d.last_error)
            };
            return Outcome::error(
                503,
                &format!("{} is not logged on (phase {}{err})", d.name, d.phase),
            );
        }
        let q = Query::new(kind, conn, account);
        if kind != Kind::HistoricalOrderFills && d.synced {
            return render(d, &q);
        }
        // Not in the state yet (or fills, which only a request brings): ask on that connection.
        let name = d.short.clone();
        let days = super::http::query_param(query, "NumberOfDays")
            .and_then(|n| n.parse::<i32>().ok())
            .filter(|n| (1..=3650).contains(n))
            .unwrap_or(30);
        let queued = self.call_engine(key, move |eps, c| {
            let Some(d) = eps.dtc_mut(&name) else {
                return ReplyBody::Failed(404, format!("no DTC connection named {name:?}"));
            };
            let sent = d.act(c.now, |conn, _| {
                if kind == Kind::HistoricalOrderFills {
                    conn.request_fills(days)
                } else {
                    conn.refresh()
                }
            });
            match sent {
                Ok(()) => ReplyBody::Ran(c.now),
                Err(e) => ReplyBody::Failed(503, e.to_string()),
            }
        });
        match queued {
            Ok(()) => Outcome::Wait(Pending {
                deadline: Instant::now() + Duration::from_millis(self.cfg.dtc_wait_ms),
                close,
                what: Waiter::Dtc(q),
                ran_at: None,
            }),
            Err(e) => Outcome::error(503, &e),
        }
    }

    /// The answer to `q` from the latest snapshot; None to keep waiting (unless `last`).
    pub(crate) fn dtc_answer(&self, q: &Query, last: bool) -> Option<Outcome> {
        let d = self.view.snap.dtc.get(q.conn)?;
        if matches!(q.kind, Kind::ExchangeList | Kind::HistoricalBalances) {
            let answered = q.request_id.and_then(|id| super::dtc_query::query_answer(d, id));
            return answered.or_else(|| {
                last.then(|| {
                    let ms = self.cfg.dtc_wait_ms;
                    Outcome::error(504, &format!("{}: no answer within {ms} ms", d.name))
                })
            });
        }
        if d.synced {
            return Some(render(d, q));
        }
        last.then(|| {
            Outcome::error(
                504,
                &format!(
                    "{}: no answer from the DTC server within {} ms (phase {})",
                    d.name, self.cfg.dtc_wait_ms, d.phase
                ),
            )
        })
    }
}

/// The messages of `q`'s kind as a JSON list, unset fields as 0 (as Sierra Chart sends them).
fn render(d: &DtcRow, q: &Query) -> Outcome {
    let keep = |a: &str| q.account.as_deref().is_none_or(|w| w == a);
    let raw = &d.raw;
    let msgs: Vec<Message> = match q.kind {
        Kind::AccountBalance => raw
            .balances
            .iter()
            .filter(|b| keep(b.trade_account.as_str()))
            .map(|b| Message::from(*b))
            .collect(),
        Kind::CurrentPositions => raw
            .positions
            .iter()
            .filter(|p| keep(p.trade_account.as_str()))
            .map(|p| Message::from(*p))
            .collect(),
        Kind::HistoricalOrderFills => raw
            .fills
            .iter()
            .filter(|f| keep(f.trade_account.as_str()))
            .map(|f| Message::from(*f))
            .collect(),
        // Answered by dtc_query, never from the state.
        Kind::ExchangeList | Kind::HistoricalBalances => Vec::new(),
        Kind::TradeAccounts => {
            let n = d.accounts.len() as i32;
            let accounts = d.accounts.iter().filter(|a| keep(a));
            accounts
                .enumerate()
                .map(|(i, a)| {
                    Message::from(TradeAccountResponse {
                        total_number_messages: n,
                        message_number: i as i32 + 1,
                        trade_account: a.as_str().into(),
                        ..Default::default()
                    })
                })
                .collect()
        }
    };
    Outcome::json(200, json_list(msgs))
}

pub(crate) fn json_list(msgs: Vec<Message>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + msgs.len() * 400);
    out.push(b'[');
    for (i, mut m) in msgs.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        m.unset_to_zero();
        crate::dtc::json::encode(&m, &mut out);
    }
    out.push(b']');
    out
}

/// `securitydefinition?Symbol=S`: what the connection learnt from the server's definition.
fn security_definition(d: &DtcRow, query: &str) -> Outcome {
    let Some(sym) = super::http::query_param(query, "Symbol") else {
        return Outcome::error(400, "missing ?Symbol=");
    };
    let Some(s) = d.symbols.iter().find(|s| s.name == sym || s.market_name == sym) else {
        return Outcome::error(
            404,
            &format!(
                "{sym} is not a symbol of {} (it defines only its configured symbols)",
                d.name
            ),
        );
    };
    // The client keeps the multiplier of a definition, not the whole message: only the fields it
    // knows are sent (same names as Sierra Chart's 507).
    let def = SecurityDefinitionResponse {
        symbol: s.name.as_str().into(),
        display_price_multiplier: s.multiplier as f32,
        is_final_message: 1,
        ..Default::default()
    };
    let body = serde_json::json!([{
        "Type": SecurityDefinitionResponse::TYPE,
        "RequestID": def.request_id,
        "Symbol": def.symbol.as_str(),
        "Exchange": def.exchange.as_str(),
        "DisplayPriceMultiplier": def.display_price_multiplier,
        "IsFinalMessage": def.is_final_message,
        "SymbolID": s.id,
    }]);
    Outcome::ok(&body)
}
