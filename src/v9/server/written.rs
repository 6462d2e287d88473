//! After the one write per turn: latencies, a debug line per signal, expected positions, FLATTEN checks.

use super::{route, V9Server};
use crate::clock;
use crate::signal::Action;
use crate::v9::peer::Peer;
use log::debug;
use mio::Registry;
use slab::Slab;

impl V9Server {
    /// Writes every connection's queued output, then handles what was written: latencies,
    /// one log line per signal, FLATTEN checks. The engine calls it once per loop turn.
    pub fn flush_dirty(&mut self, registry: &Registry) {
        self.conns.flush_dirty(registry);
        if self.hub.pending() {
            let written = clock::stamp();
            while let Some(r) = self.hub.next_written(written) {
                // debug, not info: a line per signal would put formatting and a write to
                // stderr on the loop (the journal and the ops API keep every signal instead).
                debug!(
                    "v9: signal #{} from {:?}: {} {} {} written to {} receiver(s){}",
                    r.id,
                    r.origin,
                    r.action,
                    r.symbol.as_str(),
                    r.qty,
                    r.receivers,
                    route::Skipped(r.skipped)
                );
                if r.routed {
                    apply_routed(r.id, self.hub.deltas(&r), self.hub.receivers(), &mut self.peers);
                } else {
                    for (_, p) in self.peers.iter_mut().filter(|(_, p)| p.receives()) {
                        p.book_mut().expected_mut().apply(r.id, r.action, &r.symbol, r.qty);
                    }
                }
                if r.action == Action::Flatten {
                    self.hub.expect_flat(&r, &mut self.peers, &mut self.timers);
                }
            }
        }
        self.close_pending(registry);
    }
}

/// A routed signal's changes to the expected positions of the receivers it reached: each
/// receiver's parts (grouped by key), by account name, once per id.
fn apply_routed(
    id: u64,
    deltas: &[(u32, crate::pipeline::Delta)],
    rx: &route::Receivers,
    peers: &mut Slab<Peer>,
) {
    let mut rest = deltas;
    while let Some(&(key, _)) = rest.first() {
        let n = rest.iter().take_while(|d| d.0 == key).count();
        let (mine, next) = rest.split_at(n);
        rest = next;
        let key = key as usize;
        let (Some(p), Some(acc)) = (peers.get_mut(key), rx.accounts(key)) else { continue };
        let e = p.book_mut().expected_mut();
        if !e.begin(id) {
            continue;
        }
        for (_, d) in mine {
            match d.account.and_then(|i| acc.names().get(i as usize)) {
                Some(name) => e.apply_account(name, d.action, &d.symbol, d.qty),
                None => e.apply_every(d.action, &d.symbol, d.qty),
            }
        }
    }
}
