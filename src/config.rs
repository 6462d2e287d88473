//! Configuration: TOML file, defaults, CLI overrides; parsed into typed values, then checked.
//! Each protocol's section lives beside its protocol (`v9::config`, `pipe`, `dtc`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::v9::config::V9Config;

/// A fully commented configuration with every key at its default (`v9bridge config --example`).
pub const EXAMPLE: &str = include_str!("config_example.toml");

/// Everything the engine needs to start.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Loop, pinning, reports.
    pub engine: EngineConfig,
    /// The V9 signal server.
    pub v9: V9Config,
    /// Market state shared by every feed.
    pub market: MarketConfig,
    /// Pipe ingest (ACSIL study); absent = disabled.
    pub pipe: Option<crate::pipe::PipeConfig>,
    /// Named DTC connections (`[dtc.es]`, `[dtc.nq]`).
    pub dtc: BTreeMap<String, crate::dtc::DtcConfig>,
    /// The signal journal (`dir = "none"` disables it).
    pub journal: crate::journal::JournalConfig,
    /// Risk gates, loss limits and the hedge rule (docs/RISK.md).
    pub risk: crate::risk::RiskConfig,
    /// Named account groups: `apex = ["Apex1", "Apex2"]`.
    pub groups: BTreeMap<String, Vec<String>>,
    /// Symbol map, sizing and inversion per group (`[mapping.apex]`).
    pub mapping: BTreeMap<String, crate::risk::MappingConfig>,
    /// The operator surface (HTTP API, dashboard, metrics); started by `v9bridge run`.
    pub ops: crate::ops::OpsConfig,
}

/// Engine-loop settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Core for the loop thread: `"last"` (default), `"none"`, or a core index (`1` or `"1"`).
    pub pin: Pin,
    /// Seconds between periodic reports (0 = off).
    pub report_interval_s: u64,
    /// Directory for .hgrm files written at shutdown.
    pub hgrm_dir: Option<PathBuf>,
    /// Spin on `poll` with a zero timeout instead of sleeping (burns the pinned core).
    pub busy_poll: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig { pin: Pin::Last, report_interval_s: 10, hgrm_dir: None, busy_poll: false }
    }
}

/// `[market]`: the market state every feed (pipe, DTC) updates.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketConfig {
    /// A symbol silent for longer than this gets one stale-feed warning.
    pub stale_after_ms: u64,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig { stale_after_ms: 5000 }
    }
}

impl Config {
    /// Reads a TOML file (checked by the caller once CLI flags and environment are applied).
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        parse_toml(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and checks TOML text.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let cfg = parse_toml(text)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Applies environment-provided secrets (never logged).
    pub fn apply_env(&mut self) {
        if self.v9.publisher_token.is_none() {
            if let Ok(t) = std::env::var("V9BRIDGE_PUBLISHER_TOKEN") {
                if !t.is_empty() {
                    self.v9.publisher_token = Some(Secret::from(t));
                }
            }
        }
        self.ops.apply_env();
    }

    /// Checks what the types cannot say (ranges, cross-field rules), naming the key.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(p) = &self.pipe {
            p.validate()?;
        }
        if !(100..=86_400_000).contains(&self.market.stale_after_ms) {
            return Err("market.stale_after_ms must be in [100, 86400000]".into());
        }
        self.v9.validate()?;
        self.journal.validate()?;
        self.risk_sections().validate()?;
        self.ops.validate()?;
        for (n, d) in &self.dtc {
            d.validate().map_err(|e| format!("dtc.{n}: {e}"))?;
        }
        Ok(())
    }

    /// The risk layer's three sections, for `Risk::new` and validation.
    pub fn risk_sections(&self) -> crate::risk::RiskSections<'_> {
        crate::risk::RiskSections { risk: &self.risk, groups: &self.groups, mapping: &self.mapping }
    }

    /// TOML of the effective configuration with secrets masked.
    pub fn to_masked_toml(&self) -> String {
        let mut c = self.clone();
        for d in c.dtc.values_mut() {
            d.mask_secrets();
        }
        toml::to_string_pretty(&c).unwrap_or_else(|e| format!("# cannot render config: {e}"))
    }
}

/// Keys whose values are never echoed in an error.
const SECRET_KEYS: [&str; 3] = ["token", "password", "secret"];

/// Parses TOML without echoing the source: toml's own errors quote the offending line, and that
/// line may hold a secret (a misspelt `publisher_tokn = "..."` is still a secret).
fn parse_toml(text: &str) -> Result<Config, String> {
    toml::from_str(text).map_err(|e| {
        let Some(span) = e.span() else {
            return e.message().to_string();
        };
        let before = &text[..span.start.min(text.len())];
        let line_no = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = text[line_start..].lines().next().unwrap_or("");
        let mut msg = e.message().to_string();
        let key = line.split('=').next().unwrap_or("").to_ascii_lowercase();
        if SECRET_KEYS.iter().any(|k| key.contains(k)) {
            if let Some(value) =
                line.split_once('=').map(|(_, v)| v.trim().trim_matches(['"', '\'']))
            {
                if !value.is_empty() {
                    msg = msg.replace(value, "***");
                }
            }
        }
        format!("line {line_no}: {msg}")
    })
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

impl std::str::FromStr for Pin {
    type Err = String;

    /// Parses `last`, `none` or a core index.
    fn from_str(s: &str) -> Result<Pin, String> {
        match s.trim() {
            "last" => Ok(Pin::Last),
            "none" => Ok(Pin::None),
            n => n
                .parse()
                .map(Pin::Core)
                .map_err(|_| format!("pin: expected last, none or a core index, got {n:?}")),
        }
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pin::Last => f.write_str("last"),
            Pin::None => f.write_str("none"),
            Pin::Core(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for Pin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Pin::Core(n) => s.serialize_u64(*n as u64),
            other => s.serialize_str(&other.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Pin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pin, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Index(u64),
            Name(String),
        }
        match Raw::deserialize(d)? {
            Raw::Index(n) => usize::try_from(n).map(Pin::Core).map_err(serde::de::Error::custom),
            Raw::Name(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// A secret (token, password): usable by the code, never printed. `Debug` and `Serialize` show
/// `***`, and there is no `Display`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for comparing or sending; never for logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Compares secrets (tokens) in a time that depends on the lengths only, not on where the
/// bytes differ, so a guess learns nothing from how fast it was refused.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u64;
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= (x ^ y) as u64;
    }
    std::hint::black_box(diff) == 0
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

#[cfg(test)]
mod tests;
