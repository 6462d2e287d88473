//! Order vocabulary: requests, typed ClientOrderIDs (unique across processes), statuses, errors.

use super::messages::S32;
use super::types::consts::*;
use std::fmt;

/// A ClientOrderID (`char[32]`): at most 31 bytes, ours are at most 30 so a bracket child can
/// append `T` or `S`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ClientOrderId(S32);

impl ClientOrderId {
    /// From the wire field.
    pub fn from_wire(s: S32) -> ClientOrderId {
        ClientOrderId(s)
    }

    /// The wire field.
    pub fn wire(self) -> S32 {
        self.0
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// This id plus a one-letter suffix (bracket children).
    pub fn child(self, suffix: char) -> ClientOrderId {
        let mut b = [0u8; 4];
        let mut s = String::with_capacity(32);
        s.push_str(self.as_str());
        s.push_str(suffix.encode_utf8(&mut b));
        ClientOrderId(s.as_str().into())
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Base-36 digits of `v`, most significant first, at least `min` of them.
fn base36(mut v: u64, min: usize) -> String {
    let mut d = Vec::with_capacity(13);
    while v > 0 || d.len() < min {
        d.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(v % 36) as usize]);
        v /= 36;
    }
    d.reverse();
    String::from_utf8(d).unwrap_or_default()
}

/// SplitMix64 finaliser: spreads every input bit over the output.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Makes ClientOrderIDs `<name prefix><hash of the name>-<start tag><seq>`:
/// - the FNV hash of the connection name keeps connections whose names share a prefix apart;
/// - the start tag (10 base-36 digits, 51 bits) is a fingerprint of this connection's start
///   (wall-clock nanoseconds and process id), so two `v9bridge dtc order` runs in the same
///   second, or a restart, do not repeat an id (two starts collide with probability 2^-51);
/// - the sequence counts orders of this connection.
#[derive(Clone, Debug)]
pub(crate) struct OrderIds {
    stem: String,
    seq: u64,
}

impl OrderIds {
    /// For connection `name`, started at `wall_ns` (Unix ns) in process `pid`.
    pub(crate) fn new(name: &str, wall_ns: i64, pid: u32) -> OrderIds {
        let short: String = name.chars().filter(char::is_ascii_alphanumeric).take(6).collect();
        // FNV-1a: stable across runs and platforms, unlike std's hasher.
        let h = name
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
        let start = mix64(wall_ns as u64 ^ mix64(pid as u64 | 1 << 40));
        let tag = base36(start % 36u64.pow(10), 10);
        OrderIds { stem: format!("{short}{:06x}-{tag}", (h ^ (h >> 32)) & 0xff_ffff), seq: 0 }
    }

    /// The next id (at most 30 bytes, ASCII).
    pub(crate) fn next(&mut self) -> ClientOrderId {
        self.seq += 1;
        let mut id = format!("{}{}", self.stem, base36(self.seq, 1));
        id.truncate(30);
        ClientOrderId(id.as_str().into())
    }
}

/// `OrderStatusEnum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// 0: unspecified.
    Unspecified,
    /// 1: sent, no answer yet.
    Sent,
    /// 2: pending open.
    PendingOpen,
    /// 3: a bracket child waiting for its parent.
    PendingChild,
    /// 4: working.
    Open,
    /// 5: replace pending.
    PendingReplace,
    /// 6: cancel pending.
    PendingCancel,
    /// 7: filled.
    Filled,
    /// 8: canceled.
    Canceled,
    /// 9: rejected.
    Rejected,
    /// 10: partially filled.
    PartiallyFilled,
    /// A value this header does not define.
    Other(i32),
}

impl OrderStatus {
    /// From the wire value.
    pub fn from_code(c: i32) -> OrderStatus {
        use OrderStatus::*;
        match c {
            0 => Unspecified,
            1 => Sent,
            2 => PendingOpen,
            3 => PendingChild,
            4 => Open,
            5 => PendingReplace,
            6 => PendingCancel,
            7 => Filled,
            8 => Canceled,
            9 => Rejected,
            10 => PartiallyFilled,
            n => Other(n),
        }
    }
}

