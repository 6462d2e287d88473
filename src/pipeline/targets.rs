//! Expected positions (pure): the signed position per symbol that the accepted signals lead to.

use crate::signal::{Action, Symbol};
use std::collections::HashMap;

/// Symbols tracked at most; a new symbol beyond this is not tracked (and counted).
pub const MAX_SYMBOLS: usize = 1024;

/// Signed position per symbol (positive = long), as an account that executed every signal
/// since the journal began, starting flat, would hold it.
#[derive(Debug)]
pub struct Targets {
    map: HashMap<Symbol, i64>,
    untracked: u64,
}

impl Default for Targets {
    fn default() -> Self {
        // Allocated once: inserting below the capacity never allocates on the loop.
        Targets { map: HashMap::with_capacity(MAX_SYMBOLS), untracked: 0 }
    }
}

impl Targets {
    /// Applies one signal (`ALL` applies to every symbol tracked).
    pub fn apply(&mut self, action: Action, symbol: &Symbol, qty: u32) {
        if symbol.is_all() {
            self.map.values_mut().for_each(|p| *p = action.next_position(*p, qty));
            return;
        }
        if let Some(p) = self.map.get_mut(symbol) {
            *p = action.next_position(*p, qty);
        } else if self.map.len() < MAX_SYMBOLS {
            self.map.insert(*symbol, action.next_position(0, qty));
        } else {
            self.untracked += 1;
        }
    }

    /// The expected position in `symbol` (0 when never traded).
    pub fn get(&self, symbol: &str) -> i64 {
        self.map.get(&Symbol::upper(symbol)).copied().unwrap_or(0)
    }

    /// Every tracked symbol with its position, flat ones included, sorted by symbol
    /// (allocates: for SYNC and reports, not the hot path).
    pub fn sorted(&self) -> Vec<(Symbol, i64)> {
        let mut v: Vec<(Symbol, i64)> = self.map.iter().map(|(s, p)| (*s, *p)).collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }

    /// Signals on symbols beyond [`MAX_SYMBOLS`], not tracked.
    pub fn untracked(&self) -> u64 {
        self.untracked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_execution_rule_and_all() {
        let mut t = Targets::default();
        let (mes, es) = (Symbol::upper("mes"), Symbol::upper("ES"));
        t.apply(Action::Long, &mes, 2);
        t.apply(Action::Short, &es, 3);
        t.apply(Action::CloseOne, &es, 0);
        assert_eq!((t.get("MES"), t.get("es")), (2, -2));
        t.apply(Action::Reverse, &mes, 0);
        assert_eq!(t.get("MES"), -2);
        t.apply(Action::Flatten, &Symbol::upper("ALL"), 0);
        let flat: Vec<i64> = t.sorted().iter().map(|(_, p)| *p).collect();
        assert_eq!(flat, [0, 0], "flat symbols stay listed (a SYNC closes them)");
        assert_eq!(t.sorted()[0].0.as_str(), "ES");
    }
}
