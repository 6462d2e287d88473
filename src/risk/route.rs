//! Routing: `Group:`/`Accounts:` to a target set, and one receiver's mapped, sized parts.

use super::refusal::{Name, TargetError};
use super::rules::{AccountSet, Rules};
use super::sizing::SymRef;
use crate::signal::{Action, Signal};
use std::io::Write;

/// Most accounts one receiver may declare that routing looks at (more are ignored).
pub const MAX_RECEIVER_ACCOUNTS: usize = 256;

/// Which accounts a signal is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every account of every receiver (no routing option).
    All,
    /// These configured accounts only.
    Set(AccountSet),
}

/// Is `opt` (a preserved `KEY:VALUE` option) one the risk layer consumes? Such options are not
/// re-broadcast: receivers get `Accounts:` as the router writes it.
pub fn is_routing_option(opt: &str) -> bool {
    key_is(opt, "GROUP:") || key_is(opt, "ACCOUNTS:")
}

fn key_is(opt: &str, key: &str) -> bool {
    opt.len() >= key.len() && opt.as_bytes()[..key.len()].eq_ignore_ascii_case(key.as_bytes())
}

impl Rules {
    /// Resolves the signal's `Group:<a>[+<b>]` or `Accounts:<a>+<b>` option (keys in any case,
    /// names exact). Unknown names, both options, a repeated option, an empty name or a
    /// `name=qty` entry (quantities are the engine's to set) are refused.
    pub fn target(&self, sig: &Signal<'_>) -> Result<Target, TargetError> {
        let mut found: Option<(bool, &str)> = None;
        for opt in sig.extras() {
            let group = key_is(opt, "GROUP:");
            if !group && !key_is(opt, "ACCOUNTS:") {
                continue;
            }
            if found.is_some() {
                return Err(TargetError::BadOption);
            }
            let skip = if group { "GROUP:".len() } else { "ACCOUNTS:".len() };
            found = Some((group, &opt[skip..]));
        }
        let Some((group, list)) = found else { return Ok(Target::All) };
        let mut set = AccountSet::default();
        for name in list.split('+') {
            if name.is_empty() || name.contains('=') {
                return Err(TargetError::BadOption);
            }
            if group {
                let g = self.group(name).ok_or(TargetError::UnknownGroup(Name::new(name)))?;
                set = set.or(g);
            } else {
                let a = self.account(name).ok_or(TargetError::UnknownAccount(Name::new(name)))?;
                set.insert(a);
            }
        }
        Ok(Target::Set(set))
    }
}

/// One receiver's declared accounts (`Accounts:` in its CONNECT), bound to the configuration
/// once at CONNECT so routing a signal reads indices, not names.
#[derive(Clone, Debug, Default)]
pub struct ReceiverAccounts {
    names: Vec<Box<str>>,
    /// Configured index of each declared account (None: not in the configuration).
    idx: Vec<Option<u16>>,
    known: AccountSet,
}

impl ReceiverAccounts {
    /// Binds `names` (at most [`MAX_RECEIVER_ACCOUNTS`]; an empty list = nothing declared, the
    /// base behaviour: unrouted signals only, unchanged).
    pub fn new(rules: &Rules, names: &[&str]) -> ReceiverAccounts {
        let names: Vec<Box<str>> =
            names.iter().take(MAX_RECEIVER_ACCOUNTS).map(|n| (*n).into()).collect();
        let idx: Vec<Option<u16>> =
            names.iter().map(|n| rules.account(n).map(|i| i as u16)).collect();
        let mut known = AccountSet::default();
        for i in idx.iter().flatten() {
            known.insert(*i as usize);
        }
        ReceiverAccounts { names, idx, known }
    }

    /// Declared any account?
    pub fn declared(&self) -> bool {
        !self.names.is_empty()
    }

    /// The declared names.
    pub fn names(&self) -> &[Box<str>] {
        &self.names
    }

    /// The configured accounts among them.
    pub fn known(&self) -> AccountSet {
        self.known
    }
}

/// One per-receiver output message: the same action and symbol for some of its accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PartSlot {
    action: Action,
    symbol: SymRef,
    start: u16,
    len: u16,
}

/// Reusable output of [`super::Risk::route`]; sized once, never grows on the signal path.
#[derive(Debug)]
pub struct RouteBuf {
    /// Per declared account: (action, symbol, qty) or skipped.
    scratch: Vec<Option<(Action, SymRef, u32)>>,
    parts: Vec<PartSlot>,
    /// (declared-account index, qty), grouped by part.
    entries: Vec<(u16, u32)>,
}

impl Default for RouteBuf {
    fn default() -> Self {
        RouteBuf {
            scratch: Vec::with_capacity(MAX_RECEIVER_ACCOUNTS),
            parts: Vec::with_capacity(MAX_RECEIVER_ACCOUNTS),
            entries: Vec::with_capacity(MAX_RECEIVER_ACCOUNTS),
        }
    }
}

/// What one receiver gets for one signal.
#[derive(Debug)]
pub enum Routed<'a> {
    /// Nothing: it holds no target account.
    Skip,
    /// The signal as it came (no `Accounts:`): every account, unchanged.
    Whole,
    /// One message per part, each with `Accounts:` (several share the signal's id).
    Parts(Parts<'a>),
}

/// The parts for one receiver.
#[derive(Clone, Copy, Debug)]
pub struct Parts<'a> {
    rules: &'a Rules,
    rx: &'a ReceiverAccounts,
    source: &'a str,
    buf: &'a RouteBuf,
}

impl<'a> Parts<'a> {
    /// How many messages.
    pub fn len(&self) -> usize {
        self.buf.parts.len()
    }

