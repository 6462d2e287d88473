//! The typed control plane: closures sent to the loop, run there, answered over a channel.

use super::endpoints::Endpoints;
use crate::market::MarketState;
use crossbeam_channel::Sender;
use mio::{Registry, Waker};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a control call may touch on the loop besides the endpoints.
pub struct CallCtx<'a> {
    /// Monotonic time of the turn that runs the call.
    pub now: Instant,
    /// Wall-clock time of that turn, Unix nanoseconds.
    pub wall_ns: i64,
    /// The loop's registry (an endpoint method may need to change its interest).
    pub registry: &'a Registry,
    /// The shared market state.
    pub market: &'a mut MarketState,
}

impl fmt::Debug for CallCtx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallCtx").field("now", &self.now).finish_non_exhaustive()
    }
}

/// A closure for the loop thread. Boxed once per call: calls come from operators and tests,
/// never from the hot path.
pub(crate) type Call = Box<dyn FnOnce(&mut Endpoints, &mut CallCtx<'_>) + Send>;

/// Work for the loop thread.
pub(crate) enum Job {
    /// A typed call into the endpoints.
    Call(Call),
    /// Clear every histogram, the engine's own included (after a warm-up).
    ResetHistograms,
}

/// The engine stopped (or did not answer in time) before a call ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The engine has stopped; nothing ran.
    EngineGone,
    /// No answer within the timeout (the call may still run later).
    Timeout,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallError::EngineGone => "the engine has stopped",
            CallError::Timeout => "no answer from the engine in time",
        })
    }
}

impl std::error::Error for CallError {}

/// Controls a running engine from other threads.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) waker: Arc<Waker>,
    pub(crate) jobs: Sender<Job>,
    pub(crate) v9_addr: Option<SocketAddr>,
}

impl EngineHandle {
    /// Asks the loop to shut down (safe from a signal handler thread).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.waker.wake();
    }

    /// The V9 server's bound address (`0.0.0.0:0` when the engine runs without one).
    pub fn v9_addr(&self) -> SocketAddr {
        self.v9_addr.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Runs `f` on the loop thread, between two turns, and waits up to `timeout` for its result.
    /// Output the call queues (orders, signals) is flushed right after it.
    pub fn call<T, F>(&self, f: F, timeout: Duration) -> Result<T, CallError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Endpoints, &mut CallCtx<'_>) -> T + Send + 'static,
    {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let call: Call = Box::new(move |eps, ctx| {
            let _ = tx.send(f(eps, ctx));
        });
        self.send(Job::Call(call))?;
        rx.recv_timeout(timeout).map_err(|e| match e {
            crossbeam_channel::RecvTimeoutError::Timeout => CallError::Timeout,
            crossbeam_channel::RecvTimeoutError::Disconnected => CallError::EngineGone,
        })
    }

    /// Clears every histogram (the engine's loop-turn one included); returns once the loop ran it.
    pub fn reset_histograms(&self, timeout: Duration) -> Result<(), CallError> {
        self.send(Job::ResetHistograms)?;
        // A no-op call queued behind it tells when the reset ran.
        self.call(|_, _| (), timeout)
    }

    fn send(&self, job: Job) -> Result<(), CallError> {
        self.jobs.send(job).map_err(|_| CallError::EngineGone)?;
        let _ = self.waker.wake();
        Ok(())
    }
}
