//! The authenticated control endpoints: `POST /api/v1/signals` publishes a signal through the
//! same validation and broadcast as V9 publishers and answers its id; `POST /api/v1/flatten-all`
//! sends `FLATTEN|ALL|0` to every receiver (the panic button). Both need
//! `Authorization: Bearer <token>`; the token is compared in constant time and never logged.

use super::auth;
use super::http::Request;
use super::routes::{Outcome, Pending, ReplyBody, Waiter};
use super::server::Server;
use super::view::SignalRow;
use crate::engine::{CallCtx, Endpoints};
use crate::pipeline::{Refusal, Source};
use crate::signal::{Action, Signal};
use serde::Deserialize;
use std::time::{Duration, Instant};

/// How long a publish may wait for the loop.
const PUBLISH_WAIT: Duration = Duration::from_secs(5);

/// The body of `POST /api/v1/signals`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalBody {
    action: String,
    symbol: String,
    #[serde(default)]
    qty: u32,
    tp: Option<f64>,
    sl: Option<f64>,
    tif: Option<String>,
}

/// An owned signal, to carry into the loop.
#[derive(Debug, Clone)]
struct Owned {
    action: Action,
    symbol: String,
    qty: u32,
    tp: Option<f64>,
    sl: Option<f64>,
    tif: Option<String>,
}

impl Owned {
    fn signal(&self) -> Signal<'_> {
        let mut s = Signal::new(self.action, &self.symbol, self.qty);
        (s.tp, s.sl, s.tif) = (self.tp, self.sl, self.tif.as_deref());
        s
    }
}

/// Why [`submit_signal`] refused a signal.
#[derive(Debug)]
pub(crate) enum Refused {
    /// No V9 server runs (the one-shot DTC CLI's engine).
    NoServer,
    /// The pipeline refused it (validation, a risk rule, the journal).
    Pipeline(Refusal),
}

impl Refused {
    /// The HTTP status and the text the client gets: 422 for a bad signal, 403 for a risk rule
    /// (`RISK_REJECTED|<rule>|<details>`, as a V9 publisher would read it), 503 otherwise.
    fn answer(&self) -> (u16, String) {
        match self {
            Refused::NoServer => (503, "the engine runs without a V9 server".into()),
            Refused::Pipeline(Refusal::Invalid(e)) => (422, e.message().to_string()),
            Refused::Pipeline(Refusal::Risk(r)) => {
                let status = if r.rule().is_some() { 403 } else { 422 };
                (status, format!("{}|{}|{}", r.code(), r.message(), r.details()))
            }
            Refused::Pipeline(Refusal::Journal) => (503, Refusal::Journal.message().into()),
        }
    }
}

/// The one entry from the operator surface into the engine's signal path (on the loop thread):
/// the signal pipeline, as source `ops` (validation, risk gates, id, journal, broadcast), like a
/// V9 publisher's signal. Returns (id, receivers it was queued to).
pub(crate) fn submit_signal(
    eps: &mut Endpoints,
    sig: &Signal<'_>,
    c: &CallCtx<'_>,
) -> Result<(u64, u32), Refused> {
    if eps.v9.is_none() {
        return Err(Refused::NoServer);
    }
    let a = eps.submit_signal(sig, Source::Ops, c).map_err(Refused::Pipeline)?;
    Ok((a.id, a.receivers))
}

impl Server {
    /// `POST /api/v1/signals`.
    pub(crate) fn post_signal(&mut self, key: usize, req: &Request<'_>) -> Outcome {
        if let Err(r) = auth::check(self.cfg.token.as_ref(), req.authorization) {
            return Outcome::error(r.status(), r.message());
        }
        let body: SignalBody = match serde_json::from_slice(req.body) {
            Ok(b) => b,
            Err(e) => return Outcome::error(400, &format!("bad JSON: {e}")),
        };
        let Some(action) = Action::parse(&body.action.to_ascii_uppercase()) else {
            return Outcome::error(422, crate::signal::SignalError::UnknownAction.message());
        };
        let owned = Owned {
            action,
            symbol: body.symbol,
            qty: body.qty,
            tp: body.tp,
            sl: body.sl,
            tif: body.tif,
        };
        if let Err(e) = owned.signal().validate() {
            return Outcome::error(422, e.message());
        }
        self.publish(key, owned, req.close)
    }

    /// `POST /api/v1/flatten-all`.
    pub(crate) fn flatten_all(&mut self, key: usize, req: &Request<'_>) -> Outcome {
        if let Err(r) = auth::check(self.cfg.token.as_ref(), req.authorization) {
            return Outcome::error(r.status(), r.message());
        }
        let owned = Owned {
            action: Action::Flatten,
            symbol: "ALL".into(),
            qty: 0,
            tp: None,
            sl: None,
            tif: None,
        };
        self.publish(key, owned, req.close)
    }

    fn publish(&mut self, key: usize, owned: Owned, close: bool) -> Outcome {
        let queued = self.call_engine(key, move |eps, c| {
            let sig = owned.signal();
            match submit_signal(eps, &sig, c) {
                Ok((id, receivers)) => {
                    let level = if sig.action == Action::Flatten {
                        log::Level::Warn
                    } else {
                        log::Level::Info
                    };
                    log::log!(
                        level,
                        "ops: {}|{}|{} published as #{id} to {receivers} receiver(s)",
                        sig.action,
                        sig.symbol,
                        sig.qty
                    );
                    let row = SignalRow {
                        id,
                        source: "ops",
                        action: sig.action.as_str(),
                        symbol: sig.symbol.to_string(),
                        qty: sig.qty,
                        time_ns: c.wall_ns,
                        receivers,
                        receivers_skipped: 0,
                        summaries: 0,
                        acks: Vec::new(),
                    };
                    ReplyBody::Published { id, receivers, row }
                }
                Err(r) => {
                    let (status, text) = r.answer();
                    ReplyBody::Failed(status, text)
                }
            }
        });
        match queued {
            Ok(()) => Outcome::Wait(Pending {
                deadline: Instant::now() + PUBLISH_WAIT,
                close,
                what: Waiter::Publish,
                ran_at: None,
            }),
            Err(e) => Outcome::error(503, &e),
        }
    }
}
