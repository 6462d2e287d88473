//! Placeholder, replaced by the issue that owns this bench.
fn main() {}
