//! Money as integer cents plus an ISO 4217 currency, parsed from how sheets write amounts.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::{
    text::{clean, clean_text},
    ValueError,
};

/// An amount of money. Cents are the minor unit for every currency Strata accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub cents: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    CNY,
    USD,
    EUR,
    HKD,
    JPY,
    GBP,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::CNY => "CNY",
            Currency::USD => "USD",
            Currency::EUR => "EUR",
            Currency::HKD => "HKD",
            Currency::JPY => "JPY",
            Currency::GBP => "GBP",
        }
    }

    pub fn parse(s: &str) -> Result<Currency, ValueError> {
        match clean_text(s).to_ascii_uppercase().as_str() {
            "CNY" | "RMB" | "人民币" | "元" | "¥" => Ok(Currency::CNY),
            "USD" | "美元" | "$" => Ok(Currency::USD),
            "EUR" | "欧元" | "€" => Ok(Currency::EUR),
            "HKD" | "港币" | "港元" => Ok(Currency::HKD),
            "JPY" | "日元" => Ok(Currency::JPY),
            "GBP" | "英镑" | "£" => Ok(Currency::GBP),
            other => Err(ValueError::new("unknown_currency", format!("unknown currency `{other}`; use CNY, USD, EUR, HKD, JPY or GBP"))
                .zh(format!("未知币种 `{other}`；请用 CNY、USD、EUR、HKD、JPY 或 GBP"))),
        }
    }
}

/// Formats cents as a plain decimal ("1234.50"), the lossless form used in exports.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses "¥1,234.50", "12.5万", "3万元", "1.2亿", "-300", "(300)", "USD 12.00", "１２３元".
/// `default_currency` applies when the text names none.
pub fn parse_money(raw: &str, default_currency: Currency) -> Result<Money, ValueError> {
    let cleaned = clean(raw);
    let separators = ['，', ',', ' ', '_'];
    let s = if cleaned.contains(separators) { Cow::Owned(cleaned.replace(separators, "")) } else { cleaned };
    if s.is_empty() {
        return Err(ValueError::new("empty_amount", "amount is empty").zh("金额为空"));
    }
    let mut rest = s.as_ref();
    let mut currency = None;
    for (prefix, cur) in [
        ("CNY", Currency::CNY),
        ("RMB", Currency::CNY),
        ("¥", Currency::CNY),
        ("￥", Currency::CNY),
        ("USD", Currency::USD),
        ("US$", Currency::USD),
        ("$", Currency::USD),
        ("EUR", Currency::EUR),
        ("€", Currency::EUR),
        ("HKD", Currency::HKD),
        ("HK$", Currency::HKD),
        ("GBP", Currency::GBP),
        ("£", Currency::GBP),
        ("JPY", Currency::JPY),
    ] {
        if let Some(r) = rest.strip_prefix(prefix) {
            currency = Some(cur);
            rest = r;
            break;
        }
    }
    let negative_parens = rest.starts_with('(') && rest.ends_with(')');
    if negative_parens {
        rest = &rest[1..rest.len() - 1];
    }
    // Units and currency words at the end.
    let mut scale_pow = 0u32; // multiply by 10^scale_pow
    for (suffix, pow, cur) in [
        ("万元", 4, Some(Currency::CNY)),
        ("亿元", 8, Some(Currency::CNY)),
        ("美元", 0, Some(Currency::USD)),
        ("欧元", 0, Some(Currency::EUR)),
        ("港元", 0, Some(Currency::HKD)),
        ("日元", 0, Some(Currency::JPY)),
        ("元", 0, Some(Currency::CNY)),
        ("人民币", 0, Some(Currency::CNY)),
        ("CNY", 0, Some(Currency::CNY)),
        ("RMB", 0, Some(Currency::CNY)),
        ("USD", 0, Some(Currency::USD)),
        ("EUR", 0, Some(Currency::EUR)),
        ("万", 4, None),
        ("亿", 8, None),
        ("千", 3, None),
    ] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r;
            scale_pow = pow;
            if let (Some(c), None) = (cur, currency) {
                currency = Some(c);
            }
            break;
        }
    }
    let cents = decimal_to_cents(rest, scale_pow).ok_or_else(|| {
        ValueError::new("invalid_amount", format!("`{}` is not an amount; write it as 1234.50, ¥1,234.50 or 12.5万", clean_text(raw)))
            .zh(format!("`{}` 不是金额；请写成 1234.50、¥1,234.50 或 12.5万", clean_text(raw)))
    })?;
    Ok(Money { cents: if negative_parens { -cents } else { cents }, currency: currency.unwrap_or(default_currency) })
}

/// "1234.567" scaled by 10^pow, to cents, rounded half away from zero. None if not a number or
/// out of range.
fn decimal_to_cents(s: &str, pow: u32) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit()) || !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if int_part.len() > 18 || frac_part.len() > 18 {
        return None;
    }
    // value = int.frac × 10^pow × 100 cents; keep 1 extra digit for rounding.
    let shift = pow + 2;
    let mut all: String = int_part.to_string();
    let frac_keep = frac_part.len().min(shift as usize + 1);
    all.push_str(&frac_part[..frac_keep]);
    let mut scaled: i128 = if all.is_empty() { 0 } else { all.parse().ok()? };
    let have = frac_keep as u32; // digits after the point included
    let want = shift + 1; // one guard digit
    for _ in have..want {
        scaled = scaled.checked_mul(10)?;
    }
    let rounded = (scaled + 5) / 10;
    let v = i64::try_from(rounded).ok()?;
    if v > 9_000_000_000_000_000 {
        return None;
    }
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(raw: &str) -> i64 {
        let m = parse_money(raw, Currency::CNY).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
        assert_eq!(m.currency, Currency::CNY, "{raw:?}");
        m.cents
    }

    #[test]
    fn parses_amounts_as_sheets_write_them() {
        let cases = [
            ("1234.5", 123_450),
            ("¥1,234.50", 123_450),
            ("￥1，234.50", 123_450),
            ("12.5万", 12_500_000),
            ("3万元", 3_000_000),
            ("1.2亿", 12_000_000_000),
            ("100元", 10_000),
            ("-300", -30_000),
            ("(300)", -30_000),
            ("１２３元", 12_300),
            ("0.005", 1),
            ("0.004", 0),
            ("12.3400000001", 1234),
            (".5", 50),
            ("7.", 700),
            ("RMB 88", 8_800),
        ];
        for (raw, want) in cases {
            assert_eq!(cny(raw), want, "input {raw:?}");
        }
    }

    #[test]
    fn reads_currency() {
        assert_eq!(parse_money("$12.00", Currency::CNY).unwrap(), Money { cents: 1200, currency: Currency::USD });
        assert_eq!(parse_money("12 USD", Currency::CNY).unwrap().currency, Currency::USD);
        assert_eq!(parse_money("5欧元", Currency::CNY).unwrap().currency, Currency::EUR);
        assert_eq!(parse_money("5", Currency::EUR).unwrap().currency, Currency::EUR);
    }

    #[test]
    fn rejects_non_amounts() {
        for raw in ["", "abc", "1.2.3", "--5", "12万万", "1e5", "99999999999999999999"] {
            assert!(parse_money(raw, Currency::CNY).is_err(), "input {raw:?} should be rejected");
        }
    }

    #[test]
    fn formats_cents() {
        assert_eq!(format_cents(123_450), "1234.50");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(0), "0.00");
    }
}
