//! Field-level codecs shared by the message table: binary at an offset, JSON value in and out.

use super::jsonlex::{self, JVal};
use super::jsonstr;
use super::types::FStr;
use std::io::Write as _;

/// A field type that can live in a DTC message.
pub(crate) trait WireField: Sized + Copy {
    /// Bytes in the binary struct (layout tests).
    #[allow(dead_code)]
    const WIDTH: usize;
    /// Reads at `off`; `None` when the message is too short to hold it (then the default stays).
    fn get(buf: &[u8], off: usize) -> Option<Self>;
    /// Writes at `off` (the caller sized `buf` to the full struct).
    fn put(&self, buf: &mut [u8], off: usize);
    /// Appends the JSON value.
    fn write_json(&self, out: &mut Vec<u8>);
    /// From a JSON value: `Ok(None)` for `null` (keep the default), `Err` for a wrong type.
    fn from_json(v: &JVal<'_>) -> Result<Option<Self>, ()>;
    /// True for the binary encoding's "unset" marker of this type (DBL_MAX, FLT_MAX, UINT_MAX).
    fn is_unset(&self) -> bool {
        false
    }
}

fn slice<const W: usize>(buf: &[u8], off: usize) -> Option<[u8; W]> {
    buf.get(off..off.checked_add(W)?)?.try_into().ok()
}

fn put_bytes(buf: &mut [u8], off: usize, b: &[u8]) {
    if let Some(dst) = buf.get_mut(off..off + b.len()) {
        dst.copy_from_slice(b);
    }
}

macro_rules! int_field {
    ($($t:ty => $conv:ident $(, unset $u:expr)?);*) => {$(
        impl WireField for $t {
            const WIDTH: usize = std::mem::size_of::<$t>();
            #[inline]
            fn get(buf: &[u8], off: usize) -> Option<Self> {
                slice::<{ std::mem::size_of::<$t>() }>(buf, off).map(<$t>::from_le_bytes)
            }
            #[inline]
            fn put(&self, buf: &mut [u8], off: usize) {
                put_bytes(buf, off, &self.to_le_bytes());
            }
            fn write_json(&self, out: &mut Vec<u8>) {
                let _ = write!(out, "{}", self);
            }
            fn from_json(v: &JVal<'_>) -> Result<Option<Self>, ()> {
                match v {
                    JVal::Null => Ok(None),
                    JVal::Bool(b) => Ok(Some(*b as $t)),
                    JVal::Num(s) => jsonlex::$conv(s).and_then(|x| <$t>::try_from(x).ok()).map(Some).ok_or(()),
                    _ => Err(()),
                }
            }
            $(
                fn is_unset(&self) -> bool {
                    *self == $u
                }
            )?
        }
    )*};
}

int_field!(
    u8 => num_u64; u16 => num_u64; u32 => num_u64, unset u32::MAX; u64 => num_u64;
    i8 => num_i64; i32 => num_i64; i64 => num_i64
);

/// Writes a float so that it parses back to the same value and stays valid JSON.
fn write_float(out: &mut Vec<u8>, v: f64, shortest: impl FnOnce(&mut Vec<u8>, bool)) {
    if !v.is_finite() {
        out.extend_from_slice(b"null");
    } else {
        let a = v.abs();
        // Display never uses an exponent: DBL_MAX would print 309 digits.
        shortest(out, a != 0.0 && !(1e-5..1e16).contains(&a));
    }
}

impl WireField for f64 {
    const WIDTH: usize = 8;
    #[inline]
    fn get(buf: &[u8], off: usize) -> Option<Self> {
        slice::<8>(buf, off).map(f64::from_le_bytes)
    }
    #[inline]
    fn put(&self, buf: &mut [u8], off: usize) {
        put_bytes(buf, off, &self.to_le_bytes());
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        let v = *self;
        write_float(out, v, |o, exp| {
            let _ = if exp { write!(o, "{v:e}") } else { write!(o, "{v}") };
        });
    }
    fn from_json(v: &JVal<'_>) -> Result<Option<Self>, ()> {
        match v {
            JVal::Null => Ok(None),
            JVal::Num(s) => jsonlex::num_f64(s).map(Some).ok_or(()),
            _ => Err(()),
        }
    }
    fn is_unset(&self) -> bool {
        *self == f64::MAX
    }
}

impl WireField for f32 {
    const WIDTH: usize = 4;
    #[inline]
    fn get(buf: &[u8], off: usize) -> Option<Self> {
        slice::<4>(buf, off).map(f32::from_le_bytes)
    }
    #[inline]
    fn put(&self, buf: &mut [u8], off: usize) {
        put_bytes(buf, off, &self.to_le_bytes());
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        let v = *self;
        // Shortest f32 digits, so 0.01f32 is sent as 0.01 (SC widens to 0.009999999776…).
        write_float(out, v as f64, |o, exp| {
            let _ = if exp { write!(o, "{v:e}") } else { write!(o, "{v}") };
        });
    }
    fn from_json(v: &JVal<'_>) -> Result<Option<Self>, ()> {
        match v {
            JVal::Null => Ok(None),
            JVal::Num(s) => jsonlex::num_f64(s).map(|f| Some(f as f32)).ok_or(()),
            _ => Err(()),
        }
    }
    fn is_unset(&self) -> bool {
        *self == f32::MAX
    }
}

impl<const N: usize> WireField for FStr<N> {
    const WIDTH: usize = N;
    fn get(buf: &[u8], off: usize) -> Option<Self> {
        // A string cut by a short Size keeps what is there (CopyFrom semantics).
        let raw = buf.get(off..)?;
        if raw.is_empty() {
            return None;
        }
        Some(FStr::from_raw(&raw[..raw.len().min(N)]))
    }
    fn put(&self, buf: &mut [u8], off: usize) {
        put_bytes(buf, off, self.raw());
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        jsonstr::write_str(out, self.bytes());
    }
    fn from_json(v: &JVal<'_>) -> Result<Option<Self>, ()> {
        match v {
            JVal::Null => Ok(None),
            JVal::Str(raw) => {
                let mut f = FStr::default();
                jsonstr::unescape_into(raw, &mut f);
                Ok(Some(f))
            }
            _ => Err(()),
        }
    }
}
