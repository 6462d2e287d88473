//! v9bridge: Sierra Chart (DTC + ACSIL pipe) to NinjaTrader copy receivers over the V9 protocol,
//! on one pinned, synchronous mio event loop.
#![deny(missing_docs, rust_2018_idioms)]

pub mod clock;
pub mod config;
pub mod dtc;
pub mod endpoint;
pub mod market;
pub mod metrics;
pub mod pipe;
pub mod signal;
pub mod sim;
