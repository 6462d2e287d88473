//! v9bridge: Sierra Chart (DTC + ACSIL pipe) to NinjaTrader copy receivers over the V9 protocol,
//! on one pinned, synchronous mio event loop.
#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]
// An item only the crate can reach says so (`pub(crate)`/`pub(super)`), so `pub` marks the API.
#![warn(unreachable_pub)]

#[cfg(feature = "tools")]
pub mod cli;
pub mod clock;
pub mod config;
#[cfg(feature = "tools")]
pub mod demo;
pub mod dtc;
pub mod endpoint;
pub mod engine;
pub mod journal;
pub mod market;
pub mod metrics;
pub mod ops;
pub mod pipe;
pub mod pipeline;
pub mod ratelog;
pub mod risk;
pub mod signal;
#[cfg(feature = "tools")]
pub mod sim;
pub mod sys;
pub mod timer;
pub mod v9;
