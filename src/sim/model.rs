//! Pure copy-receiver execution model: what each account holds after each signal and SYNC.
//!
//! Rules (documented in docs/PROTOCOL.md "Receiver execution rules", enforced by the demo):
//! - LONG q: short → closed, then long q; flat/long → buy q (adds). SHORT mirrors it.
//! - FLATTEN: position → 0 (symbol `ALL` = every symbol).
//! - CLOSE_HALF: closes ceil(|p|/2): 3 → 1 left, 2 → 1 left, 1 → flat (reduce risk when odd).
//! - CLOSE_ONE: closes 1 contract.
//! - REVERSE q: long p → short (q, or p when q = 0); flat stays flat.
//! - `Accounts:a+b` executes on those accounts only; `Accounts:a=2+b=1` also sets each one's
//!   quantity (an opening action sized 0 leaves that account untouched).
//! - SYNC sets each targeted account's position to exactly the target.

use crate::signal::{Action, Signal, MAX_QTY};
use serde::{Deserialize, Serialize};

/// Which accounts a signal or SYNC targets, and at which quantity: its `Accounts:` option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing<'a> {
    /// No `Accounts:` option: every account, at the message's quantity.
    All,
    /// The raw, validated `+`-separated list (`a`, `a=2`).
    Listed(&'a str),
}

/// Why an `Accounts:` option cannot be honoured (answered with `ERROR|INVALID_SIGNAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadRouting;

impl<'a> Routing<'a> {
    /// The routing named by a message's options (`Accounts:` key in any case; the first wins).
    pub fn of(options: &[&'a str]) -> Result<Routing<'a>, BadRouting> {
        for opt in options {
            if let Some((k, v)) = opt.split_once(':') {
                if k.eq_ignore_ascii_case("Accounts") {
                    return Routing::parse(v);
                }
            }
        }
        Ok(Routing::All)
    }

    /// The routing of a signal (its preserved extra options).
    pub fn of_signal(sig: &Signal<'a>) -> Result<Routing<'a>, BadRouting> {
        Routing::of(sig.extras())
    }

    /// Validates `a+b=2+...`: non-empty names, quantities of digits up to [`MAX_QTY`].
    pub fn parse(list: &'a str) -> Result<Routing<'a>, BadRouting> {
        if list.is_empty() {
            return Err(BadRouting);
        }
        for entry in list.split('+') {
            match entry.split_once('=') {
                Some((name, q)) if !name.is_empty() && parse_qty(q).is_some() => {}
                None if !entry.is_empty() => {}
                _ => return Err(BadRouting),
            }
        }
        Ok(Routing::Listed(list))
    }

    /// `account`'s quantity under this routing (`default` unless overridden), or None when the
    /// routing leaves it out.
    pub fn qty(&self, account: &str, default: u32) -> Option<u32> {
        match self {
            Routing::All => Some(default),
            Routing::Listed(list) => list.split('+').find_map(|e| match e.split_once('=') {
                Some((name, q)) if name == account => parse_qty(q),
                None if e == account => Some(default),
                _ => None,
            }),
        }
    }
}

fn parse_qty(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|q| *q <= MAX_QTY)
}

/// One (account, symbol) holding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Holding {
    /// Symbol.
    pub symbol: String,
    /// Signed contracts.
    pub qty: i64,
    /// Average entry price of the open position (0 when flat).
    pub entry: f64,
    /// Realised P&L in price points × contracts.
    pub realized: f64,
}

impl Holding {
    fn flat(symbol: &str) -> Holding {
        Holding { symbol: symbol.to_string(), qty: 0, entry: 0.0, realized: 0.0 }
    }
}

/// `sig` as a group mapping `from` to `to` at `ratio` trades it (docs/RISK.md: opening
/// quantities scaled, closes kept at 0 on the mapped symbol); other symbols unchanged.
pub fn mapped<'a>(sig: &Signal<'a>, from: &str, to: &'a str, ratio: u32) -> Signal<'a> {
    if !sig.symbol.eq_ignore_ascii_case(from) {
        return *sig;
    }
    let mut s = *sig;
    s.symbol = to;
    let sized = matches!(s.action, Action::Long | Action::Short)
        || (s.action == Action::Reverse && s.qty > 0);
    if sized {
        s.qty = s.qty.saturating_mul(ratio).min(MAX_QTY);
    }
    s
}

/// Every account's holdings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Book {
    /// Account names, in order.
    pub accounts: Vec<String>,
    /// Per-symbol holdings of each account, indexed like `accounts`.
    pub holdings: Vec<Vec<Holding>>,
}

impl Book {
    /// `n` accounts named `Account1..=n`.
    pub fn with_accounts(n: usize) -> Self {
        Book::with_named_accounts("Account", n)
    }

