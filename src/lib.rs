//! v9bridge: Sierra Chart (DTC + ACSIL pipe) to NinjaTrader copy receivers over the V9 protocol,
//! on one pinned, synchronous mio event loop.
#![deny(missing_docs, rust_2018_idioms)]

pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod dtc;
pub mod endpoint;
pub mod engine;
pub mod market;
pub mod metrics;
pub mod pipe;
pub mod signal;
pub mod sim;
pub mod sys;
pub mod v9;

/// The optional endpoints a configuration asks for (pipe ingest, DTC connections), unregistered.
pub fn endpoints_from_config(
    cfg: &config::Config,
) -> std::io::Result<Vec<Box<dyn endpoint::Endpoint + Send>>> {
    let mut eps: Vec<Box<dyn endpoint::Endpoint + Send>> = Vec::new();
    if let Some(p) = &cfg.pipe {
        eps.push(Box::new(pipe::PipeEndpoint::new(p)?));
    }
    for (name, d) in &cfg.dtc {
        let ep = dtc::DtcEndpoint::new(name, d).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("dtc.{name}: {e}"))
        })?;
        eps.push(Box::new(ep));
    }
    Ok(eps)
}
