//! The compiled risk configuration: indexed accounts, groups, mappings and symbol limits.

use super::config::{LossBaseline, MappingConfig, RiskSections};
use super::hours::{self, TradingHours};
use super::sizing::Sizing;
use crate::signal::valid_symbol;
use std::collections::BTreeMap;

/// Most accounts the configuration may name (the size of [`AccountSet`]).
pub const MAX_ACCOUNTS: usize = 256;
/// Most `[mapping.<group>]` sections (the size of a signal's [`super::sizing::Plan`]).
pub const MAX_MAPPINGS: usize = 32;

/// A set of configured accounts by index: fixed size, `Copy`, no allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountSet([u64; MAX_ACCOUNTS / 64]);

impl AccountSet {
    /// Adds account `i`.
    pub fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    /// Removes account `i`.
    pub fn remove(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
    /// Holds account `i`?
    pub fn contains(&self, i: usize) -> bool {
        i < MAX_ACCOUNTS && self.0[i / 64] & (1 << (i % 64)) != 0
    }
    /// Empty?
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    /// Members in both.
    pub fn and(self, o: AccountSet) -> AccountSet {
        AccountSet(std::array::from_fn(|k| self.0[k] & o.0[k]))
    }
    /// Members of either.
    pub fn or(self, o: AccountSet) -> AccountSet {
        AccountSet(std::array::from_fn(|k| self.0[k] | o.0[k]))
    }
    /// Members of `self` not in `o`.
    pub fn minus(self, o: AccountSet) -> AccountSet {
        AccountSet(std::array::from_fn(|k| self.0[k] & !o.0[k]))
    }
    /// Member indices, ascending (one step per member, not per possible account).
    pub fn iter(self) -> Members {
        Members { words: self.0, k: 0 }
    }
}

/// The members of an [`AccountSet`], ascending.
#[derive(Clone, Debug)]
pub struct Members {
    words: [u64; MAX_ACCOUNTS / 64],
    k: usize,
}

impl Iterator for Members {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.k < self.words.len() {
            let w = self.words[self.k];
            if w != 0 {
                self.words[self.k] = w & (w - 1);
                return Some(self.k * 64 + w.trailing_zeros() as usize);
            }
            self.k += 1;
        }
        None
    }
}

/// One configured account.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub name: Box<str>,
    /// Index into [`Rules::maps`] of its group's mapping.
    pub map: Option<usize>,
    pub mult: f64,
    pub daily_loss: f64,
    pub trailing: f64,
}

/// A compiled `[mapping.<group>]`.
#[derive(Clone, Debug)]
pub(crate) struct Mapping {
    pub invert: bool,
    pub sizing: Sizing,
    /// (from, to, ratio, max_position of `to`), symbols upper case.
    pub symbols: Vec<(Box<str>, Box<str>, f64, u32)>,
}

/// A compiled `[risk.symbols.<SYM>]`.
#[derive(Clone, Debug)]
pub(crate) struct SymbolLimit {
    pub name: Box<str>,
    pub max_qty: u32,
    pub max_position: u32,
    pub hours: Option<TradingHours>,
}

/// Everything the gates and the router read, built once at start.
#[derive(Clone, Debug)]
pub struct Rules {
    pub(crate) accounts: Vec<Account>,
    pub(crate) groups: Vec<(Box<str>, AccountSet)>,
    pub(crate) maps: Vec<Mapping>,
    /// Group name of each of `maps`.
    pub(crate) map_names: Vec<Box<str>>,
    pub(crate) symbols: Vec<SymbolLimit>,
    pub(crate) allowed: Vec<Box<str>>,
    pub(crate) max_qty: u32,
    pub(crate) max_position: u32,
    pub(crate) rate_total: u32,
    pub(crate) rate_publisher: u32,
    pub(crate) inverted: AccountSet,
    pub(crate) hedge_ok: AccountSet,
    /// Accounts whose signals are sized, mapped or inverted.
    pub(crate) shaped: AccountSet,
    pub(crate) default_hedge: bool,
    pub(crate) session_tz: Box<str>,
    pub(crate) session_reset: Box<str>,
    pub(crate) baseline: LossBaseline,
}

/// Names used in V9 options: non-empty printable ASCII without the separators `| + = ,`.
fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| (0x21..0x7f).contains(&b) && !matches!(b, b'|' | b'+' | b'=' | b','))
}

fn limit(key: &str, v: f64) -> Result<f64, String> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{key}: must be a finite amount >= 0 (got {v})"))
    }
}