    /// `n` accounts named `<prefix>1..=n`.
    pub fn with_named_accounts(prefix: &str, n: usize) -> Self {
        Book {
            accounts: (1..=n).map(|i| format!("{prefix}{i}")).collect(),
            holdings: vec![Vec::new(); n],
        }
    }

    /// The new signed quantity for a holding of `qty` under `action`.
    pub fn target(action: Action, qty: i64, sig_qty: u32) -> i64 {
        action.next_position(qty, sig_qty)
    }

    /// Applies a signal at `price` to every account its `Accounts:` option targets (all when it
    /// has none); returns the symbols touched. An invalid option applies to nothing: a receiver
    /// refuses such a signal.
    pub fn apply(&mut self, sig: &Signal<'_>, price: impl Fn(&str) -> f64) -> Vec<String> {
        self.apply_to(sig, price, |_| true)
    }

    /// [`Book::apply`] on the targeted accounts for which `allow(account index)` is true (a
    /// receiver's per-account dedupe); `allow` is asked once per account about to execute.
    pub fn apply_to(
        &mut self,
        sig: &Signal<'_>,
        price: impl Fn(&str) -> f64,
        mut allow: impl FnMut(usize) -> bool,
    ) -> Vec<String> {
        let Ok(routing) = Routing::of_signal(sig) else { return Vec::new() };
        let all = sig.symbol == "ALL";
        let mut touched: Vec<String> = Vec::new();
        for (a, (account, holdings)) in self.accounts.iter().zip(&mut self.holdings).enumerate() {
            let Some(q) = routing.qty(account, sig.qty) else { continue };
            // A per-account size of 0 on an opening action opens nothing (never a close).
            if (sig.action.opens() && q == 0) || !allow(a) {
                continue;
            }
            if !all && !holdings.iter().any(|h| h.symbol == sig.symbol) {
                holdings.push(Holding::flat(sig.symbol));
            }
            for h in holdings.iter_mut().filter(|h| all || h.symbol == sig.symbol) {
                let new = Self::target(sig.action, h.qty, q);
                fill(h, new, price(&h.symbol));
                if !touched.contains(&h.symbol) {
                    touched.push(h.symbol.clone());
                }
            }
        }
        touched
    }

    /// SYNC: sets every account `routing` targets (and `allow` accepts) to exactly `sign` × its
    /// quantity in `symbol` (sign +1 long, -1 short, 0 flat), trading the difference at
    /// `price`; returns how many accounts were set.
    pub fn sync(
        &mut self,
        symbol: &str,
        sign: i64,
        qty: u32,
        routing: Routing<'_>,
        price: f64,
        mut allow: impl FnMut(usize) -> bool,
    ) -> usize {
        let mut set = 0;
        for (a, (account, holdings)) in self.accounts.iter().zip(&mut self.holdings).enumerate() {
            let Some(q) = routing.qty(account, qty) else { continue };
            if !allow(a) {
                continue;
            }
            set += 1;
            let target = sign.signum() * q as i64;
            let i = match holdings.iter().position(|h| h.symbol == symbol) {
                Some(i) => i,
                None if target == 0 => continue, // flat and never traded: nothing to report
                None => {
                    holdings.push(Holding::flat(symbol));
                    holdings.len() - 1
                }
            };
            fill(&mut holdings[i], target, price);
        }
        set
    }

