//! OS knobs: pin the loop thread to a core, raise the open-files limit.

use crate::config::Pin;
use log::{info, warn};

/// Pins the calling thread as asked; returns the core used, or None (with a log line saying why).
pub fn pin_current_thread(pin: Pin) -> Option<usize> {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let wanted = match pin {
        Pin::None => {
            info!("engine: not pinned (pin = none)");
            return None;
        }
        Pin::Last => cores.last().copied(),
        Pin::Core(n) => cores.iter().find(|c| c.id == n).copied(),
    };
    let Some(core) = wanted else {
        warn!(
            "engine: cannot pin to {pin:?}: this machine offers cores {:?}; running unpinned",
            cores.iter().map(|c| c.id).collect::<Vec<_>>()
        );
        return None;
    };
    if core_affinity::set_for_current(core) {
        info!("engine: loop thread pinned to core {} of {}", core.id, cores.len());
        Some(core.id)
    } else {
        warn!("engine: pinning to core {} refused by the OS; running unpinned", core.id);
        None
    }
}

/// The core the loop pins itself to under `pin` (helper threads keep off it).
pub fn loop_core(pin: Pin) -> Option<usize> {
    match pin {
        Pin::Last => core_affinity::get_core_ids().unwrap_or_default().last().map(|c| c.id),
        Pin::Core(n) => Some(n),
        Pin::None => None,
    }
}

/// Pins the calling helper thread (ops, journal sync) to the first core that is not the
/// loop's, when the loop is pinned and there is another: such threads are spawned before the
/// loop pins itself, and would otherwise run, and take their I/O completions, wherever the
/// scheduler likes, the loop's core too. `who` names the thread in the debug line on failure.
pub fn keep_off_core(loop_core: Option<usize>, who: &str) {
    let Some(loop_core) = loop_core else { return };
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    if let Some(other) = cores.iter().find(|c| c.id != loop_core) {
        if !core_affinity::set_for_current(*other) {
            log::debug!("{who}: cannot pin to core {}", other.id);
        }
    }
}

/// Raises the soft open-files limit to the hard limit (1,000 clients need 1,000 descriptors).
pub fn raise_fd_limit() {
    #[cfg(unix)]
    // SAFETY: getrlimit/setrlimit only read/write the struct we pass, which lives on our stack.
    unsafe {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit { rlim_cur: lim.rlim_max.min(1 << 20), rlim_max: lim.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) != 0 {
                log::debug!("cannot raise RLIMIT_NOFILE");
            }
        }
    }
}

/// True for read errors that only mean "nothing yet" on a socket with a read timeout (or a
/// non-blocking one): the caller retries instead of treating the connection as broken.
pub fn is_transient(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock
            | std::io::ErrorKind::TimedOut
            | std::io::ErrorKind::Interrupted
    )
}
