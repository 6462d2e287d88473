//! The risk state on the operator surface: `GET /api/v1/risk` (kill switch, every account's
//! loss-limit headroom), `POST /api/v1/kill` and `POST /api/v1/arm` (authenticated).

use super::auth;
use super::fill::{set, slot};
use super::http::Request;
use super::routes::{Outcome, Pending, ReplyBody, Waiter};
use super::server::Server;
use super::snapshot::Snapshot;
use crate::engine::Endpoints;
use crate::risk::{KillSwitch, Risk};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// How long a kill or arm may wait for the loop.
const CONTROL_WAIT: Duration = Duration::from_secs(5);
/// Longest kill reason kept (journaled as `ops: <reason>`).
const MAX_REASON: usize = 200;

/// The risk layer as the ops API shows it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RiskRow {
    /// The kill switch is on: opening signals are refused until armed.
    pub killed: bool,
    /// Since when, Unix ns.
    pub killed_since_ns: Option<i64>,
    /// Signals refused by a risk rule so far.
    pub refused: u64,
    /// Accounts excluded by a loss limit.
    pub excluded: usize,
    /// Every configured account, in name order.
    pub accounts: Vec<AccountRow>,
}

/// One configured account's loss-limit state.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AccountRow {
    /// Account name.
    pub account: String,
    /// Dollars left before the daily loss limit (null: no limit).
    pub loss_left: Option<f64>,
    /// Dollars left before the trailing drawdown limit (null: no limit).
    pub drawdown_left: Option<f64>,
    /// Session P&L so far.
    pub session_pnl: f64,
    /// Sum of the account's reported P&L.
    pub equity: f64,
    /// Left out of opening signals until armed.
    pub excluded: bool,
    /// The limit that excluded it (`DAILY_LOSS`, `TRAILING_DRAWDOWN`).
    pub breached: Option<&'static str>,
}

impl RiskRow {
    /// Overwrites `self` with `risk`'s state, reusing its rows and names.
    pub fn fill(&mut self, risk: &Risk) {
        let ks = risk.kill_switch();
        self.killed = ks.killed();
        self.killed_since_ns = match ks {
            KillSwitch::Killed { since_ns } => Some(since_ns),
            KillSwitch::Trading => None,
        };
        self.refused = crate::risk::Rule::ALL.iter().map(|r| risk.refused(*r)).sum();
        let mut n = 0;
        for (i, (name, h)) in risk.headrooms().enumerate() {
            let row = slot(&mut self.accounts, i);
            set(&mut row.account, name);
            row.loss_left = h.loss_left;
            row.drawdown_left = h.drawdown_left;
            row.session_pnl = h.session_pnl;
            row.equity = h.equity;
            row.excluded = h.excluded;
            row.breached = h.breached.map(|r| r.name());
            n = i + 1;
        }
        self.accounts.truncate(n);
        self.excluded = self.accounts.iter().filter(|a| a.excluded).count();
    }

    /// The state of `eps`'s risk layer (None without a V9 server or a risk layer).
    pub fn of(eps: &Endpoints) -> Option<RiskRow> {
        let risk = eps.v9.as_ref()?.pipeline().risk()?;
        let mut row = RiskRow::default();
        row.fill(risk);
        Some(row)
    }
}

/// Fills the snapshot's risk section in place.
pub fn fill_risk(snap: &mut Snapshot, eps: &Endpoints) {
    match eps.v9.as_ref().and_then(|v| v.pipeline().risk()) {
        Some(r) => snap.risk.get_or_insert_with(RiskRow::default).fill(r),
        None => snap.risk = None,
    }
}

/// What moves the risk section: the kill switch, refusals, exclusions and every session P&L
/// (no allocation).
pub fn fingerprint(eps: &Endpoints) -> u64 {
    let Some(r) = eps.v9.as_ref().and_then(|v| v.pipeline().risk()) else { return 0 };
    let mut h = u64::from(r.kill_switch().killed());
    for (_, hr) in r.headrooms() {
        h = h.rotate_left(7) ^ hr.equity.to_bits() ^ u64::from(hr.excluded);
    }
    h ^ crate::risk::Rule::ALL.iter().map(|x| r.refused(*x)).sum::<u64>()
}

/// `POST /api/v1/kill` body (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KillBody {
    reason: Option<String>,
}

/// `POST /api/v1/arm` body (optional): an account re-arms that account only.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArmBody {
    account: Option<String>,
}

