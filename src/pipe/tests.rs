//! The `[pipe]` config section (the wire layer has its own tests in `wire/tests`).

#[test]
fn pipe_config_section_parses_with_defaults() {
    let c = crate::config::Config::from_toml(
        "[pipe]\npath = '/tmp/x.fifo'\nsc_utc_offset_min = -300\n",
    )
    .unwrap();
    let p = c.pipe.unwrap();
    assert_eq!((p.path.as_str(), p.sc_utc_offset_min), ("/tmp/x.fifo", -300));
    assert_eq!(p.read_chunk, 64 * 1024);
    assert!(crate::config::Config::from_toml("[pipe]\npth = 'x'\n").is_err());
    for bad in [
        "path = ''",
        "sc_utc_offset_min = 1441",
        "sc_utc_offset_min = -1441",
        "read_chunk = 4095",
        "read_chunk = 16777217",
    ] {
        let c = crate::config::Config::from_toml(&format!("[pipe]\n{bad}\n"));
        assert!(c.is_err(), "{bad}");
    }
    for ok in ["sc_utc_offset_min = -1440", "read_chunk = 4096", "read_chunk = 16777216"] {
        let c = crate::config::Config::from_toml(&format!("[pipe]\n{ok}\n")).unwrap();
        assert!(c.validate().is_ok(), "{ok}");
    }
}
