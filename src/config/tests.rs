//! Config tests: defaults, typed fields, masked errors, and the example naming every key.

use super::*;
use std::collections::BTreeSet;

#[test]
fn defaults_follow_the_spec_and_unknown_keys_fail() {
    let c = Config::from_toml("").unwrap();
    assert_eq!(c.v9.listen.to_string(), "127.0.0.1:5000");
    assert_eq!(c.v9.client_timeout_s, 30.0);
    assert!(Config::from_toml("[v9]\nlisen = 'x'").is_err());
    let c = Config::from_toml("[v9]\npublisher_token = 's3cret-s3cret-s3cret'").unwrap();
    assert!(!c.to_masked_toml().contains("s3cret"));
    assert!(!format!("{c:?}").contains("s3cret"));
    for bad in [
        "[v9]\nclient_timeout_s = inf",
        "[v9]\nclient_timeout_s = 0.0",
        "[v9]\npublisher_token = ''",
        "[v9]\npublisher_token = 'short-token-15b'",
        "[v9]\nmax_clients = 0",
        "[v9]\nflatten_check_ms = 99999999999",
        "[v9]\nlisten = 'localhost:5000'",
        "[engine]\npin = 'banana'",
    ] {
        assert!(Config::from_toml(bad).is_err(), "{bad}");
    }
}

#[test]
fn pin_takes_a_name_an_integer_or_a_quoted_integer() {
    let pin = |t: &str| Config::from_toml(&format!("[engine]\npin = {t}")).map(|c| c.engine.pin);
    assert_eq!(pin("1"), Ok(Pin::Core(1)));
    assert_eq!(pin("'3'"), Ok(Pin::Core(3)));
    assert_eq!(pin("'last'"), Ok(Pin::Last));
    assert_eq!(pin("'none'"), Ok(Pin::None));
    assert!(pin("-1").is_err());
    let shown = Config::from_toml("[engine]\npin = 2").unwrap().to_masked_toml();
    assert!(shown.contains("pin = 2"), "{shown}");
}

#[test]
fn config_errors_never_echo_a_secret() {
    for text in [
        "[v9]\npublisher_tokn = \"hunter2-hunter2\"\n",
        "[v9]\npublisher_token = 7\n",
        "[dtc.es]\npasword = \"hunter2-hunter2\"\n",
    ] {
        let e = Config::from_toml(text).unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.contains("line 2"), "{e}");
    }
}

/// Top-level keys of every section, from a TOML document (commented-out `# key = ...` lines of
/// the example count: they document keys that have no default value).
fn example_keys(text: &str) -> BTreeSet<String> {
    let mut section = String::new();
    let mut keys = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let body = line.strip_prefix('#').map_or(line, str::trim);
        if let Some((key, _)) = body.split_once(" = ") {
            if !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                keys.insert(format!("{section}.{key}"));
            }
        }
    }
    keys
}

fn value_keys(prefix: &str, v: &toml::Value, out: &mut BTreeSet<String>) {
    let Some(table) = v.as_table() else { return };
    for (k, v) in table {
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        // Sections recurse; a key's own table value (market_symbols) is a leaf.
        let is_section =
            matches!(prefix, "" | "dtc" | "risk" | "risk.symbols" | "risk.accounts" | "mapping");
        if is_section && v.is_table() {
            value_keys(&path, v, out);
        } else {
            out.insert(path);
        }
    }
}

#[test]
fn the_example_parses_and_names_every_key() {
    let example = Config::from_toml(EXAMPLE).expect("the example is a valid config");
    assert!(example.pipe.is_some() && example.dtc.contains_key("es"));
    // Every Option set, so that serialization lists every key.
    let mut full = Config::default();
    full.engine.hgrm_dir = Some("h".into());
    full.v9.publisher_token = Some("t".into());
    full.ops.token = Some("t".into());
    full.pipe = Some(Default::default());
    // Non-default enum values, so the round trip below checks their names too.
    let mut d = crate::dtc::DtcConfig {
        transport: crate::dtc::TransportKind::WebSocket,
        encoding: crate::dtc::Encoding::JsonCompact,
        username: Some("u".into()),
        password: Some("p".into()),
        password_env: Some("E".into()),
        trade_account: Some("a".into()),
        ..Default::default()
    };
    d.market_symbols.insert("X".into(), "Y".into());
    full.dtc.insert("es".into(), d);
    let hours = crate::risk::config::SymbolRules {
        tz: Some("America/Chicago".into()),
        hours: vec!["17:00-16:00".into()],
        days: vec!["sun".into()],
        ..Default::default()
    };
    full.risk.symbols.insert("ES".into(), hours);
    let limits =
        crate::risk::config::AccountRules { daily_loss: Some(1.0), trailing_drawdown: Some(2.0) };
    full.risk.accounts.insert("Apex1".into(), limits);
    full.groups.insert("apex".into(), vec!["Apex1".into()]);
    full.mapping.insert("apex".into(), Default::default());
    let value = toml::Value::try_from(&full).unwrap();
    let mut want = BTreeSet::new();
    value_keys("", &value, &mut want);
    let have = example_keys(EXAMPLE);
    let missing: Vec<_> = want.difference(&have).collect();
    let unknown: Vec<_> = have.difference(&want).collect();
    assert!(missing.is_empty(), "keys missing from config_example.toml: {missing:?}");
    assert!(unknown.is_empty(), "keys in config_example.toml that do not exist: {unknown:?}");
    // Every typed value prints as text the parser reads back to the same value.
    let back = parse_toml(&toml::to_string(&full).unwrap()).expect("printed config reads back");
    assert_eq!(format!("{:?}", back.dtc["es"]), format!("{:?}", full.dtc["es"]));
}
