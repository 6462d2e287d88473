//! The request router and the V9 state as JSON (`/api/v1/receivers`, `/positions`, `/signals`,
//! `/latency`, `/market`, `/dtc`, `/state`, `/health`), plus the pieces every route shares.

use super::http::{self, query_param, Request};
use super::server::Server;
use super::snapshot::{HistRow, PositionRow, ReceiverRow, Snapshot, QUANTILES};
use super::view::SignalRow;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Signals the dashboard stream carries (the REST endpoint lists all that are kept).
const LIVE_SIGNALS: usize = 50;
/// The loop must have run its ops timer this recently for `/api/v1/health` to say 200.
const HEALTHY: Duration = Duration::from_secs(1);

/// What a route decided.
pub(crate) enum Outcome {
    /// Answer now.
    Reply {
        /// Status.
        status: u16,
        /// Content type.
        ctype: &'static str,
        /// Body.
        body: Vec<u8>,
    },
    /// Wait for the engine (a call's answer, a later snapshot).
    Wait(Pending),
    /// Become a server-sent-events stream.
    Sse,
    /// Become a WebSocket (market data); the client's `Sec-WebSocket-Key`.
    Ws {
        /// `Sec-WebSocket-Key`.
        key: String,
    },
}

impl Outcome {
    /// A JSON answer.
    pub(crate) fn json(status: u16, body: Vec<u8>) -> Outcome {
        Outcome::Reply { status, ctype: http::JSON, body }
    }

    /// 200 with `v` as JSON.
    pub(crate) fn ok<T: Serialize>(v: &T) -> Outcome {
        match serde_json::to_vec(v) {
            Ok(body) => Outcome::json(200, body),
            Err(e) => Outcome::error(500, &format!("cannot render JSON: {e}")),
        }
    }

    /// `{"error": text}` with `status`.
    pub(crate) fn error(status: u16, text: &str) -> Outcome {
        Outcome::json(status, http::error_body(text))
    }
}

/// A request waiting for the engine.
pub(crate) struct Pending {
    /// Answer 504 after this.
    pub deadline: Instant,
    /// Close the connection after the answer.
    pub close: bool,
    /// What it waits for.
    pub what: Waiter,
    /// When the engine ran the request's call (answers must come from later snapshots).
    pub ran_at: Option<Instant>,
}

/// What a pending request waits for.
pub(crate) enum Waiter {
    /// A python-ws-dtc-client DTC query, answered from a snapshot taken after its request ran.
    Dtc(super::dtc_rest::Query),
    /// A signal published through the engine (`POST /api/v1/signals`, `/flatten-all`).
    Publish,
}

/// What a call on the engine loop answers.
#[derive(Debug)]
pub(crate) enum ReplyBody {
    /// The request went out on the loop at this instant.
    Ran(Instant),
    /// A one-off DTC query went out on the loop at `at` with this RequestID.
    Asked {
        /// When.
        at: Instant,
        /// Its RequestID (the answer is looked up by it in later snapshots).
        request_id: i32,
    },
    /// The call could not do it.
    Failed(u16, String),
    /// A signal was published.
    Published {
        /// Its id.
        id: u64,
        /// Receivers written to.
        receivers: u32,
        /// The row for `/api/v1/signals`.
        row: SignalRow,
    },
    /// A kill or arm ran: what it did and the risk state after it.
    Control(Box<super::risk::ControlAnswer>),
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    loop_age_ms: Option<f64>,
    snapshot_age_ms: Option<f64>,
    seq: u64,
    /// The kill switch is on (null: no risk layer).
    kill_switch: Option<bool>,
}

#[derive(Serialize)]
struct Receivers<'a> {
    time_ns: i64,
    receivers: Vec<&'a ReceiverRow>,
    publishers: Vec<&'a ReceiverRow>,
}

#[derive(Serialize)]
struct Positions<'a> {
    time_ns: i64,
    positions: Vec<&'a PositionRow>,
    left_out: u64,
    out_of_sync: usize,
}

#[derive(Serialize)]
struct Signals<'a> {
    time_ns: i64,
    signals: Vec<&'a SignalRow>,
    events_dropped: u64,
    unmatched_acks: u64,
}

#[derive(Serialize)]
struct Latency<'a> {
    time_ns: i64,
    quantiles: &'static [f64],
    histograms: &'a [HistRow],
}

