//! Trading signals: the one validated form shared by V9 publishers, the pipe ingest and the CLI.

use std::fmt;
use std::time::Instant;

/// Longest accepted symbol (futures roots and full Sierra Chart symbols such as `ESZ6_FUT_CME`).
pub const MAX_SYMBOL_LEN: usize = 32;

/// The symbol rule every source shares (signals and pipe ticks): 1..=[`MAX_SYMBOL_LEN`] bytes
/// of ASCII letters, digits and `_ . - # / space`.
pub fn valid_symbol(sym: &str) -> bool {
    !sym.is_empty()
        && sym.len() <= MAX_SYMBOL_LEN
        && sym.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'#' | b'/' | b' ')
        })
}
/// Largest accepted per-account quantity: a fat-finger guard, not an exchange limit.
pub const MAX_QTY: u32 = 1000;
/// Unknown `KEY:VALUE` options preserved and re-broadcast verbatim, at most this many.
pub const MAX_EXTRA_OPTIONS: usize = 8;
/// Longest TIF or extra option (printable ASCII, no `|`); account lists (`Accounts:`,
/// `Group:`) are bounded by the line instead (see [`is_account_list`]).
pub const MAX_OPTION_LEN: usize = 64;

/// `Accounts:` or `Group:` (key in any case): lists of names, never passed through verbatim
/// (the engine routes them; receivers get `Accounts:` as the router writes it, one line holding
/// as many accounts as fit), so only the line limit bounds them, not [`MAX_OPTION_LEN`].
pub fn is_account_list(opt: &str) -> bool {
    let key = |k: &str| {
        opt.len() >= k.len() && opt.as_bytes()[..k.len()].eq_ignore_ascii_case(k.as_bytes())
    };
    key("ACCOUNTS:") || key("GROUP:")
}

/// What a signal asks every receiver account to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Buy QTY (adds when long; a short position is closed first, then QTY bought).
    Long,
    /// Sell QTY (adds when short; a long position is closed first, then QTY sold).
    Short,
    /// Close the position in SYMBOL (or every symbol with `ALL`).
    Flatten,
    /// Close half the position, rounded up (3 -> close 2, keep 1; 1 -> close 1).
    CloseHalf,
    /// Close one contract.
    CloseOne,
    /// Flip the position: long N -> short (QTY, or N when QTY is 0), and vice versa.
    Reverse,
}

impl Action {
    /// Every action, in wire order.
    pub const ALL: [Action; 6] = [
        Action::Long,
        Action::Short,
        Action::Flatten,
        Action::CloseHalf,
        Action::CloseOne,
        Action::Reverse,
    ];

    /// Parses the wire name (exact, upper case).
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "LONG" => Action::Long,
            "SHORT" => Action::Short,
            "FLATTEN" => Action::Flatten,
            "CLOSE_HALF" => Action::CloseHalf,
            "CLOSE_ONE" => Action::CloseOne,
            "REVERSE" => Action::Reverse,
            _ => return None,
        })
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Long => "LONG",
            Action::Short => "SHORT",
            Action::Flatten => "FLATTEN",
            Action::CloseHalf => "CLOSE_HALF",
            Action::CloseOne => "CLOSE_ONE",
            Action::Reverse => "REVERSE",
        }
    }

    /// True for actions that open risk and therefore need a quantity of at least 1.
    pub fn opens(self) -> bool {
        matches!(self, Action::Long | Action::Short)
    }

    /// The execution rule: the signed position an account holding `p` has after this action
    /// with quantity `qty` (the engine's expected positions and the receivers share it).
    pub fn next_position(self, p: i64, qty: u32) -> i64 {
        let q = i64::from(qty);
        match self {
            Action::Long if p < 0 => q,
            Action::Long => p + q,
            Action::Short if p > 0 => -q,
            Action::Short => p - q,
            Action::Flatten => 0,
            Action::CloseHalf => p - p.signum() * ((p.abs() + 1) / 2),
            Action::CloseOne => p - p.signum(),
            Action::Reverse if q > 0 => -p.signum() * q,
            Action::Reverse => -p,
        }
    }
}

