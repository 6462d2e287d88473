//! Loss limits driven by simulated POSITION P&L: breaches, exclusion, headroom, session reset.

mod support;

use std::time::Instant;
use support::risk::*;
use v9bridge::risk::{Flat, LossRule, Risk, RouteBuf, Routed, Rule, Source};
use v9bridge::signal::Action::*;

const LIMITS: &str = "[risk]\ndaily_loss = 500.0\ntrailing_drawdown = 300.0\n\
    [risk.accounts.Big]\ndaily_loss = 2000.0\ntrailing_drawdown = 0.0\n\
    [groups]\napex = ['A1', 'A2', 'Big']\n";

/// 12:00 New York on a given day of December 2026.
fn ny(day: u32, hhmm: &str) -> i64 {
    wall(&format!("2026-12-{day:02}T{hhmm}[America/New_York]"))
}

fn open_ok(r: &mut Risk, opts: &[&str]) -> bool {
    r.check(&sig(Long, "ES", 1, opts), Source::Cli, &Flat, Instant::now(), 0).is_ok()
}

#[test]
fn daily_loss_breach_flattens_excludes_and_resets_with_the_session() {
    let mut r = risk(LIMITS, Instant::now());
    // Session of Tuesday 1 December (from Monday 18:00 New York). P&L per symbol adds up.
    let reports: &[(&str, &str, f64, Option<LossRule>)] = &[
        ("A1", "ES", 0.0, None), // the baseline: first report of the session
        ("A1", "NQ", 50.0, None),
        ("A1", "ES", -200.0, None), // equity -150
        ("A1", "NQ", -250.0, None), // equity -450: loss 450, drawdown from 50 = 500 >= 300
    ];
    let mut breaches = Vec::new();
    for (i, (a, s, pnl, _)) in reports.iter().enumerate() {
        if let Some(b) = r.on_position(a, s, *pnl, ny(1, "09:00") + i as i64) {
            breaches.push(b);
        }
    }
    assert_eq!(breaches.len(), 1);
    let b = breaches[0];
    assert_eq!((b.rule, b.amount, b.limit), (LossRule::TrailingDrawdown, 500.0, 300.0));
    assert_eq!(r.rules().account_name(b.account), "A1");
    // The breach's FLATTEN goes to that account only.
    let flatten = v9bridge::signal::Signal::new(Flatten, "ALL", 0);
    let rx = r.bind(&["A1", "A2"]);
    let mut buf = RouteBuf::default();
    let ticket = v9bridge::risk::Ticket::account(b.account);
    let Routed::Parts(p) = r.route(&flatten, &ticket, &rx, &mut buf) else { panic!("parts") };
    let accts: Vec<_> = p.get(0).unwrap().accounts().collect();
    assert_eq!(accts, [("A1", 0)]);
    // Excluded from opening signals: an unrouted LONG skips it, a routed one is refused.
    let long = sig(Long, "ES", 1, &[]);
    let t = r.check(&long, Source::Cli, &Flat, Instant::now(), 0).unwrap();
    let Routed::Parts(p) = r.route(&long, &t, &rx, &mut buf) else { panic!("parts") };
    assert_eq!(p.get(0).unwrap().accounts().collect::<Vec<_>>(), [("A2", 1)]);
    let e = r.check(&sig(Long, "ES", 1, &["Accounts:A1"]), Source::Cli, &Flat, Instant::now(), 0);
    assert_eq!(e.unwrap_err().rule(), Some(Rule::LossLimit));
    assert!(open_ok(&mut r, &["Accounts:A1+A2"]), "A2 still trades");
    // Closes still reach it.
    let close = sig(Flatten, "ES", 0, &[]);
    let t = r.check(&close, Source::Cli, &Flat, Instant::now(), 0).unwrap();
    assert!(matches!(r.route(&close, &t, &rx, &mut buf), Routed::Whole));
    // A further loss does not breach twice.
    assert_eq!(r.on_position("A1", "ES", -900.0, ny(1, "10:00")), None);
    let h = r.headroom("A1").unwrap();
    assert_eq!((h.loss_left, h.drawdown_left, h.session_pnl), (Some(0.0), Some(0.0), -1150.0));
    assert!(h.excluded && h.breached == Some(LossRule::TrailingDrawdown));

    // 18:00 New York: a new session. Baselines restart from the current equity; the exclusion
    // stays until re-armed.
    assert_eq!(r.next_session_reset_ns(), ny(1, "18:00"));
    assert!(!r.tick(ny(1, "17:59")));
    assert!(r.tick(ny(1, "18:00")));
    assert_eq!(r.next_session_reset_ns(), ny(2, "18:00"));
    let h = r.headroom("A1").unwrap();
    assert_eq!((h.loss_left, h.drawdown_left, h.session_pnl), (Some(500.0), Some(300.0), 0.0));
    assert!(h.excluded);
    assert_eq!(r.arm_account("A1"), Some(true));
    assert_eq!(r.arm_account("A1"), Some(false));
    assert_eq!(r.arm_account("Ghost"), None);
    assert!(open_ok(&mut r, &["Accounts:A1"]));
    // The new session: -1150 is the baseline and the first peak.
    assert_eq!(r.on_position("A1", "ES", -1100.0, ny(2, "09:00")), None); // equity -1350
    let h = r.headroom("A1").unwrap();
    assert_eq!((h.loss_left, h.drawdown_left, h.session_pnl), (Some(300.0), Some(100.0), -200.0));
    let b = r.on_position("A1", "ES", -1500.0, ny(2, "09:01")).unwrap(); // equity -1750
    assert_eq!(b.rule, LossRule::DailyLoss);
    assert_eq!((b.amount, b.limit), (600.0, 500.0));
}

