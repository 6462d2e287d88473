//! `v9bridge dtc ...`: a one-shot DTC client, run on the engine with no V9 server.

use super::commands::{self, Command};
use super::session::Phase;
use super::text::BookText;
use super::{ClientOrderId, DtcConfig, DtcEndpoint, DtcEvent, OrderRequest, OrderStatus};
use super::{Encoding, TransportKind};
use crate::config::Config;
use crate::engine::{Engine, EngineHandle};
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
    /// Encoding to request: binary, json, json_compact (or compact).
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

/// An order typed on the command line is not an automated order (IsAutomatedOrder 0).
fn typed_by_hand(r: OrderRequest) -> OrderRequest {
    OrderRequest { automated: false, ..r }
}

/// Runs the one-shot command on the engine (no V9 server: this DTC connection is its only
/// endpoint); prints the result on stdout. Any refusal by the server is an error (a non-zero
/// exit).
pub fn run(args: &DtcCliArgs) -> Result<(), String> {
    let cfg = cli_config(args)?;
    let secs = if args.timeout_s.is_finite() { args.timeout_s.clamp(0.1, 86_400.0) } else { 10.0 };
    let timeout = Duration::from_secs_f64(secs);
    let engine = Engine::without_v9(&cfg).map_err(|e| format!("dtc: {e}"))?;
    let handle = engine.handle();
    let loop_thread = std::thread::Builder::new()
        .name("v9bridge-engine".into())
        .spawn(move || engine.run())
        .map_err(|e| format!("cannot start the engine thread: {e}"))?;
    let result = run_on(&handle, args, timeout);
    handle.stop();
    let _ = loop_thread.join();
    result
}