/// A symbol copied upper-cased into a fixed buffer (at most [`MAX_SYMBOL_LEN`] bytes): a map key
/// and a record field that outlives the line it came from, without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol {
    bytes: [u8; MAX_SYMBOL_LEN],
    len: u8,
}

impl Symbol {
    /// `s` upper-cased (cut at [`MAX_SYMBOL_LEN`] bytes; validated symbols always fit).
    pub fn upper(s: &str) -> Symbol {
        let mut bytes = [0u8; MAX_SYMBOL_LEN];
        let len = s.len().min(MAX_SYMBOL_LEN);
        for (d, b) in bytes.iter_mut().zip(s.bytes()) {
            *d = b.to_ascii_uppercase();
        }
        Symbol { bytes, len: len as u8 }
    }

    /// The symbol, upper case.
    pub fn as_str(&self) -> &str {
        // Validated symbols are ASCII, so any prefix is valid UTF-8.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// The symbol's bytes, upper case (no UTF-8 check: for comparisons).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// True for `ALL` (every symbol).
    pub fn is_all(&self) -> bool {
        // The bytes, not `as_str`: this runs per receiver per signal, and its UTF-8 check
        // was a third of the expected-position update (callgrind).
        self.as_bytes() == b"ALL"
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signal borrowed from whatever buffer it was parsed from; no allocation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Signal<'a> {
    /// What to do.
    pub action: Action,
    /// Futures root or full symbol; `ALL` only for closing actions. Case-insensitive: every
    /// signal leaves the V9 server with its symbol upper-cased, whatever its source.
    pub symbol: &'a str,
    /// Contracts per account; 0 for closing actions.
    pub qty: u32,
    /// Take-profit price.
    pub tp: Option<f64>,
    /// Stop-loss price.
    pub sl: Option<f64>,
    /// Time in force / order type (`TIF:` option), passed through.
    pub tif: Option<&'a str>,
    /// Unknown `KEY:VALUE` options, preserved verbatim in order.
    pub extras: [&'a str; MAX_EXTRA_OPTIONS],
    /// How many of `extras` are used.
    pub n_extras: u8,
}

impl<'a> Signal<'a> {
    /// A plain signal with no options.
    pub fn new(action: Action, symbol: &'a str, qty: u32) -> Self {
        Signal {
            action,
            symbol,
            qty,
            tp: None,
            sl: None,
            tif: None,
            extras: [""; MAX_EXTRA_OPTIONS],
            n_extras: 0,
        }
    }

    /// The preserved unknown options.
    pub fn extras(&self) -> &[&'a str] {
        &self.extras[..self.n_extras as usize]
    }

    /// Adds an unknown option; false when the table is full.
    pub fn push_extra(&mut self, opt: &'a str) -> bool {
        if (self.n_extras as usize) < MAX_EXTRA_OPTIONS {
            self.extras[self.n_extras as usize] = opt;
            self.n_extras += 1;
            true
        } else {
            false
        }
    }

    /// Business validation shared by every signal source.
    pub fn validate(&self) -> Result<(), SignalError> {
        let sym = self.symbol;
        if !valid_symbol(sym) {
            return Err(SignalError::BadSymbol);
        }
        // Symbols are case-insensitive (they leave upper-cased): `all` is `ALL` too.
        if sym.eq_ignore_ascii_case("ALL") && self.action.opens() {
            return Err(SignalError::AllNotAllowed);
        }
        if self.action.opens() && self.qty == 0 {
            return Err(SignalError::ZeroQuantity);
        }
        if self.qty > MAX_QTY {
            return Err(SignalError::QuantityTooLarge);
        }
        for p in [self.tp, self.sl].into_iter().flatten() {
            if !p.is_finite() || p <= 0.0 {
                return Err(SignalError::BadPrice);
            }
        }
        // Pass-through texts are re-broadcast verbatim: a '|' or a line break inside one would
        // smuggle extra options or whole extra signals to every receiver.
        for text in self.tif.into_iter().chain(self.extras().iter().copied()) {
            if text.is_empty()
                || (text.len() > MAX_OPTION_LEN && !is_account_list(text))
                || !text.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'|')
            {
                return Err(SignalError::BadOption);
            }
        }
        Ok(())
    }
}

/// Where a signal came from (for logs, metrics and acknowledgements).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A V9 client that connected with `Role:Publisher` (includes `v9bridge signal`).
    Publisher,
    /// The ACSIL study through the named pipe / FIFO.
    Pipe,
    /// Generated from DTC data or an engine command.
    Engine,
}

/// Why a signal was refused; maps to V9 `ERROR|INVALID_SIGNAL|...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalError {
    /// Unknown action name.
    UnknownAction,
    /// Empty, too long, or with characters outside `[A-Za-z0-9_.#/ -]`.
    BadSymbol,
    /// `ALL` used with an opening action.
    AllNotAllowed,
    /// LONG/SHORT with quantity 0.
    ZeroQuantity,
    /// Quantity above [`MAX_QTY`].
    QuantityTooLarge,
    /// Quantity not a non-negative integer.
    BadQuantity,
    /// TP/SL not a finite positive number.
    BadPrice,
    /// More than [`MAX_EXTRA_OPTIONS`] unknown options.
    TooManyOptions,
    /// A TIF/option that is empty, too long, or not printable ASCII without `|` (or a bad `ID:`).
    BadOption,
    /// The signal would encode to more than the 1024-byte message limit.
    TooLong,
    /// The source is not allowed to publish.
    NotPublisher,
}