    /// None?
    pub fn is_empty(&self) -> bool {
        self.buf.parts.is_empty()
    }

    /// Part `i`.
    pub fn get(&self, i: usize) -> Option<Part<'a>> {
        let p = *self.buf.parts.get(i)?;
        let entries = &self.buf.entries[p.start as usize..(p.start + p.len) as usize];
        Some(Part {
            action: p.action,
            symbol: self.rules.symbol_text(p.symbol, self.source),
            entries,
            names: &self.rx.names,
        })
    }

    /// Every part, in the order of their first account.
    pub fn iter(&self) -> impl Iterator<Item = Part<'a>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// One message for one receiver: `ACTION|SYMBOL|QTY|...|Accounts:...|ID:n`.
#[derive(Clone, Copy, Debug)]
pub struct Part<'a> {
    /// The action (inverted for an inverted group).
    pub action: Action,
    /// The symbol (mapped).
    pub symbol: &'a str,
    entries: &'a [(u16, u32)],
    names: &'a [Box<str>],
}

impl<'a> Part<'a> {
    /// The quantity field: the common quantity of its accounts (the first one's when they
    /// differ; then every account carries its own `=q`).
    pub fn qty(&self) -> u32 {
        self.entries.first().map_or(0, |e| e.1)
    }

    /// Do all its accounts trade the same quantity?
    pub fn uniform(&self) -> bool {
        self.entries.iter().all(|e| e.1 == self.qty())
    }

    /// (account name, quantity) of each account.
    pub fn accounts(&self) -> impl Iterator<Item = (&'a str, u32)> + 'a {
        let names = self.names;
        self.entries.iter().map(move |&(i, q)| (&*names[i as usize], q))
    }

    /// (index into the receiver's declared accounts, quantity) of each account.
    pub fn indexed(&self) -> impl Iterator<Item = (u16, u32)> + 'a {
        self.entries.iter().copied()
    }

    /// Writes the option `Accounts:a+b` (uniform) or `Accounts:a=2+b=1` (protocol extension
    /// item 5). A `Vec` reused across signals does not allocate once it has grown.
    pub fn write_accounts(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"Accounts:");
        let uniform = self.uniform();
        for (k, (name, q)) in self.accounts().enumerate() {
            if k > 0 {
                out.push(b'+');
            }
            out.extend_from_slice(name.as_bytes());
            if !uniform {
                // Writing to a Vec cannot fail.
                let _ = write!(out, "={q}");
            }
        }
    }
}

impl RouteBuf {
    /// Fills the parts of `rx` for `sig` (its `target` checked), leaving accounts of
    /// `excluded` out of opening signals. Allocation-free: capacities are fixed at creation.
    pub(crate) fn fill<'a>(
        &'a mut self,
        rules: &'a Rules,
        rx: &'a ReceiverAccounts,
        sig: &Signal<'a>,
        ticket: &super::Ticket,
        excluded: AccountSet,
    ) -> Routed<'a> {
        let target = ticket.target;
        let opening = opens(sig.action);
        let mut skip = if opening { excluded } else { AccountSet::default() };
        if let Target::Set(s) = target {
            skip = skip.or(rx.known.minus(s));
        }
        if !rx.declared() {
            return if target == Target::All { Routed::Whole } else { Routed::Skip };
        }
        let plain = rx.known.and(rules.shaped.or(skip)).is_empty();
        if target == Target::All && plain {
            return Routed::Whole;
        }
        self.scratch.clear();
        for idx in &rx.idx {
            let slot = match *idx {
                None if target == Target::All => Some((sig.action, SymRef::Source, sig.qty)),
                None => None,
                Some(i) if skip.contains(i as usize) => None,
                Some(i) => {
                    let i = i as usize;
                    let s = rules.shape_planned(i, sig.action, sig.symbol, sig.qty, &ticket.plan);
                    // An opening order sized to 0 (allow_zero) sends nothing.
                    let zero = s.qty == 0 && matches!(s.action, Action::Long | Action::Short);
                    (!zero).then_some((s.action, s.symbol, s.qty))
                }
            };
            self.scratch.push(slot);
        }
        self.group();
        if self.parts.is_empty() {
            return Routed::Skip;
        }
        // Every declared account gets the signal unchanged: the shared bytes will do.
        let unchanged = self.parts.len() == 1
            && self.parts[0].action == sig.action
            && self.parts[0].symbol == SymRef::Source
            && self.entries.len() == rx.names.len()
            && self.entries.iter().all(|e| e.1 == sig.qty);
        if unchanged {
            return Routed::Whole;
        }
        Routed::Parts(Parts { rules, rx, source: sig.symbol, buf: self })
    }

    /// Groups `scratch` into parts of one (action, symbol), in first-appearance order.
    fn group(&mut self) {
        self.parts.clear();
        self.entries.clear();
        for k in 0..self.scratch.len() {
            let Some((action, symbol, _)) = self.scratch[k] else { continue };
            if self.parts.iter().any(|p| p.action == action && p.symbol == symbol) {
                continue;
            }
            let start = self.entries.len() as u16;
            for j in k..self.scratch.len() {
                if let Some((a, s, q)) = self.scratch[j] {
                    if a == action && s == symbol {
                        self.entries.push((j as u16, q));
                    }
                }
            }
            let len = self.entries.len() as u16 - start;
            self.parts.push(PartSlot { action, symbol, start, len });
        }
    }
}

/// Opening for the routing and the gates: LONG, SHORT and REVERSE (a flip opens the new side).
pub fn opens(a: Action) -> bool {
    matches!(a, Action::Long | Action::Short | Action::Reverse)
}
