//! Pipe ingest: ticks and signals written by the Sierra Chart ACSIL study into a FIFO / named pipe.

use serde::{Deserialize, Serialize};

/// `[pipe]` section of the config file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipeConfig {
    /// FIFO path (Linux) or pipe name (Windows, default `\\.\pipe\SierraChartData`).
    pub path: String,
    /// A symbol silent for longer than this gets a stale-feed warning.
    pub stale_after_ms: u64,
}

impl Default for PipeConfig {
    fn default() -> Self {
        PipeConfig { path: default_pipe_path().into(), stale_after_ms: 5000 }
    }
}

/// The platform's default pipe path.
pub fn default_pipe_path() -> &'static str {
    if cfg!(windows) {
        r"\\.\pipe\SierraChartData"
    } else {
        "/tmp/v9bridge.pipe"
    }
}
