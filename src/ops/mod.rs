//! The operator surface: HTTP + WebSocket on its own thread (REST JSON, python-ws-dtc-client's
//! DTC API and market-data WebSocket, Prometheus `/metrics`, a live dashboard), fed by typed
//! snapshots.
//!
//! The pinned loop never waits for it. On its timer the loop fills a spare [`Snapshot`] in place
//! and `try_send`s it; the ops thread sends the previous one back for reuse, and when none is back
//! the loop skips that publish (conflation). Signal events go over a bounded channel and are
//! dropped when it is full. Everything the ops thread asks of the loop (publish a signal, a DTC
//! request) is an [`crate::engine::EngineHandle::call`] whose answer comes back over a channel,
//! so the ops thread never blocks either: one slow HTTP client cannot stall the others.

mod auth;
pub mod client;
mod control;
mod dashboard;
mod dtc_query;
mod dtc_rest;
mod events;
pub mod fill;
mod fill_dtc;
mod http;
mod link;
mod market_msg;
mod market_ws;
mod prom;
pub mod risk;
mod routes;
mod serve;
mod server;
pub mod snapshot;
mod view;

pub use events::{AckEvent, ShortText, SignalEvent};
pub use link::OpsLink;
pub use snapshot::Snapshot;

use crate::config::Secret;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::net::SocketAddr;

/// Environment variable holding the bearer token of the control endpoints.
pub const TOKEN_ENV: &str = "V9BRIDGE_OPS_TOKEN";

/// `[ops]`: the operator surface.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpsConfig {
    /// HTTP + WebSocket address, or `none` (off).
    pub listen: OpsListen,
    /// Bearer token for `POST /api/v1/signals` and `POST /api/v1/flatten-all` (also from
    /// [`TOKEN_ENV`]). Unset: both are refused, whatever the peer.
    pub token: Option<Secret>,
    /// Milliseconds between snapshots the loop publishes (10..=500; health needs < 1 s).
    pub publish_ms: u64,
    /// Open connections at most (HTTP, SSE and WebSocket together); more are refused.
    pub max_connections: usize,
    /// Largest request body (413 beyond).
    pub max_body_bytes: usize,
    /// Bytes queued for one streaming client (SSE, WebSocket) before it is dropped.
    pub max_client_queue_bytes: usize,
    /// How long a python-ws-dtc-client DTC request waits for the server's answer (504 after).
    pub dtc_wait_ms: u64,
    /// Position rows per snapshot at most (the rest are counted, not listed).
    pub max_positions: usize,
}

impl Default for OpsConfig {
    fn default() -> Self {
        OpsConfig {
            listen: OpsListen(Some(SocketAddr::from(([127, 0, 0, 1], 8080)))),
            token: None,
            publish_ms: 100,
            max_connections: 64,
            max_body_bytes: 64 * 1024,
            max_client_queue_bytes: 4 << 20,
            dtc_wait_ms: 3000,
            max_positions: 20_000,
        }
    }
}

impl OpsConfig {
    /// Ranges the types cannot say.
    pub fn validate(&self) -> Result<(), String> {
        if !(10..=500).contains(&self.publish_ms) {
            return Err("ops.publish_ms must be in [10, 500]".into());
        }
        if !(1..=4096).contains(&self.max_connections) {
            return Err("ops.max_connections must be in [1, 4096]".into());
        }
        if !(1024..=16 << 20).contains(&self.max_body_bytes) {
            return Err("ops.max_body_bytes must be in [1024, 16 MiB]".into());
        }
        if !(64 * 1024..=1 << 30).contains(&self.max_client_queue_bytes) {
            return Err("ops.max_client_queue_bytes must be in [64 KiB, 1 GiB]".into());
        }
        if !(10..=60_000).contains(&self.dtc_wait_ms) {
            return Err("ops.dtc_wait_ms must be in [10, 60000]".into());
        }
        if !(1..=1_000_000).contains(&self.max_positions) {
            return Err("ops.max_positions must be in [1, 1000000]".into());
        }
        if self.token.as_ref().is_some_and(|t| t.expose().len() < 8) {
            return Err("ops.token must be at least 8 characters".into());
        }
        Ok(())
    }

    /// Takes the token from [`TOKEN_ENV`] when the file sets none.
    pub fn apply_env(&mut self) {
        if self.token.is_none() {
            if let Ok(t) = std::env::var(TOKEN_ENV) {
                if !t.is_empty() {
                    self.token = Some(Secret::from(t));
                }
            }
        }
    }
}

/// An ops listen address, or none (`"none"` in the file and on the command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpsListen(pub Option<SocketAddr>);

impl std::str::FromStr for OpsListen {
    type Err = String;

    fn from_str(s: &str) -> Result<OpsListen, String> {
        match s.trim() {
            "none" | "off" => Ok(OpsListen(None)),
            a => a
                .parse()
                .map(|a| OpsListen(Some(a)))
                .map_err(|_| format!("ops listen: expected IP:port or none, got {a:?}")),
        }
    }
}

impl fmt::Display for OpsListen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(a) => write!(f, "{a}"),
            None => f.write_str("none"),
        }
    }
}

impl Serialize for OpsListen {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for OpsListen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OpsListen, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
