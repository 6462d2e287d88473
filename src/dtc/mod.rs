//! DTC protocol client to Sierra Chart's DTC server: codecs, transports, session, books.

use serde::{Deserialize, Serialize};

/// One `[dtc.NAME]` section of the config file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DtcConfig {
    /// Server address, e.g. `127.0.0.1:11099`.
    pub addr: String,
    /// Password (never logged); prefer `password_env`.
    pub password: Option<String>,
}

impl Default for DtcConfig {
    fn default() -> Self {
        DtcConfig { addr: "127.0.0.1:11099".into(), password: None }
    }
}

impl DtcConfig {
    /// Replaces secrets with `***` (for `--print-config`).
    pub fn mask_secrets(&mut self) {
        if self.password.is_some() {
            self.password = Some("***".into());
        }
    }
}
