//! V9 errors: the ERROR message's fields, the spec's error codes, why a line does not parse.

use crate::signal::SignalError;

/// ERROR fields.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorMsg<'a> {
    /// Code as sent (see [`ErrorCode`]).
    pub code: &'a str,
    /// Human-readable message.
    pub message: &'a str,
    /// Details (may be empty).
    pub details: &'a str,
}

/// The spec's error codes, plus `UNAUTHORIZED` for publisher authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Lost connection.
    ConnectionLost,
    /// Unknown action/symbol (connection stays open).
    InvalidSignal,
    /// Account does not exist.
    AccountNotFound,
    /// NT rejected order.
    OrderRejected,
    /// No message within the timeout (connection closed).
    Timeout,
    /// Malformed message (connection closed).
    ProtocolError,
    /// Server shutting down.
    ServerShutdown,
    /// Protocol version incompatible (connection closed).
    VersionMismatch,
    /// Publisher not allowed (connection closed). Extension.
    Unauthorized,
    /// Slow consumer: output queue over its bound (connection closed). Extension.
    Overflow,
    /// A risk rule refused the signal (connection stays open). Extension.
    RiskRejected,
}

impl ErrorCode {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ConnectionLost => "CONNECTION_LOST",
            ErrorCode::InvalidSignal => "INVALID_SIGNAL",
            ErrorCode::AccountNotFound => "ACCOUNT_NOT_FOUND",
            ErrorCode::OrderRejected => "ORDER_REJECTED",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::ProtocolError => "PROTOCOL_ERROR",
            ErrorCode::ServerShutdown => "SERVER_SHUTDOWN",
            ErrorCode::VersionMismatch => "VERSION_MISMATCH",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Overflow => "OVERFLOW",
            ErrorCode::RiskRejected => "RISK_REJECTED",
        }
    }
}

/// Why a line is not a valid message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing but the terminator.
    Empty,
    /// Over [`MAX_MESSAGE`](super::MAX_MESSAGE) bytes.
    TooLong,
    /// Not UTF-8.
    NotUtf8,
    /// Control characters inside the message.
    ControlChar,
    /// First field is not a known message type or action.
    UnknownType,
    /// A required field is missing or empty (the name says which).
    Missing(&'static str),
    /// A field failed to parse (the name says which).
    Invalid(&'static str),
    /// A signal failed validation.
    Signal(SignalError),
}

impl ParseError {
    /// True when the spec answers with INVALID_SIGNAL (connection stays open); otherwise
    /// PROTOCOL_ERROR (connection closed).
    pub fn is_invalid_signal(self) -> bool {
        matches!(self, ParseError::UnknownType | ParseError::Signal(_))
    }

    /// Human-readable reason (used as the ERROR message field and in logs).
    pub fn message(self) -> &'static str {
        match self {
            ParseError::Empty => "Empty message",
            ParseError::TooLong => "Message over 1024 bytes",
            ParseError::NotUtf8 => "Message is not UTF-8",
            ParseError::ControlChar => "Control character in message",
            ParseError::UnknownType => "Unknown action type",
            ParseError::Missing(_) => "Missing field",
            ParseError::Invalid(_) => "Invalid field",
            ParseError::Signal(e) => e.message(),
        }
    }

    /// The field concerned, when there is one.
    pub fn field(self) -> Option<&'static str> {
        match self {
            ParseError::Missing(f) | ParseError::Invalid(f) => Some(f),
            _ => None,
        }
    }
}
