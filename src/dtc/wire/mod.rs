//! The DTC wire layer, pure: the message table, its three encodings, framing and the codec.

// Bytes in, messages out: nothing here touches a socket or reads a clock
// (`scripts/check-sans-io.sh` enforces it in CI).

#[macro_use]
mod msgmacro;

pub mod binary;
pub mod codec;
pub mod compact;
mod field;
pub mod framing;
mod fstr;
pub mod json;
pub(super) mod jsonlex;
mod jsonstr;
pub mod messages;
pub mod types;

#[cfg(test)]
mod tests;
