//! Rule text → tokens with byte spans. Accepts full-width punctuation and digits as Chinese
//! input methods type them, Chinese quotes, Chinese identifiers, dates (2024-01-05), durations
//! (90d, 12w, 3mo, 1y, 90天), percentages (20%) and 万/亿 amounts (10万).

use super::error::{RuleError, Span};
use crate::metrics::{day_of, Day};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    Week,
    Month,
    Year,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Num(f64),
    Text(String),
    Date(Day),
    Duration(u32, Unit),
    /// Punctuation and operators: ( ) [ ] , . = != < <= > >= + - * /
    Op(&'static str),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Full-width ASCII (U+FF01–U+FF5E) and the ideographic space read as their ASCII forms;
/// the enumeration comma 、 reads as a comma.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '、' => ',',
        _ => c,
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

const OPS: [&str; 18] = ["!=", "<>", "<=", ">=", "==", "(", ")", "[", "]", ",", ".", "=", "<", ">", "+", "-", "*", "/"];

pub fn lex(src: &str) -> Result<Vec<Token>, RuleError> {
    let chars: Vec<(usize, char)> = src.char_indices().map(|(i, c)| (i, half_width(c))).collect();
    let end_of = |k: usize| chars.get(k).map_or(src.len(), |&(i, _)| i);
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let (start, c) = chars[k];
        if c.is_whitespace() {
            k += 1;
            continue;
        }
        let next = chars.get(k + 1).map(|&(_, c)| c);
        let (tok, len) = if is_ident_start(c) {
            let n = chars[k..].iter().take_while(|&&(_, c)| is_ident_char(c)).count();
            (Tok::Ident(chars[k..k + n].iter().map(|&(_, c)| c).collect()), n)
        } else if c.is_ascii_digit() {
            number(&chars[k..]).map_err(|(m, zh)| RuleError::new("bad_number", Span::new(start, end_of(k + 1)), m).zh(zh))?
        } else if let Some(close) = closing_quote(c) {
            let body: String = chars[k + 1..].iter().map(|&(_, c)| c).take_while(|&c| c != close).collect();
            let n = body.chars().count();
            if k + 1 + n >= chars.len() {
                return Err(RuleError::new("unclosed_text", Span::new(start, src.len()), "this text has no closing quote")
                    .help(format!("end the text with {close}"))
                    .zh("这段文本没有结束的引号")
                    .help_zh(format!("请用 {close} 结束文本")));
            }
            (Tok::Text(body), n + 2)
        } else {
            let two: String = [c, next.unwrap_or(' ')].iter().collect();
            let op = OPS.iter().find(|op| op.len() == 2 && **op == two).map(|op| (*op, 2)).or_else(|| {
                let one = c.to_string();
                OPS.iter().find(|op| op.len() == 1 && **op == one).map(|op| (*op, 1))
            });
            match op {
                Some(("<>", n)) => (Tok::Op("!="), n),
                Some(("==", n)) => (Tok::Op("="), n),
                Some((op, n)) => (Tok::Op(op), n),
                None => {
                    return Err(RuleError::new(
                        "unexpected_character",
                        Span::new(start, end_of(k + 1)),
                        format!("unexpected character `{c}`"),
                    )
                    .help("rules use names, numbers, \"text\", comparisons (= != < <= > >=), and, or, not, in")
                    .zh(format!("无法识别的字符 `{c}`"))
                    .help_zh("规则由名称、数字、\"文本\"、比较符（= != < <= > >=）和 and、or、not、in 组成"))
                }
            }
        };
        out.push(Token { tok, span: Span::new(start, end_of(k + len)) });
        k += len;
    }
    out.push(Token { tok: Tok::Eof, span: Span::new(src.len(), src.len()) });
    Ok(out)
}

fn closing_quote(c: char) -> Option<char> {
    match c {
        '"' => Some('"'),
        '\'' => Some('\''),
        '“' => Some('”'),
        '‘' => Some('’'),
        '「' => Some('」'),
        _ => None,
    }
}

