//! What a receiver's CONNECT asks for when it comes back (pure): `Last_ID`, `Epoch` checks.

use super::codec::Connect;
use super::reply::{Details, Policy};
use crate::pipeline::Request;

/// The catch-up a receiver's CONNECT asks for (protocol extension: `Last_ID`, `Epoch`), or why
/// it is refused. Without `Last_ID:` none: live signals only, as for a base receiver.
pub(super) fn catch_up(
    m: &Connect<'_>,
    p: &Policy<'_>,
) -> Result<Option<Request>, (&'static str, Details<'static>)> {
    let Some(raw) = m.meta("Last_ID") else { return Ok(None) };
    let n = match raw.parse::<u64>() {
        Ok(n) if raw.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => return Err(("Invalid field", Details::Field("LAST_ID"))),
    };
    // Another epoch's ids mean nothing here: targets, whatever n is.
    if m.meta("Epoch").is_some_and(|e| e.parse::<u64>().ok() != Some(p.epoch)) {
        return Ok(Some(Request::Sync));
    }
    if n > p.last_signal {
        return Err(("Last_ID in the future", Details::Future { n, m: p.last_signal }));
    }
    Ok(Some(Request::From(n)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v9::codec::{parse, Message};
    use crate::v9::guard::AuthThrottle;
    use std::time::Duration;

    fn ask(line: &str) -> Result<Option<Request>, String> {
        let auth = AuthThrottle::default();
        let (timeout, grace) = (Duration::from_secs(30), Duration::from_millis(200));
        let p = Policy { token: None, auth: &auth, last_signal: 5, epoch: 3, timeout, grace };
        let Ok(Message::Connect(c)) = parse(line.as_bytes()) else { panic!("{line}") };
        catch_up(&c, &p).map_err(|(m, d)| format!("{m}|{d}"))
    }

    #[test]
    fn the_connect_side_of_the_decision_table() {
        assert_eq!(ask("CONNECT|r|Account_Count:1"), Ok(None), "no Last_ID: live only");
        assert_eq!(ask("CONNECT|r|Last_ID:2|Epoch:3"), Ok(Some(Request::From(2))));
        assert_eq!(ask("CONNECT|r|LAST_ID:5"), Ok(Some(Request::From(5))), "no epoch: same run");
        assert_eq!(ask("CONNECT|r|Last_ID:99|Epoch:2"), Ok(Some(Request::Sync)), "epoch first");
        assert_eq!(ask("CONNECT|r|Last_ID:1|Epoch:x"), Ok(Some(Request::Sync)));
        let future = "Last_ID in the future|Last_ID:6,Server_Last_ID:5";
        assert_eq!(ask("CONNECT|r|Last_ID:6|Epoch:3"), Err(future.into()));
        for bad in ["abc", "+1", "-1", ""] {
            let got = ask(&format!("CONNECT|r|Last_ID:{bad}"));
            assert_eq!(got, Err("Invalid field|Field: LAST_ID".into()), "{bad}");
        }
    }
}
