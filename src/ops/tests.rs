//! `[ops]` configuration tests.

use super::*;

#[test]
fn listen_takes_an_address_or_none_and_ranges_are_checked() {
    let c = OpsConfig::default();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert!(c.validate().is_ok());
    assert_eq!("none".parse::<OpsListen>(), Ok(OpsListen(None)));
    assert_eq!("127.0.0.1:0".parse::<OpsListen>().unwrap().to_string(), "127.0.0.1:0");
    assert!("localhost:80".parse::<OpsListen>().is_err());
    let cfg = crate::config::Config::from_toml("[ops]\nlisten = \"none\"").unwrap();
    assert_eq!(cfg.ops.listen, OpsListen(None));
    assert!(crate::config::Config::from_toml("[ops]\npublish_ms = 5000").is_err());
    assert!(crate::config::Config::from_toml("[ops]\ntoken = \"short\"").is_err());
    let cfg = crate::config::Config::from_toml("[ops]\ntoken = \"long-enough-token\"").unwrap();
    assert!(!cfg.to_masked_toml().contains("long-enough-token"));
    assert!(!format!("{cfg:?}").contains("long-enough-token"));
}
