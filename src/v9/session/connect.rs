//! A peer's CONNECT: version and name checks, publisher authentication, roles, the catch-up ask.

use super::{Session, MAX_NAME_LEN};
use crate::config::constant_time_eq;
use crate::v9::book::MAX_ACCOUNT_LEN;
use crate::v9::codec::{Connect, ErrorCode};
use crate::v9::reply::{CloseReason, Details, Outgoing, Policy, Reply, Role, State, Time};
use std::time::Instant;

impl Session {
    pub(super) fn on_connect<'l>(&mut self, m: &Connect<'l>, t: Time, p: &Policy<'_>) -> Reply<'l> {
        if self.state == State::Ready {
            // A repeated CONNECT changes nothing (no role or name switch mid-session): READY again.
            let (role, epoch, last_id) = (self.role, p.epoch, p.last_signal);
            return Reply::Send(Outgoing::Ready { role, epoch, last_id });
        }
        if m.meta("Version").is_some_and(|v| v.split('.').next() != Some("1")) {
            let (code, reason) = (ErrorCode::VersionMismatch, CloseReason::VersionMismatch);
            let details = Details::Text("Server_Version:1.0");
            return self.fail(t.now, code, "Protocol version incompatible", details, reason);
        }
        if m.name.len() > MAX_NAME_LEN {
            self.counters.bad += 1;
            let (code, reason) = (ErrorCode::ProtocolError, CloseReason::ProtocolError);
            return self.fail(
                t.now,
                code,
                "Invalid field",
                Details::Field("STRATEGY_NAME"),
                reason,
            );
        }
        let publisher = m.meta("Role").is_some_and(|r| r.eq_ignore_ascii_case("Publisher"));
        if !publisher && m.meta("Accounts").is_some_and(|l| !declarable(l)) {
            // A routed line must hold one account: names longer than the book keeps (or
            // holding `=`, the quantity separator) could not be sent. Refused here, not per signal.
            self.counters.bad += 1;
            let (code, reason) = (ErrorCode::ProtocolError, CloseReason::ProtocolError);
            return self.fail(t.now, code, "Invalid field", Details::Field("ACCOUNTS"), reason);
        }
        if publisher {
            if let Some(r) = self.refuse_publisher(m, t.now, p) {
                return r;
            }
        }
        let catch_up = if publisher {
            None
        } else {
            match crate::v9::resume::catch_up(m, p) {
                Ok(c) => c,
                Err((message, details)) => {
                    self.counters.bad += 1;
                    let (code, reason) = (ErrorCode::ProtocolError, CloseReason::ProtocolError);
                    return self.fail(t.now, code, message, details, reason);
                }
            }
        };
        self.name = m.name.into();
        self.accounts = m.account_count.unwrap_or(0);
        if let Some(list) = m.meta("Accounts").filter(|_| !publisher) {
            self.declared = crate::v9::expect::declared_accounts(list);
        }
        self.role = if publisher { Role::Publisher } else { Role::Receiver };
        self.state = State::Ready;
        // Signals sent before READY never reached this receiver: none of them is outstanding.
        self.next_answer = p.last_signal + 1;
        Reply::Connected(self.role, catch_up)
    }

    /// The refusal of a publisher CONNECT, if it is refused. The token is never logged.
    fn refuse_publisher<'l>(
        &mut self,
        m: &Connect<'l>,
        now: Instant,
        p: &Policy<'_>,
    ) -> Option<Reply<'l>> {
        let code = ErrorCode::Unauthorized;
        if p.auth.blocked(self.addr.ip(), now).is_some() {
            // Throttled: the token is not even compared, so guessing gains nothing here.
            let details = Details::Text("Too many failed attempts; retry later");
            let reason = CloseReason::Throttled;
            return Some(self.fail(now, code, "Publisher not allowed", details, reason));
        }
        let allowed = match p.token {
            Some(t) => m
                .meta("Token")
                .is_some_and(|given| constant_time_eq(given.as_bytes(), t.as_bytes())),
            None => self.addr.ip().to_canonical().is_loopback(),
        };
        if allowed {
            return None;
        }
        let details = Details::Text(if p.token.is_some() {
            "Bad or missing Token: v9bridge signal --token or V9BRIDGE_PUBLISHER_TOKEN"
        } else {
            "Only loopback may publish without a token (set v9.publisher_token)"
        });
        Some(self.fail(now, code, "Publisher not allowed", details, CloseReason::Unauthorized))
    }
}

/// May `Accounts:a+b+c` be declared in CONNECT? Every name at most [`MAX_ACCOUNT_LEN`] bytes
/// and without `=` (the quantity separator), so any one of them fits a routed line
/// (`crate::pipeline::split`).
fn declarable(list: &str) -> bool {
    list.split('+').all(|a| a.len() <= MAX_ACCOUNT_LEN && !a.contains('='))
}