#[test]
fn trailing_drawdown_follows_the_session_peak_and_per_account_limits_apply() {
    let mut r = risk(LIMITS, Instant::now());
    let t = ny(1, "09:00");
    for (pnl, left) in
        [(0.0, 300.0), (400.0, 300.0), (250.0, 150.0), (600.0, 300.0), (450.0, 150.0)]
    {
        assert_eq!(r.on_position("A2", "", pnl, t), None, "{pnl}");
        assert_eq!(r.headroom("A2").unwrap().drawdown_left, Some(left), "{pnl}");
    }
    assert!(r.on_position("A2", "", 300.0, t).is_some(), "600 peak - 300 = 300 >= 300");
    // Big has its own daily limit and no trailing one (its first report is its baseline).
    assert_eq!(r.on_position("Big", "ES", 100.0, t), None);
    assert_eq!(r.on_position("Big", "ES", -1899.0, t), None);
    let h = r.headroom("Big").unwrap();
    assert_eq!((h.loss_left, h.drawdown_left), (Some(1.0), None));
    assert_eq!(r.on_position("Big", "ES", -1900.0, t).map(|b| b.rule), Some(LossRule::DailyLoss));
    // Accounts outside the configuration are not tracked.
    assert_eq!(r.on_position("Sim101", "ES", -1e9, t), None);
    assert!(r.headroom("Sim101").is_none());
    let names: Vec<&str> = r.headrooms().map(|(n, _)| n).collect();
    assert_eq!(names, ["A1", "A2", "Big"]);
    // Garbage P&L is ignored.
    assert_eq!(r.on_position("A1", "ES", f64::NAN, t), None);
}

