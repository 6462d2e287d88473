//! Logon policy: encoding negotiation, LOGON_REQUEST, and what a LOGON_RESPONSE leads to (redirects).

use super::codec::Outbox;
use super::events::{CloseReason, Reconnect, ServerCaps, TransportKind};
use super::messages::*;
use super::session::{LogonOutcome, Phase, Session};
use super::types::{Encoding, PROTOCOL_VERSION};
use super::DtcConfig;
use std::net::SocketAddr;
use std::time::Instant;

/// Redirects followed per successful logon before falling back to the configured address.
const MAX_REDIRECTS: u32 = 3;

/// What a LOGON_RESPONSE (or ENCODING_RESPONSE) asks the connection to do.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    /// Nothing more (the answer was handled, or ignored).
    None,
    /// Logged on to a server with these capabilities.
    LoggedOn(ServerCaps),
    /// Close, then reconnect as told.
    Close(CloseReason, Reconnect),
}

/// The logon side of one connection.
#[derive(Debug)]
pub(crate) struct Logon {
    addr: String,
    requested: Encoding,
    negotiate: bool,
    request: LogonRequest,
    redirects: u32,
    /// Where the next connect goes instead of `addr` (a redirect).
    addr_override: Option<SocketAddr>,
    /// A redirect decided, taking effect once the current connection is closed.
    redirect_to: Option<SocketAddr>,
}

impl Logon {
    pub(crate) fn new(cfg: &DtcConfig, requested: Encoding, password: Option<&str>) -> Logon {
        let mut r = LogonRequest {
            protocol_version: PROTOCOL_VERSION,
            heartbeat_interval_in_seconds: cfg.heartbeat_s.clamp(1, 3600) as i32,
            unused1: cfg.trade_mode,
            client_name: cfg.client_name.as_str().into(),
            ..Default::default()
        };
        if let Some(u) = &cfg.username {
            r.username = u.as_str().into();
        }
        if let Some(p) = password {
            r.password = p.into();
        }
        if let Some(a) = &cfg.trade_account {
            r.trade_account = a.as_str().into();
        }
        Logon {
            addr: cfg.addr.clone(),
            requested,
            negotiate: cfg.negotiate,
            request: r,
            redirects: 0,
            addr_override: None,
            redirect_to: None,
        }
    }

    /// The address to connect to: IP:port literals only, so no DNS lookup ever blocks the
    /// pinned loop (`Err`: the configured address is not one).
    pub(crate) fn target(&self) -> Result<SocketAddr, String> {
        match self.addr_override {
            Some(a) => Ok(a),
            None => {
                self.addr.parse().map_err(|_| format!("not an IP:port literal: {:?}", self.addr))
            }
        }
    }

    /// The connection closed (`logged_on`: it had logged on). A failed connect or logon at a
    /// redirect target sends the next attempt back to the configured address.
    pub(crate) fn on_close(&mut self, logged_on: bool) {
        if !logged_on {
            self.addr_override = None;
        }
        if let Some(t) = self.redirect_to.take() {
            self.addr_override = Some(t);
        }
    }

    /// The transport is up: negotiate (binary ENCODING_REQUEST) or log on at once.
    pub(crate) fn on_transport_ready(
        &self,
        kind: TransportKind,
        out: &mut Outbox,
        session: &mut Session,
        now: Instant,
    ) {
        if kind == TransportKind::WebSocket {
            // JSON over WebSocket; no ENCODING_REQUEST (as SC's web clients do).
            out.codec.encoding = match self.requested {
                Encoding::JsonCompact => Encoding::JsonCompact,
                _ => Encoding::Json,
            };
            self.send_logon(out, session, now);
        } else if self.negotiate {
            out.send_binary(EncodingRequest {
                encoding: self.requested.code(),
                ..Default::default()
            });
            session.advance(Phase::Negotiating, now);
        } else {
            out.codec.encoding = self.requested;
            self.send_logon(out, session, now);
        }
    }

