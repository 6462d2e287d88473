//! Typed refusals: a stable rule name plus details, rendered without allocation.

use std::fmt;

/// A short string held inline (names in refusal details), so a refusal is `Copy` and costs no
/// allocation. Longer input is cut at a character boundary.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct InlineStr<const N: usize> {
    len: u8,
    buf: [u8; N],
}

impl<const N: usize> InlineStr<N> {
    /// Copies at most `N` bytes of `s` (cut at a char boundary).
    pub fn new(s: &str) -> Self {
        let mut end = s.len().min(N).min(u8::MAX as usize);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let mut buf = [0u8; N];
        buf[..end].copy_from_slice(&s.as_bytes()[..end]);
        InlineStr { len: end as u8, buf }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Built from a &str cut at a char boundary, so always valid UTF-8.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }
}

impl<const N: usize> fmt::Debug for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A symbol in a refusal.
pub type Sym = InlineStr<32>;
/// An account or group name in a refusal.
pub type Name = InlineStr<64>;

/// The risk rule that refused a signal; [`Rule::name`] is the stable wire name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The kill switch is on: opening signals are refused until `arm`.
    KillSwitch,
    /// Quantity above `max_qty` (global or the symbol's).
    MaxQty,
    /// An account's net position would grow beyond `max_position`.
    MaxPosition,
    /// The publisher sent more than `max_signals_per_s_per_publisher`.
    RatePublisher,
    /// All sources together sent more than `max_signals_per_s`.
    RateTotal,
    /// Outside the symbol's trading hours.
    TradingHours,
    /// The symbol is not on `allowed_symbols`.
    SymbolNotAllowed,
    /// The signal would hold opposite positions on the trader's own accounts.
    Hedge,
    /// Every target account is excluded after a loss-limit breach.
    LossLimit,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 9] = [
        Rule::KillSwitch,
        Rule::MaxQty,
        Rule::MaxPosition,
        Rule::RatePublisher,
        Rule::RateTotal,
        Rule::TradingHours,
        Rule::SymbolNotAllowed,
        Rule::Hedge,
        Rule::LossLimit,
    ];

    /// Stable wire name, the third field of `ERROR|RISK_REJECTED|<rule>|<details>`.
    pub fn name(self) -> &'static str {
        match self {
            Rule::KillSwitch => "KILL_SWITCH",
            Rule::MaxQty => "MAX_QTY",
            Rule::MaxPosition => "MAX_POSITION",
            Rule::RatePublisher => "RATE_PUBLISHER",
            Rule::RateTotal => "RATE_TOTAL",
            Rule::TradingHours => "TRADING_HOURS",
            Rule::SymbolNotAllowed => "SYMBOL_NOT_ALLOWED",
            Rule::Hedge => "HEDGE",
            Rule::LossLimit => "LOSS_LIMIT",
        }
    }

    /// The code journaled with a refusal (never renamed).
    pub fn journal_code(self) -> &'static str {
        match self {
            Rule::KillSwitch => "RISK_KILL_SWITCH",
            Rule::MaxQty => "RISK_MAX_QTY",
            Rule::MaxPosition => "RISK_MAX_POSITION",
            Rule::RatePublisher => "RISK_RATE_PUBLISHER",
            Rule::RateTotal => "RISK_RATE_TOTAL",
            Rule::TradingHours => "RISK_TRADING_HOURS",
            Rule::SymbolNotAllowed => "RISK_SYMBOL_NOT_ALLOWED",
            Rule::Hedge => "RISK_HEDGE",
            Rule::LossLimit => "RISK_LOSS_LIMIT",
        }
    }
}

/// What a risk rule saw when it refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Nothing beyond the rule name.
    None,
    /// A quantity over its limit.
    Qty {
        /// The signal's symbol.
        symbol: Sym,
        /// The signal's quantity.
        qty: u32,
        /// The limit.
        max: u32,
    },
    /// A position over its limit.
    Position {
        /// The account.
        account: Name,
        /// The symbol that account trades (after mapping).
        symbol: Sym,
        /// Expected net position after the signal.
        after: i64,
        /// The limit.
        max: u32,
    },
    /// A rate over its limit.
    Rate {
        /// Signals per second allowed.
        per_s: u32,
    },
    /// A symbol-scoped refusal (hours, allow-list, hedge).
    Symbol(Sym),
}

/// A signal refused by a risk rule: `ERROR|RISK_REJECTED|<rule>|<details>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiskRejection {
    /// Which rule.
    pub rule: Rule,
    /// What it saw.
    pub detail: Detail,
}

