//! Broadcast to 20 with every risk gate configured beside the same run with no `[risk]`.

use super::ab::Ab;
use super::Bench;
use std::io;
use v9bridge::config::Config;

/// Every gate on, none refusing the bench's `LONG|MES|1`: quantity and position limits above
/// it, rate limits far above 2000/s, hours always open, an allow-list with MES, loss limits
/// on configured accounts (the accounts' P&L never breaches them).
const GATES: &str = "[risk]
max_qty = 10
max_position = 10000000
max_signals_per_s = 1000000
max_signals_per_s_per_publisher = 1000000
allowed_symbols = ['MES', 'ES']
daily_loss = 1000000000.0
trailing_drawdown = 1000000000.0
[risk.symbols.MES]
max_qty = 5
max_position = 10000000
tz = 'America/Chicago'
hours = ['00:00-24:00']
[risk.accounts.Sim1]
daily_loss = 1000000000.0
[groups]
bench = ['Sim1', 'Sim2', 'Sim3']
";

impl Bench {
    /// Gates off, on, off, on; the ratio columns are on / off.
    pub(super) fn risk(&mut self) -> io::Result<()> {
        let count = self.n(20_000);
        let run = |b: &Bench, on: bool, _round: usize| {
            let mut cfg = b.config();
            if on {
                let r = Config::from_toml(GATES).map_err(io::Error::other)?;
                (cfg.risk, cfg.groups) = (r.risk, r.groups);
            }
            b.ab_run(cfg, if on { "risk_on" } else { "risk_off" }, count, &|_| String::new())
        };
        let note = |n, on, off| {
            format!(
                "every risk gate on vs no [risk], broadcast to 20 at 2000/s, {n} signals each: allocations on the engine thread {on} on, {off} off"
            )
        };
        self.ab(count, &run, Ab { note: &note, label: "every risk gate on (vs off)" })
    }
}