    fn send_logon(&self, out: &mut Outbox, session: &mut Session, now: Instant) {
        out.send(self.request);
        session.advance(Phase::LoggingOn, now);
    }

    pub(crate) fn on_encoding_response(
        &self,
        r: &EncodingResponse,
        out: &mut Outbox,
        session: &mut Session,
        now: Instant,
        label: &str,
    ) -> Step {
        if session.phase != Phase::Negotiating {
            return Step::None;
        }
        match Encoding::from_code(r.encoding) {
            Some(enc) => {
                if enc != self.requested {
                    log::info!(
                        "{label}: server chose encoding {enc:?} (asked {:?})",
                        self.requested
                    );
                }
                out.codec.encoding = enc;
                self.send_logon(out, session, now);
                Step::None
            }
            // Asking again would get the same answer: give up on this server.
            None => Step::Close(CloseReason::UnsupportedEncoding(r.encoding), Reconnect::Never),
        }
    }

    pub(crate) fn on_logon_response(
        &mut self,
        r: &LogonResponse,
        session: &mut Session,
        now: Instant,
        label: &str,
    ) -> Step {
        // Only the answer to our LOGON_REQUEST counts: a repeat while logged on would re-run
        // the post-logon requests and duplicate every subscription.
        if !matches!(session.phase, Phase::LoggingOn | Phase::Negotiating) {
            log::warn!("{label}: LOGON_RESPONSE in phase {:?} ignored", session.phase);
            return Step::None;
        }
        match session.on_logon_response(r, now) {
            LogonOutcome::Success => {
                self.redirects = 0;
                Step::LoggedOn(ServerCaps::from_logon(r))
            }
            LogonOutcome::Retry(text) => Step::Close(
                CloseReason::LogonRefused { text, retry: true },
                Reconnect::AfterBackoff,
            ),
            LogonOutcome::GiveUp(text) => {
                Step::Close(CloseReason::LogonRefused { text, retry: false }, Reconnect::Never)
            }
            LogonOutcome::Redirect(a) => self.redirect(a.as_str(), label),
        }
    }

    /// LOGOFF from the server: close, and reconnect unless it said DoNotReconnect.
    pub(crate) fn on_logoff(&self, l: &Logoff, session: &mut Session) -> Step {
        let reconnect = match session.on_logoff(l) {
            LogonOutcome::GiveUp(_) => Reconnect::Never,
            _ => Reconnect::AfterBackoff,
        };
        let reason =
            CloseReason::Logoff { reason: l.reason, reconnect: reconnect != Reconnect::Never };
        Step::Close(reason, reconnect)
    }

    /// Follows a ReconnectAddress: IP:port literals only (no DNS on the loop), at most
    /// [`MAX_REDIRECTS`] per successful logon, immediately only the first time.
    fn redirect(&mut self, a: &str, label: &str) -> Step {
        self.redirects = self.redirects.saturating_add(1);
        match a.parse::<SocketAddr>() {
            Ok(t) if self.redirects <= MAX_REDIRECTS => {
                log::warn!("{label}: server redirects to {t} ({})", self.redirects);
                self.redirect_to = Some(t);
                let when =
                    if self.redirects == 1 { Reconnect::Now } else { Reconnect::AfterBackoff };
                Step::Close(CloseReason::Redirected(t), when)
            }
            Ok(_) => {
                log::warn!("{label}: more than {MAX_REDIRECTS} redirects; back to {}", self.addr);
                self.redirects = 0;
                Step::Close(CloseReason::TooManyRedirects, Reconnect::AfterBackoff)
            }
            Err(_) => {
                log::warn!(
                    "{label}: redirect to {a:?} ignored (not an IP:port literal); using {}",
                    self.addr
                );
                Step::Close(CloseReason::RedirectNotLiteral, Reconnect::AfterBackoff)
            }
        }
    }
}
