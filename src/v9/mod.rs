//! The V9 signal protocol: wire codec, pure peers, broadcast, and the server endpoint shell.

mod accept;
pub mod book;
pub mod broadcast;
pub mod buf;
pub mod codec;
pub mod conn;
pub mod encode;
pub mod escape;
pub mod frame;
pub mod guard;
pub mod hub;
pub mod peer;
pub mod publisher;
pub mod reply;
pub mod retired;
pub mod server;
pub mod session;
pub mod snapshot;
pub mod timers;
