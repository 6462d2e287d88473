//! Books of departed receivers, kept for their reconnection, bounded in count and bytes.

use super::book::ReceiverBook;
use std::collections::VecDeque;

/// Books kept at most.
pub(super) const MAX_RETIRED: usize = 1024;
/// Heap bytes the kept books may hold together; the oldest go first past it.
pub(super) const MAX_RETIRED_BYTES: usize = 32 << 20;

/// Retired books in the order they were filed (oldest first).
#[derive(Debug, Default)]
pub(super) struct Retired {
    books: VecDeque<(Box<str>, ReceiverBook, usize)>,
    bytes: usize,
}

impl Retired {
    /// Files `book` under `name` (replacing an older one of that name); evicts the oldest books
    /// while over [`MAX_RETIRED`] or [`MAX_RETIRED_BYTES`]. Returns how many were evicted.
    pub(super) fn put(&mut self, name: Box<str>, book: ReceiverBook) -> usize {
        drop(self.take(&name));
        let size = book.heap_bytes() + name.len();
        self.bytes += size;
        self.books.push_back((name, book, size));
        let mut evicted = 0;
        while self.books.len() > MAX_RETIRED || self.bytes > MAX_RETIRED_BYTES {
            let Some((_, _, size)) = self.books.pop_front() else { break };
            self.bytes -= size;
            evicted += 1;
        }
        evicted
    }

    /// Takes back the book filed under `name`.
    pub(super) fn take(&mut self, name: &str) -> Option<ReceiverBook> {
        let i = self.books.iter().position(|(n, _, _)| &**n == name)?;
        let (_, book, size) = self.books.remove(i)?;
        self.bytes -= size;
        Some(book)
    }

    /// Books kept.
    pub(super) fn len(&self) -> usize {
        self.books.len()
    }

    /// Heap bytes the kept books hold (as counted when filed).
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v9::book::{Applied, MAX_BOOK_BYTES, MAX_POSITIONS};
    use crate::v9::codec::{Direction, Position};
    use std::time::Instant;

    fn full_book(tag: usize) -> ReceiverBook {
        let mut b = ReceiverBook::default();
        let now = Instant::now();
        let account = format!("{tag:0>64}");
        for i in 0..MAX_POSITIONS + 10 {
            let symbol = format!("{i:0>32}");
            let p = Position {
                account: &account,
                direction: Direction::Long,
                qty: 1,
                entry: 1.0,
                pnl: 0.0,
                time: None,
                symbol: &symbol,
            };
            let r = b.apply_position(&p, now);
            assert_eq!(r == Applied::Yes, i < MAX_POSITIONS);
        }
        b
    }

    #[test]
    fn a_book_is_bounded_in_bytes_and_refuses_long_names() {
        let mut b = full_book(1);
        assert!(b.heap_bytes() <= MAX_BOOK_BYTES, "{} > {MAX_BOOK_BYTES}", b.heap_bytes());
        let long = "A".repeat(960);
        let p = Position {
            account: &long,
            direction: Direction::Long,
            qty: 1,
            entry: 1.0,
            pnl: 0.0,
            time: None,
            symbol: "MES",
        };
        assert_eq!(b.apply_position(&p, Instant::now()), Applied::NameTooLong);
    }

    #[test]
    fn the_oldest_books_are_evicted_first_past_the_byte_cap() {
        let mut r = Retired::default();
        let per = full_book(0).heap_bytes();
        let fit = MAX_RETIRED_BYTES / per;
        let mut evicted = 0;
        for i in 0..fit + 3 {
            evicted += r.put(format!("R{i}").into(), full_book(i));
        }
        assert_eq!(evicted, 3);
        assert!(r.bytes() <= MAX_RETIRED_BYTES);
        assert!(r.take("R0").is_none() && r.take("R2").is_none(), "oldest gone");
        assert!(r.take(&format!("R{}", fit + 2)).is_some(), "newest kept");
    }

    #[test]
    fn count_cap_and_replacement_by_name() {
        let mut r = Retired::default();
        for i in 0..MAX_RETIRED + 5 {
            r.put(format!("R{i}").into(), ReceiverBook::default());
        }
        assert_eq!(r.len(), MAX_RETIRED);
        assert!(r.take("R4").is_none() && r.take("R5").is_some());
        r.put("R6".into(), ReceiverBook::default());
        assert_eq!(r.len(), MAX_RETIRED - 1, "same name replaced, not added");
    }
}
