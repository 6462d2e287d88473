//! The route step (pure): which receivers get a signal, and the bytes of each one's parts.

// The shared bytes (one encode per signal) stay the path of every signal that reaches every
// account unchanged: `Route::AllReady`. Only a routed, mapped, sized or inverted signal (or one
// while an account is excluded) is routed per receiver, into one reused scratch buffer.

use crate::risk::{self, Part, ReceiverAccounts, Risk, RouteBuf, Routed, Ticket};
use crate::signal::{Action, Signal, Symbol};
use std::io::Write;

/// Which receivers a signal goes to.
#[derive(Clone, Copy, Debug)]
pub enum Route<'a> {
    /// Every READY receiver, the shared bytes unchanged (no routing, mapping or sizing).
    AllReady,
    /// Per receiver, as the risk layer routes it.
    Routed(Routing<'a>),
}

/// A signal to route per receiver.
#[derive(Clone, Copy, Debug)]
pub struct Routing<'a> {
    /// The risk layer (its rules and loss exclusions).
    pub risk: &'a Risk,
    /// The signal as the publisher sent it (its routing option included).
    pub sig: &'a Signal<'a>,
    /// Where the gates said it goes.
    pub ticket: Ticket,
    /// Its id.
    pub id: u64,
}

/// One change a receiver's expected positions take from what it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delta {
    /// The account, by index into the receiver's declared list (None: every account).
    pub account: Option<u16>,
    /// Action as sent.
    pub action: Action,
    /// Symbol as sent (mapped), upper case.
    pub symbol: Symbol,
    /// Quantity as sent.
    pub qty: u32,
}

/// What one receiver gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Nothing.
    Skip,
    /// The shared bytes.
    Whole,
    /// Its own bytes (its parts), written into the scratch buffer.
    Own,
}

/// The last part head written (`ACTION|SYM|QTY|TP..|SL..|extras`), reused across receivers:
/// receivers of one mapped group differ only in their `Accounts:` (formatting prices is the
/// expensive part of a line).
#[derive(Debug)]
pub struct Heads {
    key: Option<(u64, Action, Symbol, u32)>,
    bytes: Vec<u8>,
}

impl Default for Heads {
    fn default() -> Self {
        Heads { key: None, bytes: Vec::with_capacity(2 * crate::v9::codec::MAX_MESSAGE) }
    }
}

impl Heads {
    /// Appends the head of `sig` as `action symbol qty` to `out`, formatting it only when it
    /// differs from the last one.
    fn write(&mut self, out: &mut Vec<u8>, sig: &Signal<'_>, id: u64, part: (Action, &str, u32)) {
        let key = Some((id, part.0, Symbol::upper(part.1), part.2));
        if self.key != key {
            self.bytes.clear();
            write_head(&mut self.bytes, sig, part);
            self.key = key;
        }
        out.extend_from_slice(&self.bytes);
    }
}

impl Routing<'_> {
    /// Routes the signal for `rx`: its parts go into `out` (`Pick::Own`), each change of its
    /// expected positions to `delta`. `replay` marks the lines `Replay:1`.
    pub fn pick(
        &self,
        rx: &ReceiverAccounts,
        (buf, heads): (&mut RouteBuf, &mut Heads),
        out: &mut Vec<u8>,
        replay: bool,
        delta: &mut dyn FnMut(Delta),
    ) -> Pick {
        let sig = self.sig;
        match self.risk.route(sig, &self.ticket, rx, buf) {
            Routed::Skip => Pick::Skip,
            Routed::Whole => {
                let symbol = Symbol::upper(sig.symbol);
                delta(Delta { account: None, action: sig.action, symbol, qty: sig.qty });
                if replay {
                    write_line(out, sig, None, true, self.id);
                    return Pick::Own;
                }
                Pick::Whole
            }
            Routed::Parts(parts) => {
                for part in parts.iter() {
                    heads.write(out, sig, self.id, (part.action, part.symbol, part.qty()));
                    write_tail(out, Some(&part), replay, self.id);
                    let symbol = Symbol::upper(part.symbol);
                    for (i, qty) in part.indexed() {
                        let account = Some(i);
                        delta(Delta { account, action: part.action, symbol, qty });
                    }
                }
                Pick::Own
            }
        }
    }
}

/// Writes `sig` without its routing options: as `part` says (action, symbol, quantity and
/// `Accounts:`) when given, `Replay:1` before `ID:` when `replay`.
pub fn write_line(
    out: &mut Vec<u8>,
    sig: &Signal<'_>,
    part: Option<&Part<'_>>,
    replay: bool,
    id: u64,
) {
    let head = match part {
        Some(p) => (p.action, p.symbol, p.qty()),
        None => (sig.action, sig.symbol, sig.qty),
    };
    write_head(out, sig, head);
    write_tail(out, part, replay, id);
}

/// `ACTION|SYMBOL|QTY[|TP:p][|SL:p][|TIF:t][|extras]`, routing options left out.
fn write_head(out: &mut Vec<u8>, sig: &Signal<'_>, (action, symbol, qty): (Action, &str, u32)) {
    out.extend_from_slice(action.as_str().as_bytes());
    out.push(b'|');
    out.extend(symbol.bytes().map(|b| b.to_ascii_uppercase()));
    // Writing to a Vec cannot fail.
    let _ = write!(out, "|{qty}");
    if let Some(tp) = sig.tp {
        let _ = write!(out, "|TP:{tp}");
    }
    if let Some(sl) = sig.sl {
        let _ = write!(out, "|SL:{sl}");
    }
    if let Some(tif) = sig.tif {
        let _ = write!(out, "|TIF:{tif}");
    }
    for e in sig.extras().iter().filter(|e| !risk::is_routing_option(e)) {
        out.push(b'|');
        out.extend_from_slice(e.as_bytes());
    }
}

/// `[|Accounts:...][|Replay:1]|ID:n` and the LF.
fn write_tail(out: &mut Vec<u8>, part: Option<&Part<'_>>, replay: bool, id: u64) {
    if let Some(p) = part {
        out.push(b'|');
        p.write_accounts(out);
    }
    if replay {
        out.extend_from_slice(b"|Replay:1");
    }
    let _ = writeln!(out, "|ID:{id}");
}

/// Does `sig` carry `Group:` or `Accounts:`?
pub fn has_routing_option(sig: &Signal<'_>) -> bool {
    sig.extras().iter().any(|o| risk::is_routing_option(o))
}

/// Does every account of every receiver get `sig` unchanged? Then it needs no routing.
pub fn uniform(risk: &Risk, sig: &Signal<'_>, ticket: &Ticket) -> bool {
    let rules = risk.rules();
    ticket.target == risk::Target::All
        && rules.shaped.is_empty()
        && (!risk::opens(sig.action) || risk.excluded().is_empty())
}

/// Where a journalled signal goes now (replay, restore): its routing option resolved against
/// the current configuration without the gates; one naming nothing known now reaches nobody.
pub fn ticket(risk: &Risk, sig: &Signal<'_>) -> Ticket {
    let rules = risk.rules();
    let target = rules.target(sig).unwrap_or(risk::Target::Set(risk::AccountSet::default()));
    Ticket { target, plan: rules.plan(sig.symbol) }
}
