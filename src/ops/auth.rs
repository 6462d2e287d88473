//! Bearer-token checks for the control endpoints: constant-time, never logged, and refused
//! outright when no token is configured (whatever the peer: loopback is no authentication).

use crate::config::Secret;

/// Why a control request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No `[ops] token` (nor the environment variable): control is off.
    NotConfigured,
    /// No `Authorization: Bearer` header.
    Missing,
    /// A token that is not the configured one.
    Wrong,
}

impl Refusal {
    /// HTTP status: 403 when control is off, 401 otherwise.
    pub(crate) fn status(self) -> u16 {
        match self {
            Refusal::NotConfigured => 403,
            Refusal::Missing | Refusal::Wrong => 401,
        }
    }

    /// The text of the error body (never the token).
    pub(crate) fn message(self) -> &'static str {
        match self {
            Refusal::NotConfigured => {
                "control endpoints are off: set [ops] token or V9BRIDGE_OPS_TOKEN"
            }
            Refusal::Missing => "missing Authorization: Bearer <token>",
            Refusal::Wrong => "wrong token",
        }
    }
}

/// Checks an `Authorization` header value against the configured token.
pub(crate) fn check(configured: Option<&Secret>, header: Option<&str>) -> Result<(), Refusal> {
    let Some(want) = configured else { return Err(Refusal::NotConfigured) };
    let Some(h) = header else { return Err(Refusal::Missing) };
    let Some(given) = h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")) else {
        return Err(Refusal::Missing);
    };
    if crate::config::constant_time_eq(given.trim().as_bytes(), want.expose().as_bytes()) {
        Ok(())
    } else {
        Err(Refusal::Wrong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_and_refused_without_configuration() {
        let t = Secret::from("s3cret-token");
        assert_eq!(check(None, Some("Bearer s3cret-token")), Err(Refusal::NotConfigured));
        assert_eq!(check(Some(&t), None), Err(Refusal::Missing));
        assert_eq!(check(Some(&t), Some("Basic abc")), Err(Refusal::Missing));
        assert_eq!(check(Some(&t), Some("Bearer s3cret-tokem")), Err(Refusal::Wrong));
        assert_eq!(check(Some(&t), Some("Bearer s3cret-token-longer")), Err(Refusal::Wrong));
        assert_eq!(check(Some(&t), Some("Bearer s3cret")), Err(Refusal::Wrong));
        assert_eq!(check(Some(&t), Some("Bearer s3cret-token")), Ok(()));
        assert!(!Refusal::Wrong.message().contains("s3cret"));
    }
}
