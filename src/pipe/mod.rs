//! Pipe ingest: ticks and signals written by the Sierra Chart ACSIL study into a FIFO / named pipe.

pub mod endpoint;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;
pub mod wire;

// The wire modules keep their old paths (`pipe::frame`, `pipe::codec`, …).
pub use wire::{codec, frame, message, reason, scdatetime};

pub use codec::Parser;
pub use endpoint::PipeEndpoint;
pub use frame::{Frame, Framer, MAX_MESSAGE};
pub use message::{Message, Tick, TsKind};
pub use reason::BadInput;

use serde::{Deserialize, Serialize};

/// `[pipe]` section of the config file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipeConfig {
    /// FIFO path (Linux) or pipe name (Windows, default `\\.\pipe\SierraChartData`).
    pub path: String,
    /// Offset from UTC, in minutes east, of the SCDateTime `timestamp` values the study writes
    /// (Sierra Chart stamps in its configured time zone). Unused for `ts_ms`/`ts_us`/`ts_ns`.
    pub sc_utc_offset_min: i32,
    /// Bytes per read (the buffer is this plus one 4 KiB message).
    pub read_chunk: usize,
}

impl Default for PipeConfig {
    fn default() -> Self {
        PipeConfig { path: default_pipe_path().into(), sc_utc_offset_min: 0, read_chunk: 64 * 1024 }
    }
}

impl PipeConfig {
    /// Rejects values that would misdate every tick or size the read buffer absurdly.
    pub fn validate(&self) -> Result<(), String> {
        if self.path.is_empty() {
            return Err("pipe.path must not be empty".into());
        }
        if !(-1440..=1440).contains(&self.sc_utc_offset_min) {
            return Err("pipe.sc_utc_offset_min must be in [-1440, 1440]".into());
        }
        if !(4096..=16 << 20).contains(&self.read_chunk) {
            return Err("pipe.read_chunk must be in [4096, 16 MiB]".into());
        }
        Ok(())
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

#[cfg(all(test, unix))]
mod fifo_tests;
#[cfg(test)]
mod tests;
