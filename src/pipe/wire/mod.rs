//! The pipe's wire layer, pure: the framer, the fast scanner and simd-json parser, messages.

// Bytes in, messages out: nothing here touches a socket or reads a clock
// (`scripts/check-sans-io.sh` enforces it in CI).

pub mod codec;
mod fast;
pub mod frame;
pub mod message;
pub mod reason;
pub mod scdatetime;

#[cfg(test)]
mod tests;
