//! The simulated exchange's account queries: open orders, positions, balances, fills.

use super::{order_update, SimOrder, SimState, OPENING_DEPOSIT};
use crate::dtc::messages::*;
use crate::dtc::types::consts::*;

impl SimState {
    pub(crate) fn open_orders(&self, r: &OpenOrdersRequest, now_s: f64) -> Vec<Message> {
        let acct = r.trade_account.as_str();
        let list: Vec<&SimOrder> = self
            .orders
            .iter()
            .filter(|o| matches!(o.status, ORDER_STATUS_OPEN | ORDER_STATUS_PENDING_CHILD))
            .filter(|o| acct.is_empty() || o.account == acct)
            .filter(|o| r.request_all_orders != 0 || o.server_id == r.server_order_id.as_str())
            .collect();
        if list.is_empty() {
            return vec![OrderUpdate {
                request_id: r.request_id,
                total_num_messages: 1,
                message_number: 1,
                no_orders: 1,
                order_update_reason: OUR_OPEN_ORDERS_REQUEST_RESPONSE,
                ..Default::default()
            }
            .into()];
        }
        let n = list.len() as i32;
        list.iter()
            .enumerate()
            .map(|(k, o)| {
                let mut u = order_update(o, OUR_OPEN_ORDERS_REQUEST_RESPONSE, "", now_s);
                u.request_id = r.request_id;
                u.total_num_messages = n;
                u.message_number = k as i32 + 1;
                u.into()
            })
            .collect()
    }

    pub(crate) fn positions(&self, r: &CurrentPositionsRequest) -> Vec<Message> {
        let acct = r.trade_account.as_str();
        let list: Vec<_> =
            self.positions.iter().filter(|((a, _), _)| acct.is_empty() || a == acct).collect();
        if list.is_empty() {
            let mut p = position_update(acct, "", (0.0, 0.0), r.request_id, 1, 1, 0);
            p.no_positions = 1;
            return vec![p.into()];
        }
        let n = list.len() as i32;
        list.iter()
            .enumerate()
            .map(|(k, ((a, s), v))| {
                position_update(a, s, **v, r.request_id, n, k as i32 + 1, 0).into()
            })
            .collect()
    }

    pub(crate) fn balances(&self, r: &AccountBalanceRequest) -> Vec<Message> {
        let acct = r.trade_account.as_str();
        let list: Vec<_> =
            self.balances.iter().filter(|(a, _)| acct.is_empty() || *a == acct).collect();
        if list.is_empty() {
            return vec![AccountBalanceReject {
                request_id: r.request_id,
                reject_text: "unknown trade account".into(),
            }
            .into()];
        }
        let n = list.len() as i32;
        list.iter()
            .enumerate()
            .map(|(k, (a, cash))| {
                AccountBalanceUpdate {
                    request_id: r.request_id,
                    cash_balance: **cash,
                    balance_available_for_new_positions: **cash,
                    account_currency: "USD".into(),
                    trade_account: a.as_str().into(),
                    total_number_messages: n,
                    message_number: k as i32 + 1,
                    ..Default::default()
                }
                .into()
            })
            .collect()
    }

    pub(crate) fn fills(&self, r: &HistoricalOrderFillsRequest) -> Vec<Message> {
        let acct = r.trade_account.as_str();
        let sid = r.server_order_id.as_str();
        let list: Vec<_> = self
            .fills
            .iter()
            .filter(|f| {
                (acct.is_empty() || f.trade_account.as_str() == acct)
                    && (sid.is_empty() || f.server_order_id.as_str() == sid)
            })
            .collect();
        if list.is_empty() {
            return vec![HistoricalOrderFillResponse {
                request_id: r.request_id,
                total_number_messages: 1,
                message_number: 1,
                no_order_fills: 1,
                ..Default::default()
            }
            .into()];
        }
        let n = list.len() as i32;
        list.iter()
            .enumerate()
            .map(|(k, f)| {
                let mut f = **f;
                f.request_id = r.request_id;
                f.total_number_messages = n;
                f.message_number = k as i32 + 1;
                f.into()
            })
            .collect()
    }
}

pub(super) fn position_update(
    account: &str,
    symbol: &str,
    (qty, avg): (f64, f64),
    request_id: i32,
    total: i32,
    num: i32,
    unsolicited: u8,
) -> PositionUpdate {
    PositionUpdate {
        request_id,
        total_number_messages: total,
        message_number: num,
        symbol: symbol.into(),
        quantity: qty,
        average_price: avg,
        trade_account: account.into(),
        unsolicited,
        ..Default::default()
    }
}

/// The exchanges a Sierra Chart CME-group feed lists (EXCHANGE_LIST_RESPONSE, 501).
const EXCHANGES: [(&str, &str); 5] = [
    ("CME", "Chicago Mercantile Exchange"),
    ("CBOT", "Chicago Board of Trade"),
    ("NYMEX", "New York Mercantile Exchange"),
    ("COMEX", "Commodity Exchange"),
    ("CFE", "CBOE Futures Exchange"),
];

/// The exchange list, `IsFinalMessage` on the last.
pub(crate) fn exchange_list(request_id: i32) -> Vec<Message> {
    let n = EXCHANGES.len();
    let rows = EXCHANGES.iter().enumerate();
    rows.map(|(k, (code, what))| {
        ExchangeListResponse {
            request_id,
            exchange: (*code).into(),
            is_final_message: (k + 1 == n) as u8,
            description: (*what).into(),
        }
        .into()
    })
    .collect()
}

impl SimState {
    /// Each account's balance history since `StartDateTime`: its opening deposit (at the first
    /// request the simulator saw) and, when it moved since, the current balance. The simulated
    /// exchange books no cash, so the second entry appears only if a balance changed.
    pub(crate) fn balance_history(
        &mut self,
        r: &HistoricalAccountBalancesRequest,
        now_s: f64,
    ) -> Vec<Message> {
        let opened = *self.opened_s.get_or_insert(now_s);
        let acct = r.trade_account.as_str();
        if !acct.is_empty() && !self.balances.contains_key(acct) {
            return vec![HistoricalAccountBalancesReject {
                request_id: r.request_id,
                reject_text: "unknown trade account".into(),
            }
            .into()];
        }
        let since = r.start_date_time as f64;
        let mut rows = Vec::new();
        for (a, cash) in self.balances.iter().filter(|(a, _)| acct.is_empty() || *a == acct) {
            let mut entries = vec![(opened, OPENING_DEPOSIT, "deposit")];
            if *cash != OPENING_DEPOSIT {
                entries.push((now_s, *cash, "balance"));
            }
            for (at, cash, what) in entries.into_iter().filter(|e| e.0 >= since) {
                rows.push(HistoricalAccountBalanceResponse {
                    request_id: r.request_id,
                    date_time: at,
                    cash_balance: cash,
                    account_currency: "USD".into(),
                    trade_account: a.as_str().into(),
                    info_text: what.into(),
                    transaction_id: format!("{a}-{}", rows.len() + 1).as_str().into(),
                    ..Default::default()
                });
            }
        }
        match rows.last_mut() {
            Some(last) => last.is_final_response = 1,
            None => rows.push(HistoricalAccountBalanceResponse {
                request_id: r.request_id,
                is_final_response: 1,
                no_account_balances: 1,
                ..Default::default()
            }),
        }
        rows.into_iter().map(Message::from).collect()
    }
}