#[derive(Serialize)]
struct State<'a> {
    health: Health,
    quantiles: &'static [f64],
    snapshot: &'a Snapshot,
    signals: Vec<&'a SignalRow>,
    ops: super::server::ServerStats,
    control: bool,
}

impl Server {
    /// Routes one request.
    pub(crate) fn route(&mut self, key: usize, req: &Request<'_>) -> Outcome {
        let path = req.path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(req.path);
        let get = req.method == "GET";
        let post = req.method == "POST";
        let ok = |allowed: bool, o: &mut dyn FnMut() -> Outcome| {
            if allowed {
                o()
            } else {
                Outcome::error(405, "method not allowed")
            }
        };
        match path {
            "/" | "/index.html" => ok(get, &mut || Outcome::Reply {
                status: 200,
                ctype: http::HTML,
                body: super::dashboard::PAGE.as_bytes().to_vec(),
            }),
            "/metrics" => ok(get, &mut || Outcome::Reply {
                status: 200,
                ctype: http::PROM,
                body: self.metrics_text().into_bytes(),
            }),
            "/api/v1/health" => ok(get, &mut || self.health()),
            "/api/v1/state" => ok(get, &mut || Outcome::json(200, self.state_json())),
            "/api/v1/events" => ok(get, &mut || Outcome::Sse),
            "/api/v1/receivers" => ok(get, &mut || self.receivers()),
            "/api/v1/positions" => ok(get, &mut || self.positions(req.query)),
            "/api/v1/latency" => ok(get, &mut || self.latency()),
            "/api/v1/market" => ok(get, &mut || self.market()),
            "/api/v1/dtc" => ok(get, &mut || self.dtc_state()),
            "/api/v1/marketdata" => match req.ws_key {
                Some(k) if get => Outcome::Ws { key: k.to_string() },
                _ => Outcome::error(400, "a WebSocket endpoint: send Upgrade: websocket"),
            },
            "/api/v1/signals" if post => self.post_signal(key, req),
            "/api/v1/signals" => ok(get, &mut || self.signals()),
            "/api/v1/risk" => ok(get, &mut || self.risk_get()),
            "/api/v1/kill" => match post {
                true => self.post_kill(key, req),
                false => Outcome::error(405, "POST only"),
            },
            "/api/v1/arm" => match post {
                true => self.post_arm(key, req),
                false => Outcome::error(405, "POST only"),
            },
            "/api/v1/flatten-all" => match post {
                true => self.flatten_all(key, req),
                false => Outcome::error(405, "POST only"),
            },
            p if super::dtc_rest::PATHS.contains(&p) => match get {
                true => self.dtc_rest(key, p, req.query, req.close),
                false => Outcome::error(405, "GET only"),
            },
            _ => Outcome::error(404, "no such path (see / for the dashboard, /api/v1/...)"),
        }
    }

    fn health_view(&self) -> Health {
        let loop_age = self.loop_age();
        let snap_age = self.view.arrived.map(|t| t.elapsed());
        let healthy = loop_age.is_some_and(|a| a < HEALTHY);
        Health {
            status: match (healthy, loop_age) {
                (true, _) => "ok",
                (false, None) => "starting",
                (false, Some(_)) => "stalled",
            },
            loop_age_ms: loop_age.map(|d| d.as_secs_f64() * 1e3),
            snapshot_age_ms: snap_age.map(|d| d.as_secs_f64() * 1e3),
            seq: self.view.snap.seq,
            kill_switch: self.view.snap.risk.as_ref().map(|r| r.killed),
        }
    }

    fn health(&self) -> Outcome {
        let h = self.health_view();
        let status = if h.status == "ok" { 200 } else { 503 };
        match serde_json::to_vec(&h) {
            Ok(body) => Outcome::json(status, body),
            Err(e) => Outcome::error(500, &e.to_string()),
        }
    }

    /// Everything the dashboard shows, as JSON.
    pub(crate) fn state_json(&self) -> Vec<u8> {
        let state = State {
            health: self.health_view(),
            quantiles: &QUANTILES,
            snapshot: &self.view.snap,
            signals: self.view.signals.iter().rev().take(LIVE_SIGNALS).collect(),
            ops: self.stats,
            control: self.cfg.token.is_some(),
        };
        serde_json::to_vec(&state).unwrap_or_default()
    }

