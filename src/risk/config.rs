//! `[risk]`, `[groups]` and `[mapping.<group>]`: typed as parsed; checked by compiling them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[risk]`: gates, loss limits, the session clock and the hedge rule. Every limit 0 = off.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RiskConfig {
    /// Largest quantity of one opening signal, any symbol (0 = no limit).
    pub max_qty: u32,
    /// Largest absolute net position per account and symbol after an opening signal (0 = none).
    pub max_position: u32,
    /// Signals per second from every source together (0 = no limit; burst = one second's).
    pub max_signals_per_s: u32,
    /// Signals per second from one publisher (the pipe and the CLI count as one each).
    pub max_signals_per_s_per_publisher: u32,
    /// Symbols that may be opened (upper case compare; empty = every symbol).
    pub allowed_symbols: Vec<String>,
    /// May one signal put some of the trader's accounts long and others short (inverted
    /// groups)? The default for accounts whose group mapping does not say.
    pub allow_hedge: bool,
    /// Local time of the daily session boundary where loss limits restart (`HH:MM`).
    pub session_reset: String,
    /// Time zone of `session_reset` (IANA name).
    pub session_tz: String,
    /// Where a session's P&L starts: `first_report` (the first POSITION P&L seen in the
    /// session) or `zero` (receivers report the session's P&L themselves).
    pub loss_baseline: LossBaseline,
    /// Daily loss limit per account in dollars, for accounts without their own (0 = none).
    pub daily_loss: f64,
    /// Trailing drawdown limit per account (peak-to-current session equity), dollars (0 = none).
    pub trailing_drawdown: f64,
    /// Per-symbol limits and trading hours (`[risk.symbols.ES]`).
    pub symbols: BTreeMap<String, SymbolRules>,
    /// Per-account loss limits (`[risk.accounts.Apex1]`); also makes the account known.
    pub accounts: BTreeMap<String, AccountRules>,
}

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig {
            max_qty: 0,
            max_position: 0,
            max_signals_per_s: 0,
            max_signals_per_s_per_publisher: 0,
            allowed_symbols: Vec::new(),
            allow_hedge: false,
            session_reset: "18:00".into(),
            session_tz: "America/New_York".into(),
            loss_baseline: LossBaseline::FirstReport,
            daily_loss: 0.0,
            trailing_drawdown: 0.0,
            symbols: BTreeMap::new(),
            accounts: BTreeMap::new(),
        }
    }
}

/// Where a session's P&L is counted from.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LossBaseline {
    /// The first POSITION P&L of each account in the session.
    FirstReport,
    /// Zero: the receivers' P&L is already the session's.
    Zero,
}

/// `[risk.symbols.<SYM>]`: limits of one symbol (the signal's symbol for `max_qty` and the
/// hours, the account's mapped symbol for `max_position`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SymbolRules {
    /// Largest quantity of one opening signal in this symbol (0 = the global one).
    pub max_qty: u32,
    /// Largest absolute net position per account (0 = the global one).
    pub max_position: u32,
    /// Exchange time zone of `hours` (IANA name); required with `hours`.
    pub tz: Option<String>,
    /// Local windows `"HH:MM-HH:MM"` when opening is allowed; one that ends before it starts
    /// crosses midnight. Empty = any time.
    pub hours: Vec<String>,
    /// Weekdays a window may start on (`sun`..`sat`); empty = every day.
    pub days: Vec<String>,
}

/// `[risk.accounts.<name>]`: loss limits of one account (unset = the `[risk]` defaults).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AccountRules {
    /// Daily loss limit, dollars (0 = none).
    pub daily_loss: Option<f64>,
    /// Trailing drawdown limit, dollars (0 = none).
    pub trailing_drawdown: Option<f64>,
}

/// How a sized quantity becomes whole contracts.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Half away from zero (2.5 -> 3, 2.4 -> 2).
    #[default]
    Nearest,
    /// Toward zero (2.9 -> 2).
    Down,
    /// Away from zero (2.1 -> 3).
    Up,
}

/// `[mapping.<group>]`: symbol map, sizing and inversion for the accounts of one group.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MappingConfig {
    /// Swap LONG and SHORT for this group (refused by the hedge rule unless allowed).
    pub invert: bool,
    /// May this group's accounts be opposite to the trader's other accounts?
    pub allow_hedge: bool,
    /// Rounding of `qty x ratio x multiplier`.
    pub rounding: Rounding,
    /// Let an opening order round to 0 (that account then gets nothing); default: at least 1.
    pub allow_zero: bool,
    /// Smallest opening quantity per account (0 = none).
    pub min_qty: u32,
    /// Largest opening quantity per account (0 = none).
    pub max_qty: u32,
    /// Per-account quantity multipliers (default 1).
    pub multipliers: BTreeMap<String, f64>,
    /// Symbol map: `ES = { to = "MES", ratio = 10 }`.
    pub symbols: BTreeMap<String, SymbolMap>,
}

impl Default for MappingConfig {
    fn default() -> Self {
        MappingConfig {
            invert: false,
            allow_hedge: false,
            rounding: Rounding::Nearest,
            allow_zero: false,
            min_qty: 0,
            max_qty: 0,
            multipliers: BTreeMap::new(),
            symbols: BTreeMap::new(),
        }
    }
}

/// One symbol mapping.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SymbolMap {
    /// The symbol these accounts trade instead.
    pub to: String,
    /// Contracts of `to` per contract of the signal (ES 1 -> MES 10: 10).
    #[serde(default = "one")]
    pub ratio: f64,
}

fn one() -> f64 {
    1.0
}

/// Everything the risk layer is configured with (the three sections together).
#[derive(Clone, Copy, Debug)]
pub struct RiskSections<'a> {
    /// `[risk]`.
    pub risk: &'a RiskConfig,
    /// `[groups]`: name -> account names.
    pub groups: &'a BTreeMap<String, Vec<String>>,
    /// `[mapping.<group>]`.
    pub mapping: &'a BTreeMap<String, MappingConfig>,
}

impl RiskSections<'_> {
    /// Checks everything by compiling it; the error names the key and the reason.
    pub fn validate(&self) -> Result<(), String> {
        super::rules::Rules::compile(*self).map(drop)
    }
}
