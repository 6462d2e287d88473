//! The risk gates a signal passes before its id, in their order (rates first, max position last).

use super::refusal::{Detail, Name, Refusal, Rule, Sym};
use super::route::{opens, Target};
use super::rules::AccountSet;
use super::sizing::Plan;
use super::{position_after, ExpectedPositions, Risk, Source, Ticket};
use crate::signal::{Action, Signal};
use std::time::Instant;

impl Risk {
    /// Every gate, in order: rates (every signal but the engine's), routing option (bad ones
    /// are `INVALID_SIGNAL`), then for opening signals only: kill switch, allow-list, trading
    /// hours, max quantity, hedge, loss exclusions, max position.
    pub fn check(
        &mut self,
        sig: &Signal<'_>,
        src: Source,
        pos: &impl ExpectedPositions,
        now: Instant,
        wall_ns: i64,
    ) -> Result<Ticket, Refusal> {
        let r = self.gates(sig, src, pos, now, wall_ns);
        if let Err(Refusal::Risk(rr)) = &r {
            let i = Rule::ALL.iter().position(|x| *x == rr.rule).unwrap_or(0);
            self.refused[i] += 1;
        }
        r
    }

    fn gates(
        &mut self,
        sig: &Signal<'_>,
        src: Source,
        pos: &impl ExpectedPositions,
        now: Instant,
        wall_ns: i64,
    ) -> Result<Ticket, Refusal> {
        if src != Source::Engine {
            self.take_rate(src, now)?;
        }
        let target = self.rules.target(sig).map_err(Refusal::Invalid)?;
        let plan = if self.rules.maps.is_empty() && !self.position_limits {
            Plan::LAZY
        } else {
            self.rules.plan(sig.symbol)
        };
        let ticket = Ticket { target, plan };
        if !opens(sig.action) {
            return Ok(ticket);
        }
        let sym = || Sym::new(sig.symbol);
        if self.kill.killed() {
            return Err(Refusal::risk(Rule::KillSwitch, Detail::None));
        }
        let allowed = &self.rules.allowed;
        if !allowed.is_empty() && !allowed.iter().any(|a| a.eq_ignore_ascii_case(sig.symbol)) {
            return Err(Refusal::risk(Rule::SymbolNotAllowed, Detail::Symbol(sym())));
        }
        let si = self.rules.symbol_index(sig.symbol);
        let limits = si.map(|i| &self.rules.symbols[i]);
        if let (Some(i), Some(h)) = (si, limits.and_then(|l| l.hours.as_ref())) {
            if !self.hours[i].open(h, wall_ns) {
                return Err(Refusal::risk(Rule::TradingHours, Detail::Symbol(sym())));
            }
        }
        let max = limits.map_or(0, |l| l.max_qty);
        let max = if max > 0 { max } else { self.rules.max_qty };
        if max > 0 && sig.qty > max {
            return Err(Refusal::risk(
                Rule::MaxQty,
                Detail::Qty { symbol: sym(), qty: sig.qty, max },
            ));
        }
        let set = match target {
            Target::All => self.all,
            Target::Set(s) => s,
        };
        self.check_hedge(sig, target)?;
        let excluded = self.loss.excluded();
        if matches!(target, Target::Set(s) if s.minus(excluded).is_empty()) {
            return Err(Refusal::risk(Rule::LossLimit, Detail::None));
        }
        self.check_positions(sig, &plan, set.minus(excluded), pos)?;
        Ok(ticket)
    }

    fn take_rate(&mut self, src: Source, now: Instant) -> Result<(), Refusal> {
        let i = match src {
            Source::Pipe => 0,
            Source::Cli => 1,
            Source::Publisher(s) => (s + 2).min(self.buckets.len() - 1),
            Source::Engine => return Ok(()),
        };
        let b = &self.buckets[i];
        let Some(p) = b.check(now) else {
            return Err(Refusal::risk(Rule::RatePublisher, Detail::Rate { per_s: b.per_s() }));
        };
        let Some(t) = self.total.check(now) else {
            let per_s = self.total.per_s();
            return Err(Refusal::risk(Rule::RateTotal, Detail::Rate { per_s }));
        };
        self.buckets[i].commit(p);
        self.total.commit(t);
        Ok(())
    }

    /// LONG/SHORT that would leave inverted and non-inverted accounts opposite, unless every
    /// account involved allows hedging. An unrouted signal also reaches accounts the
    /// configuration does not know: they follow `[risk] allow_hedge`.
    fn check_hedge(&self, sig: &Signal<'_>, target: Target) -> Result<(), Refusal> {
        if !matches!(sig.action, Action::Long | Action::Short) {
            return Ok(());
        }
        let inv = self.rules.inverted;
        let (has_inv, has_plain, ok) = match target {
            Target::All => (
                !inv.is_empty(),
                true,
                self.rules.default_hedge && self.all.minus(self.rules.hedge_ok).is_empty(),
            ),
            Target::Set(s) => (
                !s.and(inv).is_empty(),
                !s.minus(inv).is_empty(),
                s.minus(self.rules.hedge_ok).is_empty(),
            ),
        };
        if has_inv && has_plain && !ok {
            return Err(Refusal::risk(Rule::Hedge, Detail::Symbol(Sym::new(sig.symbol))));
        }
        Ok(())
    }

    /// Refuses when an account's net position would grow past `max_position` (its mapped
    /// symbol's, else the global one). Reductions of an over-limit position pass.
    fn check_positions(
        &self,
        sig: &Signal<'_>,
        plan: &Plan,
        set: AccountSet,
        pos: &impl ExpectedPositions,
    ) -> Result<(), Refusal> {
        if !self.position_limits {
            return Ok(());
        }
        for i in set.iter().take_while(|&i| i < self.rules.n_accounts()) {
            let s = self.rules.shape_planned(i, sig.action, sig.symbol, sig.qty, plan);
            if s.qty == 0 && sig.action != Action::Reverse {
                continue;
            }
            let own = self.rules.max_position_of(s.symbol, plan, sig.symbol);
            let max = if own > 0 { own } else { self.rules.max_position };
            if max == 0 {
                continue;
            }
            let sym = self.rules.symbol_text(s.symbol, sig.symbol);
            let name = self.rules.account_name(i);
            let held = pos.net(name, sym);
            let after = position_after(s.action, held, s.qty);
            if after.unsigned_abs() > u64::from(max) && after.abs() > held.abs() {
                let (account, symbol) = (Name::new(name), Sym::new(sym));
                let detail = Detail::Position { account, symbol, after, max };
                return Err(Refusal::risk(Rule::MaxPosition, detail));
            }
        }
        Ok(())
    }
}