#[test]
fn zero_baseline_counts_from_zero_and_the_reset_follows_dst() {
    let text = format!("{LIMITS}\n").replace("[risk]\n", "[risk]\nloss_baseline = 'zero'\n");
    let mut r = risk(&text, Instant::now());
    let b = r.on_position("A1", "ES", -500.0, ny(1, "09:00")).unwrap();
    assert_eq!((b.rule, b.amount), (LossRule::DailyLoss, 500.0));
    // The session boundary is 18:00 New York in winter (23:00 UTC) and summer (22:00 UTC).
    let summer = "[risk]\nsession_reset = '17:00'\nsession_tz = 'America/Chicago'\n";
    let start = wall("2026-07-01T12:00[America/Chicago]");
    let cfg = v9bridge::config::Config::from_toml(summer).unwrap();
    let r = Risk::new(cfg.risk_sections(), 1, Instant::now(), start).unwrap();
    assert_eq!(r.next_session_reset_ns(), wall("2026-07-01T22:00[UTC]"));
    let r = risk("", Instant::now());
    assert_eq!(r.next_session_reset_ns(), wall("2026-11-30T23:00[UTC]"));
}

/// Lines the pipeline fanned out.
#[derive(Default)]
struct Lines(Vec<(Option<v9bridge::risk::Ticket>, String)>);

impl v9bridge::pipeline::Output for Lines {
    fn fan_out(
        &mut self,
        route: v9bridge::pipeline::Route,
        line: &[u8],
        _: &v9bridge::pipeline::Sent,
    ) -> u32 {
        let ticket = match route {
            v9bridge::pipeline::Route::Routed(r) => Some(r.ticket),
            v9bridge::pipeline::Route::AllReady => None,
        };
        self.0.push((ticket, String::from_utf8_lossy(line).into_owned()));
        1
    }
}

#[test]
fn a_breach_submits_flatten_all_routed_to_its_account_as_the_engines_own_signal() {
    use v9bridge::pipeline::{Accepted, Pipeline};
    use v9bridge::risk::{OptionBuf, Ticket};
    // Rate limits of one signal per second: the engine's own flatten is exempt.
    let text = LIMITS.replace("[risk]\n", "[risk]\nmax_signals_per_s = 1\n");
    let r = risk(&text, Instant::now());
    let b =
        v9bridge::risk::Breach { account: 1, rule: LossRule::DailyLoss, amount: 1.0, limit: 1.0 };
    let mut buf: OptionBuf = [0; v9bridge::signal::MAX_OPTION_LEN];
    let s = r.breach_flatten(&b, &mut buf).unwrap();
    let mut line = Vec::new();
    v9bridge::v9::encode::signal(&mut line, &s, None);
    assert_eq!(String::from_utf8(line).unwrap(), "FLATTEN|ALL|0|Accounts:A2\n");
    let mut long_name: OptionBuf = [0; v9bridge::signal::MAX_OPTION_LEN];
    assert!(v9bridge::risk::accounts_option(&"x".repeat(56), &mut long_name).is_none());

    let mut p = Pipeline::in_memory(1);
    p.set_risk(r);
    let mut out = Lines::default();
    let (now, t) = (Instant::now(), ny(1, "09:00"));
    assert!(p.on_pnl(("A1", "ES", 0.0), now, t, &mut out).is_none());
    assert!(p.on_pnl(("Nobody", "ES", -1e6), now, t, &mut out).is_none());
    let o = p.on_pnl(("A1", "ES", -500.0), now, t, &mut out).expect("a breach");
    assert_eq!((o.breach.account, o.breach.rule), (0, LossRule::DailyLoss));
    // Accepted past the one-per-second rate limit (the engine's own), routed to A1 only.
    assert_eq!(o.flatten, Ok(Accepted { id: 1, receivers: 1 }));
    assert_eq!(out.0.len(), 1);
    assert_eq!(out.0[0].0.map(|t| t.target), Some(Ticket::account(0).target));
    assert!(out.0[0].1.starts_with("FLATTEN|ALL|0|"), "{:?}", out.0);
    assert!(p.risk().unwrap().headroom("A1").unwrap().excluded);
    assert!(p.on_pnl(("A1", "ES", -900.0), now, t, &mut out).is_none(), "breaches once");
    assert_eq!(p.arm_account("A1", now, t), Some(true));
    assert_eq!(p.arm_account("Nope", now, t), None);
}
