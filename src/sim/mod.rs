//! Simulators of every peer, so the whole system runs and is tested on one machine.

pub mod model;
pub mod receiver;
