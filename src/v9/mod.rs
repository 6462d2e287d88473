//! The V9 signal protocol: codec, framing, writers, server endpoint and position book.

pub mod book;
pub mod client;
pub mod codec;
pub mod config;
pub mod encode;
pub mod frame;
mod handle;
mod input;
pub mod publisher;
pub mod server;
