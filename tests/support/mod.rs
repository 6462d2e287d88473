//! Shared test helpers, one submodule per concern; each test binary uses the ones it needs.
// Every binary compiles all of them and uses a few: the rest is dead code there, not here.
#![allow(dead_code)]

pub mod alloc;
pub mod dtc;
pub mod engine;
#[cfg(unix)]
pub mod fault;
pub mod journal;
pub mod nt;
pub mod pipe;
pub mod replay;
pub mod risk;
