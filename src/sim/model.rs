//! Pure copy-receiver execution model: what each account holds after each signal.
//!
//! Rules (documented in the README and enforced by the demo):
//! - LONG q: short → closed, then long q; flat/long → buy q (adds). SHORT mirrors it.
//! - FLATTEN: position → 0 (symbol `ALL` = every symbol).
//! - CLOSE_HALF: closes ceil(|p|/2): 3 → 1 left, 2 → 1 left, 1 → flat (reduce risk when odd).
//! - CLOSE_ONE: closes 1 contract.
//! - REVERSE q: long p → short (q, or p when q = 0); flat stays flat.

use crate::signal::{Action, Signal};

/// One (account, symbol) holding.
#[derive(Clone, Debug, PartialEq)]
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

/// Every account's holdings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Book {
    /// Account names, in order.
    pub accounts: Vec<String>,
    /// Per-symbol holdings of each account, indexed like `accounts`.
    pub holdings: Vec<Vec<Holding>>,
}

impl Book {
    /// `n` accounts named `Account1..=n`.
    pub fn with_accounts(n: usize) -> Self {
        Book {
            accounts: (1..=n).map(|i| format!("Account{i}")).collect(),
            holdings: vec![Vec::new(); n],
        }
    }

    /// The new signed quantity for a holding of `qty` under `action`.
    pub fn target(action: Action, qty: i64, sig_qty: u32) -> i64 {
        action.next_position(qty, sig_qty)
    }

    /// Applies a signal at `price` to every account; returns the symbols touched.
    pub fn apply(&mut self, sig: &Signal<'_>, price: impl Fn(&str) -> f64) -> Vec<String> {
        let all = sig.symbol == "ALL";
        let mut touched: Vec<String> = Vec::new();
        for holdings in &mut self.holdings {
            if !all && !holdings.iter().any(|h| h.symbol == sig.symbol) {
                holdings.push(Holding {
                    symbol: sig.symbol.to_string(),
                    qty: 0,
                    entry: 0.0,
                    realized: 0.0,
                });
            }
            for h in holdings.iter_mut().filter(|h| all || h.symbol == sig.symbol) {
                let p = price(&h.symbol);
                let new = Self::target(sig.action, h.qty, sig.qty);
                fill(h, new, p);
                if !touched.contains(&h.symbol) {
                    touched.push(h.symbol.clone());
                }
            }
        }
        touched
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
}
