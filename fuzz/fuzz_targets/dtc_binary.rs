//! DTC binary encoding: framing by `Size` and decoding of any server byte stream.
#![no_main]
use libfuzzer_sys::fuzz_target;
use v9bridge::dtc::{types::Encoding, Codec};

fuzz_target!(|data: &[u8]| v9bridge_fuzz::dtc_stream(Codec::new(Encoding::Binary, false), data));
