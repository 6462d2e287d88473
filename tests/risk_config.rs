//! Risk configuration errors fail at start and name the key and the reason.

use v9bridge::config::Config;

#[test]
fn bad_risk_configs_name_the_key() {
    let g = "[groups]\napex = ['A1', 'A2']\n";
    let rows: &[(String, &str)] = &[
        (format!("{g}[mapping.nope]\n"), "mapping.nope: unknown group \"nope\""),
        (format!("{g}[mapping.apex]\nsymbols = {{ ES = {{ to = 'MES', ratio = 0 }} }}\n"), "mapping.apex.symbols.ES.ratio: must be > 0 (got 0)"),
        (format!("{g}[mapping.apex]\nsymbols = {{ ES = {{ to = 'MES', ratio = -1 }} }}\n"), "mapping.apex.symbols.ES.ratio: must be > 0"),
        (format!("{g}[mapping.apex]\nsymbols = {{ ES = {{ to = 'M|ES' }} }}\n"), "mapping.apex.symbols.ES: invalid symbol"),
        (format!("{g}[mapping.apex]\nmultipliers = {{ Ghost = 2.0 }}\n"), "mapping.apex.multipliers.Ghost: unknown account (not in group apex)"),
        (format!("{g}[mapping.apex]\nmultipliers = {{ A1 = 0.0 }}\n"), "mapping.apex.multipliers.A1: must be > 0"),
        (format!("{g}[mapping.apex]\nmin_qty = 5\nmax_qty = 2\n"), "mapping.apex: min_qty 5 > max_qty 2"),
        (format!("{g}[mapping.apex]\nrounding = 'sideways'\n"), "unknown variant `sideways`"),
        (format!("{g}b = ['A2']\n[mapping.apex]\n[mapping.b]\n"), "mapping.b: account A2 is also in mapped group apex"),
        ("[groups]\nempty = []\n".into(), "groups.empty: a group needs at least one account"),
        ("[groups]\ng = ['A+B']\n".into(), "groups.g: invalid account name \"A+B\""),
        ("[groups]\n'a|b' = ['A']\n".into(), "groups.a|b: invalid group name"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['08:30-15:00', '14:00-16:00']\n".into(), "risk.symbols.ES.hours: windows overlap (sun 14:00)"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['17:00-16:00']\ndays = ['sat', 'sun']\n".into(), "ok"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['17:00-18:00']\ndays = ['sat']\n".into(), "ok"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['20:00-03:00']\ndays = ['sat', 'sun']\n".into(), "ok"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['20:00-21:00']\ndays = ['sat', 'sun']\n".into(), "ok"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['17:00-16:00', '12:00-13:00']\ndays = ['sat', 'sun']\n".into(), "risk.symbols.ES.hours: windows overlap (sun 12:00)"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['17:00-16:00', '12:00-13:00']\ndays = ['fri']\n".into(), "ok"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['8:30-15:00']\n".into(), "risk.symbols.ES.hours: \"8:30\" is not HH:MM"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['08:30-25:00']\n".into(), "risk.symbols.ES.hours: \"25:00\" is not HH:MM"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['08:30']\n".into(), "risk.symbols.ES.hours: \"08:30\" is not HH:MM-HH:MM"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['08:30-08:30']\n".into(), "risk.symbols.ES.hours: \"08:30-08:30\" is empty"),
        ("[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['08:30-15:00']\ndays = ['monday']\n".into(), "risk.symbols.ES.days: \"monday\" is not one of"),
        ("[risk.symbols.ES]\ntz = 'Mars/Olympus'\nhours = ['08:30-15:00']\n".into(), "risk.symbols.ES.tz: unknown time zone \"Mars/Olympus\""),
        ("[risk.symbols.ES]\ntz = 'Mars/Olympus'\n".into(), "risk.symbols.ES.tz: unknown time zone"),
        ("[risk.symbols.ES]\nhours = ['08:30-15:00']\n".into(), "risk.symbols.ES.tz: required with hours"),
        ("[risk.symbols.ES]\ndays = ['mon']\n".into(), "risk.symbols.ES.days: needs hours"),
        ("[risk.symbols.ES]\n[risk.symbols.es]\n".into(), "risk.symbols.es: the symbol is listed twice"),
        ("[risk]\nsession_tz = 'Nowhere'\n".into(), "risk.session_reset/session_tz: unknown time zone \"Nowhere\""),
        ("[risk]\nsession_reset = '18h'\n".into(), "risk.session_reset/session_tz: \"18h\" is not HH:MM"),
        ("[risk]\nsession_reset = '24:00'\n".into(), "risk.session_reset/session_tz"),
        ("[risk]\ndaily_loss = -1.0\n".into(), "risk.daily_loss: must be a finite amount >= 0"),
        ("[risk]\ntrailing_drawdown = nan\n".into(), "risk.trailing_drawdown: must be a finite amount >= 0"),
        ("[risk.accounts.A1]\ndaily_loss = -5.0\n".into(), "risk.accounts.A1.daily_loss: must be a finite amount >= 0"),
        ("[risk]\nallowed_symbols = ['E S|']\n".into(), "risk.allowed_symbols: invalid symbol"),
        ("[risk]\nmax_qyt = 1\n".into(), "unknown field `max_qyt`"),
        ("[risk]\nloss_baseline = 'yesterday'\n".into(), "unknown variant `yesterday`"),
    ];
    for (text, want) in rows {
        match Config::from_toml(text) {
            Ok(_) => assert_eq!(*want, "ok", "accepted:\n{text}"),
            Err(e) => assert!(e.contains(want), "{text}\nwant {want:?}\n got {e:?}"),
        }
    }
}

#[test]
fn the_defaults_gate_nothing() {
    let c = Config::from_toml("").unwrap();
    assert_eq!(c.risk.session_reset, "18:00");
    assert_eq!(c.risk.session_tz, "America/New_York");
    assert!(c.groups.is_empty() && c.mapping.is_empty() && !c.risk.allow_hedge);
    let shown = c.to_masked_toml();
    assert!(shown.contains("[risk]") && shown.contains("session_reset = \"18:00\""), "{shown}");
}
