//! One-off queries on a connection (exchange list, historical balances): a RequestID each, the answers collected until the final flag, a deadline.

use super::messages::*;
use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

/// How long a query waits for its final answer by default.
pub const QUERY_WAIT: Duration = Duration::from_secs(10);
/// Queries in flight at once (more are refused, not queued: the caller retries).
pub const MAX_OPEN: usize = 16;
/// Finished queries kept for their caller to read (oldest dropped first).
pub const MAX_DONE: usize = 16;
/// Answer messages kept per query (a server that sends more is cut off and says so).
pub const MAX_ROWS: usize = 1000;

/// What was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    /// EXCHANGE_LIST_REQUEST (500).
    ExchangeList,
    /// HISTORICAL_ACCOUNT_BALANCES_REQUEST (603).
    HistoricalBalances,
}

/// Where a query stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryOutcome {
    /// Sent; the final answer has not arrived.
    Pending,
    /// Every answer arrived (`rows` may be empty: the server's "no data" flag).
    Done,
    /// The server refused it (its RejectText).
    Rejected(String),
    /// No final answer within the wait.
    TimedOut,
    /// The connection closed before the final answer.
    Closed,
}

/// A query and what came back for it.
#[derive(Clone, Debug)]
pub struct QueryAnswer {
    /// Its RequestID.
    pub request_id: i32,
    /// What it asked.
    pub kind: QueryKind,
    /// Where it stands.
    pub outcome: QueryOutcome,
    /// EXCHANGE_LIST_RESPONSE messages, as received.
    pub exchanges: Vec<ExchangeListResponse>,
    /// HISTORICAL_ACCOUNT_BALANCE_RESPONSE messages with a balance (the "no data" one is not kept).
    pub balances: Vec<HistoricalAccountBalanceResponse>,
    /// Answers past [`MAX_ROWS`] that were not kept.
    pub truncated: u32,
}

/// Why a query was not sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// The connection is not logged on.
    NotLoggedOn,
    /// [`MAX_OPEN`] queries are already waiting.
    TooMany,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::NotLoggedOn => f.write_str("not logged on"),
            QueryError::TooMany => write!(f, "{MAX_OPEN} queries already wait for an answer"),
        }
    }
}

impl std::error::Error for QueryError {}

/// The queries of one connection.
#[derive(Debug)]
pub(crate) struct Queries {
    open: Vec<(QueryAnswer, Instant)>,
    done: VecDeque<QueryAnswer>,
    wait: Duration,
    /// Bumped whenever a query finishes (snapshots copy the answers only when it moved).
    generation: u64,
}

impl Queries {
    pub(crate) fn new() -> Self {
        Queries { open: Vec::new(), done: VecDeque::new(), wait: QUERY_WAIT, generation: 0 }
    }

    pub(crate) fn set_wait(&mut self, wait: Duration) {
        self.wait = wait;
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Registers query `request_id` sent at `now`.
    pub(crate) fn start(
        &mut self,
        request_id: i32,
        kind: QueryKind,
        now: Instant,
    ) -> Result<(), QueryError> {
        if self.open.len() >= MAX_OPEN {
            return Err(QueryError::TooMany);
        }
        let q = QueryAnswer {
            request_id,
            kind,
            outcome: QueryOutcome::Pending,
            exchanges: Vec::new(),
            balances: Vec::new(),
            truncated: 0,
        };
        self.open.push((q, now + self.wait));
        Ok(())
    }

    /// Room for one more query.
    pub(crate) fn has_room(&self) -> bool {
        self.open.len() < MAX_OPEN
    }

    /// The query `request_id`, open or finished (None once it aged out or was never sent).
    pub(crate) fn get(&self, request_id: i32) -> Option<&QueryAnswer> {
        let open = self.open.iter().map(|(q, _)| q);
        open.chain(self.done.iter()).find(|q| q.request_id == request_id)
    }

    /// Finished queries, oldest first.
    pub(crate) fn done(&self) -> impl Iterator<Item = &QueryAnswer> {
        self.done.iter()
    }

    /// Takes `m` if it answers a query; false when it is not a query answer.
    pub(crate) fn handle(&mut self, m: &Message, label: &str) -> bool {
        let (id, last) = match m {
            Message::ExchangeListResponse(r) => (r.request_id, r.is_final_message != 0),
            Message::HistoricalAccountBalanceResponse(r) => {
                (r.request_id, r.is_final_response != 0 || r.no_account_balances != 0)
            }
            Message::HistoricalAccountBalancesReject(r) => (r.request_id, true),
            _ => return false,
        };
        let Some(i) = self.open.iter().position(|(q, _)| q.request_id == id) else {
            log::debug!("{label}: answer to no open query (RequestID {id}, {})", m.name());
            return true;
        };
        let q = &mut self.open[i].0;
        match m {
            Message::ExchangeListResponse(r) => keep(&mut q.exchanges, *r, &mut q.truncated),
            Message::HistoricalAccountBalanceResponse(r) if r.no_account_balances == 0 => {
                keep(&mut q.balances, **r, &mut q.truncated)
            }
            Message::HistoricalAccountBalancesReject(r) => {
                log::warn!("{label}: historical balances refused: {:?}", r.reject_text.as_str());
                q.outcome = QueryOutcome::Rejected(r.reject_text.as_str().to_string());
            }
            _ => {}
        }
        if last {
            self.finish(i, QueryOutcome::Done);
        }
        true
    }

    /// Times out the queries whose deadline passed.
    pub(crate) fn handle_timeout(&mut self, now: Instant, label: &str) {
        while let Some(i) = self.open.iter().position(|(_, d)| *d <= now) {
            let q = &self.open[i].0;
            log::warn!("{label}: no final answer to {:?} (RequestID {})", q.kind, q.request_id);
            self.finish(i, QueryOutcome::TimedOut);
        }
    }

    /// The connection closed: no open query will be answered.
    pub(crate) fn on_close(&mut self) {
        while !self.open.is_empty() {
            self.finish(0, QueryOutcome::Closed);
        }
    }

    /// The earliest deadline.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.open.iter().map(|(_, d)| *d).min()
    }

    fn finish(&mut self, i: usize, outcome: QueryOutcome) {
        let (mut q, _) = self.open.swap_remove(i);
        // A reject is final: it stays what it said.
        if q.outcome == QueryOutcome::Pending {
            q.outcome = outcome;
        }
        if self.done.len() >= MAX_DONE {
            self.done.pop_front();
        }
        self.done.push_back(q);
        self.generation += 1;
    }
}

fn keep<T>(rows: &mut Vec<T>, m: T, truncated: &mut u32) {
    if rows.len() < MAX_ROWS {
        rows.push(m);
    } else {
        *truncated = truncated.saturating_add(1);
    }
}