impl Rules {
    /// Compiles and checks the sections; the error starts with the faulty key.
    pub fn compile(s: RiskSections<'_>) -> Result<Rules, String> {
        let r = s.risk;
        let mut names: BTreeMap<&str, ()> = BTreeMap::new();
        for (g, members) in s.groups {
            if !valid_name(g) {
                return Err(format!("groups.{g}: invalid group name"));
            }
            if members.is_empty() {
                return Err(format!("groups.{g}: a group needs at least one account"));
            }
            for a in members {
                if !valid_name(a) {
                    return Err(format!("groups.{g}: invalid account name {a:?}"));
                }
                names.insert(a, ());
            }
        }
        for a in r.accounts.keys() {
            if !valid_name(a) {
                return Err(format!("risk.accounts.{a}: invalid account name"));
            }
            names.insert(a, ());
        }
        if names.len() > MAX_ACCOUNTS {
            return Err(format!("groups: more than {MAX_ACCOUNTS} accounts"));
        }
        let session = hours::SessionClock::new(&r.session_tz, &r.session_reset, 0);
        session.map_err(|e| format!("risk.session_reset/session_tz: {e}"))?;
        let mut rules = Rules {
            accounts: names
                .keys()
                .map(|n| Account {
                    name: (*n).into(),
                    map: None,
                    mult: 1.0,
                    daily_loss: 0.0,
                    trailing: 0.0,
                })
                .collect(),
            groups: Vec::new(),
            maps: Vec::new(),
            map_names: Vec::new(),
            symbols: Vec::new(),
            allowed: Vec::new(),
            max_qty: r.max_qty,
            max_position: r.max_position,
            rate_total: r.max_signals_per_s,
            rate_publisher: r.max_signals_per_s_per_publisher,
            inverted: AccountSet::default(),
            hedge_ok: AccountSet::default(),
            shaped: AccountSet::default(),
            default_hedge: r.allow_hedge,
            session_tz: r.session_tz.as_str().into(),
            session_reset: r.session_reset.as_str().into(),
            baseline: r.loss_baseline,
        };
        for (g, members) in s.groups {
            let mut set = AccountSet::default();
            for a in members {
                set.insert(rules.account(a).unwrap_or(0));
            }
            rules.groups.push((g.as_str().into(), set));
        }
        rules.compile_limits(s)?;
        for (g, m) in s.mapping {
            rules.compile_mapping(g, m)?;
        }
        for (i, a) in rules.accounts.iter().enumerate() {
            let ok = a.map.map_or(r.allow_hedge, |_| rules.hedge_ok.contains(i));
            if ok {
                rules.hedge_ok.insert(i);
            }
        }
        Ok(rules)
    }

    fn compile_limits(&mut self, s: RiskSections<'_>) -> Result<(), String> {
        let r = s.risk;
        let (dl, td) = (
            limit("risk.daily_loss", r.daily_loss)?,
            limit("risk.trailing_drawdown", r.trailing_drawdown)?,
        );
        for a in &mut self.accounts {
            let own = r.accounts.get(&*a.name);
            let key = |k: &str| format!("risk.accounts.{}.{k}", a.name);
            a.daily_loss = match own.and_then(|o| o.daily_loss) {
                Some(v) => limit(&key("daily_loss"), v)?,
                None => dl,
            };
            a.trailing = match own.and_then(|o| o.trailing_drawdown) {
                Some(v) => limit(&key("trailing_drawdown"), v)?,
                None => td,
            };
        }
        for s in &r.allowed_symbols {
            if !valid_symbol(s) {
                return Err(format!("risk.allowed_symbols: invalid symbol {s:?}"));
            }
            self.allowed.push(s.to_ascii_uppercase().into());
        }
        for (sym, rule) in &r.symbols {
            let key = format!("risk.symbols.{sym}");
            if !valid_symbol(sym) {
                return Err(format!("{key}: invalid symbol"));
            }
            if self.symbols.iter().any(|l| l.name.eq_ignore_ascii_case(sym)) {
                return Err(format!("{key}: the symbol is listed twice (symbols ignore case)"));
            }
            let hours = match (&rule.tz, rule.hours.is_empty()) {
                (None, false) => return Err(format!("{key}.tz: required with hours")),
                (Some(tz), true) => {
                    hours::zone(tz).map_err(|e| format!("{key}.tz: {e}"))?;
                    if !rule.days.is_empty() {
                        return Err(format!("{key}.days: needs hours"));
                    }
                    None
                }
                (None, true) if !rule.days.is_empty() => {
                    return Err(format!("{key}.days: needs hours"))
                }
                (None, true) => None,
                (Some(tz), false) => Some(
                    TradingHours::new(tz, &rule.hours, &rule.days)
                        .map_err(|e| format!("{key}.{e}"))?,
                ),
            };
            self.symbols.push(SymbolLimit {
                name: sym.to_ascii_uppercase().into(),
                max_qty: rule.max_qty,
                max_position: rule.max_position,
                hours,
            });
        }
        Ok(())
    }

