//! JSON compact encoding: `{"Type":N,"F":[...]}`, values in declaration order, with SC's override.

use super::json;
use super::messages::Message;
use super::types::DecodeError;
use std::io::Write as _;

/// SC's order for MARKET_DATA_UPDATE_TRADE_COMPACT: F position -> declaration index
/// (`[SymbolID, AtBidOrAsk, Price, Volume, DateTime]`).
const SC_112: [usize; 5] = [3, 4, 0, 1, 2];
/// SC's order for MARKET_DATA_UPDATE_BID_ASK_COMPACT
/// (`[SymbolID, BidPrice, BidQuantity, AskPrice, AskQuantity, DateTime]`).
const SC_117: [usize; 6] = [5, 0, 1, 2, 3, 4];

/// Maps a position in `F` to the field's declaration index.
#[inline]
pub fn field_index(ty: u16, pos: usize, sierra_order: bool) -> usize {
    if sierra_order {
        let map: &[usize] = match ty {
            112 => &SC_112,
            117 => &SC_117,
            _ => return pos,
        };
        return map.get(pos).copied().unwrap_or(pos);
    }
    pos
}

/// Appends `m` as compact JSON (no NUL).
pub fn encode(m: &Message, out: &mut Vec<u8>, sierra_order: bool) {
    let ty = m.type_num();
    let _ = write!(out, "{{\"Type\":{ty},\"F\":[");
    for pos in 0..m.field_count() {
        if pos > 0 {
            out.push(b',');
        }
        m.write_pos(field_index(ty, pos, sierra_order), out);
    }
    out.extend_from_slice(b"]}");
}

/// Decodes compact JSON (named input is accepted too). A short `F` leaves the remaining fields
/// at their defaults; extra values are ignored.
pub fn decode(text: &[u8], sierra_order: bool) -> Result<Message, DecodeError> {
    json::decode_any(text, sierra_order)
}