impl SignalError {
    /// Human-readable reason, used as the V9 ERROR message field.
    pub fn message(self) -> &'static str {
        match self {
            SignalError::UnknownAction => "Unknown action type",
            SignalError::BadSymbol => "Invalid symbol",
            SignalError::AllNotAllowed => "ALL is only valid for closing actions",
            SignalError::ZeroQuantity => "Opening signal needs a quantity of at least 1",
            SignalError::QuantityTooLarge => "Quantity above limit",
            SignalError::BadQuantity => "Quantity is not a non-negative integer",
            SignalError::BadPrice => "TP/SL must be a finite positive price",
            SignalError::TooManyOptions => "Too many options",
            SignalError::BadOption => {
                "Invalid option (printable ASCII without '|', at most 64 bytes)"
            }
            SignalError::TooLong => "Signal longer than 1024 bytes",
            SignalError::NotPublisher => "Not a publisher (CONNECT with Role:Publisher)",
        }
    }
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Something that validates, numbers and broadcasts signals (the V9 server).
pub trait SignalSink {
    /// Validates `signal`, assigns the next id, broadcasts it to every ready receiver and returns
    /// the id. `read_at` is when the bytes carrying it were read (start of the latency hop).
    fn publish(
        &mut self,
        signal: &Signal<'_>,
        origin: Origin,
        read_at: Instant,
    ) -> Result<u64, SignalError>;
}

/// A sink that accepts and counts, for tests and for running an endpoint without a V9 server.
#[derive(Debug, Default)]
pub struct CountingSink {
    /// Signals accepted so far.
    pub accepted: u64,
    /// The last accepted signal, rendered as `ACTION|SYMBOL|QTY`.
    pub last: Option<String>,
}

impl SignalSink for CountingSink {
    fn publish(
        &mut self,
        signal: &Signal<'_>,
        _origin: Origin,
        _read_at: Instant,
    ) -> Result<u64, SignalError> {
        signal.validate()?;
        self.accepted += 1;
        self.last = Some(format!("{}|{}|{}", signal.action, signal.symbol, signal.qty));
        Ok(self.accepted)
    }
}
