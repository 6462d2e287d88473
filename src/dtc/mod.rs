//! DTC protocol client to Sierra Chart's DTC server: codecs, a pure connection, its shell, books.

pub mod book;
#[cfg(feature = "tools")]
pub mod cli;
pub mod commands;
pub mod connection;
pub mod endpoint;
pub mod events;
pub mod health;
mod logon;
pub mod market_data;
pub mod orders;
pub mod session;
pub mod snapshot;
mod subscriptions;
pub mod symbols;
pub mod text;
mod trading;
pub mod transport;
pub mod wire;

#[cfg(test)]
mod tests;

// The wire modules keep their old paths (`dtc::messages`, `dtc::codec`, …).
pub use wire::{binary, codec, compact, framing, json, messages, types};

pub use codec::Codec;
pub use connection::Connection;
pub use endpoint::DtcEndpoint;
pub use events::{CloseReason, DtcEvent, Fill, Reconnect, ServerCaps, TransportKind, TransportOp};
pub use messages::*;
pub use orders::{ClientOrderId, OrderError, OrderRequest, OrderStatus};
pub use snapshot::{DtcSnapshot, DtcStats};
pub use types::{DecodeError, Encoding, FStr};

use serde::{Deserialize, Serialize};

/// One `[dtc.NAME]` section of the config file, e.g.
///
/// ```toml
/// [dtc.es]
/// addr = "127.0.0.1:11099"          # IP:port literal; host names are refused (no DNS on the loop)
/// encoding = "binary"            # binary | json | compact
/// symbols = ["ESZ6_FUT_CME"]
/// market_symbols = { ESZ6_FUT_CME = "ES" }
/// username = "me"
/// password_env = "SC_DTC_PASSWORD"
/// order_prices_scaled = false    # true: order prices in wire units (÷ DisplayPriceMultiplier)
/// ```
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DtcConfig {
    /// Server address, e.g. `127.0.0.1:11099`.
    pub addr: String,
    /// `tcp` (default) or `ws` (JSON over WebSocket on the same port).
    pub transport: String,
    /// Request path for WebSocket.
    pub ws_path: String,
    /// Encoding to request (`binary`, `json`, `compact`); over WebSocket JSON is always used.
    pub encoding: String,
    /// Send the binary ENCODING_REQUEST first (TCP). Off: speak `encoding` from the first byte,
    /// for servers set to a fixed encoding.
    pub negotiate: bool,
    /// Sierra Chart's JSON-compact field order for types 112/117 (SymbolID first).
    pub compact_sierra_order: bool,
    /// Username, if the server requires authentication.
    pub username: Option<String>,
    /// Password (never logged); prefer `password_env`.
    pub password: Option<String>,
    /// Environment variable holding the password.
    pub password_env: Option<String>,
    /// LOGON_REQUEST.ClientName.
    pub client_name: String,
    /// LOGON_REQUEST.TradeMode (older header: 1 demo, 2 simulated, 3 live; 0 = unset).
    pub trade_mode: i32,
    /// Heartbeat interval asked for and sent at, seconds (peer dead after twice this).
    pub heartbeat_s: u32,
    /// Default trade account for orders (else the first one the server lists).
    pub trade_account: Option<String>,
    /// Symbols to subscribe (market data, security definition, optional depth).
    pub symbols: Vec<String>,
    /// Market-state names for DTC symbols (`ESZ6_FUT_CME = "ES"`), to share keys with the pipe.
    pub market_symbols: std::collections::BTreeMap<String, String>,
    /// Exchange sent with requests (empty for SC symbols such as `ESZ6_FUT_CME`).
    pub exchange: String,
    /// Market-depth levels to request per symbol (0 = no depth).
    pub depth_levels: i32,
    /// First reconnect delay, ms (doubles up to `reconnect_max_ms`, with jitter).
    pub reconnect_min_ms: u64,
    /// Longest reconnect delay, ms.
    pub reconnect_max_ms: u64,
    /// Ask for trade accounts, balances, positions and open orders after logon.
    pub trading: bool,
    /// Order prices on the wire in the server's integer-like units (display price divided by
    /// DisplayPriceMultiplier, as market data is), and order/position/fill prices from the server
    /// converted back. Default false: order prices are sent and read as display prices, as
    /// before. Which unit a server uses is not documented; check with a small resting order.
    pub order_prices_scaled: bool,
    /// Largest binary message decoded (bytes, 64..=65535, default 65535); a larger one is
    /// skipped by its `Size`. Only `Size < 4` resets the stream.
    pub max_binary_message: usize,
}

