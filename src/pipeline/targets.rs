//! Expected positions (pure): the signed position per symbol that the accepted signals lead to.

use crate::risk::{AccountSet, Target, Ticket};
use crate::signal::{Action, Signal, Symbol};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Symbols tracked at most; a new symbol beyond this is not tracked (and counted).
pub const MAX_SYMBOLS: usize = 1024;

/// Signed position per symbol (positive = long), as an account that executed every signal
/// since the journal began, starting flat, would hold it.
#[derive(Debug)]
pub struct Targets {
    map: HashMap<Symbol, i64, BuildHasherDefault<SymbolHasher>>,
    untracked: u64,
}

impl Default for Targets {
    fn default() -> Self {
        // Allocated once: inserting below the capacity never allocates on the loop.
        let map = HashMap::with_capacity_and_hasher(MAX_SYMBOLS, Default::default());
        Targets { map, untracked: 0 }
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

/// A multiply-rotate hasher for [`Symbol`] keys. SipHash's resistance to chosen keys buys
/// nothing here (at most [`MAX_SYMBOLS`] validated symbols from authenticated sources, so a
/// worst case is a scan of 1,024 keys) and cost ~110 instructions per lookup, three lookups
/// per signal on the loop (callgrind); this is ~15.
#[derive(Default)]
pub(super) struct SymbolHasher(u64);

impl SymbolHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for SymbolHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        // Fold the well-mixed high bits into the low ones the table indexes by.
        self.0 ^ (self.0 >> 29)
    }
}

/// Symbols tracked per configured account at most (beyond: not tracked).
pub(super) const MAX_ACCOUNT_SYMBOLS: usize = 64;

/// Signed position per (configured account, symbol as that account trades it), from every
/// accepted signal as the route step shapes it for that account (mapped, sized, inverted).
#[derive(Debug, Default)]
pub struct AccountTargets {
    names: Vec<Box<str>>,
    rows: Vec<Vec<(Symbol, i64)>>,
}

impl AccountTargets {
    /// For the configured accounts `names`, by index (allocated now, once).
    pub fn new(names: Vec<Box<str>>) -> AccountTargets {
        let rows = names.iter().map(|_| Vec::with_capacity(MAX_ACCOUNT_SYMBOLS)).collect();
        AccountTargets { names, rows }
    }

    /// The index of configured account `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| &**n == name)
    }

    /// Applies one signal to account `acct` (`ALL` applies to every symbol it holds).
    pub fn apply(&mut self, acct: usize, action: Action, symbol: &Symbol, qty: u32) {
        let Some(row) = self.rows.get_mut(acct) else { return };
        if symbol.is_all() {
            row.iter_mut().for_each(|(_, p)| *p = action.next_position(*p, qty));
        } else if let Some((_, p)) = row.iter_mut().find(|(s, _)| s == symbol) {
            *p = action.next_position(*p, qty);
        } else if row.len() < MAX_ACCOUNT_SYMBOLS {
            row.push((*symbol, action.next_position(0, qty)));
        }
    }

    /// Account `acct`'s expected position in `symbol`.
    pub fn get(&self, acct: usize, symbol: &str) -> i64 {
        let s = Symbol::upper(symbol);
        self.row(acct).iter().find(|(k, _)| *k == s).map_or(0, |(_, p)| *p)
    }

    /// Every (symbol, position) of account `acct`.
    pub fn row(&self, acct: usize) -> &[(Symbol, i64)] {
        self.rows.get(acct).map_or(&[], |r| r)
    }
}

/// The expected positions the gates read: a configured account's own, else (an account the
/// configuration does not know, which only unrouted, unmapped signals reach) the symbol's.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// Per symbol.
    pub targets: &'a Targets,
    /// Per configured account.
    pub accounts: &'a AccountTargets,
}

impl crate::risk::ExpectedPositions for View<'_> {
    fn net(&self, account: &str, symbol: &str) -> i64 {
        match self.accounts.index(account) {
            Some(i) => self.accounts.get(i, symbol),
            None => self.targets.get(symbol),
        }
    }
}

impl super::Pipeline {
    /// The expected positions an accepted signal leads to: per symbol for the accounts the
    /// configuration does not know (only unrouted signals reach them, unmapped), per
    /// configured account as the route step shapes it.
    pub(super) fn apply_targets(
        &mut self,
        sig: &Signal<'_>,
        symbol: &Symbol,
        ticket: Option<&Ticket>,
    ) {
        let all = ticket.is_none_or(|t| t.target == Target::All);
        if all {
            self.targets.apply(sig.action, symbol, sig.qty);
        }
        let (Some(risk), Some(t)) = (&self.risk, ticket) else { return };
        let rules = risk.rules();
        let skip =
            if crate::risk::opens(sig.action) { risk.excluded() } else { AccountSet::default() };
        let of = |i: usize| match t.target {
            Target::All => true,
            Target::Set(s) => s.contains(i),
        };
        for i in (0..rules.n_accounts()).filter(|&i| of(i) && !skip.contains(i)) {
            let s = rules.shape_planned(i, sig.action, sig.symbol, sig.qty, &t.plan);
            if s.qty == 0 && matches!(s.action, Action::Long | Action::Short) {
                continue; // sized to 0 (allow_zero): that account gets nothing
            }
            let sym = Symbol::upper(rules.symbol_text(s.symbol, sig.symbol));
            self.accounts.apply(i, s.action, &sym, s.qty);
        }
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
