//! Broadcast to 20 with groups and a mapping configured (every signal routed per receiver:
//! half the receivers get mapped, sized parts) beside the same run unconfigured.

use super::ab::Ab;
use super::Bench;
use std::io;
use v9bridge::config::Config;

/// `micro` (A0..A9) trades MES as M2K x2; `full` (A10..A19) as is.
fn routed(c: &mut Config) -> io::Result<()> {
    let names =
        |r: std::ops::Range<usize>| r.map(|k| format!("'A{k}'")).collect::<Vec<_>>().join(", ");
    let toml = format!(
        "[groups]\nmicro = [{}]\nfull = [{}]\n[mapping.micro]\nallow_hedge = true\n\
         symbols = {{ MES = {{ to = 'M2K', ratio = 2 }} }}\n[risk]\nallow_hedge = true\n",
        names(0..10),
        names(10..20)
    );
    let r = Config::from_toml(&toml).map_err(io::Error::other)?;
    (c.risk, c.groups, c.mapping) = (r.risk, r.groups, r.mapping);
    Ok(())
}

impl Bench {
    /// Unconfigured, routed, unconfigured, routed; the ratio columns are routed / unconfigured.
    pub(super) fn routing(&mut self) -> io::Result<()> {
        let count = self.n(20_000);
        let run = |b: &Bench, on: bool, _round: usize| {
            let mut cfg = b.config();
            if on {
                routed(&mut cfg)?;
            }
            let tag = if on { "routing_on" } else { "routing_off" };
            b.ab_run(cfg, tag, count, &|i| format!("|Accounts:A{i}"))
        };
        let note = |n, on, off| {
            format!(
                "groups + mapping configured (10 of 20 receivers get mapped parts) vs unconfigured, broadcast to 20 at 2000/s, {n} signals each: allocations on the engine thread {on} configured, {off} unconfigured"
            )
        };
        self.ab(count, &run, Ab { note: &note, label: "routed + mapped (vs unconfigured)" })
    }
}
