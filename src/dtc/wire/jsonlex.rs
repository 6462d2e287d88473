//! A small allocation-free JSON scanner for flat DTC messages (objects of scalars and arrays).

use super::types::DecodeError;

/// Nesting allowed inside skipped values; bounds recursion on hostile input.
const MAX_DEPTH: usize = 32;

/// One JSON value, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum JVal<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A validated number token.
    Num(&'a str),
    /// String content between the quotes, escapes not yet decoded (but validated).
    Str(&'a [u8]),
    /// A whole array, brackets included.
    Array(&'a [u8]),
    /// A nested object (skipped).
    Object,
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

const BAD: DecodeError = DecodeError::InvalidJson;

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), DecodeError> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(BAD)
        }
    }

    fn string(&mut self) -> Result<&'a [u8], DecodeError> {
        self.expect(b'"')?;
        let start = self.i;
        loop {
            let c = self.peek().ok_or(BAD)?;
            match c {
                b'"' => {
                    let s = &self.b[start..self.i];
                    self.i += 1;
                    return Ok(s);
                }
                b'\\' => {
                    self.i += 1;
                    match self.peek().ok_or(BAD)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                        b'u' => {
                            let hex = self.b.get(self.i + 1..self.i + 5).ok_or(BAD)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return Err(BAD);
                            }
                            self.i += 5;
                        }
                        _ => return Err(BAD),
                    }
                }
                0..=0x1f => return Err(BAD),
                _ => self.i += 1,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let s = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - s
    }

    fn number(&mut self) -> Result<&'a str, DecodeError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        if self.digits() == 0 {
            return Err(BAD);
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(BAD);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(BAD);
            }
        }
        std::str::from_utf8(&self.b[start..self.i]).map_err(|_| BAD)
    }

    fn literal(&mut self, lit: &[u8]) -> Result<(), DecodeError> {
        if self.b.get(self.i..self.i + lit.len()) == Some(lit) {
            self.i += lit.len();
            Ok(())
        } else {
            Err(BAD)
        }
    }

    fn value(&mut self, depth: usize) -> Result<JVal<'a>, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(BAD);
        }
        self.ws();
        match self.peek().ok_or(BAD)? {
            b'{' => {
                self.object(depth, |_, _| Ok(()))?;
                Ok(JVal::Object)
            }
            b'[' => {
                let start = self.i;
                self.array(depth, |_, _| Ok(()))?;
                Ok(JVal::Array(&self.b[start..self.i]))
            }
            b'"' => Ok(JVal::Str(self.string()?)),
            b't' => self.literal(b"true").map(|_| JVal::Bool(true)),
            b'f' => self.literal(b"false").map(|_| JVal::Bool(false)),
            b'n' => self.literal(b"null").map(|_| JVal::Null),
            b'-' | b'0'..=b'9' => Ok(JVal::Num(self.number()?)),
            _ => Err(BAD),
        }
    }

    fn object(
        &mut self,
        depth: usize,
        mut f: impl FnMut(&'a [u8], JVal<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            self.expect(b':')?;
            let v = self.value(depth + 1)?;
            f(key, v)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(BAD),
            }
        }
    }

    fn array(
        &mut self,
        depth: usize,
        mut f: impl FnMut(usize, JVal<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        let mut idx = 0;
        loop {
            let v = self.value(depth + 1)?;
            f(idx, v)?;
            idx += 1;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(BAD),
            }
        }
    }

    /// After the top-level value only whitespace and NULs may follow.
    fn end(&mut self) -> Result<(), DecodeError> {
        while let Some(&c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0) {
                return Err(BAD);
            }
            self.i += 1;
        }
        Ok(())
    }
}

/// Calls `f(key, value)` for each member of the top-level object in `b`.
pub(crate) fn for_each_member<'a>(
    b: &'a [u8],
    f: impl FnMut(&'a [u8], JVal<'a>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let mut s = Scanner { b, i: 0 };
    s.ws();
    if s.peek() != Some(b'{') {
        return Err(DecodeError::NotAnObject);
    }
    s.object(0, f)?;
    s.end()
}

/// Calls `f(index, value)` for each element of an array span returned as [`JVal::Array`].
pub(crate) fn for_each_element<'a>(
    arr: &'a [u8],
    f: impl FnMut(usize, JVal<'a>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let mut s = Scanner { b: arr, i: 0 };
    s.array(1, f)?;
    s.end()
}

fn is_integer_token(s: &str) -> bool {
    !s.bytes().any(|c| matches!(c, b'.' | b'e' | b'E'))
}

/// A number as i64: integers exactly, other numbers truncated when finite and in range.
pub(crate) fn num_i64(s: &str) -> Option<i64> {
    if is_integer_token(s) {
        if let Ok(v) = s.parse::<i64>() {
            return Some(v);
        }
    }
    let f = s.parse::<f64>().ok()?;
    (f.is_finite() && f >= i64::MIN as f64 && f <= i64::MAX as f64).then_some(f as i64)
}

/// A number as u64 (see [`num_i64`]).
pub(crate) fn num_u64(s: &str) -> Option<u64> {
    if is_integer_token(s) {
        if let Ok(v) = s.parse::<u64>() {
            return Some(v);
        }
    }
    let f = s.parse::<f64>().ok()?;
    (f.is_finite() && f >= 0.0 && f <= u64::MAX as f64).then_some(f as u64)
}

/// A number as f64.
pub(crate) fn num_f64(s: &str) -> Option<f64> {
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_members_and_arrays() {
        let mut seen = Vec::new();
        for_each_member(
            br#" {"Type":3,"F":[0, 1.5e3, "x\"y", null, true],"o":{"a":[{}]}} "#,
            |k, v| {
                seen.push((k.to_vec(), v.clone_kind()));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0], (b"Type".to_vec(), "num"));
        assert_eq!(seen[1].1, "arr");
        let mut n = 0;
        for_each_element(br#"[0, 1.5e3, "x\"y", null, true]"#, |_, _| {
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 5);
    }

    impl JVal<'_> {
        fn clone_kind(&self) -> &'static str {
            match self {
                JVal::Num(_) => "num",
                JVal::Array(_) => "arr",
                JVal::Object => "obj",
                _ => "other",
            }
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            &b"{"[..],
            b"{\"a\"}",
            b"{\"a\":}",
            b"{\"a\":1,}",
            b"{\"a\":01x}",
            b"[1]",
            b"{\"a\":\"\\q\"}",
            b"{} x",
        ] {
            assert!(
                for_each_member(bad, |_, _| Ok(())).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(for_each_member(deep.as_bytes(), |_, _| Ok(())).is_err());
    }
}
