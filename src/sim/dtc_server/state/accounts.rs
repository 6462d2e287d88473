//! The simulated exchange's account queries: open orders, positions, balances, fills.

use super::{order_update, SimOrder, SimState};
use crate::dtc::messages::*;
use crate::dtc::types::consts::*;

impl SimState {
    pub fn open_orders(&self, r: &OpenOrdersRequest, now_s: f64) -> Vec<Message> {
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

    pub fn positions(&self, r: &CurrentPositionsRequest) -> Vec<Message> {
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

    pub fn balances(&self, r: &AccountBalanceRequest) -> Vec<Message> {
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

    pub fn fills(&self, r: &HistoricalOrderFillsRequest) -> Vec<Message> {
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