    fn receivers(&self) -> Outcome {
        let s = &self.view.snap;
        let (receivers, publishers) = s.receivers.iter().partition(|r| r.role == "receiver");
        Outcome::ok(&Receivers { time_ns: s.wall_ns, receivers, publishers })
    }

    fn positions(&self, query: &str) -> Outcome {
        let s = &self.view.snap;
        let receiver = query_param(query, "receiver");
        let account = query_param(query, "account");
        let symbol = query_param(query, "symbol");
        let only_oos = query_param(query, "out_of_sync").is_some_and(|v| v == "1" || v == "true");
        let keep = |p: &&PositionRow| {
            receiver.as_ref().is_none_or(|r| *r == p.receiver)
                && account.as_ref().is_none_or(|a| *a == p.account)
                && symbol.as_ref().is_none_or(|y| *y == p.symbol)
                && (!only_oos || p.out_of_sync)
        };
        let positions: Vec<&PositionRow> = s.positions.iter().filter(keep).collect();
        let out_of_sync = s.positions.iter().filter(|p| p.out_of_sync).count();
        Outcome::ok(&Positions {
            time_ns: s.wall_ns,
            positions,
            left_out: s.positions_left_out,
            out_of_sync,
        })
    }

    fn signals(&self) -> Outcome {
        let s = &self.view.snap;
        Outcome::ok(&Signals {
            time_ns: s.wall_ns,
            signals: self.view.signals.iter().rev().collect(),
            events_dropped: s.link.events_dropped,
            unmatched_acks: self.view.unmatched_acks,
        })
    }

    fn latency(&self) -> Outcome {
        let s = &self.view.snap;
        Outcome::ok(&Latency { time_ns: s.wall_ns, quantiles: &QUANTILES, histograms: &s.latency })
    }

    fn market(&self) -> Outcome {
        let s = &self.view.snap;
        Outcome::ok(&serde_json::json!({ "time_ns": s.wall_ns, "quotes": &s.quotes }))
    }

    fn dtc_state(&self) -> Outcome {
        let s = &self.view.snap;
        Outcome::ok(&serde_json::json!({ "time_ns": s.wall_ns, "connections": &s.dtc }))
    }

    /// A call's answer arrived for the waiting connection `key`.
    pub(crate) fn reply_arrived(&mut self, key: usize, body: ReplyBody, now: Instant) {
        let Some(c) = self.conns.get_mut(key) else { return };
        let super::server::Mode::Waiting(p) = &mut c.mode else { return };
        let close = p.close;
        match body {
            ReplyBody::Ran(at) => {
                p.ran_at = Some(at);
                self.try_resolve(key, now);
            }
            ReplyBody::Asked { at, request_id } => {
                p.ran_at = Some(at);
                if let Waiter::Dtc(q) = &mut p.what {
                    q.asked(request_id);
                }
                self.try_resolve(key, now);
            }
            ReplyBody::Failed(status, why) => self.apply(key, Outcome::error(status, &why), close),
            ReplyBody::Published { id, receivers, row } => {
                self.view.push_signal(row);
                let body = serde_json::json!({ "id": id, "receivers": receivers });
                self.apply(key, Outcome::ok(&body), close);
            }
            ReplyBody::Control(answer) => self.apply(key, Outcome::ok(&answer), close),
        }
    }

    /// Answers a waiting request if the latest snapshot can.
    pub(crate) fn try_resolve(&mut self, key: usize, _now: Instant) {
        let Some(c) = self.conns.get(key) else { return };
        let super::server::Mode::Waiting(p) = &c.mode else { return };
        let (Some(ran), Waiter::Dtc(q)) = (p.ran_at, &p.what) else { return };
        if self.view.snap.taken.is_none_or(|t| t <= ran) {
            return;
        }
        let close = p.close;
        if let Some(outcome) = self.dtc_answer(q, false) {
            self.apply(key, outcome, close);
        }
    }

    /// A waiting request ran out of time.
    pub(crate) fn timeout_pending(&mut self, key: usize) {
        let Some(c) = self.conns.get(key) else { return };
        let super::server::Mode::Waiting(p) = &c.mode else { return };
        let close = p.close;
        let outcome = match &p.what {
            Waiter::Dtc(q) => self
                .dtc_answer(q, true)
                .unwrap_or_else(|| Outcome::error(504, "no answer from the DTC server in time")),
            Waiter::Publish => Outcome::error(504, "the engine did not answer in time"),
        };
        self.apply(key, outcome, close);
    }
}
