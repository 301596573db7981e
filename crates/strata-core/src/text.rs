//! Text clean-up shared by every imported value: full-width to half-width, whitespace.

use std::borrow::Cow;

/// Converts full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space (U+3000) to their
/// half-width equivalents. Other characters (Chinese text, full-width brackets inside names after
/// conversion, etc.) are kept as they are.
pub fn to_half_width(s: &str) -> String {
    s.chars().map(half_width_char).collect()
}

fn half_width_char(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        // Chinese punctuation that has an obvious ASCII twin in data fields
        '。' => '.',
        '、' => ',',
        _ => c,
    }
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}' | '\u{2060}')
}

/// The canonical form of any free-text cell: half-width, no invisible characters, trimmed,
/// internal whitespace runs (incl. NBSP, tabs, newlines) collapsed to one space.
pub fn clean_text(s: &str) -> String {
    clean(s).into_owned()
}

/// [`clean_text`], borrowing a cell that is already clean (most codes, dates and amounts)
/// instead of copying it.
pub fn clean(s: &str) -> Cow<'_, str> {
    if is_clean_ascii(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(clean_chars(s))
    }
}

/// [`clean_text`] character by character.
fn clean_chars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars().map(half_width_char) {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// Whether `s` is already its own clean form and plain ASCII (the common case of codes, dates
/// and amounts): no full-width or invisible characters, no whitespace but single inner spaces.
/// One pass over the bytes.
fn is_clean_ascii(s: &str) -> bool {
    if s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    let mut after_space = false;
    for c in s.bytes() {
        match c {
            b' ' if after_space => return false,
            b' ' => after_space = true,
            b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | 0x80.. => return false,
            _ => after_space = false,
        }
    }
    true
}

/// Like [`clean_text`] but keeps line breaks (for summaries and comments): each line cleaned,
/// blank lines at the ends dropped.
pub fn clean_multiline(s: &str) -> String {
    let lines: Vec<String> = s.lines().map(clean_text).collect();
    let first = lines.iter().position(|l| !l.is_empty()).unwrap_or(lines.len());
    let last = lines.iter().rposition(|l| !l.is_empty()).map_or(first, |i| i + 1);
    lines[first..last].join("\n")
}

/// A cleaned value, or `None` when it is empty or one of the usual "no value" markers.
pub fn non_empty(s: &str) -> Option<String> {
    non_empty_cell(s).map(Cow::into_owned)
}

/// [`non_empty`], borrowing a cell that is already clean.
pub fn non_empty_cell(s: &str) -> Option<Cow<'_, str>> {
    let t = clean(s);
    match t.as_ref() {
        "" | "-" | "--" | "/" | "无" | "N/A" | "n/a" | "NULL" | "null" | "#N/A" => None,
        _ => Some(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_text() {
        let cases = [
            ("  深圳市 腾飞科技  ", "深圳市 腾飞科技"),
            ("ＡＢＣ１２３", "ABC123"),
            ("a\u{3000}\u{3000}b", "a b"),
            ("x\u{200B}y", "xy"),
            ("tab\tand\nnewline", "tab and newline"),
            ("\u{FEFF}name", "name"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(clean_text(raw), want, "input {raw:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_ascii_fast_path_cleans_as_the_slow_one(s in "[ \t\n\r\x0B\x0Ca-z0-9,.\x01\x1F\u{3000}\u{FF21}\u{200B}\u{A0}]{0,12}") {
            proptest::prop_assert_eq!(clean_text(&s), clean_chars(&s));
        }
    }

    #[test]
    fn empty_markers_are_none() {
        for raw in ["", "  ", "-", "无", "N/A", "#N/A", "\u{3000}"] {
            assert_eq!(non_empty(raw), None, "input {raw:?}");
        }
        assert_eq!(non_empty(" ok "), Some("ok".into()));
    }

    #[test]
    fn multiline_keeps_lines() {
        assert_eq!(clean_multiline("\n  first  line \n\nsecond\n\n"), "first line\n\nsecond");
    }
}
