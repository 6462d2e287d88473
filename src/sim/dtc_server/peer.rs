//! The simulator's answers as a pure function of messages (no sockets, threads or clock), for
//! its connections and for in-memory client tests.

use super::state::SimState;
use crate::dtc::messages::*;
use crate::dtc::types::consts::*;
use crate::dtc::Message;

/// The answer of the simulated exchange to a trading or definition request; `None` for other
/// messages. `now_s` is Unix seconds.
pub(super) fn exchange_reply(st: &mut SimState, m: &Message, now_s: f64) -> Option<Vec<Message>> {
    Some(match m {
        Message::SecurityDefinitionForSymbolRequest(r) => {
            match st.symbol_index(r.symbol.as_str()) {
                Some(i) => vec![st.security_definition(i, r.request_id).into()],
                None => vec![SecurityDefinitionReject {
                    request_id: r.request_id,
                    reject_text: "unknown symbol".into(),
                }
                .into()],
            }
        }
        Message::TradeAccountsRequest(r) => {
            let n = st.accounts.len() as i32;
            let accounts = st.accounts.iter().enumerate();
            accounts
                .map(|(k, a)| {
                    TradeAccountResponse {
                        total_number_messages: n,
                        message_number: k as i32 + 1,
                        trade_account: a.as_str().into(),
                        request_id: r.request_id,
                        ..Default::default()
                    }
                    .into()
                })
                .collect()
        }
        Message::AccountBalanceRequest(r) => st.balances(r),
        Message::HistoricalAccountBalancesRequest(r) => st.balance_history(r, now_s),
        Message::ExchangeListRequest(r) => super::state::exchange_list(r.request_id),
        Message::CurrentPositionsRequest(r) => st.positions(r),
        Message::OpenOrdersRequest(r) => st.open_orders(r, now_s),
        Message::HistoricalOrderFillsRequest(r) => st.fills(r),
        Message::SubmitNewSingleOrder(o) => st.submit(o, now_s),
        Message::SubmitNewOcoOrder(o) => st.submit_oco(o, now_s),
        Message::CancelOrder(c) => vec![st.cancel(c, now_s)],
        Message::CancelReplaceOrder(c) => vec![st.replace(c, now_s)],
        _ => return None,
    })
}

/// A simulated Sierra Chart without the network: logon, definitions, a snapshot per
/// subscription, accounts and orders (the simulator's exchange, prices as real prices).
#[derive(Debug)]
pub struct SimPeer {
    state: SimState,
}

impl SimPeer {
    /// An exchange listing `symbols` (`ES…` ones with DisplayPriceMultiplier 0.01).
    pub fn new(symbols: &[String]) -> SimPeer {
        SimPeer { state: SimState::new(symbols, 7) }
    }

    /// What the simulator answers to `m` at `now_s` (Unix seconds).
    pub fn respond(&mut self, m: &Message, now_s: f64) -> Vec<Message> {
        let st = &mut self.state;
        match m {
            Message::EncodingRequest(r) => {
                vec![EncodingResponse { encoding: r.encoding, ..Default::default() }.into()]
            }
            Message::LogonRequest(_) => vec![LogonResponse {
                result: LOGON_SUCCESS,
                server_name: "v9bridge DTC simulator".into(),
                trading_is_supported: 1,
                security_definitions_supported: 1,
                oco_orders_supported: 1,
                bracket_orders_supported: 1,
                ..Default::default()
            }
            .into()],
            Message::MarketDataRequest(r) => match st.symbol_index(r.symbol.as_str()) {
                Some(i) => vec![st.snapshot(i, r.symbol_id).into()],
                None => vec![MarketDataReject {
                    symbol_id: r.symbol_id,
                    reject_text: "unknown symbol".into(),
                }
                .into()],
            },
            other => exchange_reply(st, other, now_s).unwrap_or_default(),
        }
    }

    /// Moves symbol `i` one random step and fills resting orders that crossed.
    pub fn tick(&mut self, i: usize, now_s: f64) -> Vec<Message> {
        self.state.step(i);
        self.state.match_resting(now_s)
    }
}
