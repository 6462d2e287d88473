//! The V9 signal protocol: wire codec, pure peers, broadcast, and the server endpoint shell.

// Pure: `codec`, `frame`, `encode` (the wire), `peer` + `session` (one peer's protocol state,
// driven by bytes and time), `broadcast` (numbering, encode once, fan-out), `book`. Shell:
// `server` (the endpoint), `conn` (sockets and the one writer), `accept` (the listener).

mod accept;
pub mod book;
pub mod broadcast;
mod buf;
pub mod codec;
pub mod config;
mod conn;
pub mod encode;
mod escape;
pub mod expect;
pub mod frame;
pub mod guard;
mod hub;
pub mod peer;
pub mod publisher;
pub mod reply;
mod resume;
mod retired;
pub mod server;
mod session;
pub mod snapshot;
mod timers;
