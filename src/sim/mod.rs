//! Simulators that stand in for the outside world (Sierra Chart, receivers) in demos and tests.

pub mod pipe_feed;
