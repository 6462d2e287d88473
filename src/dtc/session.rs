//! Pure session state machine: connect/logon phases, heartbeats, liveness, reconnect backoff.

use super::events::Reconnect;
use super::messages::{Logoff, LogonResponse, S64, S96};
use super::types::consts::*;
use std::time::{Duration, Instant};

/// How long connect + negotiation + logon may take before the attempt is abandoned.
const LOGON_TIMEOUT: Duration = Duration::from_secs(10);

/// A session must stay logged on this long before the reconnect backoff starts over: a server
/// that accepts the logon and then breaks is not hit at the shortest delay again and again.
pub const HEALTHY_AFTER: Duration = Duration::from_secs(30);

/// Where the connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not connected; a reconnect is scheduled.
    Down,
    /// TCP connect in progress.
    Connecting,
    /// WebSocket upgrade in progress.
    Handshaking,
    /// Binary ENCODING_REQUEST sent, waiting for the response.
    Negotiating,
    /// LOGON_REQUEST sent.
    LoggingOn,
    /// Logged on: data flows.
    LoggedOn,
    /// Told not to reconnect (or shut down).
    Stopped,
}

impl Phase {
    /// A transport exists (or is being opened) for this phase.
    pub fn is_open(self) -> bool {
        !matches!(self, Phase::Down | Phase::Stopped)
    }
}

/// What a timer check asks the shell to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerAction {
    /// Nothing due.
    None,
    /// Start a (re)connect now.
    Connect,
    /// Send a HEARTBEAT.
    SendHeartbeat,
    /// No bytes for 2x the interval (or logon took too long): close and reconnect.
    PeerDead,
}

/// What to do after LOGON_RESPONSE or LOGOFF (texts as the server sent them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogonOutcome {
    /// Logged on.
    Success,
    /// Failed; reconnect after backoff.
    Retry(S96),
    /// Failed; do not reconnect.
    GiveUp(S96),
    /// Reconnect at once to another `host:port`.
    Redirect(S64),
}

/// The timers and phase of one DTC connection.
#[derive(Debug)]
pub struct Session {
    /// Current phase.
    pub phase: Phase,
    /// Heartbeat interval (ours; the peer is dead after twice this without bytes).
    pub heartbeat: Duration,
    last_rx: Instant,
    next_hb: Instant,
    phase_deadline: Instant,
    retry_at: Instant,
    logged_on_at: Instant,
    attempt: u32,
    min_backoff: Duration,
    max_backoff: Duration,
    rng: u64,
    /// Reconnects done (not counting the first connect).
    pub reconnects: u64,
}

impl Session {
    /// A session that connects at `now`.
    pub fn new(
        heartbeat: Duration,
        min_backoff: Duration,
        max_backoff: Duration,
        seed: u64,
        now: Instant,
    ) -> Self {
        Session {
            phase: Phase::Down,
            // Bounded so deadline arithmetic cannot overflow on any platform.
            heartbeat: heartbeat.clamp(Duration::from_millis(100), Duration::from_secs(3600)),
            last_rx: now,
            next_hb: now,
            phase_deadline: now,
            retry_at: now,
            logged_on_at: now,
            attempt: 0,
            min_backoff: min_backoff.clamp(Duration::from_millis(1), Duration::from_secs(3600)),
            max_backoff: max_backoff
                .clamp(min_backoff.min(Duration::from_secs(3600)), Duration::from_secs(3600)),
            rng: seed | 1,
            reconnects: 0,
        }
    }

    /// The session of a `[dtc.NAME]` section (`seed`: the backoff jitter's).
    pub fn for_config(cfg: &super::DtcConfig, seed: u64, now: Instant) -> Self {
        Session::new(
            Duration::from_secs(cfg.heartbeat_s.max(1) as u64),
            Duration::from_millis(cfg.reconnect_min_ms),
            Duration::from_millis(cfg.reconnect_max_ms),
            seed,
            now,
        )
    }

