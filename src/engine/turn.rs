//! One loop turn: poll up to the next deadline, dispatch by token, read on, flush, timers, control calls; and the engine's own timers.

use super::control::{CallCtx, Job};
use super::endpoints::{Drive, Slot, Turn};
use super::Engine;
use crate::timer::TimerKind;
use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

impl Engine {
    /// One loop turn: poll (up to the next deadline, or `max_wait`), dispatch, timers, calls.
    /// Returns false once a stop was requested. Public so tests can drive the loop on their own
    /// thread (e.g. to count allocations there).
    pub fn turn(&mut self, max_wait: Option<Duration>) -> io::Result<bool> {
        let before = Instant::now();
        let deadline = self.next_deadline();
        // A source whose read budget ran out has bytes waiting that no event will announce:
        // poll without waiting while any does.
        let mut timeout = if self.busy_poll || !self.reads.is_empty() {
            Duration::ZERO
        } else {
            deadline.saturating_duration_since(before)
        };
        if let Some(m) = max_wait {
            timeout = timeout.min(m);
        }
        if let Err(e) = self.poll.poll(&mut self.events, Some(timeout)) {
            return if e.kind() == io::ErrorKind::Interrupted { Ok(true) } else { Err(e) };
        }
        // A new turn, a new read budget for every source; the ones spent last turn read on.
        self.reads.begin_turn(&mut self.read_due);
        let (now, wall_ns) = (Instant::now(), crate::clock::unix_nanos());
        let mut woken = false;
        let mut t = Turn {
            now,
            wall_ns,
            registry: self.poll.registry(),
            market: &mut self.market,
            reads: &mut self.reads,
        };
        for event in self.events.iter() {
            match Slot::of(event.token()) {
                Slot::Waker => woken = true,
                slot => self.eps.dispatch(slot, Drive::Event(event), &mut t),
            }
        }
        // After the events: a source they already read this turn finds its budget spent (or
        // WouldBlock) and costs nothing more.
        for &token in &self.read_due {
            self.eps.dispatch(Slot::of(token), Drive::ReadOn, &mut t);
        }
        // Signals published by other endpoints this turn leave now, one write per receiver.
        self.eps.flush(self.poll.registry());
        let had_work = !self.events.is_empty() || !self.read_due.is_empty();
        self.run_timers(Instant::now(), wall_ns);
        if woken {
            if self.stop.load(Ordering::SeqCst) {
                return Ok(false);
            }
            self.run_calls(wall_ns);
        }
        // The whole turn (dispatch, read-on, timers, calls), only for turns that had work.
        if had_work {
            self.loop_turn.record(now.elapsed());
        }
        Ok(true)
    }

    fn next_deadline(&self) -> Instant {
        let own = self.timers.next_deadline();
        // Without any deadline the loop still wakes hourly (a bounded poll, never forever).
        let far = Instant::now() + Duration::from_secs(3600);
        [self.eps.poll_timeout(), own].into_iter().flatten().min().unwrap_or(far)
    }

    fn run_timers(&mut self, now: Instant, wall_ns: i64) {
        let mut t = Turn {
            now,
            wall_ns,
            registry: self.poll.registry(),
            market: &mut self.market,
            reads: &mut self.reads,
        };
        self.eps.handle_timeouts(&mut t);
        self.eps.flush(self.poll.registry());
        while let Some(timer) = self.timers.pop_due(now) {
            match timer {
                EngineTimer::Report => self.send_report(now),
                EngineTimer::StaleCheck => {
                    self.market.warn_newly_stale(now, self.stale_after);
                    self.timers.set(EngineTimer::StaleCheck, now + stale_period(self.stale_after));
                }
                EngineTimer::Ops => {
                    if let Some(o) = &mut self.ops {
                        let (eps, m, lt) = (&self.eps, &self.market, &self.loop_turn);
                        self.timers.set(EngineTimer::Ops, o.on_timer(eps, m, lt, now, wall_ns));
                    }
                }
            }
        }
    }

    fn send_report(&mut self, now: Instant) {
        if let Some(every) = self.report_every {
            self.timers.set(EngineTimer::Report, now + every);
            // A copy of the state, not text: the reporter thread formats it.
            let report = self.report(now);
            if let Some(r) = &mut self.reporter {
                r.send(report);
            }
        }
    }

    fn run_calls(&mut self, wall_ns: i64) {
        while let Ok(job) = self.job_rx.try_recv() {
            let mut ctx = CallCtx {
                now: Instant::now(),
                wall_ns,
                registry: self.poll.registry(),
                market: &mut self.market,
            };
            match job {
                Job::Call(call) => call(&mut self.eps, &mut ctx),
                Job::ResetHistograms => {
                    self.loop_turn.reset();
                    self.eps.reset_histograms();
                }
            }
            self.eps.flush(self.poll.registry());
        }
    }
}

/// The engine's own timers (the endpoints keep theirs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EngineTimer {
    /// The periodic report.
    Report,
    /// The stale-feed check over the whole market state (pipe and DTC alike).
    StaleCheck,
    /// Publish a snapshot to the operator surface.
    Ops,
}

impl TimerKind for EngineTimer {
    const ALL: &'static [EngineTimer] =
        &[EngineTimer::Report, EngineTimer::StaleCheck, EngineTimer::Ops];
    fn index(self) -> usize {
        self as usize
    }
}

/// How often to look for stale symbols: often enough to warn within a quarter of the bound.
pub(super) fn stale_period(after: Duration) -> Duration {
    (after / 4).clamp(Duration::from_millis(100), Duration::from_secs(5))
}