fn cli_config(args: &DtcCliArgs) -> Result<Config, String> {
    let encoding = Encoding::parse(&args.encoding).ok_or_else(|| {
        format!("--encoding {:?}: expected binary, json or json_compact", args.encoding)
    })?;
    let d = DtcConfig {
        addr: args.server.clone(),
        transport: if args.ws { TransportKind::WebSocket } else { TransportKind::Tcp },
        encoding,
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
    d.validate().map_err(|e| format!("dtc: {e}"))?;
    let mut cfg = Config::default();
    cfg.engine.pin = crate::config::Pin::None;
    cfg.engine.report_interval_s = 0;
    cfg.dtc.insert(CLI.into(), d);
    Ok(cfg)
}

/// The CLI's connection name.
const CLI: &str = "cli";
/// Upper bound for one call into the engine.
const CALL: Duration = Duration::from_secs(5);

/// Polls `cond` on the loop until it holds or `timeout` passes.
fn wait_on<T: Send + 'static>(
    handle: &EngineHandle,
    timeout: Duration,
    cond: impl Fn(&mut DtcEndpoint) -> Option<T> + Send + Clone + 'static,
) -> Option<T> {
    let until = Instant::now() + timeout;
    loop {
        let c = cond.clone();
        if let Ok(Some(v)) = handle.call(move |e, _| e.dtc_mut(CLI).and_then(c), CALL) {
            return Some(v);
        }
        if Instant::now() >= until {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn run_on(handle: &EngineHandle, args: &DtcCliArgs, timeout: Duration) -> Result<(), String> {
    let synced = wait_on(handle, timeout, |d| {
        let c = d.connection();
        (c.synced() || c.phase() == Phase::Stopped).then(|| c.synced())
    });
    if synced != Some(true) {
        let why = handle
            .call(
                |e, _| e.dtc(CLI).and_then(|d| d.connection().last_error().map(|e| e.to_string())),
                CALL,
            )
            .ok()
            .flatten()
            .unwrap_or_else(|| "timed out".into());
        return Err(format!("could not log on to {}: {why}", args.server));
    }
    let cmd = args.command.join(" ");
    let sent = handle
        .call(move |e, c| e.dtc_mut(CLI).map(|d| start_command(d, &cmd, c.now)), CALL)
        .map_err(|e| e.to_string())?
        .ok_or("no DTC connection")??;
    let cid = match sent {
        Started::Done(text) => {
            print!("{text}");
            return Ok(());
        }
        Started::Fills => {
            let _ = wait_on(handle, timeout, |d| d.connection().synced().then_some(()));
            let text = handle
                .call(|e, _| e.dtc(CLI).map(|d| d.connection().trading_book().fills_text()), CALL);
            print!("{}", text.ok().flatten().unwrap_or_default());
            return Ok(());
        }
        Started::Sent(cid, first) => {
            println!("{first}");
            cid
        }
    };
    let answer = await_answer(handle, cid, timeout);
    let books = handle.call(
        |e, _| {
            e.dtc(CLI).map(|d| {
                let b = d.connection().trading_book();
                format!("{}{}", b.orders_text(), b.positions_text())
            })
        },
        CALL,
    );
    print!("{}", books.ok().flatten().unwrap_or_default());
    answer
}

/// What a command did on the loop: answered at once, asked for fills, or sent a request.
enum Started {
    Done(String),
    Fills,
    Sent(ClientOrderId, String),
}

fn start_command(d: &mut DtcEndpoint, cmd: &str, now: Instant) -> Result<Started, String> {
    let unknown = || format!("unknown command {cmd:?}; {}", commands::HELP);
    let sent = match commands::parse(cmd, d.connection().symbols()).ok_or_else(unknown)?? {
        Command::Order(r) => {
            let r = typed_by_hand(r);
            d.submit(&r, now).map(|cid| (cid, commands::order_sent(&r, cid)))
        }
        Command::Cancel(id) => {
            d.act(now, |c, t| c.cancel(&id, t)).map(|cid| (cid, format!("cancel sent for {id}")))
        }
        Command::Replace { id, price, qty } => d
            .act(now, |c, t| c.replace(&id, price, qty, t))
            .map(|cid| (cid, format!("replace sent for {id}"))),
        Command::Fills => {
            let _ = d.act(now, |c, _| c.request_fills(30));
            return Ok(Started::Fills);
        }
        _ => {
            let text = d.act(now, |c, t| commands::run(c, cmd, false, t)).ok_or_else(unknown)??;
            return Ok(Started::Done(text));
        }
    };
    sent.map(|(cid, text)| Started::Sent(cid, text)).map_err(|e| format!("dtc: {e}"))
}

/// Waits for the server's first answer to `cid`; an error when it refused the request.
fn await_answer(
    handle: &EngineHandle,
    cid: ClientOrderId,
    timeout: Duration,
) -> Result<(), String> {
    let answered =
        wait_on(handle, timeout, |d| (!d.connection().awaiting_order_updates()).then_some(()));
    // A moment more for the position and fill updates that follow a fill.
    std::thread::sleep(Duration::from_millis(300));
    if answered.is_none() {
        return Err("no ORDER_UPDATE before the timeout".into());
    }
    let events = handle
        .call(
            |e, _| {
                e.dtc_mut(CLI)
                    .map(|d| std::iter::from_fn(|| d.take_order_event()).collect::<Vec<_>>())
            },
            CALL,
        )
        .ok()
        .flatten()
        .unwrap_or_default();
    for ev in events {
        if let DtcEvent::Order { cid: c, status, refused, text, .. } = ev {
            if c == cid && (refused || status == OrderStatus::Rejected) {
                return Err(format!("refused by the server: {} ({status:?})", text.as_str()));
            }
        }
    }
    Ok(())
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
    fn the_encoding_flag_is_parsed_into_the_enum_naming_the_flag() {
        let args = |enc: &str| {
            Top::try_parse_from(["v9bridge", "--encoding", enc, "positions"]).unwrap().dtc
        };
        let cfg = cli_config(&args("json_compact")).unwrap();
        assert_eq!(cfg.dtc["cli"].encoding, Encoding::JsonCompact);
        let e = cli_config(&args("protobuf")).unwrap_err();
        assert!(e.starts_with("--encoding \"protobuf\": expected"), "{e}");
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
