//! Read budgets: at most one budget of bytes per source per loop turn; a spent one reads on next turn.

// mio is edge-triggered: a source whose read stopped before `WouldBlock` gets no new event for
// the bytes still buffered in the kernel. Each source keeps a [`ReadBudget`]; when it is spent,
// the source is queued in [`ReadOn`] by its engine token, and the engine calls the endpoint's
// `read_on` for it next turn (polling with a zero timeout while any source waits). The budget is
// per turn, not per call: an event and a read-on of the same turn share one budget, so a peer
// that floods gets at most one budget per turn whatever reaches it.

use mio::Token;

/// Sources whose budget ran out, to be read again next turn. Preallocated for every source the
/// engine has; nothing allocates per turn unless more sources than that wait at once.
#[derive(Debug)]
pub struct ReadOn {
    /// The current loop turn (budgets reset when it changes).
    turn: u64,
    /// Queued this turn, for the next one.
    next: Vec<Token>,
}

impl ReadOn {
    /// A set with room for `sources` waiting sources.
    pub fn with_capacity(sources: usize) -> ReadOn {
        // Turn 1 first: a fresh budget's turn 0 never equals it, so its first read is fresh.
        ReadOn { turn: 1, next: Vec::with_capacity(sources) }
    }

    /// The current turn's number.
    pub fn turn(&self) -> u64 {
        self.turn
    }

    /// True when no source waits (the loop may block in its poll).
    pub fn is_empty(&self) -> bool {
        self.next.is_empty()
    }

    /// How many sources wait.
    pub fn len(&self) -> usize {
        self.next.len()
    }

    /// Starts the next turn: the sources queued during the last one move into `due` (cleared
    /// first; the two vectors swap, so neither allocates).
    pub fn begin_turn(&mut self, due: &mut Vec<Token>) {
        self.turn += 1;
        due.clear();
        std::mem::swap(due, &mut self.next);
    }

    fn push(&mut self, token: Token) {
        self.next.push(token);
    }
}

impl Default for ReadOn {
    fn default() -> ReadOn {
        ReadOn::with_capacity(16)
    }
}

/// One source's read budget: at most `per_turn` bytes per loop turn.
#[derive(Clone, Copy, Debug)]
pub struct ReadBudget {
    per_turn: usize,
    left: usize,
    /// The turn `left` belongs to.
    turn: u64,
    /// The turn in which the source was last queued (queued once per turn).
    queued: u64,
}

impl ReadBudget {
    /// A budget of `per_turn` bytes per turn (at least 1).
    pub const fn new(per_turn: usize) -> ReadBudget {
        let per_turn = if per_turn == 0 { 1 } else { per_turn };
        ReadBudget { per_turn, left: per_turn, turn: 0, queued: 0 }
    }

    /// The bytes allowed per turn.
    pub fn per_turn(&self) -> usize {
        self.per_turn
    }

    /// Room for the next read this turn; `None` once the budget is spent, and then `token` is
    /// queued to be read again next turn (mio will not say that bytes remain).
    pub fn next_read(&mut self, reads: &mut ReadOn, token: Token) -> Option<usize> {
        if self.turn != reads.turn {
            (self.turn, self.left) = (reads.turn, self.per_turn);
        }
        if self.left > 0 {
            return Some(self.left);
        }
        if self.queued != reads.turn {
            self.queued = reads.turn;
            reads.push(token);
        }
        None
    }

    /// `n` bytes were read.
    pub fn spend(&mut self, n: usize) {
        self.left = self.left.saturating_sub(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_budget_queues_its_source_once_and_refills_next_turn() {
        let mut reads = ReadOn::with_capacity(4);
        let mut b = ReadBudget::new(100);
        let t = Token(7);
        assert_eq!(b.next_read(&mut reads, t), Some(100));
        b.spend(60);
        assert_eq!(b.next_read(&mut reads, t), Some(40));
        b.spend(60);
        assert_eq!(b.next_read(&mut reads, t), None);
        assert_eq!(b.next_read(&mut reads, t), None, "asked twice in one turn");
        assert_eq!(reads.len(), 1, "queued once");
        let mut due = Vec::with_capacity(4);
        reads.begin_turn(&mut due);
        assert_eq!(due, [t]);
        assert!(reads.is_empty());
        assert_eq!(b.next_read(&mut reads, t), Some(100), "a new turn, a new budget");
    }

    #[test]
    fn an_event_and_a_read_on_of_one_turn_share_the_budget() {
        let mut reads = ReadOn::default();
        let mut b = ReadBudget::new(10);
        let t = Token(1);
        let room = b.next_read(&mut reads, t).unwrap();
        b.spend(room);
        assert_eq!(b.next_read(&mut reads, t), None);
        let mut due = Vec::new();
        reads.begin_turn(&mut due);
        // The event of the new turn reads its budget; the read-on of the same turn finds none.
        let room = b.next_read(&mut reads, t).unwrap();
        b.spend(room);
        assert_eq!(b.next_read(&mut reads, t), None);
        assert_eq!(reads.len(), 1);
    }
}
