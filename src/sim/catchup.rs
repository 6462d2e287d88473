//! The receiver side of catch-up: the V9 codec's SYNC/CAUGHT_UP parser, and routing of a SYNC.

pub use crate::v9::codec::catchup::{parse, CatchUp, CatchUpMode, CaughtUp, ReadyInfo, Sync};

use super::model::{BadRouting, Routing};

impl<'a> Sync<'a> {
    /// The accounts it targets.
    pub fn routing(&self) -> Result<Routing<'a>, BadRouting> {
        self.accounts.map_or(Ok(Routing::All), Routing::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_routes_like_a_signal() {
        let Some(Ok(CatchUp::Sync(s))) = parse(b"SYNC|ES|SHORT|1|Accounts:A=2+B|ID:9") else {
            panic!()
        };
        let r = s.routing().unwrap();
        assert_eq!((r.qty("A", 1), r.qty("B", 1), r.qty("C", 1)), (Some(2), Some(1), None));
    }
}