/// True for the OrderUpdateReasons that refuse our request (new order, cancel, replace).
pub fn is_refusal(reason: i32) -> bool {
    matches!(
        reason,
        OUR_NEW_ORDER_REJECTED | OUR_ORDER_CANCEL_REJECTED | OUR_ORDER_CANCEL_REPLACE_REJECTED
    )
}

/// A new order; prices in display units.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderRequest {
    /// Buy (else sell).
    pub buy: bool,
    /// Symbol as the server names it.
    pub symbol: String,
    /// Quantity.
    pub qty: f64,
    /// `OrderTypeEnum` (1 market, 2 limit, 3 stop, 4 stop-limit).
    pub order_type: i32,
    /// Limit or stop price.
    pub price1: f64,
    /// Limit price of a stop-limit.
    pub price2: f64,
    /// Trade account (else the configured one, else the first listed).
    pub account: Option<String>,
    /// Bracket profit target (limit), with `stop`.
    pub target: Option<f64>,
    /// Bracket stop, with `target`.
    pub stop: Option<f64>,
    /// IsAutomatedOrder: true for orders from the engine or a program (the default), false for
    /// an order a person typed (the `v9bridge dtc order` command).
    pub automated: bool,
}

impl Default for OrderRequest {
    fn default() -> Self {
        OrderRequest {
            buy: true,
            symbol: String::new(),
            qty: 0.0,
            order_type: ORDER_TYPE_MARKET,
            price1: 0.0,
            price2: 0.0,
            account: None,
            target: None,
            stop: None,
            automated: true,
        }
    }
}

/// Why an order request was not sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderError {
    /// The connection is not logged on.
    NotLoggedOn,
    /// No account given, configured, or listed by the server yet.
    NoTradeAccount,
    /// Quantity not positive and finite.
    BadQuantity,
    /// A bracket, but the server does not support brackets.
    BracketUnsupported,
    /// Only one of target and stop.
    BracketNeedsBothLegs,
    /// No order with this server or client order ID in the book.
    UnknownOrder(String),
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::NotLoggedOn => f.write_str("not logged on"),
            OrderError::NoTradeAccount => f.write_str("no trade account known yet"),
            OrderError::BadQuantity => f.write_str("quantity must be positive"),
            OrderError::BracketUnsupported => {
                f.write_str("the server does not support bracket orders")
            }
            OrderError::BracketNeedsBothLegs => {
                f.write_str("a bracket needs both target= and stop=")
            }
            OrderError::UnknownOrder(id) => write!(f, "unknown order {id}"),
        }
    }
}

impl std::error::Error for OrderError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_between_names_processes_and_starts() {
        let t = 1_767_225_600_123_456_789;
        let mut a = OrderIds::new("account1a", t, 100);
        let mut b = OrderIds::new("account1b", t, 100);
        let (ia, ib) = (a.next(), b.next());
        assert_ne!(ia, ib);
        assert_ne!(ia, a.next(), "sequence advances");
        // Two runs of `v9bridge dtc order` in the same second (same name "cli").
        let same_second = [(t, 100), (t + 1, 100), (t + 250_000_000, 101), (t, 101)];
        let ids: std::collections::HashSet<String> = same_second
            .iter()
            .map(|&(w, p)| OrderIds::new("cli", w, p).next().to_string())
            .collect();
        assert_eq!(ids.len(), same_second.len(), "{ids:?}");
        let mut long = OrderIds::new("é-very-long-connection-name-indeed-ü", t, u32::MAX);
        long.seq = u64::MAX - 1;
        let id = long.next();
        assert!(id.as_str().len() <= 30 && id.as_str().is_ascii(), "{id}");
        assert!(id.child('T').as_str().ends_with('T'), "room for a bracket child suffix");
        let typical = OrderIds::new("es", t, 4242).next();
        assert!(typical.as_str().len() <= 22, "{typical}");
    }
}
