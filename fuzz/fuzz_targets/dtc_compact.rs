//! DTC JSON-compact encoding with Sierra Chart's field order for types 112/117.
#![no_main]
use libfuzzer_sys::fuzz_target;
use v9bridge::dtc::{types::Encoding, Codec};

fuzz_target!(|data: &[u8]| v9bridge_fuzz::dtc_stream(
    Codec::new(Encoding::JsonCompact, true),
    data
));
