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

impl Routing<'_> {
    /// Routes the signal for `rx`: its parts go into `out` (`Pick::Own`), each change of its
    /// expected positions to `delta`. `replay` marks the lines `Replay:1`.
    pub fn pick(
        &self,
        rx: &ReceiverAccounts,
        buf: &mut RouteBuf,
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
                    write_line(out, sig, Some(&part), replay, self.id);
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
    let (action, symbol, qty) = match part {
        Some(p) => (p.action, p.symbol, p.qty()),
        None => (sig.action, sig.symbol, sig.qty),
    };
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
