//! What a DTC `Connection` tells its shell and its callers: events, close reasons, server capabilities.

use super::messages::{LogonResponse, S32, S64, S96};
use super::orders::{ClientOrderId, OrderStatus};
use super::types::DecodeError;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// Plain TCP or JSON over WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// A TCP stream in the negotiated encoding.
    Tcp,
    /// JSON text messages over a WebSocket.
    WebSocket,
}

/// Which transport step failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportOp {
    /// TCP connect or the WebSocket handshake.
    Connect,
    /// Reading.
    Read,
    /// Writing.
    Write,
}

/// Why a connection closed.
#[derive(Clone, Debug, PartialEq)]
pub enum CloseReason {
    /// The transport failed; `detail` is the OS or WebSocket error text.
    Transport {
        /// The failing step.
        op: TransportOp,
        /// The error text.
        detail: String,
    },
    /// The byte stream can no longer be framed (binary `Size < 4`, JSON over the cap).
    Unframeable(DecodeError),
    /// The server chose an encoding this client does not speak (VLS, protobuf).
    UnsupportedEncoding(i32),
    /// LOGON_RESPONSE refused the logon (`retry`: the server allows another attempt).
    LogonRefused {
        /// ResultText.
        text: S96,
        /// False for LOGON_ERROR_NO_RECONNECT.
        retry: bool,
    },
    /// LOGON_RESPONSE redirected us to another address.
    Redirected(SocketAddr),
    /// More redirects than allowed per successful logon.
    TooManyRedirects,
    /// A ReconnectAddress that is not an IP:port literal (no DNS on the loop).
    RedirectNotLiteral,
    /// The server sent LOGOFF.
    Logoff {
        /// Its Reason.
        reason: S96,
        /// DoNotReconnect was 0.
        reconnect: bool,
    },
    /// No bytes from the server for twice the heartbeat interval.
    HeartbeatTimeout,
    /// Connect, negotiation and logon took too long.
    LogonTimeout,
    /// The client shut down.
    Shutdown,
}

impl CloseReason {
    /// A transport failure from an I/O error.
    pub fn transport(op: TransportOp, e: &dyn fmt::Display) -> CloseReason {
        CloseReason::Transport { op, detail: e.to_string() }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Transport { op: TransportOp::Connect, detail } => {
                write!(f, "connect: {detail}")
            }
            CloseReason::Transport { op: TransportOp::Read, detail } => write!(f, "read: {detail}"),
            CloseReason::Transport { op: TransportOp::Write, detail } => {
                write!(f, "write failed: {detail}")
            }
            CloseReason::Unframeable(e) => write!(f, "stream cannot be framed: {e}"),
            CloseReason::UnsupportedEncoding(n) => write!(
                f,
                "server chose encoding {n} (VLS/protobuf?), which this client does not speak; set `encoding`/`negotiate` to match the server"
            ),
            CloseReason::LogonRefused { text, retry: true } => write!(f, "logon refused: {text}"),
            CloseReason::LogonRefused { text, retry: false } => {
                write!(f, "logon refused, do not reconnect: {text}")
            }
            CloseReason::Redirected(a) => write!(f, "redirected to {a}"),
            CloseReason::TooManyRedirects => f.write_str("too many redirects"),
            CloseReason::RedirectNotLiteral => f.write_str("redirect to a non-literal address"),
            CloseReason::Logoff { reason, .. } => write!(f, "server logoff: {reason}"),
            CloseReason::HeartbeatTimeout => {
                f.write_str("no data from the server for 2x the heartbeat interval")
            }
            CloseReason::LogonTimeout => f.write_str("connect/logon timed out"),
            CloseReason::Shutdown => f.write_str("client shutdown"),
        }
    }
}

/// When the connection tries again after a close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconnect {
    /// After the (growing, jittered) backoff.
    AfterBackoff,
    /// At once (the first redirect).
    Now,
    /// Never (refused for good, unsupported server, shutdown).
    Never,
}

/// What the server said it supports (LOGON_RESPONSE), instead of four loose flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerCaps {
    /// TradingIsSupported.
    pub trading: bool,
    /// ResubscribeWhenMarketDataFeedAvailable: subscriptions are forgotten on feed loss.
    pub resubscribe_on_feed: bool,
    /// BracketOrdersSupported and OCOOrdersSupported.
    pub brackets: bool,
    /// SecurityDefinitionsSupported.
    pub secdefs: bool,
}

impl ServerCaps {
    /// From the successful LOGON_RESPONSE.
    pub fn from_logon(r: &LogonResponse) -> ServerCaps {
        ServerCaps {
            trading: r.trading_is_supported != 0,
            resubscribe_on_feed: r.resubscribe_when_market_data_feed_available != 0,
            brackets: r.bracket_orders_supported != 0 && r.oco_orders_supported != 0,
            secdefs: r.security_definitions_supported != 0,
        }
    }
}

/// A fill reported by ORDER_UPDATE.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill {
    /// The order's ClientOrderID.
    pub cid: ClientOrderId,
    /// Trade account.
    pub account: S32,
    /// Symbol as the server names it.
    pub symbol: S64,
    /// A buy (else a sell).
    pub buy: bool,
    /// Quantity of this fill.
    pub qty: f64,
    /// Price of this fill (display units).
    pub price: f64,
}

/// An output of [`super::Connection`], drained with `poll_event`.
#[derive(Clone, Debug, PartialEq)]
pub enum DtcEvent {
    /// Open a transport to this address, then call `handle_transport_ready` (or `handle_closed`).
    Connect(SocketAddr),
    /// The connection is closed: drop the transport. `reconnect` says what happens next.
    Close {
        /// Why.
        reason: CloseReason,
        /// What next.
        reconnect: Reconnect,
    },
    /// LOGON_RESPONSE accepted the logon.
    LoggedOn,
    /// An ORDER_UPDATE for an order with a ClientOrderID.
    Order {
        /// Its ClientOrderID.
        cid: ClientOrderId,
        /// Its status now.
        status: OrderStatus,
        /// The server refused a new order, a cancel or a replace.
        refused: bool,
        /// The server's InfoText.
        text: S96,
        /// For the first update after our request: how long it took.
        first_update_after: Option<Duration>,
    },
    /// An order was filled (in part).
    Fill(Fill),
}
