//! One-off DTC queries in memory against the simulator's exchange with a fake clock: the exchange
//! list (500/501) and historical balances (603/604/606), final flags, "no data", rejects, the
//! bounded wait and a close before the answer.

mod support;
use std::time::Duration;
use support::dtc::pair::*;
use v9bridge::dtc::messages::*;
use v9bridge::dtc::queries::{MAX_OPEN, QUERY_WAIT};
use v9bridge::dtc::{Encoding, Message, QueryAnswer, QueryError, QueryKind, QueryOutcome};

const WAIT: Duration = Duration::from_secs(10);
/// The simulator's exchange answers at this Unix time (see `simulated_exchange`).
const SIM_NOW_S: i64 = 1_767_225_600;

fn session(encoding: Encoding) -> Pair {
    let mut conf = pair_cfg(1);
    conf.encoding = encoding;
    let mut p = Pair::new("sim", &conf);
    p.serve(1, Encoding::Binary, simulated_exchange(&["ESZ6_FUT_CME"]));
    assert!(p.run_until(WAIT, |p| p.client.is_logged_on()), "{:?}", p.client.last_error());
    p
}

fn answer(p: &Pair, id: i32) -> QueryAnswer {
    p.client.query(id).cloned().unwrap_or_else(|| panic!("query {id} is not kept"))
}

#[test]
fn the_exchange_list_arrives_whole_in_every_encoding() {
    support::dtc::init_log();
    for enc in [Encoding::Binary, Encoding::Json, Encoding::JsonCompact] {
        let mut p = session(enc);
        let now = p.now;
        let id = p.client.request_exchange_list(now).unwrap();
        assert_eq!(answer(&p, id).outcome, QueryOutcome::Pending);
        p.drive();
        let a = answer(&p, id);
        assert_eq!((a.kind, &a.outcome), (QueryKind::ExchangeList, &QueryOutcome::Done), "{enc:?}");
        let codes: Vec<&str> = a.exchanges.iter().map(|e| e.exchange.as_str()).collect();
        assert_eq!(codes, ["CME", "CBOT", "NYMEX", "COMEX", "CFE"], "{enc:?}");
        assert!(a.exchanges.iter().all(|e| e.request_id == id && !e.description.is_empty()));
        let finals: Vec<u8> = a.exchanges.iter().map(|e| e.is_final_message).collect();
        assert_eq!(finals, [0, 0, 0, 0, 1], "{enc:?}");
        assert!(p
            .sent
            .iter()
            .any(|(_, m)| matches!(m, Message::ExchangeListRequest(r) if r.request_id == id)));
        // Nothing left to wait for: no query deadline remains.
        let (generation, done) = p.client.finished_queries();
        assert_eq!((generation, done.count()), (1, 1));
    }
}

#[test]
fn historical_balances_per_account_since_a_time_and_the_no_data_flag() {
    support::dtc::init_log();
    let mut p = session(Encoding::Binary);
    let now = p.now;
    let all = p.client.request_historical_balances("", 0, now).unwrap();
    let one = p.client.request_historical_balances("Sim2", SIM_NOW_S, now).unwrap();
    let later = p.client.request_historical_balances("Sim1", SIM_NOW_S + 1, now).unwrap();
    assert!(all != one && one != later && all != 0);
    p.drive();

    let a = answer(&p, all);
    assert_eq!(a.outcome, QueryOutcome::Done);
    let rows: Vec<(&str, f64, f64)> = a
        .balances
        .iter()
        .map(|b| (b.trade_account.as_str(), b.cash_balance, b.date_time))
        .collect();
    let t = SIM_NOW_S as f64;
    assert_eq!(rows, [("Sim1", 100_000.0, t), ("Sim2", 100_000.0, t)]);
    let last: Vec<u8> = a.balances.iter().map(|b| b.is_final_response).collect();
    assert_eq!(last, [0, 1]);
    assert!(a.balances.iter().all(|b| b.account_currency.as_str() == "USD"));

    let b = answer(&p, one);
    assert_eq!(b.outcome, QueryOutcome::Done);
    assert_eq!(b.balances.len(), 1);
    assert_eq!(b.balances[0].trade_account.as_str(), "Sim2");

    // Nothing since StartDateTime: one final message with NoAccountBalances, kept as no rows.
    let c = answer(&p, later);
    assert_eq!((c.outcome, c.balances.len()), (QueryOutcome::Done, 0));
    let no_data = p.sent.iter().any(|(_, m)| {
        matches!(m, Message::HistoricalAccountBalancesRequest(r) if r.request_id == later && r.start_date_time == SIM_NOW_S + 1)
    });
    assert!(no_data, "the request carries StartDateTime");
}

#[test]
fn an_unknown_account_is_rejected_with_the_servers_text() {
    support::dtc::init_log();
    let mut p = session(Encoding::Json);
    let now = p.now;
    let id = p.client.request_historical_balances("Nobody", 0, now).unwrap();
    p.drive();
    let a = answer(&p, id);
    assert_eq!(a.outcome, QueryOutcome::Rejected("unknown trade account".into()));
    assert!(a.balances.is_empty());
}

/// A server that logs on and then never answers a query.
fn silent_server() -> Pair {
    let mut p = Pair::new("quiet", &pair_cfg(2));
    p.serve(2, Encoding::Binary, answers_logon(|_| vec![logon_ok()]));
    assert!(p.run_until(WAIT, |p| p.client.is_logged_on()));
    p
}

#[test]
fn a_query_with_no_answer_fails_after_the_wait() {
    support::dtc::init_log();
    let mut p = silent_server();
    p.client.set_query_wait(Duration::from_secs(3));
    let now = p.now;
    let id = p.client.request_exchange_list(now).unwrap();
    assert!(p.client.poll_timeout().is_some_and(|t| t <= now + Duration::from_secs(3)));
    p.advance(Duration::from_millis(2900));
    assert_eq!(answer(&p, id).outcome, QueryOutcome::Pending);
    p.advance(Duration::from_millis(200));
    assert_eq!(answer(&p, id).outcome, QueryOutcome::TimedOut);
    // A late answer to a finished query changes nothing.
    assert!(p.client.is_logged_on(), "the connection stays up: only the query failed");
    assert!(QUERY_WAIT >= Duration::from_secs(3));
}

#[test]
fn a_close_fails_the_open_queries_and_their_number_is_bounded() {
    support::dtc::init_log();
    let mut p = silent_server();
    let now = p.now;
    let ids: Vec<i32> =
        (0..MAX_OPEN).map(|_| p.client.request_historical_balances("", 0, now).unwrap()).collect();
    assert_eq!(p.client.request_exchange_list(now), Err(QueryError::TooMany));
    p.client.shutdown();
    p.drive();
    assert!(ids.iter().all(|&id| answer(&p, id).outcome == QueryOutcome::Closed));
    assert_eq!(p.client.request_exchange_list(p.now), Err(QueryError::NotLoggedOn));
}

#[test]
fn answers_to_no_open_query_are_ignored() {
    support::dtc::init_log();
    let mut p = Pair::new("stray", &pair_cfg(3));
    let stray = ExchangeListResponse { request_id: 99, is_final_message: 1, ..Default::default() };
    p.serve(3, Encoding::Binary, answers_logon(move |_| vec![logon_ok(), Out::Msg(stray.into())]));
    assert!(p.run_until(WAIT, |p| p.client.is_logged_on()));
    p.drive();
    assert!(p.client.query(99).is_none());
    assert_eq!(p.client.stats().bad, 0);
}