    /// Signed quantity of `account` in `symbol` (0 when never traded).
    pub fn qty(&self, account: usize, symbol: &str) -> i64 {
        self.holdings
            .get(account)
            .and_then(|hs| hs.iter().find(|h| h.symbol == symbol))
            .map_or(0, |h| h.qty)
    }
}

/// Moves a holding to `new` contracts at price `p`, realising P&L on the closed part.
fn fill(h: &mut Holding, new: i64, p: f64) {
    let old = h.qty;
    if old != 0 && (new == 0 || new.signum() != old.signum() || new.abs() < old.abs()) {
        // Closing (part of) the position realises P&L on the closed contracts.
        let closed = if new.signum() == old.signum() { old.abs() - new.abs() } else { old.abs() };
        h.realized += (p - h.entry) * closed as f64 * old.signum() as f64;
    }
    if new == 0 {
        h.entry = 0.0;
    } else if old == 0 || new.signum() != old.signum() {
        h.entry = p;
    } else if new.abs() > old.abs() {
        h.entry =
            (h.entry * old.abs() as f64 + p * (new.abs() - old.abs()) as f64) / new.abs() as f64;
    }
    h.qty = new;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_rounding_and_reversal() {
        use Action::*;
        assert_eq!(Book::target(CloseHalf, 3, 0), 1);
        assert_eq!(Book::target(CloseHalf, -3, 0), -1);
        assert_eq!(Book::target(CloseHalf, 2, 0), 1);
        assert_eq!(Book::target(CloseHalf, 1, 0), 0);
        assert_eq!(Book::target(CloseHalf, 0, 0), 0);
        assert_eq!(Book::target(CloseOne, -2, 0), -1);
        assert_eq!(Book::target(Long, -2, 1), 1);
        assert_eq!(Book::target(Long, 2, 1), 3);
        assert_eq!(Book::target(Short, 2, 3), -3);
        assert_eq!(Book::target(Reverse, 2, 0), -2);
        assert_eq!(Book::target(Reverse, -2, 5), 5);
        assert_eq!(Book::target(Reverse, 0, 5), 0);
        assert_eq!(Book::target(Flatten, -7, 0), 0);
    }

    #[test]
    fn pnl_and_entry() {
        let mut b = Book::with_accounts(2);
        b.apply(&Signal::new(Action::Long, "ES", 2), |_| 100.0);
        b.apply(&Signal::new(Action::Long, "ES", 2), |_| 110.0);
        assert_eq!(b.holdings[0][0].entry, 105.0);
        b.apply(&Signal::new(Action::CloseHalf, "ES", 0), |_| 120.0);
        assert_eq!(b.holdings[1][0].qty, 2);
        assert_eq!(b.holdings[1][0].realized, 30.0);
        b.apply(&Signal::new(Action::Short, "NQ", 1), |_| 50.0);
        b.apply(&Signal::new(Action::Flatten, "ALL", 0), |_| 40.0);
        assert_eq!(b.qty(0, "ES"), 0);
        assert_eq!(b.holdings[0][1].realized, 10.0);
    }
    #[test]
    fn accounts_option_routes_and_sizes() {
        let mut b = Book::with_accounts(3);
        let mut s = Signal::new(Action::Long, "MES", 1);
        s.push_extra("Accounts:Account1=2+Account3");
        assert_eq!(b.apply(&s, |_| 100.0), vec!["MES".to_string()]);
        assert_eq!((b.qty(0, "MES"), b.qty(1, "MES"), b.qty(2, "MES")), (2, 0, 1));
        assert!(b.holdings[1].is_empty(), "an account left out gets no holding");
        // Size 0 on an opening action opens nothing and never closes the short.
        b.apply(&Signal::new(Action::Short, "ES", 1), |_| 1.0);
        let mut z = Signal::new(Action::Long, "ES", 1);
        z.push_extra("accounts:Account2=0");
        b.apply(&z, |_| 1.0);
        assert_eq!(b.qty(1, "ES"), -1);
        // Invalid lists apply to nothing.
        for bad in ["Accounts:", "Accounts:A=x", "Accounts:A++B", "Accounts:=2", "Accounts:A=1001"]
        {
            let mut s = Signal::new(Action::Flatten, "ALL", 0);
            s.push_extra(bad);
            assert_eq!(Routing::of_signal(&s), Err(BadRouting), "{bad}");
            assert!(b.apply(&s, |_| 1.0).is_empty());
        }
        assert_eq!(b.qty(0, "MES"), 2);
        // Dedupe hook: only allowed accounts execute.
        let touched = b.apply_to(&Signal::new(Action::Flatten, "ALL", 0), |_| 1.0, |a| a == 2);
        assert_eq!(touched, vec!["MES".to_string(), "ES".to_string()]);
        assert_eq!((b.qty(0, "MES"), b.qty(2, "MES"), b.qty(2, "ES")), (2, 0, 0));
    }

    #[test]
    fn sync_sets_exact_targets() {
        let mut b = Book::with_accounts(3);
        b.apply(&Signal::new(Action::Long, "MES", 3), |_| 100.0);
        let r = Routing::parse("Account1+Account2=5").unwrap();
        assert_eq!(b.sync("MES", -1, 2, r, 110.0, |_| true), 2);
        assert_eq!((b.qty(0, "MES"), b.qty(1, "MES"), b.qty(2, "MES")), (-2, -5, 3));
        assert_eq!(b.holdings[0][0].realized, 30.0, "closing the long realised 3 x 10");
        assert_eq!(b.sync("NQ", 0, 0, Routing::All, 1.0, |_| true), 3);
        assert!(
            b.holdings.iter().all(|h| h.iter().all(|h| h.symbol != "NQ")),
            "flat, never traded"
        );
        assert_eq!(b.sync("MES", 0, 0, Routing::All, 1.0, |a| a != 2), 2);
        assert_eq!((b.qty(0, "MES"), b.qty(2, "MES")), (0, 3));
        assert_eq!(Routing::All.qty("x", 4), Some(4));
        assert_eq!(Routing::parse("a=1+b").unwrap().qty("c", 4), None);
    }
}
