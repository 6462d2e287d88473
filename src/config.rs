//! Configuration: TOML file, defaults, CLI overrides, validation; the one place that reads it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything the engine needs to start.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Loop, pinning, reports.
    pub engine: EngineConfig,
    /// The V9 signal server.
    pub v9: V9Config,
    /// Pipe ingest (ACSIL study); absent = disabled.
    pub pipe: Option<crate::pipe::PipeConfig>,
    /// Named DTC connections (`[dtc.es]`, `[dtc.nq]`).
    pub dtc: BTreeMap<String, crate::dtc::DtcConfig>,
}

/// Engine-loop settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Core for the loop thread: `last` (default), `none`, or a core index.
    pub pin: String,
    /// Seconds between periodic reports (0 = off).
    pub report_interval_s: u64,
    /// Directory for .hgrm files written at shutdown.
    pub hgrm_dir: Option<PathBuf>,
    /// Spin on `poll` with a zero timeout instead of sleeping (burns the pinned core).
    pub busy_poll: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig { pin: "last".into(), report_interval_s: 10, hgrm_dir: None, busy_poll: false }
    }
}

/// V9 server settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct V9Config {
    /// Listen address (spec: 127.0.0.1:5000).
    pub listen: String,
    /// A client silent for longer than this gets `ERROR|TIMEOUT` and is closed (spec: 30 s).
    pub client_timeout_s: f64,
    /// Connections beyond this are refused with an error.
    pub max_clients: usize,
    /// Per-client queued output bound; a receiver over it is disconnected.
    pub max_output_bytes: usize,
    /// If set, publishers must send `Token:<secret>` in CONNECT (then any address may publish).
    /// Also read from the environment variable `V9BRIDGE_PUBLISHER_TOKEN`.
    pub publisher_token: Option<String>,
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
            listen: "127.0.0.1:5000".into(),
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

impl Config {
    /// Reads a TOML file (validated by the caller once CLI flags and environment are applied).
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and validates TOML text.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let cfg: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Applies environment-provided secrets (never logged).
    pub fn apply_env(&mut self) {
        if self.v9.publisher_token.is_none() {
            if let Ok(t) = std::env::var("V9BRIDGE_PUBLISHER_TOKEN") {
                if !t.is_empty() {
                    self.v9.publisher_token = Some(t);
                }
            }
        }
    }

    /// Checks values that would otherwise fail later and obscurely (or panic in time arithmetic).
    pub fn validate(&self) -> Result<(), String> {
        parse_pin(&self.engine.pin)?;
        if let Some(p) = &self.pipe {
            p.validate()?;
        }
        let v = &self.v9;
        if !(v.client_timeout_s.is_finite()
            && v.client_timeout_s > 0.0
            && v.client_timeout_s <= 86_400.0)
        {
            return Err("v9.client_timeout_s must be in (0, 86400]".into());
        }
        if v.max_output_bytes < 4096 || v.max_output_bytes > 1 << 30 {
            return Err("v9.max_output_bytes must be in [4096, 1 GiB]".into());
        }
        if v.max_clients == 0 || v.max_clients >= crate::endpoint::TOKEN_SPACE - 1 {
            return Err(format!(
                "v9.max_clients must be in [1, {}]",
                crate::endpoint::TOKEN_SPACE - 2
            ));
        }
        if v.flatten_check_ms > 3_600_000 || v.unterminated_grace_ms > 60_000 {
            return Err(
                "v9.flatten_check_ms must be <= 3600000 and v9.unterminated_grace_ms <= 60000"
                    .into(),
            );
        }
        // A short token falls to guessing (thousands of tries per second over loopback).
        if v.publisher_token.as_deref().is_some_and(|t| t.len() < 16 || t.contains('|')) {
            return Err(
                "v9.publisher_token (or V9BRIDGE_PUBLISHER_TOKEN) must be at least 16 bytes and contain no '|'"
                    .into(),
            );
        }
        if v.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!("v9.listen: not an address: {:?}", v.listen));
        }
        for (n, d) in &self.dtc {
            d.validate().map_err(|e| format!("dtc.{n}: {e}"))?;
        }
        Ok(())
    }

    /// TOML of the effective configuration with secrets masked.
    pub fn to_masked_toml(&self) -> String {
        let mut c = self.clone();
        if c.v9.publisher_token.is_some() {
            c.v9.publisher_token = Some("***".into());
        }
        for d in c.dtc.values_mut() {
            d.mask_secrets();
        }
        toml::to_string_pretty(&c).unwrap_or_else(|e| format!("# cannot render config: {e}"))
    }
}

/// Where to pin the loop thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pin {
    /// The last core (default: away from core 0, where the OS does most of its work).
    Last,
    /// No pinning.
    None,
    /// This core index.
    Core(usize),
}

/// Parses `last`, `none` or a core index.
pub fn parse_pin(s: &str) -> Result<Pin, String> {
    match s {
        "last" => Ok(Pin::Last),
        "none" => Ok(Pin::None),
        n => n
            .parse()
            .map(Pin::Core)
            .map_err(|_| format!("pin: expected last, none or a core index, got {n:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_spec_and_unknown_keys_fail() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.v9.listen, "127.0.0.1:5000");
        assert_eq!(c.v9.client_timeout_s, 30.0);
        assert!(Config::from_toml("[v9]\nlisen = 'x'").is_err());
        let c = Config::from_toml("[v9]\npublisher_token = 's3cret-s3cret-s3cret'").unwrap();
        assert!(!c.to_masked_toml().contains("s3cret"));
        assert_eq!(parse_pin("3"), Ok(Pin::Core(3)));
        assert!(parse_pin("x").is_err());
        for bad in [
            "[v9]\nclient_timeout_s = inf",
            "[v9]\nclient_timeout_s = 0.0",
            "[v9]\npublisher_token = ''",
            "[v9]\npublisher_token = 'short-token-15b'",
            "[v9]\nmax_clients = 0",
            "[v9]\nflatten_check_ms = 99999999999",
        ] {
            assert!(Config::from_toml(bad).is_err(), "{bad}");
        }
    }
}
