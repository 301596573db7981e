//! E-mail addresses: trimmed, lower-cased, checked for a plausible shape.

use crate::{text::clean_text, ValueError};

/// Lower-cases and checks an e-mail address: one `@`, a non-empty local part, a domain with a dot
/// and no spaces. Full-width characters (＠, ．) are converted first.
pub fn normalise_email(raw: &str) -> Result<String, ValueError> {
    let s = clean_text(raw).replace('。', ".").to_lowercase();
    let s = s.trim_start_matches("mailto:").to_string();
    let ok = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && !s.contains(char::is_whitespace)
                && s.len() <= 254
        }
        None => false,
    };
    if ok {
        Ok(s)
    } else {
        Err(ValueError::new("invalid_email", format!("`{}` is not an e-mail address; write it as name@example.com", clean_text(raw)))
            .zh(format!("`{}` 不是邮箱地址；请写成 name@example.com", clean_text(raw))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_emails() {
        for (raw, want) in
            [(" Wang.Wei@Example.COM ", "wang.wei@example.com"), ("ｌｉ＠ｑｑ．ｃｏｍ", "li@qq.com"), ("mailto:a@b.cn", "a@b.cn")]
        {
            assert_eq!(normalise_email(raw).as_deref(), Ok(want), "input {raw:?}");
        }
        for raw in ["", "wang", "wang@", "@x.com", "a@b", "a b@c.com", "a@@b.com", "a@b..com"] {
            assert!(normalise_email(raw).is_err(), "input {raw:?} should be rejected");
        }
    }
}
