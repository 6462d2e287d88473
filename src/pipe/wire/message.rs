//! What a pipe message means once decoded: a tick or a signal, checked field by field.

use super::reason::BadInput;
use super::scdatetime;
use crate::market::TickUpdate;
use crate::signal::{valid_symbol, Action, Signal};

/// Where a tick's timestamp came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsKind {
    /// No timestamp field (`ts_ns` is 0).
    None,
    /// `timestamp`: an SCDateTime, as `sc.CurrentSystemDateTime` gives (millisecond-ish).
    ScDateTime,
    /// `ts_ms`: Unix milliseconds.
    Millis,
    /// `ts_us`: Unix microseconds.
    Micros,
    /// `ts_ns`: Unix nanoseconds.
    Nanos,
}

impl TsKind {
    /// True when the writer's stamp is fine enough to measure writer → read latency.
    pub fn precise(self) -> bool {
        matches!(self, TsKind::Micros | TsKind::Nanos)
    }
}

/// A decoded tick: the market update plus where its timestamp came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick<'a> {
    /// The update for [`crate::market::MarketState::apply`]; `ts_ns` is Unix ns, 0 = unknown.
    pub update: TickUpdate<'a>,
    /// Which field `update.ts_ns` came from.
    pub ts_kind: TsKind,
}

/// One decoded pipe message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Message<'a> {
    /// Market data.
    Tick(Tick<'a>),
    /// A trading signal, not yet validated (the sink validates).
    Signal(Signal<'a>),
}

/// The known fields of one object, typed but not yet checked together. Both decoders (the
/// simd-json one and the fast path) fill this, so the rules live once, in [`Fields::finish`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Fields<'a> {
    pub symbol: Option<&'a str>,
    pub price: Option<f64>,
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    pub volume: Option<f64>,
    pub bid_size: Option<f64>,
    pub ask_size: Option<f64>,
    pub seq: Option<u64>,
    pub sc_timestamp: Option<f64>,
    pub ts_ms: Option<Num>,
    pub ts_us: Option<Num>,
    pub ts_ns: Option<Num>,
    pub signal: Option<&'a str>,
    pub qty: Option<Num>,
    pub tp: Option<f64>,
    pub sl: Option<f64>,
    pub tif: Option<&'a str>,
}

/// A JSON number as the decoder saw it: integers stay exact (ns timestamps exceed 2^53).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Num {
    /// A non-negative integer.
    U(u64),
    /// A negative integer.
    I(i64),
    /// Anything with a fraction or exponent.
    F(f64),
}

impl Num {
    /// As a price or size (any number).
    pub(crate) fn to_f64(self) -> f64 {
        match self {
            Num::U(u) => u as f64,
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }

    /// Unix time in `unit` ns per tick → ns; 0 stays "unknown".
    fn unix_ns(self, unit: i64) -> Result<i64, BadInput> {
        let ns = match self {
            Num::U(u) => i64::try_from(u).ok().and_then(|v| v.checked_mul(unit)),
            Num::I(_) => None,
            Num::F(f) if f.is_finite() && f >= 0.0 && f * (unit as f64) < i64::MAX as f64 => {
                Some((f * unit as f64).round() as i64)
            }
            Num::F(_) => None,
        };
        ns.ok_or(BadInput::BadTimestamp)
    }
}

/// A scalar value as either decoder saw it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val<'a> {
    Str(&'a str),
    Num(Num),
    Null,
    /// `true`, `false`, an array or an object.
    Other,
}

impl<'a> Fields<'a> {
    /// Stores one key's value; unknown keys are ignored (writers may add fields), null means
    /// absent, and a known key with the wrong type is refused.
    pub(crate) fn set(&mut self, key: &str, v: Val<'a>) -> Result<(), BadInput> {
        let string = || match v {
            Val::Str(s) => Ok(s),
            _ => Err(BadInput::WrongType),
        };
        let num = || match v {
            Val::Num(n) => Ok(n),
            _ => Err(BadInput::WrongType),
        };
        let float = || num().map(Num::to_f64);
        if matches!(v, Val::Null) {
            return Ok(());
        }
        match key {
            "symbol" => self.symbol = Some(string()?),
            "price" | "last" => self.price = Some(float()?),
            "bid" => self.bid = Some(float()?),
            "ask" => self.ask = Some(float()?),
            "volume" => self.volume = Some(float()?),
            "bid_size" => self.bid_size = Some(float()?),
            "ask_size" => self.ask_size = Some(float()?),
            "seq" => match num()? {
                Num::U(u) => self.seq = Some(u),
                _ => return Err(BadInput::WrongType),
            },
            "timestamp" => self.sc_timestamp = Some(float()?),
            "ts_ms" => self.ts_ms = Some(num()?),
            "ts_us" => self.ts_us = Some(num()?),
            "ts_ns" => self.ts_ns = Some(num()?),
            "signal" => self.signal = Some(string()?),
            "qty" => self.qty = Some(num()?),
            "tp" => self.tp = Some(float()?),
            "sl" => self.sl = Some(float()?),
            "tif" => self.tif = Some(string()?),
            _ => {}
        }
        Ok(())
    }

