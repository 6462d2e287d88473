//! `v9bridge dtc ...` one-shot client, and the small mio loop that drives `DtcEndpoint`s outside the engine.

use super::commands::{self, Command};
use super::session::Phase;
use super::text::BookText;
use super::{ClientOrderId, DtcConfig, DtcEndpoint, DtcEvent, OrderRequest, OrderStatus};
use crate::endpoint::{split_token, Ctx, Endpoint};
use crate::market::MarketState;
use crate::signal::CountingSink;
use mio::{Events, Poll};
use std::io;
use std::time::{Duration, Instant};

/// `v9bridge dtc <command...>` arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct DtcCliArgs {
    /// `accounts`, `positions`, `orders`, `fills`, `symbols`,
    /// `order buy|sell SYMBOL QTY market|limit|stop|stoplimit [PRICE1 [PRICE2]] [account=NAME]`,
    /// `cancel ID`, `replace ID PRICE [QTY]`.
    #[arg(required = true, num_args = 1.., allow_negative_numbers = true)]
    pub command: Vec<String>,
    /// DTC server address.
    #[arg(long, default_value = "127.0.0.1:11099")]
    pub server: String,
    /// Encoding to request: binary, json, compact.
    #[arg(long, default_value = "binary")]
    pub encoding: String,
    /// JSON over WebSocket instead of TCP.
    #[arg(long)]
    pub ws: bool,
    /// Do not send the ENCODING_REQUEST (server set to a fixed encoding).
    #[arg(long)]
    pub no_negotiate: bool,
    /// Header order for JSON-compact types 112/117 (default: Sierra Chart's order).
    #[arg(long)]
    pub compact_header_order: bool,
    /// Username for servers that require authentication.
    #[arg(long)]
    pub username: Option<String>,
    /// Environment variable holding the password.
    #[arg(long)]
    pub password_env: Option<String>,
    /// Default trade account for orders.
    #[arg(long)]
    pub account: Option<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    pub timeout_s: f64,
}

/// A tiny single-threaded mio loop for DTC endpoints outside the engine.
#[derive(Debug)]
pub struct MiniLoop {
    poll: Poll,
    events: Events,
    /// Market state the endpoints feed.
    pub market: MarketState,
    /// Signal sink (unused by DTC endpoints, required by `Ctx`).
    pub sink: CountingSink,
}

impl MiniLoop {
    /// A new loop.
    pub fn new() -> io::Result<Self> {
        Ok(MiniLoop {
            poll: Poll::new()?,
            events: Events::with_capacity(256),
            market: MarketState::new(),
            sink: CountingSink::default(),
        })
    }

    /// Registers endpoint `i` of the slice later passed to [`MiniLoop::run_until`].
    pub fn register(&mut self, ep: &mut DtcEndpoint, i: usize) -> io::Result<()> {
        ep.register(self.poll.registry(), i * crate::endpoint::TOKEN_SPACE, Instant::now())
    }

    /// Runs until `done` holds (true) or `timeout` passes (false).
    pub fn run_until(
        &mut self,
        eps: &mut [&mut DtcEndpoint],
        timeout: Duration,
        mut done: impl FnMut(&mut [&mut DtcEndpoint], &MarketState) -> bool,
    ) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if done(eps, &self.market) {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            let mut wait = (end - now).min(Duration::from_millis(20));
            for c in eps.iter() {
                if let Some(d) = c.next_deadline() {
                    wait = wait.min(d.saturating_duration_since(now));
                }
            }
            if let Err(e) = self.poll.poll(&mut self.events, Some(wait)) {
                if e.kind() != io::ErrorKind::Interrupted {
                    log::warn!("dtc mini loop: poll failed: {e}");
                }
            }
            // Read once per turn, as the engine does.
            let (now, wall_ns) = (Instant::now(), crate::clock::unix_nanos());
            let mut ctx = Ctx {
                now,
                wall_ns,
                registry: self.poll.registry(),
                market: &mut self.market,
                signals: &mut self.sink,
            };
            for ev in self.events.iter() {
                let (i, sub) = split_token(ev.token());
                if let Some(c) = eps.get_mut(i) {
                    c.handle_event(sub, ev, &mut ctx);
                }
            }
            for c in eps.iter_mut() {
                if c.next_deadline().is_some_and(|d| d <= now) {
                    c.handle_timeout(&mut ctx);
                }
            }
        }
    }

    /// Runs a text command on `ep` (orders flagged automated, as from the engine handle).
    pub fn command(&mut self, ep: &mut DtcEndpoint, cmd: &str) -> Option<Result<String, String>> {
        let mut ctx = Ctx {
            now: Instant::now(),
            wall_ns: crate::clock::unix_nanos(),
            registry: self.poll.registry(),
            market: &mut self.market,
            signals: &mut self.sink,
        };
        ep.command(cmd, &mut ctx)
    }

    /// Waits for the server's first answer to `cid`; an error when it refused the request.
    fn await_answer(
        &mut self,
        ep: &mut DtcEndpoint,
        cid: ClientOrderId,
        timeout: Duration,
    ) -> Result<(), String> {
        let answered = self.run_until(&mut [&mut *ep], timeout, |cs, _| {
            !cs[0].connection().awaiting_order_updates()
        });
        // A moment more for the position and fill updates that follow a fill.
        let _ = self.run_until(&mut [&mut *ep], Duration::from_millis(300), |_, _| false);
        if !answered {
            return Err("no ORDER_UPDATE before the timeout".into());
        }
        while let Some(ev) = ep.take_order_event() {
            if let DtcEvent::Order { cid: c, status, refused, text, .. } = ev {
                if c == cid && (refused || status == OrderStatus::Rejected) {
                    return Err(format!("refused by the server: {} ({status:?})", text.as_str()));
                }
            }
        }
        Ok(())
    }
}

