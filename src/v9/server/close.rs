//! Closing connections: slow consumers get their error first, the rest are dropped and journalled.

use super::V9Server;
use crate::journal::Receiver;
use crate::v9::codec::ErrorCode;
use crate::v9::escape::Esc;
use crate::v9::reply::{CloseReason, Details, Outgoing, Role, State};
use log::info;
use mio::Registry;

impl V9Server {
    /// Carries out the closes listed since the last call.
    pub(super) fn close_pending(&mut self, registry: &Registry) {
        let now = self.now;
        while let Some((key, why)) = self.conns.next_close() {
            let Some(peer) = self.peers.get_mut(key) else { continue };
            if why == CloseReason::Overflow {
                if peer.is_closing() {
                    continue;
                }
                // The error goes after the message being written (a message boundary); the
                // receiver gets it if it ever reads, and is reset after CLOSE_GRACE otherwise.
                self.hub.overflowed();
                log::warn!(
                    "v9 {} ({}): disconnecting: output queue over its bound (slow or stuck receiver)",
                    peer.addr(),
                    Esc(peer.name())
                );
                peer.start_closing(now, why);
                let msg = Outgoing::Error {
                    code: ErrorCode::Overflow,
                    message: "Output queue full",
                    details: Details::Text("Slow consumer"),
                };
                self.conns.finish(key, msg, true);
                self.rearm(key);
                continue;
            }
            self.remove(key, why, registry);
        }
    }

    /// Drops the connection under `key`.
    pub(super) fn remove(&mut self, key: usize, why: CloseReason, registry: &Registry) {
        let (Some(mut conn), Some(peer)) = (self.conns.remove(key), self.peers.try_remove(key))
        else {
            return;
        };
        conn.deregister(registry);
        self.timers.clear(key);
        self.hub.receivers_mut().unbind(key);
        let (why, note) = match peer.state() {
            State::Closing { reason, .. } if conn.half_closed() => {
                (reason, ", after its final message")
            }
            State::Closing { reason, .. } => (reason, ", its final message unread"),
            _ => (why, ""),
        };
        info!(
            "v9 {} ({}): disconnected: {why}{note} ({} clients)",
            peer.addr(),
            Esc(peer.name()),
            self.conns.len()
        );
        drop(conn); // resets instead of FIN when it stopped inside a message (see Conn)
        if peer.role() == Role::Receiver && !peer.name().is_empty() {
            let r =
                Receiver { name: peer.name(), peer: Some(peer.addr()), accounts: peer.accounts() };
            self.pipeline.receiver(false, r, self.now, self.wall_ns);
        }
        self.hub.departed(peer);
    }
}
