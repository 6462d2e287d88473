//! Peer-supplied text made safe for logs: every non-printable character escaped, no allocation.

use std::fmt;

/// Displays a peer string with control, separator and format characters escaped as `\u{…}`
/// (and `\` as `\\`), so a name cannot forge log lines (U+2028, U+0085, CR…) or hide text
/// (bidi overrides, zero-width characters).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut clean = 0;
        for (i, c) in self.0.char_indices() {
            if printable(c) && c != '\\' {
                continue;
            }
            f.write_str(&self.0[clean..i])?;
            if c == '\\' {
                f.write_str("\\\\")?;
            } else {
                write!(f, "\\u{{{:x}}}", c as u32)?;
            }
            clean = i + c.len_utf8();
        }
        f.write_str(&self.0[clean..])
    }
}

/// Printable: not a control (Cc, which includes U+0085), not a separator other than the ASCII
/// space (Zs, Zl U+2028, Zp U+2029), not an invisible format character (Cf), not unassigned
/// noncharacters. Checked by ranges so the log path needs no Unicode tables.
fn printable(c: char) -> bool {
    if c.is_ascii() {
        return c == ' ' || c.is_ascii_graphic();
    }
    if c.is_control() {
        return false;
    }
    !matches!(c as u32,
        0x00A0 | 0x00AD | 0x034F | 0x061C | 0x1680 | 0x180E | 0x202F | 0x205F | 0x3000
        | 0x0600..=0x0605 | 0x06DD | 0x070F | 0x08E2 | 0x115F | 0x1160 | 0x17B4 | 0x17B5
        | 0x180B..=0x180F | 0x2000..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0x3164
        | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFFB | 0xFFFE | 0xFFFF
        | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF | 0xF0000..=0x10FFFF)
}

#[cfg(test)]
mod tests {
    use super::Esc;

    #[test]
    fn forging_characters_are_escaped_and_plain_text_is_kept() {
        assert_eq!(Esc("V9_CopyReceiver").to_string(), "V9_CopyReceiver");
        assert_eq!(Esc("Café 東京").to_string(), "Café 東京");
        assert_eq!(Esc("a\u{2028}b").to_string(), "a\\u{2028}b");
        assert_eq!(Esc("a\u{85}b\u{2029}").to_string(), "a\\u{85}b\\u{2029}");
        assert_eq!(Esc("x\r\nINFO fake").to_string(), "x\\u{d}\\u{a}INFO fake");
        assert_eq!(Esc("\u{202e}evil\u{200b}").to_string(), "\\u{202e}evil\\u{200b}");
        assert_eq!(Esc("tab\there\u{1b}[31m").to_string(), "tab\\u{9}here\\u{1b}[31m");
        assert_eq!(Esc("back\\slash").to_string(), "back\\\\slash");
        assert_eq!(Esc("nb\u{a0}sp\u{3000}").to_string(), "nb\\u{a0}sp\\u{3000}");
    }
}
