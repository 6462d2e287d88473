//! `/api/v1/exchangelist` and `/api/v1/historicalaccountbalances`: a DTC query sent on the chosen connection, answered from the first snapshot that holds its final answer (or its reject, timeout, close).

use super::dtc_rest::{json_list, Kind, Query};
use super::routes::{Outcome, Pending, ReplyBody, Waiter};
use super::server::Server;
use super::snapshot::DtcRow;
use crate::dtc::{Message, QueryAnswer, QueryOutcome};
use std::time::{Duration, Instant};

/// Longest `TradeAccount` the DTC field holds (`char[32]`, NUL-terminated).
const MAX_ACCOUNT: usize = 31;

/// What a query's parameters ask, checked before anything goes out.
fn params(kind: Kind, query: &str) -> Result<(String, i64), String> {
    if kind == Kind::ExchangeList {
        return Ok((String::new(), 0));
    }
    let account = super::http::query_param(query, "TradeAccount").unwrap_or_default();
    if account.len() > MAX_ACCOUNT {
        return Err(format!("TradeAccount is longer than {MAX_ACCOUNT} bytes"));
    }
    let start = match super::http::query_param(query, "StartDateTime") {
        None => 0,
        Some(s) => match s.trim().parse::<i64>() {
            Ok(t) if t >= 0 => t,
            _ => {
                return Err(format!(
                    "StartDateTime must be Unix seconds (an integer >= 0), not {s:?}"
                ))
            }
        },
    };
    Ok((account, start))
}

impl Server {
    /// Sends the query of `kind` on connection `conn` (index in the snapshot) and waits for it.
    pub(crate) fn dtc_query(
        &mut self,
        key: usize,
        conn: usize,
        kind: Kind,
        query: &str,
        close: bool,
    ) -> Outcome {
        let (account, start) = match params(kind, query) {
            Ok(p) => p,
            Err(e) => return Outcome::error(400, &e),
        };
        let Some(d) = self.view.snap.dtc.get(conn) else {
            return Outcome::error(404, "no such DTC connection");
        };
        if !d.logged_on {
            return Outcome::error(
                503,
                &format!("{} is not logged on (phase {})", d.name, d.phase),
            );
        }
        let name = d.short.clone();
        let queued = self.call_engine(key, move |eps, c| {
            let Some(d) = eps.dtc_mut(&name) else {
                return ReplyBody::Failed(404, format!("no DTC connection named {name:?}"));
            };
            let sent = d.act(c.now, |conn, t| match kind {
                Kind::ExchangeList => conn.request_exchange_list(t),
                _ => conn.request_historical_balances(&account, start, t),
            });
            match sent {
                Ok(request_id) => ReplyBody::Asked { at: c.now, request_id },
                Err(e) => ReplyBody::Failed(503, format!("{name}: {e}")),
            }
        });
        match queued {
            Ok(()) => Outcome::Wait(Pending {
                deadline: Instant::now() + Duration::from_millis(self.cfg.dtc_wait_ms),
                close,
                what: Waiter::Dtc(Query::new(kind, conn, None)),
                ran_at: None,
            }),
            Err(e) => Outcome::error(503, &e),
        }
    }
}

/// The answer to query `id` on `d` if the snapshot has it finished; None to keep waiting.
pub(crate) fn query_answer(d: &DtcRow, id: i32) -> Option<Outcome> {
    let a = d.raw.queries.iter().rev().find(|a| a.request_id == id)?;
    Some(match &a.outcome {
        QueryOutcome::Pending => return None,
        QueryOutcome::Done => rows(a),
        QueryOutcome::Rejected(why) => Outcome::error(
            502,
            &format!("{}: the DTC server refused the request (RequestID {id}): {why}", d.name),
        ),
        QueryOutcome::TimedOut => Outcome::error(
            504,
            &format!("{}: no final answer from the DTC server (RequestID {id})", d.name),
        ),
        QueryOutcome::Closed => Outcome::error(
            503,
            &format!("{}: the connection closed before the answer (RequestID {id})", d.name),
        ),
    })
}

/// The answer's messages as a JSON list (the server's "no data" answer is an empty list).
fn rows(a: &QueryAnswer) -> Outcome {
    let mut msgs: Vec<Message> = a.exchanges.iter().map(|e| Message::from(*e)).collect();
    msgs.extend(a.balances.iter().map(|b| Message::from(*b)));
    Outcome::json(200, json_list(msgs))
}
