//! The V9 wire layer, pure: the message codec, the writers, framing and log-safe escaping.

// Bytes in, messages or bytes out: nothing here touches a socket or reads a clock
// (`scripts/check-sans-io.sh` enforces it in CI).

pub mod codec;
pub mod encode;
pub(super) mod escape;
pub mod frame;
pub mod num;
