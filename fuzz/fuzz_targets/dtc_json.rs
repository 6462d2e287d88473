//! DTC JSON encoding: NUL framing and decoding (named and compact forms) of any byte stream.
#![no_main]
use libfuzzer_sys::fuzz_target;
use v9bridge::dtc::{types::Encoding, Codec};

fuzz_target!(|data: &[u8]| v9bridge_fuzz::dtc_stream(Codec::new(Encoding::Json, false), data));