    /// The earliest instant a timer needs attention.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Down => Some(self.retry_at),
            Phase::Connecting | Phase::Handshaking | Phase::Negotiating | Phase::LoggingOn => {
                Some(self.phase_deadline)
            }
            Phase::LoggedOn => Some(self.next_hb.min(self.last_rx + self.heartbeat * 2)),
            Phase::Stopped => None,
        }
    }

    /// Checks timers at `now`.
    pub fn poll(&mut self, now: Instant) -> TimerAction {
        match self.phase {
            Phase::Down if now >= self.retry_at => TimerAction::Connect,
            Phase::Connecting | Phase::Handshaking | Phase::Negotiating | Phase::LoggingOn
                if now >= self.phase_deadline =>
            {
                TimerAction::PeerDead
            }
            Phase::LoggedOn if now >= self.last_rx + self.heartbeat * 2 => TimerAction::PeerDead,
            Phase::LoggedOn if now >= self.next_hb => {
                self.next_hb = now + self.heartbeat;
                TimerAction::SendHeartbeat
            }
            _ => TimerAction::None,
        }
    }

    /// A connect was started.
    pub fn connecting(&mut self, now: Instant) {
        self.phase = Phase::Connecting;
        self.phase_deadline = now + LOGON_TIMEOUT;
    }

    /// Moves to `phase` (handshake, negotiation, logon), keeping the attempt's deadline.
    pub fn advance(&mut self, phase: Phase, now: Instant) {
        self.phase = phase;
        self.last_rx = now;
    }

    /// Bytes arrived.
    #[inline]
    pub fn on_rx(&mut self, now: Instant) {
        self.last_rx = now;
    }

    /// Interprets LOGON_RESPONSE.
    pub fn on_logon_response(&mut self, r: &LogonResponse, now: Instant) -> LogonOutcome {
        let text = r.result_text;
        match r.result {
            LOGON_SUCCESS => {
                self.phase = Phase::LoggedOn;
                self.logged_on_at = now;
                self.last_rx = now;
                self.next_hb = now + self.heartbeat;
                LogonOutcome::Success
            }
            LOGON_ERROR_NO_RECONNECT => LogonOutcome::GiveUp(text),
            LOGON_RECONNECT_NEW_ADDRESS if !r.reconnect_address.is_empty() => {
                LogonOutcome::Redirect(r.reconnect_address)
            }
            _ => LogonOutcome::Retry(text),
        }
    }

    /// Interprets LOGOFF.
    pub fn on_logoff(&mut self, l: &Logoff) -> LogonOutcome {
        if l.do_not_reconnect != 0 {
            LogonOutcome::GiveUp(l.reason)
        } else {
            LogonOutcome::Retry(l.reason)
        }
    }

    /// The connection closed; schedules the next attempt, if any. Returns the delay chosen.
    pub fn closed(&mut self, now: Instant, reconnect: Reconnect) -> Option<Duration> {
        if self.phase == Phase::LoggedOn
            && now.saturating_duration_since(self.logged_on_at) >= HEALTHY_AFTER
        {
            self.attempt = 0;
        }
        let delay = match reconnect {
            Reconnect::Never => {
                self.phase = Phase::Stopped;
                return None;
            }
            Reconnect::Now => Duration::ZERO,
            Reconnect::AfterBackoff => self.backoff(),
        };
        self.attempt = self.attempt.saturating_add(1);
        self.reconnects += 1;
        self.phase = Phase::Down;
        self.retry_at = now + delay;
        Some(delay)
    }

    /// Exponential backoff with jitter in [50 %, 100 %] of the step, capped.
    fn backoff(&mut self) -> Duration {
        let exp = self.min_backoff.saturating_mul(1u32 << self.attempt.min(20));
        let step = exp.min(self.max_backoff);
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let frac = 0.5 + (self.rng % 1000) as f64 / 2000.0;
        step.mul_f64(frac)
    }

    /// Stops for good (shutdown).
    pub fn stop(&mut self) {
        self.phase = Phase::Stopped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_liveness_and_backoff() {
        let t0 = Instant::now();
        let hb = Duration::from_secs(1);
        let mut s = Session::new(hb, Duration::from_millis(100), Duration::from_secs(2), 7, t0);
        assert_eq!(s.poll(t0), TimerAction::Connect);
        s.connecting(t0);
        assert_eq!(s.poll(t0 + Duration::from_secs(11)), TimerAction::PeerDead);
        s.advance(Phase::LoggingOn, t0);
        let ok = LogonResponse { result: LOGON_SUCCESS, ..Default::default() };
        assert_eq!(s.on_logon_response(&ok, t0), LogonOutcome::Success);
        assert_eq!(s.poll(t0 + Duration::from_millis(500)), TimerAction::None);
        assert_eq!(s.poll(t0 + hb), TimerAction::SendHeartbeat);
        s.on_rx(t0 + hb);
        assert_eq!(s.poll(t0 + hb * 2), TimerAction::SendHeartbeat);
        assert_eq!(s.poll(t0 + hb * 3), TimerAction::PeerDead);
        let mut last = Duration::ZERO;
        for i in 0..8 {
            let d = s.closed(t0, Reconnect::AfterBackoff).unwrap();
            assert!(d <= Duration::from_secs(2), "capped");
            if i < 3 {
                assert!(d >= last / 2, "grows");
            }
            last = d;
        }
        let no = LogonResponse { result: LOGON_ERROR_NO_RECONNECT, ..Default::default() };
        assert!(matches!(s.on_logon_response(&no, t0), LogonOutcome::GiveUp(_)));
        let redirect = LogonResponse {
            result: LOGON_RECONNECT_NEW_ADDRESS,
            reconnect_address: "h:1".into(),
            ..Default::default()
        };
        assert_eq!(s.on_logon_response(&redirect, t0), LogonOutcome::Redirect("h:1".into()));
        assert_eq!(s.closed(t0, Reconnect::Now), Some(Duration::ZERO));
        assert!(matches!(
            s.on_logoff(&Logoff { do_not_reconnect: 1, ..Default::default() }),
            LogonOutcome::GiveUp(_)
        ));
        assert_eq!(s.closed(t0, Reconnect::Never), None);
        assert_eq!(s.next_deadline(), None);
    }

    #[test]
    fn backoff_starts_over_only_after_a_healthy_session() {
        let t0 = Instant::now();
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(60));
        let mut s = Session::new(Duration::from_secs(10), min, max, 7, t0);
        let ok = LogonResponse { result: LOGON_SUCCESS, ..Default::default() };
        let mut t = t0;
        let flap = |s: &mut Session, t: &mut Instant, up: Duration| {
            s.advance(Phase::LoggingOn, *t);
            s.on_logon_response(&ok, *t);
            *t += up;
            s.closed(*t, Reconnect::AfterBackoff).unwrap()
        };
        // A server that accepts the logon and breaks at once: the delay keeps growing.
        let delays: Vec<Duration> =
            (0..6).map(|_| flap(&mut s, &mut t, Duration::from_millis(10))).collect();
        assert!(delays[5] >= min * 16, "grows across flapping logons: {delays:?}");
        // One healthy session: back to the shortest delay.
        assert!(flap(&mut s, &mut t, HEALTHY_AFTER) <= min);
    }
}
