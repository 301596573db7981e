//! Function calls in rules: their arguments (event kinds, fields, expressions, windows, dates,
//! durations) and the words that name windows (`last 90d`, `this quarter`, `最近90天`, `本月`).

use super::{
    super::{
        error::{RuleError, Span},
        lexer::{Tok, Unit},
        syntax::*,
    },
    describe, describe_zh, Parser,
};
use crate::metrics::Window;

impl Parser {
    pub(super) fn call(&mut self, name: Name) -> Result<Expr, RuleError> {
        self.bump(); // (
        let mut args = Vec::new();
        while self.peek() != &Tok::Op(")") {
            args.push(self.nest(|p| p.arg())?);
            if self.peek() == &Tok::Op(",") {
                self.bump();
            } else if self.peek() != &Tok::Op(")") {
                let t = self.token();
                return Err(RuleError::new(
                    "expected_token",
                    t.span,
                    format!("expected `,` or `)` in the call of `{}`, found {}", name.text, describe(&t.tok)),
                )
                .zh(format!("调用 `{}` 时这里需要 `,` 或 `)`，实际是{}", name.text, describe_zh(&t.tok))));
            }
        }
        let close = self.bump().span;
        let span = name.span.to(close);
        Ok(Expr { kind: ExprKind::Call { name, args }, span })
    }

    /// A call argument: a window, `first|last <event>`, or an expression.
    fn arg(&mut self) -> Result<Arg, RuleError> {
        let t = self.token();
        if let Tok::Duration(n, unit) = t.tok {
            self.bump();
            return Ok(duration_arg(n, unit, t.span));
        }
        if let Tok::Num(v) = t.tok {
            let unit = match self.tokens.get(self.at + 1).map(|n| &n.tok) {
                Some(Tok::Ident(w)) => unit_word(w),
                _ => None,
            };
            if let Some(unit) = unit {
                if v.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&v) {
                    return Err(RuleError::new("bad_duration", t.span, format!("a duration needs a whole number, not {v}"))
                        .zh(format!("时长需要整数，而不是 {v}")));
                }
                self.bump();
                let end = self.bump().span;
                return Ok(duration_arg(v as u32, unit, t.span.to(end)));
            }
        }
        let Tok::Ident(word) = &t.tok else { return Ok(Arg::Expr(self.expr()?)) };
        let lower = word.to_ascii_lowercase();
        let next = self.tokens.get(self.at + 1).cloned();
        let next_tok = next.as_ref().map(|n| &n.tok);
        if let Some(w) = single_word_window(word) {
            self.bump();
            return Ok(Arg::Window(w, t.span));
        }
        if let Some(w) = next_tok.and_then(|n| if let Tok::Ident(period) = n { period_window(&lower, period) } else { None }) {
            self.bump();
            let end = self.bump().span;
            return Ok(Arg::Window(w, t.span.to(end)));
        }
        match (lower.as_str(), next_tok) {
            ("last" | "最近" | "近" | "过去", Some(Tok::Duration(n, unit))) => {
                let (n, unit) = (*n, *unit);
                self.bump();
                let end = self.bump().span;
                Ok(Arg::Window(Window::LastDays(days(n, unit)), t.span.to(end)))
            }
            ("last" | "first" | "最后" | "首次" | "最近一次" | "第一次", Some(Tok::Ident(kind))) => {
                let end = if matches!(lower.as_str(), "first" | "首次" | "第一次") { End::First } else { End::Last };
                let name = Name { text: kind.clone(), span: next.as_ref().map_or(t.span, |n| n.span) };
                self.bump();
                self.bump();
                Ok(Arg::Event(end, name))
            }
            ("between" | "介于", _) => {
                self.bump();
                let a = self.date_literal()?;
                if !self.is_kw("and") {
                    let t = self.token();
                    return Err(
                        RuleError::new("expected_token", t.span, "expected `and` between the two dates").zh("两个日期之间需要 `and`")
                    );
                }
                self.bump();
                let b = self.date_literal()?;
                let end = self.tokens[self.at - 1].span;
                if b.0 < a.0 {
                    return Err(RuleError::new("reversed_window", t.span.to(end), "the window ends before it starts")
                        .help("write the earlier date first")
                        .zh("时间窗口的结束早于开始")
                        .help_zh("请先写较早的日期"));
                }
                Ok(Arg::Window(Window::Between(a.0, b.0), t.span.to(end)))
            }
            _ => {
                for (prefix, end) in [("最后一次", End::Last), ("最近一次", End::Last), ("首次", End::First), ("第一次", End::First)]
                {
                    if let Some(kind) = word.strip_prefix(prefix).filter(|k| !k.is_empty()) {
                        self.bump();
                        return Ok(Arg::Event(end, Name { text: kind.to_string(), span: t.span }));
                    }
                }
                Ok(Arg::Expr(self.expr()?))
            }
        }
    }

    fn date_literal(&mut self) -> Result<(crate::metrics::Day, Span), RuleError> {
        let t = self.bump();
        match t.tok {
            Tok::Date(d) => Ok((d, t.span)),
            other => {
                Err(RuleError::new("expected_date", t.span, format!("expected a date such as 2024-01-31, found {}", describe(&other)))
                    .zh(format!("这里需要日期，如 2024-01-31，实际是{}", describe_zh(&other))))
            }
        }
    }
}