/// What a kill or arm answers: what it did and the new state.
#[derive(Debug, Serialize)]
pub(crate) struct ControlAnswer {
    /// `kill`, `arm` or `arm_account`.
    pub action: &'static str,
    /// The state changed.
    pub changed: bool,
    /// The kill's `FLATTEN|ALL|0`: its id (null when not sent).
    pub flatten_id: Option<u64>,
    /// Receivers it was queued to.
    pub receivers: u32,
    /// The risk layer afterwards.
    pub risk: RiskRow,
}

fn body<T: Default + for<'de> Deserialize<'de>>(req: &Request<'_>) -> Result<T, Outcome> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(req.body).map_err(|e| Outcome::error(400, &format!("bad JSON: {e}")))
}

impl Server {
    /// `GET /api/v1/risk`.
    pub(crate) fn risk_get(&self) -> Outcome {
        let s = &self.view.snap;
        match &s.risk {
            Some(r) => Outcome::ok(&serde_json::json!({ "time_ns": s.wall_ns, "risk": r })),
            None => Outcome::error(404, "the engine runs without a risk layer"),
        }
    }

    /// `POST /api/v1/kill`: `FLATTEN|ALL|0` to every receiver, opening signals refused.
    pub(crate) fn post_kill(&mut self, key: usize, req: &Request<'_>) -> Outcome {
        if let Err(r) = auth::check(self.cfg.token.as_ref(), req.authorization) {
            return Outcome::error(r.status(), r.message());
        }
        let b: KillBody = match body(req) {
            Ok(b) => b,
            Err(o) => return o,
        };
        let reason = b.reason.unwrap_or_default();
        if reason.len() > MAX_REASON || reason.chars().any(char::is_control) {
            return Outcome::error(422, "reason: at most 200 printable characters");
        }
        let by = if reason.is_empty() { "ops".to_string() } else { format!("ops: {reason}") };
        self.control(key, req.close, move |eps, c| {
            let Some(v9) = eps.v9.as_mut() else { return Err(no_server()) };
            let was = v9.pipeline().risk().is_some_and(|r| r.kill_switch().killed());
            log::warn!("ops: kill switch on ({by})");
            let r = v9.kill(&by, c.now, c.wall_ns);
            let risk = RiskRow::of(eps).unwrap_or_default();
            let (flatten_id, receivers) = r.map_or((None, 0), |a| (Some(a.id), a.receivers));
            Ok(ControlAnswer { action: "kill", changed: !was, flatten_id, receivers, risk })
        })
    }

    /// `POST /api/v1/arm`: lifts the kill switch, or re-arms one account (`{"account": A}`).
    pub(crate) fn post_arm(&mut self, key: usize, req: &Request<'_>) -> Outcome {
        if let Err(r) = auth::check(self.cfg.token.as_ref(), req.authorization) {
            return Outcome::error(r.status(), r.message());
        }
        let b: ArmBody = match body(req) {
            Ok(b) => b,
            Err(o) => return o,
        };
        self.control(key, req.close, move |eps, c| {
            let Some(v9) = eps.v9.as_mut() else { return Err(no_server()) };
            let (action, changed) = match &b.account {
                Some(a) => match v9.arm_account(a, c.now, c.wall_ns) {
                    Some(changed) => ("arm_account", changed),
                    None => return Err((404, format!("no configured account named {a:?}"))),
                },
                None => ("arm", v9.arm("ops", c.now, c.wall_ns)),
            };
            log::warn!("ops: {action} {}", b.account.as_deref().unwrap_or(""));
            let risk = RiskRow::of(eps).unwrap_or_default();
            Ok(ControlAnswer { action, changed, flatten_id: None, receivers: 0, risk })
        })
    }

    fn control<F>(&mut self, key: usize, close: bool, f: F) -> Outcome
    where
        F: FnOnce(
                &mut Endpoints,
                &mut crate::engine::CallCtx<'_>,
            ) -> Result<ControlAnswer, (u16, String)>
            + Send
            + 'static,
    {
        let queued = self.call_engine(key, move |eps, c| match f(eps, c) {
            Ok(a) => ReplyBody::Control(Box::new(a)),
            Err((status, text)) => ReplyBody::Failed(status, text),
        });
        match queued {
            Ok(()) => Outcome::Wait(Pending {
                deadline: Instant::now() + CONTROL_WAIT,
                close,
                what: Waiter::Publish,
                ran_at: None,
            }),
            Err(e) => Outcome::error(503, &e),
        }
    }
}

fn no_server() -> (u16, String) {
    (503, "the engine runs without a V9 server".into())
}
