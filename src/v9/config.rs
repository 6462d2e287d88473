//! `[v9]` configuration: the signal server's address, limits and publisher authentication.

use crate::config::Secret;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// V9 server settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct V9Config {
    /// Listen address (spec: 127.0.0.1:5000).
    pub listen: SocketAddr,
    /// A client silent for longer than this gets `ERROR|TIMEOUT` and is closed (spec: 30 s).
    pub client_timeout_s: f64,
    /// Connections beyond this are refused with an error.
    pub max_clients: usize,
    /// Per-client queued output bound; a receiver over it is disconnected.
    pub max_output_bytes: usize,
    /// If set, publishers must send `Token:<secret>` in CONNECT (then any address may publish).
    /// Also read from the environment variable `V9BRIDGE_PUBLISHER_TOKEN`.
    pub publisher_token: Option<Secret>,
    /// Accounts not FLAT this long after a FLATTEN are reported out of sync.
    pub flatten_check_ms: u64,
    /// How long an unterminated, incomplete message may wait for its remaining bytes.
    pub unterminated_grace_ms: u64,
    /// Version sent in READY.
    pub server_version: String,
}

impl Default for V9Config {
    fn default() -> Self {
        V9Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 5000)),
            client_timeout_s: 30.0,
            max_clients: 10_000,
            max_output_bytes: 1 << 20,
            publisher_token: None,
            flatten_check_ms: 3000,
            unterminated_grace_ms: 200,
            server_version: "1.0".into(),
        }
    }
}

impl V9Config {
    /// Rejects values that would fail later and obscurely (or panic in time arithmetic).
    pub fn validate(&self) -> Result<(), String> {
        let t = self.client_timeout_s;
        if !(t.is_finite() && t > 0.0 && t <= 86_400.0) {
            return Err("v9.client_timeout_s must be in (0, 86400]".into());
        }
        if self.max_output_bytes < 4096 || self.max_output_bytes > 1 << 30 {
            return Err("v9.max_output_bytes must be in [4096, 1 GiB]".into());
        }
        let max = crate::endpoint::TOKEN_SPACE - 2;
        if self.max_clients == 0 || self.max_clients > max {
            return Err(format!("v9.max_clients must be in [1, {max}]"));
        }
        if self.flatten_check_ms > 3_600_000 || self.unterminated_grace_ms > 60_000 {
            return Err(
                "v9.flatten_check_ms must be <= 3600000 and v9.unterminated_grace_ms <= 60000"
                    .into(),
            );
        }
        // A short token falls to guessing (thousands of tries per second over loopback).
        if let Some(t) = &self.publisher_token {
            if t.expose().len() < 16 || t.expose().contains('|') {
                return Err("v9.publisher_token (or V9BRIDGE_PUBLISHER_TOKEN) must be at least 16 bytes and contain no '|'".into());
            }
        }
        let printable = |s: &str| s.bytes().all(|b| b.is_ascii_graphic() && b != b'|');
        if self.server_version.is_empty() || !printable(&self.server_version) {
            return Err("v9.server_version must be printable ASCII without '|'".into());
        }
        Ok(())
    }
}
