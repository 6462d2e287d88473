//! Receivers' declared accounts, bound at CONNECT, and the per-receiver pick of a routed signal.

use crate::pipeline::{Delta, Heads, Pick, Routing};
use crate::risk::{ReceiverAccounts, RouteBuf};
use crate::v9::conn::Picker;
use crate::v9::escape::Esc;

/// One receiver's routing state, under its connection key.
#[derive(Debug, Default)]
struct Slot {
    accounts: ReceiverAccounts,
    /// Routed signals it could not get (it declared no accounts).
    undeclared_skips: u64,
    name: Box<str>,
}

/// Every receiver's bound accounts, plus the reused buffers of one routed signal.
#[derive(Debug)]
pub struct Receivers {
    slots: Vec<Option<Slot>>,
    buf: RouteBuf,
    heads: Heads,
    /// One receiver's parts, encoded (reused: no allocation once grown).
    scratch: Vec<u8>,
    /// Expected-position changes of the signal being fanned out: (key, change).
    deltas: Vec<(u32, Delta)>,
    /// READY receivers the signal being fanned out skipped (none of its target accounts).
    skipped: u32,
    /// Every routed signal's skipped receivers, summed.
    skipped_total: u64,
}

impl Default for Receivers {
    fn default() -> Self {
        Receivers {
            slots: Vec::with_capacity(1024),
            buf: RouteBuf::default(),
            heads: Heads::default(),
            scratch: Vec::with_capacity(64 * 1024),
            deltas: Vec::with_capacity(64 * 1024),
            skipped: 0,
            skipped_total: 0,
        }
    }
}

impl Receivers {
    /// Binds the receiver under `key` (at its CONNECT).
    pub fn bind(&mut self, key: usize, name: &str, accounts: ReceiverAccounts) {
        if self.slots.len() <= key {
            self.slots.resize_with(key + 1, || None);
        }
        self.slots[key] = Some(Slot { accounts, undeclared_skips: 0, name: name.into() });
    }

    /// Forgets the receiver under `key` (it left).
    pub fn unbind(&mut self, key: usize) {
        if let Some(s) = self.slots.get_mut(key) {
            *s = None;
        }
    }

    /// The accounts the receiver under `key` declared (empty when none or unknown).
    pub fn accounts(&self, key: usize) -> Option<&ReceiverAccounts> {
        self.slots.get(key)?.as_ref().map(|s| &s.accounts)
    }

    /// The picker of one routed signal; the changes it records are kept until
    /// [`Self::take_deltas`].
    pub fn picker<'a>(&'a mut self, routing: Routing<'a>) -> RoutedPick<'a> {
        RoutedPick { rx: self, routing }
    }

    /// The changes recorded since the last call, in key order (cleared by [`Self::clear_deltas`]).
    pub fn deltas(&self) -> &[(u32, Delta)] {
        &self.deltas
    }

    /// Drops the recorded changes.
    pub fn clear_deltas(&mut self) {
        self.deltas.clear();
    }

    /// The READY receivers the last routed signal skipped (they hold none of its target
    /// accounts); counted into [`Self::skipped_total`] and reset.
    pub fn take_skipped(&mut self) -> u32 {
        self.skipped_total += u64::from(self.skipped);
        std::mem::take(&mut self.skipped)
    }

    /// READY receivers skipped by routed signals since the start, summed over signals.
    pub fn skipped_total(&self) -> u64 {
        self.skipped_total
    }

    /// The accounts of the receiver under `key` and the routing scratch (for its catch-up).
    pub fn for_catch_up(&mut self, key: usize) -> (&ReceiverAccounts, &mut RouteBuf) {
        static EMPTY: std::sync::OnceLock<ReceiverAccounts> = std::sync::OnceLock::new();
        let empty = EMPTY.get_or_init(ReceiverAccounts::default);
        let acc = self.slots.get(key).and_then(|s| s.as_ref()).map_or(empty, |s| &s.accounts);
        (acc, &mut self.buf)
    }
}

/// [`Picker`] for one routed signal.
pub struct RoutedPick<'a> {
    rx: &'a mut Receivers,
    routing: Routing<'a>,
}

impl Picker for RoutedPick<'_> {
    fn pick(&mut self, key: usize) -> (Pick, &[u8]) {
        let rx = &mut *self.rx;
        let Some(Some(slot)) = rx.slots.get_mut(key) else {
            rx.skipped += 1;
            return (Pick::Skip, &[]);
        };
        rx.scratch.clear();
        let deltas = &mut rx.deltas;
        let mut note = |d: Delta| deltas.push((key as u32, d));
        let bufs = (&mut rx.buf, &mut rx.heads);
        let p = self.routing.pick(&slot.accounts, bufs, &mut rx.scratch, false, &mut note);
        rx.skipped += u32::from(p == Pick::Skip);
        if p == Pick::Skip
            && !slot.accounts.declared()
            && self.routing.ticket.target != crate::risk::Target::All
        {
            slot.undeclared_skips += 1;
            if slot.undeclared_skips == 1 {
                // Once per receiver: it cannot honour `Accounts:`, so routed signals skip it.
                log::warn!(
                    "v9: receiver {} declared no Accounts: in CONNECT: routed signals are not sent to it",
                    Esc(&slot.name)
                );
            }
        }
        (p, &rx.scratch)
    }
}

/// `, N skipped (no target account)` after a routed signal's receivers in the flush's log line,
/// when any were.
pub struct Skipped(pub u32);

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            0 => Ok(()),
            n => write!(f, ", {n} skipped (no target account)"),
        }
    }
}