/// `12 months`, `90 days`: a unit written as a word after a number.
fn unit_word(word: &str) -> Option<Unit> {
    Some(match word.to_ascii_lowercase().as_str() {
        "day" | "days" | "天" | "日" => Unit::Day,
        "week" | "weeks" | "周" => Unit::Week,
        "month" | "months" | "个月" | "月" => Unit::Month,
        "year" | "years" | "年" => Unit::Year,
        _ => return None,
    })
}

fn duration_arg(count: u32, unit: Unit, span: Span) -> Arg {
    let months = matches!(unit, Unit::Month | Unit::Year);
    let count = if unit == Unit::Year { count.saturating_mul(12) } else { count };
    let days = match unit {
        Unit::Month | Unit::Year => (f64::from(count) * crate::predict::DAYS_PER_MONTH).round().min(f64::from(u32::MAX)) as u32,
        other => days(count, other),
    };
    Arg::Duration { days, count, months, span }
}

fn days(n: u32, unit: Unit) -> u32 {
    match unit {
        Unit::Day => n,
        Unit::Week => n.saturating_mul(7),
        Unit::Month => n.saturating_mul(30),
        Unit::Year => n.saturating_mul(365),
    }
}

fn period_window(which: &str, period: &str) -> Option<Window> {
    Some(match (which, period.to_ascii_lowercase().as_str()) {
        ("last", "month") => Window::LastMonth,
        ("last", "quarter") => Window::LastQuarter,
        ("last", "year") => Window::LastYear,
        ("this", "month") => Window::ThisMonth,
        ("this", "quarter") => Window::ThisQuarter,
        ("this", "year") => Window::ThisYear,
        _ => return None,
    })
}

/// Windows written as one word: `本月`, `上季度`, `all`, `最近90天`, `近3个月`.
fn single_word_window(word: &str) -> Option<Window> {
    Some(match word {
        "all" | "ever" | "全部" | "累计" => Window::All,
        "本月" => Window::ThisMonth,
        "上月" | "上个月" => Window::LastMonth,
        "本季度" | "本季" => Window::ThisQuarter,
        "上季度" | "上季" => Window::LastQuarter,
        "今年" | "本年" => Window::ThisYear,
        "去年" | "上年" => Window::LastYear,
        _ => {
            let rest = word.strip_prefix("最近").or_else(|| word.strip_prefix("近")).or_else(|| word.strip_prefix("过去"))?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let n: u32 = digits.parse().ok()?;
            let unit = match &rest[digits.len()..] {
                "天" | "日" => Unit::Day,
                "周" => Unit::Week,
                "个月" | "月" => Unit::Month,
                "年" => Unit::Year,
                _ => return None,
            };
            Window::LastDays(days(n, unit))
        }
    })
}
