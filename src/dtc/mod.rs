//! DTC protocol client to Sierra Chart's DTC server: codecs, a pure connection, its shell, books.

pub mod book;
#[cfg(feature = "tools")]
pub mod cli;
pub mod commands;
mod config;
pub mod connection;
pub mod endpoint;
pub mod events;
pub mod health;
mod logon;
pub mod market_data;
pub mod orders;
pub mod queries;
pub mod session;
pub mod snapshot;
mod subscriptions;
pub mod symbols;
pub mod text;
mod trading;
pub mod transport;
pub mod wire;

#[cfg(test)]
mod tests;

// The wire modules keep their old paths (`dtc::messages`, `dtc::codec`, …).
pub use wire::{binary, codec, compact, framing, json, messages, types};

pub use codec::Codec;
pub use config::{DtcConfig, StartError};
pub use connection::Connection;
pub use endpoint::DtcEndpoint;
pub use events::{CloseReason, DtcEvent, Fill, Reconnect, ServerCaps, TransportKind, TransportOp};
pub use messages::*;
pub use orders::{ClientOrderId, OrderError, OrderRequest, OrderStatus};
pub use queries::{QueryAnswer, QueryError, QueryKind, QueryOutcome};
pub use snapshot::{DtcSnapshot, DtcStats};
pub use types::{DecodeError, Encoding, FStr};
