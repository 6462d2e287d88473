//! Mapping and sizing of one signal for one account: symbol, action (inversion) and quantity.

use super::config::Rounding;
use super::rules::{Rules, MAX_MAPPINGS};
use crate::signal::{Action, MAX_QTY};

/// Which symbol an account trades for a signal: the signal's own, or a mapped one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymRef {
    /// The signal's symbol, unchanged.
    Source,
    /// Entry `entry` of mapping `map`.
    Mapped {
        /// Index of the mapping.
        map: u16,
        /// Index of its symbol entry.
        entry: u16,
    },
}

/// What one account gets: its action, symbol and quantity field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shaped {
    /// The action (LONG and SHORT swapped for an inverted group).
    pub action: Action,
    /// The symbol.
    pub symbol: SymRef,
    /// Contracts (0 for closing actions and for `REVERSE` with no size).
    pub qty: u32,
}

/// The sizing rule of one group (`[mapping.<group>]`: rounding, allow_zero, min_qty, max_qty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sizing {
    /// How a fractional quantity becomes whole contracts.
    pub rounding: Rounding,
    /// May an opening order round to 0 (then that account gets nothing)?
    pub allow_zero: bool,
    /// Smallest opening quantity (0 = none).
    pub min: u32,
    /// Largest opening quantity (0 = none).
    pub max: u32,
}

impl Sizing {
    /// Rounds `qty x factor` to whole contracts for an opening order: the rounding rule, then
    /// at least 1 unless `allow_zero` (0 = send nothing), then `min`, `max` and [`MAX_QTY`]. A
    /// tiny epsilon keeps 0.3 x 10 from flooring to 2.
    pub fn open(&self, qty: u32, factor: f64) -> u32 {
        let raw = f64::from(qty) * factor;
        let r = match self.rounding {
            Rounding::Nearest => raw.round(),
            Rounding::Down => (raw + 1e-9).floor(),
            Rounding::Up => (raw - 1e-9).ceil(),
        };
        let mut q = if r >= f64::from(MAX_QTY) { MAX_QTY } else { r.max(0.0) as u32 };
        if q == 0 {
            if self.allow_zero {
                return 0;
            }
            q = 1;
        }
        if self.min > 0 && q < self.min {
            q = self.min;
        }
        if self.max > 0 && q > self.max {
            q = self.max;
        }
        q.min(MAX_QTY)
    }
}

/// One signal's symbol resolved against every mapping once (in `check`), so sizing each
/// account compares no strings. An unresolved plan (engine tickets) looks symbols up per account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    resolved: bool,
    /// Per mapping: the entry mapping the signal's symbol, or `NONE`.
    entry: [u16; MAX_MAPPINGS],
    /// The signal symbol's own `max_position` (0 = none).
    pub(crate) max_position: u32,
}

impl Plan {
    const NONE: u16 = u16::MAX;
    /// Nothing resolved: symbols are looked up when needed.
    pub const LAZY: Plan =
        Plan { resolved: false, entry: [Plan::NONE; MAX_MAPPINGS], max_position: 0 };
}

impl Rules {
    /// Resolves `symbol` against every mapping and the symbol limits.
    pub fn plan(&self, symbol: &str) -> Plan {
        let mut p = Plan { resolved: true, ..Plan::LAZY };
        for (k, m) in self.maps.iter().enumerate() {
            if let Some(e) = m.symbols.iter().position(|s| s.0.eq_ignore_ascii_case(symbol)) {
                p.entry[k] = e as u16;
            }
        }
        p.max_position = self.symbol(symbol).map_or(0, |l| l.max_position);
        p
    }

    fn entry(&self, plan: &Plan, map: usize, symbol: &str) -> Option<usize> {
        if plan.resolved {
            let e = plan.entry[map];
            return (e != Plan::NONE).then_some(e as usize);
        }
        self.maps[map].symbols.iter().position(|s| s.0.eq_ignore_ascii_case(symbol))
    }

    /// The action, symbol and quantity account `acct` gets for `action symbol qty`.
    ///
    /// Closing actions (FLATTEN, CLOSE_HALF, CLOSE_ONE) keep their quantity field (receivers
    /// ignore it), so a close never asks for more than the position: the receiver closes what
    /// it holds, at most. `REVERSE` with 0 flips the held size; with a size it is sized like an
    /// opening order but never to 0 (0 would mean "flip the whole position").
    pub fn shape(&self, acct: usize, action: Action, symbol: &str, qty: u32) -> Shaped {
        self.shape_planned(acct, action, symbol, qty, &Plan::LAZY)
    }

    /// [`Self::shape`] with the signal's symbol already resolved.
    pub fn shape_planned(
        &self,
        acct: usize,
        action: Action,
        symbol: &str,
        qty: u32,
        plan: &Plan,
    ) -> Shaped {
        let a = &self.accounts[acct];
        let Some(mi) = a.map else {
            return Shaped { action, symbol: SymRef::Source, qty };
        };
        let m = &self.maps[mi];
        let (sym, ratio) = match self.entry(plan, mi, symbol) {
            Some(e) => (SymRef::Mapped { map: mi as u16, entry: e as u16 }, m.symbols[e].2),
            None => (SymRef::Source, 1.0),
        };
        let action = match (m.invert, action) {
            (true, Action::Long) => Action::Short,
            (true, Action::Short) => Action::Long,
            (_, other) => other,
        };
        let qty = match action {
            Action::Long | Action::Short => m.sizing.open(qty, ratio * a.mult),
            Action::Reverse if qty > 0 => m.sizing.open(qty, ratio * a.mult).max(1),
            _ => qty,
        };
        Shaped { action, symbol: sym, qty }
    }

    /// The text of a [`SymRef`] for a signal in `source`.
    pub fn symbol_text<'a>(&'a self, r: SymRef, source: &'a str) -> &'a str {
        self.mapped(r).map_or(source, |s| &s.1)
    }

    /// The `max_position` of the symbol a [`SymRef`] names (0 = none), `plan`'s for the source.
    pub(crate) fn max_position_of(&self, r: SymRef, plan: &Plan, source: &str) -> u32 {
        match r {
            SymRef::Source if plan.resolved => plan.max_position,
            SymRef::Source => self.symbol(source).map_or(0, |l| l.max_position),
            SymRef::Mapped { .. } => self.mapped(r).map_or(0, |s| s.3),
        }
    }

    fn mapped(&self, r: SymRef) -> Option<&(Box<str>, Box<str>, f64, u32)> {
        let SymRef::Mapped { map, entry } = r else { return None };
        self.maps.get(map as usize)?.symbols.get(entry as usize)
    }
}
