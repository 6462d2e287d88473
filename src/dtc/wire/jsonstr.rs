//! JSON string bodies in and out: unescaping into fixed strings, escaping on encode.

use super::types::FStr;

/// Four hex digits as a code unit (a non-digit counts as 0).
fn hex4(h: &[u8]) -> u32 {
    h.iter().fold(0u32, |acc, &c| acc * 16 + (c as char).to_digit(16).unwrap_or(0))
}

/// Decodes a validated JSON string body into a fixed string (truncating when full).
pub(crate) fn unescape_into<const N: usize>(raw: &[u8], out: &mut FStr<N>) {
    *out = FStr::default();
    let mut len = 0;
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        i += 1;
        let ok = if c != b'\\' {
            out.push_byte(&mut len, c)
        } else {
            let e = raw.get(i).copied().unwrap_or(b'\\');
            i += 1;
            let simple = match e {
                b'b' => Some(8),
                b'f' => Some(12),
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b'u' => None,
                other => Some(other),
            };
            match simple {
                Some(b) => out.push_byte(&mut len, b),
                None => {
                    let mut cp = raw.get(i..i + 4).map_or(0xfffd, hex4);
                    i += 4;
                    // A high surrogate followed by `\uDCxx` forms one code point.
                    if (0xd800..0xdc00).contains(&cp) && raw.get(i..i + 2) == Some(b"\\u") {
                        let lo = raw.get(i + 2..i + 6).map_or(0, hex4);
                        if (0xdc00..0xe000).contains(&lo) {
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                            i += 6;
                        }
                    }
                    let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                    let mut tmp = [0u8; 4];
                    let enc = ch.encode_utf8(&mut tmp).as_bytes();
                    if len + enc.len() < N {
                        enc.iter().all(|&b| out.push_byte(&mut len, b))
                    } else {
                        false
                    }
                }
            }
        };
        if !ok {
            break;
        }
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 15) as usize]);
            }
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes() {
        let mut f = FStr::<16>::default();
        unescape_into(br#"a\"b\u00e9\ud83d\ude00"#, &mut f);
        assert_eq!(f.as_str(), "a\"bé😀");
        let mut g = FStr::<4>::default();
        unescape_into(b"abcdef", &mut g);
        assert_eq!(g.as_str(), "abc");
    }
}
