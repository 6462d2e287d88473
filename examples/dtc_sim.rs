//! Standalone DTC simulator until Ctrl-C: `cargo run --example dtc_sim -- --listen 127.0.0.1:11099`.

use clap::Parser;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use v9bridge::sim::dtc_server::{run, DtcServerArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: DtcServerArgs,
}

fn main() -> Result<(), String> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    ctrlc::set_handler(move || s.store(true, Ordering::Relaxed)).map_err(|e| e.to_string())?;
    run(&cli.args, stop)
}
