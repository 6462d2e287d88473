//! The phases of `sixty_long_named_accounts_get_every_signal_once_in_lines_within_1024_bytes`.

use super::*;

/// The groups as [`Model::apply`] takes them, and their sizing (ratio, first account's multiple).
pub(super) const W: (&str, usize) = (WIDE, 60);
pub(super) const L: (&str, usize) = (LONG, 40);
pub(super) const W_SIZE: (u32, u32) = (10, 2);
pub(super) const L_SIZE: (u32, u32) = (1, 3);

/// Both groups' account names and the positions the scenario must leave them with.
pub(super) struct Groups {
    pub(super) wide: Vec<String>,
    pub(super) long: Vec<String>,
    pub(super) model: Model,
}

/// #1 to #4 live, split for both groups, until the sims' reports converge.
pub(super) fn live_signals(
    g: &mut Groups,
    e: &Running,
    p: &mut Raw,
    spy_w: &mut Raw,
    spy_l: &mut Raw,
) {
    let (wide, long, model) = (&g.wide, &g.long, &mut g.model);
    // Long options make the head long too: both groups' lines pass 1024 bytes unsplit.
    let opts = format!("Note:{}|Tag:{}|Memo:{}", "n".repeat(59), "t".repeat(60), "m".repeat(59));
    let s1 = format!("LONG|ES|1|TP:4700.25|SL:4650.5|TIF:GTC|{opts}|Group:wide+long");
    assert_eq!(publish(p, &s1), (1, 4), "rxO holds no target account: skipped");
    assert!(parts(spy_w, 1, wide, false) >= 2, "split");
    assert!(parts(spy_l, 1, long, false) >= 2, "split");
    model.apply(W, Action::Long, 1, W_SIZE);
    model.apply(L, Action::Long, 1, L_SIZE);
    assert_eq!(publish(p, "SHORT|ES|2|Group:wide"), (2, 2));
    assert!(parts(spy_w, 2, wide, false) >= 2, "60 x ~18 bytes with =q");
    model.apply(W, Action::Short, 2, W_SIZE);
    assert_eq!(publish(p, &format!("LONG|ES|3|{opts}|Group:long")), (3, 2));
    parts(spy_l, 3, long, false);
    model.apply(L, Action::Long, 3, L_SIZE);
    assert_eq!(publish(p, "CLOSE_HALF|ES|0|Group:wide+long"), (4, 4));
    parts(spy_w, 4, wide, false);
    parts(spy_l, 4, long, false);
    model.apply(W, Action::CloseHalf, 0, W_SIZE);
    model.apply(L, Action::CloseHalf, 0, L_SIZE);
    converge(e, "rxW", &model.of(WIDE));
    converge(e, "rxL", &model.of(LONG));
    // Skipped: rxO for #1 and #4, rxL + spyL + rxO for #2 and #3.
    assert_eq!(e.stats().route_skipped_receivers, 8);
}

/// rxW away for #5 and #6, then back from its state file (Last_ID:4, same epoch): routed
/// replay of #4 (every account already ran it), #5 and #6. Returns rxW and the new spy.
pub(super) fn replay_after_reconnect(
    g: &mut Groups,
    e: &Running,
    p: &mut Raw,
    sim_w: Sim,
    mut spy_w: Raw,
    w_state: &Path,
    epoch: &str,
) -> (Sim, Raw) {
    let r = sim_w.stop();
    assert_eq!((r.duplicates, held(&r)), (0, g.model.of(WIDE)));
    assert_eq!(publish(p, "LONG|ES|1|Group:wide"), (5, 1));
    assert_eq!(publish(p, "CLOSE_HALF|ES|0|Group:wide"), (6, 1));
    for id in [5, 6] {
        parts(&mut spy_w, id, &g.wide, false);
    }
    g.model.apply(W, Action::Long, 1, W_SIZE);
    g.model.apply(W, Action::CloseHalf, 0, W_SIZE);
    let sim_w = Sim::start(e.addr, "rxW", WIDE, 60, w_state);
    converge(e, "rxW", &g.model.of(WIDE));
    // The spy again from Last_ID:0: every wide signal replayed, split, within the limit.
    drop(spy_w);
    let (mut spy_w, _) = spy(e, "spyW", &g.wide, &format!("|Last_ID:0|Epoch:{epoch}"));
    for id in [1, 2, 4, 5, 6] {
        parts(&mut spy_w, id, &g.wide, true);
    }
    assert_eq!(spy_w.line(), "CAUGHT_UP|REPLAY|5|ID:6");
    (sim_w, spy_w)
}

/// The engine back on the same journal, rxW back with its old epoch: every wide account gets
/// exactly one SYNC, each line within the limit. Returns rxW's report.
pub(super) fn sync_after_restart(
    g: &Groups,
    journal: &Path,
    w_state: &Path,
    epoch: &str,
) -> ReceiverReport {
    let e = start(config(journal));
    let sim_w = Sim::start(e.addr, "rxW", WIDE, 60, w_state);
    converge(&e, "rxW", &g.model.of(WIDE));
    let (mut spy_w, _) = spy(&e, "spyW", &g.wide, &format!("|Last_ID:7|Epoch:{epoch}"));
    let mut synced = BTreeSet::new();
    loop {
        let l = spy_w.line();
        assert!(l.len() <= 1024, "{l}");
        if l.starts_with("CAUGHT_UP|SYNC|") {
            break;
        }
        if let Some(list) = l.split('|').find_map(|f| f.strip_prefix("Accounts:")) {
            assert!(l.starts_with("SYNC|MES|SHORT|") && l.ends_with("|ID:7"), "{l}");
            list.split('+').for_each(|a| assert!(synced.insert(a.to_string()), "{a} twice"));
        }
    }
    assert_eq!(synced, g.wide.iter().cloned().collect::<BTreeSet<_>>());
    let r_w = sim_w.stop();
    e.stop();
    r_w
}