impl Default for DtcConfig {
    fn default() -> Self {
        DtcConfig {
            addr: "127.0.0.1:11099".into(),
            transport: "tcp".into(),
            ws_path: "/".into(),
            encoding: "binary".into(),
            negotiate: true,
            compact_sierra_order: true,
            username: None,
            password: None,
            password_env: None,
            client_name: "v9bridge".into(),
            trade_mode: 0,
            heartbeat_s: 10,
            trade_account: None,
            symbols: Vec::new(),
            market_symbols: Default::default(),
            exchange: String::new(),
            depth_levels: 0,
            reconnect_min_ms: 500,
            reconnect_max_ms: 30_000,
            trading: true,
            order_prices_scaled: false,
            max_binary_message: types::MAX_BINARY_FRAME,
        }
    }
}

/// Debug output masks the password, so a logged config never leaks it.
impl std::fmt::Debug for DtcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut masked = self.clone();
        masked.mask_secrets();
        f.debug_struct("DtcConfig")
            .field("addr", &masked.addr)
            .field("transport", &masked.transport)
            .field("ws_path", &masked.ws_path)
            .field("encoding", &masked.encoding)
            .field("negotiate", &masked.negotiate)
            .field("compact_sierra_order", &masked.compact_sierra_order)
            .field("username", &masked.username)
            .field("password", &masked.password)
            .field("password_env", &masked.password_env)
            .field("client_name", &masked.client_name)
            .field("trade_mode", &masked.trade_mode)
            .field("heartbeat_s", &masked.heartbeat_s)
            .field("trade_account", &masked.trade_account)
            .field("symbols", &masked.symbols)
            .field("market_symbols", &masked.market_symbols)
            .field("exchange", &masked.exchange)
            .field("depth_levels", &masked.depth_levels)
            .field("reconnect_min_ms", &masked.reconnect_min_ms)
            .field("reconnect_max_ms", &masked.reconnect_max_ms)
            .field("trading", &masked.trading)
            .field("order_prices_scaled", &masked.order_prices_scaled)
            .field("max_binary_message", &masked.max_binary_message)
            .finish()
    }
}

impl DtcConfig {
    /// Replaces secrets with `***` (for `--print-config`).
    pub fn mask_secrets(&mut self) {
        if self.password.is_some() {
            self.password = Some("***".into());
        }
    }

    /// Checks the section: `addr` must be an `IP:port` literal (the pinned loop never resolves
    /// names), and encoding, transport, heartbeat, backoff and frame limit must be usable.
    pub fn validate(&self) -> Result<(), String> {
        self.addr
            .parse::<std::net::SocketAddr>()
            .map_err(|_| format!("addr must be an IP:port literal, got {:?}", self.addr))?;
        if Encoding::parse(&self.encoding).is_none() {
            return Err(format!("unknown encoding {:?} (binary, json or compact)", self.encoding));
        }
        if !self.transport.eq_ignore_ascii_case("tcp") && !self.transport.eq_ignore_ascii_case("ws")
        {
            return Err(format!("unknown transport {:?} (tcp or ws)", self.transport));
        }
        if self.heartbeat_s == 0 {
            return Err("heartbeat_s must be > 0".into());
        }
        if self.reconnect_min_ms > self.reconnect_max_ms {
            return Err("reconnect_min_ms must be <= reconnect_max_ms".into());
        }
        if !(64..=types::MAX_BINARY_SIZE).contains(&self.max_binary_message) {
            return Err(format!("max_binary_message must be in [64, {}]", types::MAX_BINARY_SIZE));
        }
        Ok(())
    }

    /// The password from `password_env` (preferred) or `password`. A `password_env` naming an
    /// unset variable is an error, not a silent logon without password that the server
    /// refuses again and again.
    pub fn resolve_password(&self) -> Result<Option<String>, StartError> {
        match &self.password_env {
            Some(var) => match std::env::var(var) {
                Ok(p) => Ok(Some(p)),
                Err(_) => Err(StartError::PasswordEnvUnset(var.clone())),
            },
            None => Ok(self.password.clone()),
        }
    }
}

/// Why a DTC endpoint cannot start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartError {
    /// `password_env` names a variable that is not set.
    PasswordEnvUnset(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::PasswordEnvUnset(v) => write!(
                f,
                "password_env names {v}, which is not set (export it, or remove password_env)"
            ),
        }
    }
}

impl std::error::Error for StartError {}