/// An order typed on the command line is not an automated order (IsAutomatedOrder 0).
fn typed_by_hand(r: OrderRequest) -> OrderRequest {
    OrderRequest { automated: false, ..r }
}

/// Runs the one-shot command; prints the result on stdout. Any refusal by the server is an
/// error (a non-zero exit).
pub fn run(args: &DtcCliArgs) -> Result<(), String> {
    let cfg = DtcConfig {
        addr: args.server.clone(),
        transport: if args.ws { "ws".into() } else { "tcp".into() },
        encoding: args.encoding.clone(),
        negotiate: !args.no_negotiate,
        compact_sierra_order: !args.compact_header_order,
        username: args.username.clone(),
        password_env: args.password_env.clone(),
        client_name: "v9bridge-cli".into(),
        trade_account: args.account.clone(),
        reconnect_min_ms: 200,
        reconnect_max_ms: 1000,
        ..Default::default()
    };
    // Refused up front (e.g. a host name): the client never resolves names on its loop.
    cfg.validate().map_err(|e| format!("dtc: {e}"))?;
    let secs = if args.timeout_s.is_finite() { args.timeout_s.clamp(0.1, 86_400.0) } else { 10.0 };
    let timeout = Duration::from_secs_f64(secs);
    let mut l = MiniLoop::new().map_err(|e| format!("poll: {e}"))?;
    let mut c = DtcEndpoint::new("cli", &cfg).map_err(|e| format!("dtc: {e}"))?;
    l.register(&mut c, 0).map_err(|e| format!("register: {e}"))?;
    let synced = l.run_until(&mut [&mut c], timeout, |cs, _| {
        cs[0].connection().synced() || cs[0].connection().phase() == Phase::Stopped
    });
    if !synced || !c.connection().synced() {
        let why = c.connection().last_error().map_or("timed out".into(), |e| e.to_string());
        return Err(format!("could not log on to {}: {why}", args.server));
    }
    let cmd = args.command.join(" ");
    let unknown = || format!("unknown command {cmd:?}; {}", commands::HELP);
    let now = Instant::now();
    let sent = match commands::parse(&cmd, c.connection().symbols()).ok_or_else(unknown)?? {
        Command::Order(r) => {
            let r = typed_by_hand(r);
            c.submit(&r, now).map(|cid| (cid, commands::order_sent(&r, cid)))
        }
        Command::Cancel(id) => {
            c.act(now, |c, t| c.cancel(&id, t)).map(|cid| (cid, format!("cancel sent for {id}")))
        }
        Command::Replace { id, price, qty } => c
            .act(now, |c, t| c.replace(&id, price, qty, t))
            .map(|cid| (cid, format!("replace sent for {id}"))),
        Command::Fills => {
            let _ = c.act(now, |c, _| c.request_fills(30));
            let _ = l.run_until(&mut [&mut c], timeout, |cs, _| cs[0].connection().synced());
            print!("{}", c.connection().trading_book().fills_text());
            return Ok(());
        }
        _ => {
            let text = l.command(&mut c, &cmd).ok_or_else(unknown)??;
            print!("{text}");
            return Ok(());
        }
    };
    let (cid, first) = sent.map_err(|e| format!("dtc: {e}"))?;
    println!("{first}");
    let answer = l.await_answer(&mut c, cid, timeout);
    let book = c.connection().trading_book();
    print!("{}{}", book.orders_text(), book.positions_text());
    c.shutdown(Instant::now());
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Top {
        #[command(flatten)]
        dtc: DtcCliArgs,
    }

    #[test]
    fn parses_commands_with_options_anywhere() {
        let t = Top::try_parse_from([
            "v9bridge", "order", "sell", "CL", "1", "limit", "-5.5", "--server", "h:1", "--ws",
        ])
        .unwrap();
        assert_eq!(t.dtc.command, ["order", "sell", "CL", "1", "limit", "-5.5"]);
        assert_eq!(t.dtc.server, "h:1");
        assert!(t.dtc.ws);
        let t = Top::try_parse_from(["v9bridge", "--encoding", "compact", "positions"]).unwrap();
        assert_eq!((t.dtc.command[0].as_str(), t.dtc.encoding.as_str()), ("positions", "compact"));
        assert!(Top::try_parse_from(["v9bridge"]).is_err());
    }

    #[test]
    fn command_line_orders_are_not_automated() {
        let syms = crate::dtc::symbols::SymbolTable::new(&[], &Default::default());
        let Some(Ok(Command::Order(r))) = commands::parse("order buy ES 1 market", &syms) else {
            panic!()
        };
        assert!(r.automated, "orders through the engine handle are automated");
        assert!(!typed_by_hand(r).automated);
    }
}
