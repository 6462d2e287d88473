//! Loss limits on the V9 server: each receiver's new POSITION P&L reaches the risk layer.

use super::V9Server;
use crate::pipeline::{BreachOutcome, Pipeline};
use crate::v9::conn::Conns;
use crate::v9::hub::Hub;
use crate::v9::peer::Peer;
use crate::v9::reply::Time;
use std::time::Instant;

/// Hands the P&L `peer` reported since the last call to the pipeline's risk layer; a breach's
/// FLATTEN is queued like any signal. No allocation (the book queues entry indices).
pub(super) fn feed(pl: &mut Pipeline, hub: &mut Hub, conns: &mut Conns, peer: &mut Peer, t: Time) {
    if !peer.book().pnl_pending() {
        return;
    }
    if pl.risk().is_none() {
        peer.book_mut().drain_pnl(|_, _, _| {});
        return;
    }
    let mut out = hub.output(conns);
    let mut flattens = [0u32; 2];
    peer.book_mut().drain_pnl(|account, symbol, pnl| {
        let at = (account, symbol, pnl);
        if let Some(BreachOutcome { flatten, .. }) = pl.on_pnl(at, t.now, t.wall_ns, &mut out) {
            flattens[usize::from(flatten.is_ok())] += 1;
        }
    });
    for (accepted, n) in [(false, flattens[0]), (true, flattens[1])] {
        (0..n).for_each(|_| hub.counted(accepted));
    }
}

impl V9Server {
    /// Re-arms an account a loss limit excluded: Some(was excluded), None when the engine has
    /// no risk layer or does not know the account.
    pub fn arm_account(&mut self, account: &str, now: Instant, wall_ns: i64) -> Option<bool> {
        self.pipeline.arm_account(account, now, wall_ns)
    }
}
