//! Test peers: simulators of the systems v9bridge talks to.

pub mod dtc_server;
