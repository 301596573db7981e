//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters with a check digit.

use crate::{text::clean_text, ValueError};

const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn value_of(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, or None if one is outside the charset.
pub fn check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &c) in first17.iter().enumerate() {
        sum += value_of(c)? * WEIGHTS[i];
    }
    Some(CHARSET[((31 - sum % 31) % 31) as usize] as char)
}

/// Validates and upper-cases a credit code. Errors say which rule failed: length, a character
/// outside the code's alphabet (I, O, S, V, Z never occur), or the check character.
pub fn normalise_credit_code(raw: &str) -> Result<String, ValueError> {
    let s: String = clean_text(raw).chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    let s = s.to_ascii_uppercase();
    if s.chars().count() != 18 {
        return Err(ValueError::new(
            "invalid_credit_code",
            format!("credit code `{s}` has {} characters; a unified social credit code has 18", s.chars().count()),
        )
        .zh(format!("统一社会信用代码 `{s}` 有 {} 位；应为 18 位", s.chars().count())));
    }
    let bytes = s.as_bytes();
    if let Some(pos) = bytes.iter().position(|&c| value_of(c).is_none()) {
        return Err(ValueError::new(
            "invalid_credit_code",
            format!(
                "credit code `{s}` has `{}` at position {}; only digits and the letters ABCDEFGHJKLMNPQRTUWXY occur",
                s.chars().nth(pos).unwrap_or('?'),
                pos + 1
            ),
        )
        .zh(format!(
            "统一社会信用代码 `{s}` 第 {} 位是 `{}`；代码只含数字和字母 ABCDEFGHJKLMNPQRTUWXY",
            pos + 1,
            s.chars().nth(pos).unwrap_or('?')
        )));
    }
    let want = check_char(&bytes[..17]).unwrap_or('?');
    if bytes[17] as char != want {
        return Err(ValueError::new(
            "invalid_credit_code",
            format!("credit code `{s}` fails its checksum (last character should be `{want}`); check for a typo"),
        )
        .zh(format!("统一社会信用代码 `{s}` 校验位不对（最后一位应为 `{want}`）；请检查是否录错")));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_codes() {
        for raw in ["91110108551385082Q", "91310000132149237G", "12100000400000624D", " 91440300ma5daaaa1x "] {
            assert!(normalise_credit_code(raw).is_ok(), "input {raw:?}");
        }
        assert_eq!(normalise_credit_code("91440300ma5daaaa1x").unwrap(), "91440300MA5DAAAA1X");
    }

    #[test]
    fn rejects_invalid_codes() {
        let cases = [
            ("91110108551385082A", "checksum"),
            ("9111010855138508", "has 16 characters"),
            ("91110108551385O82Q", "position 15"),
            ("", "has 0 characters"),
        ];
        for (raw, needle) in cases {
            let e = normalise_credit_code(raw).unwrap_err();
            assert!(e.message.contains(needle), "input {raw:?}: {}", e.message);
        }
    }

    #[test]
    fn check_char_matches_every_single_substitution() {
        // Changing any one of the first 17 characters must change the check character.
        let base = b"91110108551385082";
        let good = check_char(base).unwrap();
        for i in 0..17 {
            for &c in CHARSET.iter() {
                if c == base[i] {
                    continue;
                }
                let mut v = *base;
                v[i] = c;
                assert_ne!(check_char(&v).unwrap(), good, "position {i} char {}", c as char);
            }
        }
    }
}
