//! The kill switch: on = flatten everything once, then refuse every opening signal until armed.

/// The kill switch state. Journal vocabulary: `KillSwitch { armed: true }` means the switch is
/// armed, i.e. killed (opening signals refused); `armed: false` means trading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KillSwitch {
    /// Trading: signals pass (the other gates still apply).
    #[default]
    Trading,
    /// Killed at `since_ns` (unix ns): opening signals are refused.
    Killed {
        /// When it was killed (or restored as killed).
        since_ns: i64,
    },
}

/// What the engine must do after a kill switch command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KillOutcome {
    /// Send `FLATTEN|ALL|0` to every receiver (every kill does, even a repeated one: the
    /// operator pressing kill again wants everything flat again).
    pub flatten_all: bool,
    /// The state changed (journal a KillSwitch record).
    pub changed: bool,
}

impl KillSwitch {
    /// Kill: every receiver is flattened and opening signals are refused until [`Self::arm`].
    pub fn kill(&mut self, wall_ns: i64) -> KillOutcome {
        let changed = !self.killed();
        if changed {
            *self = KillSwitch::Killed { since_ns: wall_ns };
        }
        KillOutcome { flatten_all: true, changed }
    }

    /// Arm: trading again. Returns whether the state changed.
    pub fn arm(&mut self) -> bool {
        let changed = self.killed();
        *self = KillSwitch::Trading;
        changed
    }

    /// Restores the state of the journal's last KillSwitch record (no FLATTEN is sent: the
    /// one the kill sent is in the journal already).
    pub fn restore(&mut self, journal_armed: bool, wall_ns: i64) {
        *self = if journal_armed {
            KillSwitch::Killed { since_ns: wall_ns }
        } else {
            KillSwitch::Trading
        };
    }

    /// Opening signals refused?
    pub fn killed(&self) -> bool {
        matches!(self, KillSwitch::Killed { .. })
    }

    /// The value for the journal's `KillSwitch { armed }` record.
    pub fn journal_armed(&self) -> bool {
        self.killed()
    }
}