    fn compile_mapping(&mut self, g: &str, m: &MappingConfig) -> Result<(), String> {
        let key = format!("mapping.{g}");
        let Some(set) = self.group(g) else {
            return Err(format!("{key}: unknown group {g:?} (not in [groups])"));
        };
        if m.max_qty > 0 && m.min_qty > m.max_qty {
            return Err(format!("{key}: min_qty {} > max_qty {}", m.min_qty, m.max_qty));
        }
        if self.maps.len() >= MAX_MAPPINGS {
            return Err(format!("{key}: more than {MAX_MAPPINGS} mapped groups"));
        }
        let mut symbols: Vec<(Box<str>, Box<str>, f64, u32)> = Vec::new();
        for (from, to) in &m.symbols {
            let k = format!("{key}.symbols.{from}");
            if !valid_symbol(from) || !valid_symbol(&to.to) || from.eq_ignore_ascii_case("ALL") {
                return Err(format!("{k}: invalid symbol"));
            }
            if !(to.ratio.is_finite() && to.ratio > 0.0) {
                return Err(format!("{k}.ratio: must be > 0 (got {})", to.ratio));
            }
            if symbols.iter().any(|s| s.0.eq_ignore_ascii_case(from)) {
                return Err(format!("{k}: listed twice (symbols ignore case)"));
            }
            let max_position = self.symbol(&to.to).map_or(0, |l| l.max_position);
            symbols.push((
                from.to_ascii_uppercase().into(),
                to.to.to_ascii_uppercase().into(),
                to.ratio,
                max_position,
            ));
        }
        let idx = self.maps.len();
        for (a, mult) in &m.multipliers {
            let k = format!("{key}.multipliers.{a}");
            let i = self.account(a).filter(|&i| set.contains(i));
            let Some(i) = i else {
                return Err(format!("{k}: unknown account (not in group {g})"));
            };
            if !(mult.is_finite() && *mult > 0.0) {
                return Err(format!("{k}: must be > 0 (got {mult})"));
            }
            self.accounts[i].mult = *mult;
        }
        for i in set.iter() {
            if let Some(other) = self.accounts[i].map {
                let other = self.groups.iter().find(|(n, _)| self.map_group(n) == Some(other));
                let other = other.map_or("?", |(n, _)| n);
                return Err(format!(
                    "{key}: account {} is also in mapped group {other} (one mapping per account)",
                    self.accounts[i].name
                ));
            }
            self.accounts[i].map = Some(idx);
            self.shaped.insert(i);
            if m.invert {
                self.inverted.insert(i);
            }
            if m.allow_hedge {
                self.hedge_ok.insert(i);
            }
        }
        self.maps.push(Mapping {
            invert: m.invert,
            sizing: Sizing {
                rounding: m.rounding,
                allow_zero: m.allow_zero,
                min: m.min_qty,
                max: m.max_qty,
            },
            symbols,
        });
        self.map_names.push(g.into());
        Ok(())
    }

    /// Index of the account named exactly `name`.
    pub fn account(&self, name: &str) -> Option<usize> {
        self.accounts.binary_search_by(|a| (*a.name).cmp(name)).ok()
    }

    /// Members of the group named exactly `name`.
    pub fn group(&self, name: &str) -> Option<AccountSet> {
        let i = self.groups.binary_search_by(|(n, _)| (**n).cmp(name)).ok()?;
        Some(self.groups[i].1)
    }

    /// Name of account `i`.
    pub fn account_name(&self, i: usize) -> &str {
        self.accounts.get(i).map_or("", |a| &a.name)
    }

    /// How many accounts the configuration names.
    pub fn n_accounts(&self) -> usize {
        self.accounts.len()
    }

    fn map_group(&self, group: &str) -> Option<usize> {
        self.map_names.iter().position(|n| **n == *group)
    }

    /// The limits of `symbol` (any case).
    pub(crate) fn symbol(&self, symbol: &str) -> Option<&SymbolLimit> {
        self.symbols.iter().find(|l| l.name.eq_ignore_ascii_case(symbol))
    }

    pub(crate) fn symbol_index(&self, symbol: &str) -> Option<usize> {
        self.symbols.iter().position(|l| l.name.eq_ignore_ascii_case(symbol))
    }
}