    /// Checks the fields together and builds the message. `sc_offset_ns` is subtracted from
    /// SCDateTime stamps (Sierra Chart writes them in its configured time zone, not UTC).
    pub(crate) fn finish(&self, sc_offset_ns: i64) -> Result<Message<'a>, BadInput> {
        let symbol = self.symbol.ok_or(BadInput::MissingField)?;
        // Same rule as signals: ticks name the market state's keys and reach logs and reports.
        if !valid_symbol(symbol) {
            return Err(BadInput::BadSymbol);
        }
        if let Some(name) = self.signal {
            return self.finish_signal(name, symbol).map(Message::Signal);
        }
        if self.price.is_none() && self.bid.is_none() && self.ask.is_none() {
            return Err(BadInput::MissingField);
        }
        for p in [self.price, self.bid, self.ask].into_iter().flatten() {
            if !(p.is_finite() && p > 0.0) {
                return Err(BadInput::BadPrice);
            }
        }
        if let (Some(b), Some(a)) = (self.bid, self.ask) {
            if b > a {
                return Err(BadInput::CrossedQuote);
            }
        }
        for s in [self.volume, self.bid_size, self.ask_size].into_iter().flatten() {
            if !(s.is_finite() && s >= 0.0) {
                return Err(BadInput::BadSize);
            }
        }
        let (ts_ns, ts_kind) = if let Some(n) = self.ts_ns {
            (n.unix_ns(1)?, TsKind::Nanos)
        } else if let Some(n) = self.ts_us {
            (n.unix_ns(1_000)?, TsKind::Micros)
        } else if let Some(n) = self.ts_ms {
            (n.unix_ns(1_000_000)?, TsKind::Millis)
        } else if let Some(d) = self.sc_timestamp {
            let ns = scdatetime::to_unix_ns(d).ok_or(BadInput::BadTimestamp)?;
            (ns.saturating_sub(sc_offset_ns).max(1), TsKind::ScDateTime)
        } else {
            (0, TsKind::None)
        };
        let ts_kind = if ts_ns == 0 { TsKind::None } else { ts_kind };
        let update = TickUpdate {
            symbol,
            last: self.price,
            bid: self.bid,
            ask: self.ask,
            volume: self.volume,
            bid_size: self.bid_size,
            ask_size: self.ask_size,
            ts_ns,
            seq: self.seq,
        };
        Ok(Message::Tick(Tick { update, ts_kind }))
    }

    fn finish_signal(&self, name: &str, symbol: &'a str) -> Result<Signal<'a>, BadInput> {
        let action = Action::parse(name).ok_or(BadInput::UnknownAction)?;
        let qty = match self.qty {
            None => 0,
            Some(Num::U(q)) => u32::try_from(q).map_err(|_| BadInput::BadQuantity)?,
            Some(_) => return Err(BadInput::BadQuantity),
        };
        let mut s = Signal::new(action, symbol, qty);
        s.tp = self.tp;
        s.sl = self.sl;
        s.tif = self.tif;
        Ok(s)
    }
}
