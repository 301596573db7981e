//! Chinese mobile and landline numbers to E.164 (+86…), and other numbers given with a country code.

use crate::{text::clean_text, ValueError};

/// Normalises a phone number to E.164. Chinese mobiles (11 digits starting 1[3-9]) and landlines
/// with an area code (010-12345678, 0755 1234567, (020)12345678) become +86…; an extension
/// ("转123", "-123" after a full landline, "ext 123") is kept as `;ext=123` (RFC 3966).
/// Numbers written with + or 00 and another country code are kept if they have 8–15 digits.
pub fn normalise_phone(raw: &str) -> Result<String, ValueError> {
    let s = clean_text(raw);
    if s.is_empty() {
        return Err(ValueError::new("empty_phone", "phone number is empty").zh("电话号码为空"));
    }
    let (main, ext) = split_extension(&s);
    let plus = main.trim_start().starts_with('+');
    let mut digits: String = String::with_capacity(main.len());
    for c in main.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' | '+' | '/' => {}
            _ => return Err(invalid(&s)),
        }
    }
    let national = if plus || digits.starts_with("00") {
        let intl = digits.trim_start_matches("00").to_string();
        match intl.strip_prefix("86") {
            Some(n) => n.to_string(),
            None if (8..=15).contains(&intl.len()) => return Ok(with_ext(format!("+{intl}"), ext)),
            None => return Err(invalid(&s)),
        }
    } else if digits.len() == 13 && digits.starts_with("861") {
        digits[2..].to_string()
    } else {
        digits
    };
    let e164 = if national.len() == 11 && national.starts_with('1') {
        if !matches!(national.as_bytes()[1], b'3'..=b'9') {
            return Err(invalid(&s));
        }
        format!("+86{national}")
    } else if let Some(rest) = national.strip_prefix('0') {
        // area code (2–3 digits after the 0) + 7–8 digit subscriber number
        if !(9..=11).contains(&rest.len()) {
            return Err(invalid(&s));
        }
        format!("+86{rest}")
    } else if (national.starts_with("400") || national.starts_with("800")) && national.len() == 10 {
        format!("+86{national}")
    } else {
        return Err(invalid(&s));
    };
    Ok(with_ext(e164, ext))
}

fn with_ext(number: String, ext: Option<String>) -> String {
    match ext {
        Some(e) => format!("{number};ext={e}"),
        None => number,
    }
}

fn split_extension(s: &str) -> (String, Option<String>) {
    for marker in ["转", "分机", "ext.", "ext", "EXT", "x", "#"] {
        if let Some((main, ext)) = s.split_once(marker) {
            let ext = ext.trim().trim_start_matches(['.', ':']).trim();
            if !ext.is_empty() && ext.len() <= 6 && ext.bytes().all(|b| b.is_ascii_digit()) {
                return (main.to_string(), Some(ext.to_string()));
            }
        }
    }
    // 0755-12345678-123: a third dash-separated group after a full landline
    let groups: Vec<&str> = s.split('-').map(str::trim).collect();
    if groups.len() == 3 && groups[0].starts_with('0') && groups[1].len() >= 7 && groups[2].len() <= 5 {
        return (format!("{}-{}", groups[0], groups[1]), Some(groups[2].to_string()));
    }
    (s.to_string(), None)
}

fn invalid(s: &str) -> ValueError {
    ValueError::new(
        "invalid_phone",
        format!("`{s}` is not a phone number; write a mobile as 13800138000 or a landline with its area code, e.g. 0755-12345678"),
    )
    .zh(format!("`{s}` 不是电话号码；手机请写成 13800138000，座机请带区号，如 0755-12345678"))
}

/// A stored number as people in China write it: mobiles `138 0013 8000`, landlines
/// `0755-12345678` (010 and 02x have two digits after the 0), `400-123-4567`, an extension after
/// `转`. Masked digits (`*`) keep their places. Other numbers stay as stored.
pub fn display(stored: &str) -> String {
    let Some(rest) = stored.strip_prefix("+86") else { return stored.to_string() };
    let (number, ext) = match rest.split_once(";ext=") {
        Some((n, e)) => (n, Some(e)),
        None => (rest, None),
    };
    if !number.chars().all(|c| c.is_ascii_digit() || c == '*') {
        return stored.to_string();
    }
    let shown = match number.len() {
        11 if number.starts_with('1') => format!("{} {} {}", &number[..3], &number[3..7], &number[7..]),
        10 if number.starts_with("400") || number.starts_with("800") => format!("{}-{}-{}", &number[..3], &number[3..6], &number[6..]),
        9..=11 => {
            let area = if number.starts_with("10") || number.starts_with('2') { 2 } else { 3 };
            format!("0{}-{}", &number[..area], &number[area..])
        }
        _ => return stored.to_string(),
    };
    match ext {
        Some(e) => format!("{shown} 转 {e}"),
        None => shown,
    }
}

/// True when an E.164 number is a Chinese mobile.
pub fn is_mobile(e164: &str) -> bool {
    e164.len() == 14 && e164.starts_with("+861")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_chinese_numbers() {
        let cases = [
            ("13800138000", "+8613800138000"),
            ("138 0013 8000", "+8613800138000"),
            ("138-0013-8000", "+8613800138000"),
            ("+86 138 0013 8000", "+8613800138000"),
            ("+86-13800138000", "+8613800138000"),
            ("008613800138000", "+8613800138000"),
            ("8613800138000", "+8613800138000"),
            ("１３８００１３８０００", "+8613800138000"),
            ("010-12345678", "+861012345678"),
            ("(0755)1234567", "+867551234567"),
            ("0755 12345678", "+8675512345678"),
            ("0755-12345678转123", "+8675512345678;ext=123"),
            ("0755-12345678-123", "+8675512345678;ext=123"),
            ("400-123-4567", "+864001234567"),
            ("+49 30 1234567", "+49301234567"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalise_phone(raw).as_deref(), Ok(want), "input {raw:?}");
        }
    }

    #[test]
    fn rejects_non_numbers() {
        for raw in ["", "abc", "12345", "12800138000", "138001380001", "+86 12", "call me"] {
            assert!(normalise_phone(raw).is_err(), "input {raw:?} should be rejected");
        }
    }

    #[test]
    fn shows_numbers_as_written_in_china() {
        let cases = [
            ("+8613800138000", "138 0013 8000"),
            ("+86136****0001", "136 **** 0001"),
            ("+861012345678", "010-12345678"),
            ("+862112345678", "021-12345678"),
            ("+867551234567", "0755-1234567"),
            ("+8675512345678;ext=123", "0755-12345678 转 123"),
            ("+864001234567", "400-123-4567"),
            ("+49301234567", "+49301234567"),
            ("+86", "+86"),
            ("garbage", "garbage"),
        ];
        for (stored, want) in cases {
            assert_eq!(display(stored), want, "{stored}");
        }
        for raw in ["13800138000", "010-12345678", "0755-12345678转123", "400-123-4567"] {
            let stored = normalise_phone(raw).unwrap_or_default();
            assert_eq!(normalise_phone(&display(&stored)).as_deref(), Ok(stored.as_str()), "shown {raw} reads back the same");
        }
    }

    #[test]
    fn tells_mobiles() {
        assert!(is_mobile("+8613800138000"));
        assert!(!is_mobile("+861012345678"));
    }
}