/// A number, date, duration, percentage or 万/亿 amount at the start of `s`; returns the
/// token and how many characters it used, or the error in English and Chinese.
fn number(s: &[(usize, char)]) -> Result<(Tok, usize), (String, String)> {
    let digits = |from: usize| s[from..].iter().take_while(|&&(_, c)| c.is_ascii_digit() || c == '_').count();
    let text = |a: usize, b: usize| s[a..b].iter().map(|&(_, c)| c).filter(|&c| c != '_').collect::<String>();
    let char_at = |i: usize| s.get(i).map(|&(_, c)| c);
    let mut n = digits(0);
    // 2024-01-05
    if n == 4 && char_at(4) == Some('-') && char_at(5).is_some_and(|c| c.is_ascii_digit()) {
        let m = digits(5);
        if char_at(5 + m) == Some('-') {
            let d = digits(6 + m);
            let raw = text(0, 6 + m + d);
            let date =
                crate::date::parse_date(&raw).map_err(|_| (format!("`{raw}` is not a valid date"), format!("`{raw}` 不是有效的日期")))?;
            return Ok((Tok::Date(day_of(date)), 6 + m + d));
        }
    }
    if char_at(n) == Some('.') && char_at(n + 1).is_some_and(|c| c.is_ascii_digit()) {
        n += 1 + digits(n + 1);
    }
    let value: f64 = text(0, n).parse().map_err(|_| (format!("`{}` is not a number", text(0, n)), format!("`{}` 不是数字", text(0, n))))?;
    let suffix: String = s[n..].iter().map(|&(_, c)| c).take_while(|&c| is_ident_char(c) && !c.is_ascii_digit()).collect();
    let whole = |unit: Unit, used: usize| -> Result<(Tok, usize), (String, String)> {
        if value.fract() != 0.0 || value > f64::from(u32::MAX) {
            return Err((format!("a duration needs a whole number, not {value}"), format!("时长需要整数，而不是 {value}")));
        }
        Ok((Tok::Duration(value as u32, unit), n + used))
    };
    match suffix.as_str() {
        "" => {}
        "d" | "天" | "日" => return whole(Unit::Day, suffix.chars().count()),
        "w" | "周" => return whole(Unit::Week, suffix.chars().count()),
        "mo" | "个月" | "月" => return whole(Unit::Month, suffix.chars().count()),
        "y" | "年" => return whole(Unit::Year, suffix.chars().count()),
        "万" => return Ok((Tok::Num(value * 1e4), n + 1)),
        "亿" => return Ok((Tok::Num(value * 1e8), n + 1)),
        "k" => return Ok((Tok::Num(value * 1e3), n + 1)),
        other => {
            return Err((
                format!("unknown unit `{other}` after {value}; use d/天, w/周, mo/月, y/年 for durations or 万/亿 for amounts"),
                format!("{value} 后面的单位 `{other}` 无法识别；时长请用 d/天、w/周、mo/月、y/年，金额请用 万/亿"),
            ))
        }
    }
    if char_at(n) == Some('%') {
        return Ok((Tok::Num(value / 100.0), n + 1));
    }
    Ok((Tok::Num(value), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_of_typical_rules() {
        use Tok::*;
        let cases: Vec<(&str, Vec<Tok>)> = vec![
            (
                "count(orders, last 90d) > 5",
                vec![
                    Ident("count".into()),
                    Op("("),
                    Ident("orders".into()),
                    Op(","),
                    Ident("last".into()),
                    Duration(90, Unit::Day),
                    Op(")"),
                    Op(">"),
                    Num(5.0),
                    Eof,
                ],
            ),
            ("省份 = “广东”", vec![Ident("省份".into()), Op("="), Text("广东".into()), Eof]),
            ("金额 ＞ 10万", vec![Ident("金额".into()), Op(">"), Num(100_000.0), Eof]),
            ("x <> 1_000.5", vec![Ident("x".into()), Op("!="), Num(1000.5), Eof]),
            ("since >= 2024-01-05", vec![Ident("since".into()), Op(">="), Date(19727), Eof]),
            ("growth > 20%", vec![Ident("growth".into()), Op(">"), Num(0.2), Eof]),
            (
                "行业 in ［\"医疗\"、'制造'］",
                vec![Ident("行业".into()), Ident("in".into()), Op("["), Text("医疗".into()), Op(","), Text("制造".into()), Op("]"), Eof],
            ),
            ("３个月 90天 1y", vec![Duration(3, Unit::Month), Duration(90, Unit::Day), Duration(1, Unit::Year), Eof]),
        ];
        for (src, want) in cases {
            assert_eq!(toks(src), want, "{src}");
        }
    }

    #[test]
    fn spans_are_byte_ranges_of_the_source() {
        let t = lex("省份 = \"广东\"").unwrap();
        assert_eq!(t[0].span, Span::new(0, 6));
        assert_eq!(t[2].span, Span::new(9, 17));
    }

    #[test]
    fn lexical_errors_say_where_and_how() {
        let cases = [
            ("a = \"open", "unclosed_text", 4),
            ("a # 3", "unexpected_character", 2),
            ("count > 5x", "bad_number", 8),
            ("since > 2024-13-01", "bad_number", 8),
            ("last 1.5d", "bad_number", 5),
        ];
        for (src, code, at) in cases {
            let e = lex(src).unwrap_err();
            assert_eq!((e.code, e.span.start), (code, at), "{src}: {e:?}");
        }
    }
}
