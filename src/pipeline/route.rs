//! The route step (pure): which receivers get a signal, and the bytes of each one's parts.

// The shared bytes (one encode per signal) stay the path of every signal that reaches every
// account unchanged: `Route::AllReady`. Only a routed, mapped, sized or inverted signal (or one
// while an account is excluded) is routed per receiver, into one reused scratch buffer.

use super::split::{self, fits, Tail};
use crate::risk::{self, ReceiverAccounts, Risk, RouteBuf, Routed, Ticket};
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
    /// Account entries left out of lines because one alone would pass the line limit.
    left_out: u64,
}

impl Default for Heads {
    fn default() -> Self {
        let bytes = Vec::with_capacity(2 * crate::v9::codec::MAX_MESSAGE);
        Heads { key: None, bytes, left_out: 0 }
    }
}

impl Heads {
    /// The head of `sig` as `action symbol qty`, formatted only when it differs from the last.
    fn head(&mut self, sig: &Signal<'_>, id: u64, part: (Action, &str, u32)) -> &[u8] {
        let key = Some((id, part.0, Symbol::upper(part.1), part.2));
        if self.key != key {
            self.bytes.clear();
            write_head(&mut self.bytes, sig, part);
            self.key = key;
        }
        &self.bytes
    }
}

impl Routing<'_> {
    /// Routes the signal for `rx`: its parts go into `out` (`Pick::Own`), each change of its
    /// expected positions to `delta`. `replay` marks the lines `Replay:1`. A part whose line
    /// would pass the 1024-byte limit goes out as several lines with the same id over disjoint
    /// runs of its accounts ([`split`]).
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
                    write_line(out, sig, true, self.id);
                    return Pick::Own;
                }
                Pick::Whole
            }
            Routed::Parts(parts) => {
                let tail = Tail { replay, id: self.id };
                for part in parts.iter() {
                    let head = heads.head(sig, self.id, (part.action, part.symbol, part.qty()));
                    let uniform = part.uniform();
                    let entries = part.accounts().map(|(n, q)| (n, (!uniform).then_some(q)));
                    let len = head.len();
                    let s = split::write_lines(out, head, entries, tail);
                    let symbol = Symbol::upper(part.symbol);
                    let sent =
                        part.accounts().map(|(n, q)| fits(len, tail, (n, (!uniform).then_some(q))));
                    for ((i, qty), sent) in part.indexed().zip(sent) {
                        if sent {
                            delta(Delta { account: Some(i), action: part.action, symbol, qty });
                        }
                    }
                    if s.left_out > 0 {
                        heads.left_out += u64::from(s.left_out);
                        if heads.left_out.is_power_of_two() {
                            log::warn!(
                                "route: signal #{}: {} account(s) left out: an entry alone passes the 1024-byte line ({} so far)",
                                self.id,
                                s.left_out,
                                heads.left_out
                            );
                        }
                    }
                }
                Pick::Own
            }
        }
    }
}

/// Writes `sig` without its routing options, `Replay:1` before `ID:` when `replay`.
pub fn write_line(out: &mut Vec<u8>, sig: &Signal<'_>, replay: bool, id: u64) {
    write_head(out, sig, (sig.action, sig.symbol, sig.qty));
    if replay {
        out.extend_from_slice(split::REPLAY);
    }
    let _ = writeln!(out, "|ID:{id}");
}

/// The longest line the route step can write for `sig` as `id` (a replay included): its head
/// with the longest action, symbol and quantity a mapping or inversion can give it, one
/// account entry at its bound ([`split::MAX_ENTRY`]), `Replay:1` and the id. `scratch` is
/// reused. A signal for which this passes the line limit is refused before it gets its id, so
/// every routed line holds at least one account.
pub fn longest_line(scratch: &mut Vec<u8>, sig: &Signal<'_>, id: u64) -> usize {
    scratch.clear();
    write_head(scratch, sig, (sig.action, sig.symbol, sig.qty));
    let as_sent = sig.action.as_str().len() + sig.symbol.len() + split::digits(sig.qty.into());
    let longest = "CLOSE_HALF".len() + crate::signal::MAX_SYMBOL_LEN + "1000".len();
    let head = scratch.len() - as_sent + longest;
    head + "|Accounts:".len() + split::MAX_ENTRY + Tail { replay: true, id }.len()
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
