//! Why a piece of pipe input was dropped: one `Copy` value per cause, counted and logged.

/// A reason to drop pipe input. Every variant is counted separately by the endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BadInput {
    /// Bytes between messages that are neither whitespace, LF, NUL nor `{` (one count per run).
    Garbage,
    /// An object still open after [`crate::pipe::frame::MAX_MESSAGE`] bytes.
    Oversized,
    /// An LF or NUL inside an open object: the writer lost the end of that message.
    Truncated,
    /// The message is not valid UTF-8.
    NonUtf8,
    /// Not valid JSON.
    Malformed,
    /// A required field is absent (`symbol`, or every one of `price`/`bid`/`ask`).
    MissingField,
    /// A known field has the wrong JSON type (e.g. a string price).
    WrongType,
    /// A price that is not finite and > 0 (NaN, inf, negative, zero).
    BadPrice,
    /// A volume or size that is not finite and >= 0.
    BadSize,
    /// Bid above ask.
    CrossedQuote,
    /// A timestamp that is negative, not finite, or out of range.
    BadTimestamp,
    /// A symbol that fails [`crate::signal::valid_symbol`] (empty, too long, bad characters).
    BadSymbol,
    /// A signal whose action is not one of [`crate::signal::Action::ALL`].
    UnknownAction,
    /// A signal quantity that is not an integer in `0..=u32::MAX`.
    BadQuantity,
    /// A tick for a new symbol once the pipe introduced [`crate::pipe::endpoint::MAX_SYMBOLS`].
    TooManySymbols,
}

impl BadInput {
    /// Every reason, in counter order.
    pub const ALL: [BadInput; 15] = [
        BadInput::Garbage,
        BadInput::Oversized,
        BadInput::Truncated,
        BadInput::NonUtf8,
        BadInput::Malformed,
        BadInput::MissingField,
        BadInput::WrongType,
        BadInput::BadPrice,
        BadInput::BadSize,
        BadInput::CrossedQuote,
        BadInput::BadTimestamp,
        BadInput::BadSymbol,
        BadInput::UnknownAction,
        BadInput::BadQuantity,
        BadInput::TooManySymbols,
    ];

    /// Number of reasons (size of a per-reason counter table).
    pub const COUNT: usize = Self::ALL.len();

    /// Short stable name for logs and status lines.
    pub fn as_str(self) -> &'static str {
        match self {
            BadInput::Garbage => "garbage",
            BadInput::Oversized => "oversized",
            BadInput::Truncated => "truncated",
            BadInput::NonUtf8 => "non_utf8",
            BadInput::Malformed => "malformed",
            BadInput::MissingField => "missing_field",
            BadInput::WrongType => "wrong_type",
            BadInput::BadPrice => "bad_price",
            BadInput::BadSize => "bad_size",
            BadInput::CrossedQuote => "crossed_quote",
            BadInput::BadTimestamp => "bad_timestamp",
            BadInput::BadSymbol => "bad_symbol",
            BadInput::UnknownAction => "unknown_action",
            BadInput::BadQuantity => "bad_quantity",
            BadInput::TooManySymbols => "too_many_symbols",
        }
    }

    /// Index into a `[_; BadInput::COUNT]` table.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_matches_table_and_names_are_unique() {
        for (i, r) in BadInput::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
        let mut names: Vec<_> = BadInput::ALL.iter().map(|r| r.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BadInput::COUNT);
    }
}