impl fmt::Display for RiskRejection {
    /// The details field (after `<rule>|`); never contains `|` or a line break.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail {
            Detail::None => f.write_str(match self.rule {
                Rule::KillSwitch => "Kill switch on; arm to trade",
                Rule::LossLimit => "Every target account is past its loss limit",
                _ => "Refused",
            }),
            Detail::Qty { symbol, qty, max } => write!(f, "Symbol: {symbol},Qty: {qty},Max: {max}"),
            Detail::Position { account, symbol, after, max } => {
                write!(f, "Account: {account},Symbol: {symbol},After: {after},Max: {max}")
            }
            Detail::Rate { per_s } => write!(f, "Max per second: {per_s}"),
            Detail::Symbol(s) => write!(f, "Symbol: {s}"),
        }
    }
}

/// A routing option that names nothing known: `ERROR|INVALID_SIGNAL|<reason>|<detail>`; the
/// signal trades nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// `Group:<name>` names no `[groups]` entry.
    UnknownGroup(Name),
    /// `Accounts:` names an account no group or `[risk.accounts]` entry knows.
    UnknownAccount(Name),
    /// Both `Group:` and `Accounts:`, twice the same option, an empty list or a `=qty` entry.
    BadOption,
    /// A routing option reached an engine that does not route yet (it would otherwise be
    /// broadcast to every receiver).
    NotServed,
}

impl TargetError {
    /// The reason field.
    pub fn reason(&self) -> &'static str {
        match self {
            TargetError::UnknownGroup(_) => "Unknown group",
            TargetError::UnknownAccount(_) => "Unknown account",
            TargetError::BadOption => "Invalid routing option",
            TargetError::NotServed => "Routing options are not served by this engine yet",
        }
    }

    /// The stable code journaled with the refusal.
    pub fn journal_code(&self) -> &'static str {
        match self {
            TargetError::UnknownGroup(_) => "UNKNOWN_GROUP",
            TargetError::UnknownAccount(_) => "UNKNOWN_ACCOUNT",
            TargetError::BadOption => "BAD_ROUTING_OPTION",
            TargetError::NotServed => "ROUTING_NOT_SERVED",
        }
    }

    /// The detail field alone.
    pub fn detail(&self) -> impl fmt::Display + '_ {
        Detailed(self)
    }
}

struct Detailed<'a>(&'a TargetError);

impl fmt::Display for Detailed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            TargetError::UnknownGroup(n) => write!(f, "Group: {n}"),
            TargetError::UnknownAccount(n) => write!(f, "Account: {n}"),
            TargetError::BadOption => f.write_str("One Group:<name> or Accounts:<a>+<b>"),
            TargetError::NotServed => f.write_str("Group/Accounts"),
        }
    }
}

impl fmt::Display for TargetError {
    /// `<reason>|<detail>`, the two fields after `ERROR|INVALID_SIGNAL|`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", self.reason(), self.detail())
    }
}

/// Why [`super::Risk::check`] refused a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A risk rule: `ERROR|RISK_REJECTED|<rule>|<details>`.
    Risk(RiskRejection),
    /// A bad routing option: `ERROR|INVALID_SIGNAL|<reason>|<detail>`.
    Invalid(TargetError),
}

impl Refusal {
    /// The V9 error code field.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Risk(_) => "RISK_REJECTED",
            Refusal::Invalid(_) => "INVALID_SIGNAL",
        }
    }

    /// The rule, for a risk refusal.
    pub fn rule(&self) -> Option<Rule> {
        match self {
            Refusal::Risk(r) => Some(r.rule),
            Refusal::Invalid(_) => None,
        }
    }

    /// The message field: the rule name (`MAX_QTY`) or the routing error's reason.
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::Risk(r) => r.rule.name(),
            Refusal::Invalid(t) => t.reason(),
        }
    }

    /// The stable code journaled with the refusal (`RISK_MAX_QTY`, `UNKNOWN_GROUP`, ...).
    pub fn journal_code(&self) -> &'static str {
        match self {
            Refusal::Risk(r) => r.rule.journal_code(),
            Refusal::Invalid(t) => t.journal_code(),
        }
    }

    /// The details field alone (after the message).
    pub fn details(&self) -> impl fmt::Display + '_ {
        RefusalDetails(self)
    }

    pub(crate) fn risk(rule: Rule, detail: Detail) -> Refusal {
        Refusal::Risk(RiskRejection { rule, detail })
    }
}

impl fmt::Display for Refusal {
    /// The whole line without terminator: `ERROR|RISK_REJECTED|MAX_QTY|Symbol: ES,Qty: 9,Max: 5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Risk(r) => write!(f, "ERROR|RISK_REJECTED|{}|{r}", r.rule.name()),
            Refusal::Invalid(t) => write!(f, "ERROR|INVALID_SIGNAL|{t}"),
        }
    }
}

struct RefusalDetails<'a>(&'a Refusal);

impl fmt::Display for RefusalDetails<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Refusal::Risk(r) => fmt::Display::fmt(r, f),
            Refusal::Invalid(t) => fmt::Display::fmt(&t.detail(), f),
        }
    }
}
