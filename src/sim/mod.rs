//! Simulators of every peer (receivers, the ACSIL pipe writer, the DTC server) for demos and tests.

pub mod catchup;
pub mod dtc_server;
pub mod model;
pub mod pipe_feed;
pub mod receiver;
