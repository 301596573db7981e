//! Tokens → syntax tree, by precedence climbing: or < and < not < comparison / in / between
//! < + − < × ÷ < unary minus. Keywords have Chinese forms (且 或 非 属于 不属于 介于); windows
//! read `last 90d`, `this quarter`, `between 2024-01-01 and 2024-03-31`, `最近90天`, `本月`.

use super::{
    error::{RuleError, Span},
    lexer::{lex, Tok, Token},
    syntax::*,
};
mod call_args;

/// Longest rule text accepted, in bytes.
pub const MAX_SOURCE: usize = 20_000;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// Most syntax nodes accepted.
pub const MAX_NODES: usize = 2_000;

pub fn parse(src: &str) -> Result<Expr, RuleError> {
    if src.len() > MAX_SOURCE {
        return Err(RuleError::new(
            "rule_too_long",
            Span::new(0, src.len()),
            format!("the rule is {} bytes; the limit is {MAX_SOURCE}", src.len()),
        )
        .zh(format!("这条规则有 {} 字节，上限为 {MAX_SOURCE}", src.len()))
        .help("split it into several tiers or models"));
    }
    let tokens = lex(src)?;
    let mut p = Parser { tokens, at: 0, depth: 0 };
    if p.peek() == &Tok::Eof {
        return Err(RuleError::new("empty_rule", Span::new(0, src.len()), "the rule is empty")
            .help("write a condition such as `count(orders) > 0`")
            .zh("规则是空的")
            .help_zh("请写一个条件，如 `count(orders) > 0`"));
    }
    let e = p.expr()?;
    if p.peek() != &Tok::Eof {
        let t = p.token();
        return Err(RuleError::new("unexpected_token", t.span, format!("unexpected {} after a complete rule", describe(&t.tok)))
            .help("join conditions with `and` / `or`")
            .zh(format!("完整的规则后面多了{}", describe_zh(&t.tok)))
            .help_zh("多个条件请用 `and` / `or` 连接"));
    }
    if e.size() > MAX_NODES {
        return Err(RuleError::new("rule_too_large", e.span, format!("the rule has {} parts; the limit is {MAX_NODES}", e.size()))
            .zh(format!("这条规则有 {} 个部分，上限为 {MAX_NODES}", e.size())));
    }
    if e.depth() > MAX_DEPTH {
        return Err(RuleError::new("rule_too_deep", e.span, format!("the rule nests deeper than {MAX_DEPTH} levels"))
            .help("group long chains of `or` into lists: industry in [\"A\", \"B\"], or split the rule across tiers")
            .zh(format!("这条规则嵌套超过 {MAX_DEPTH} 层"))
            .help_zh("把一长串 `or` 写成列表：industry in [\"A\", \"B\"]，或把规则拆到几个层级里"));
    }
    Ok(e)
}

/// A token as messages name it.
fn describe(t: &Tok) -> String {
    describe_in(t, false)
}

/// A token as Chinese messages name it.
fn describe_zh(t: &Tok) -> String {
    describe_in(t, true)
}

fn describe_in(t: &Tok, zh: bool) -> String {
    match (t, zh) {
        (Tok::Ident(s), _) => format!("`{s}`"),
        (Tok::Op(o), _) => format!("`{o}`"),
        (Tok::Num(n), false) => format!("number {n}"),
        (Tok::Num(n), true) => format!("数字 {n}"),
        (Tok::Text(s), false) => format!("text \"{s}\""),
        (Tok::Text(s), true) => format!("文本 \"{s}\""),
        (Tok::Date(_), false) => "a date".into(),
        (Tok::Date(_), true) => "日期".into(),
        (Tok::Duration(..), false) => "a duration".into(),
        (Tok::Duration(..), true) => "时长".into(),
        (Tok::Eof, false) => "the end of the rule".into(),
        (Tok::Eof, true) => "规则结尾".into(),
    }
}

fn keyword(t: &Tok) -> Option<&'static str> {
    let Tok::Ident(s) = t else { return None };
    Some(match s.to_ascii_lowercase().as_str() {
        "and" | "且" | "并且" | "而且" => "and",
        "or" | "或" | "或者" => "or",
        "not" | "非" | "不" => "not",
        "in" | "属于" => "in",
        "不属于" => "not_in",
        "between" | "介于" => "between",
        "true" | "是" => "true",
        "false" | "否" => "false",
        _ => return None,
    })
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.at.min(self.tokens.len() - 1)].tok
    }

    fn token(&self) -> Token {
        self.tokens[self.at.min(self.tokens.len() - 1)].clone()
    }

    fn bump(&mut self) -> Token {
        let t = self.token();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn is_kw(&self, kw: &str) -> bool {
        keyword(self.peek()) == Some(kw)
    }

    fn expect(&mut self, op: &'static str, what: &str) -> Result<Span, RuleError> {
        if self.peek() == &Tok::Op(op) {
            return Ok(self.bump().span);
        }
        let t = self.token();
        Err(RuleError::new("expected_token", t.span, format!("expected `{op}` {what}, found {}", describe(&t.tok)))
            .zh(format!("这里需要 `{op}`，实际是{}", describe_zh(&t.tok))))
    }

    fn nest<T>(&mut self, f: impl FnOnce(&mut Parser) -> Result<T, RuleError>) -> Result<T, RuleError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.token().span;
            return Err(RuleError::new("rule_too_deep", span, format!("the rule nests deeper than {MAX_DEPTH} levels"))
                .help("flatten it")
                .zh(format!("这条规则嵌套超过 {MAX_DEPTH} 层"))
                .help_zh("请减少嵌套"));
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn expr(&mut self) -> Result<Expr, RuleError> {
        self.nest(|p| p.binary(0))
    }

    /// Binary operators by level: 0 or, 1 and, (2 not, 3 comparison: see `unary_not`), 4 +−, 5 ×÷.
    fn binary(&mut self, level: u8) -> Result<Expr, RuleError> {
        if level == 2 {
            return self.not_level();
        }
        if level >= 6 {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        loop {
            let op = match (level, self.peek(), keyword(self.peek())) {
                (0, _, Some("or")) => BinOp::Or,
                (1, _, Some("and")) => BinOp::And,
                (4, Tok::Op("+"), _) => BinOp::Add,
                (4, Tok::Op("-"), _) => BinOp::Sub,
                (5, Tok::Op("*"), _) => BinOp::Mul,
                (5, Tok::Op("/"), _) => BinOp::Div,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.nest(|p| p.binary(level + 1))?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span };
        }
    }

    fn not_level(&mut self) -> Result<Expr, RuleError> {
        if self.is_kw("not") {
            let start = self.bump().span;
            let inner = self.nest(|p| p.not_level())?;
            let span = start.to(inner.span);
            return Ok(Expr { kind: ExprKind::Unary { op: UnOp::Not, expr: Box::new(inner) }, span });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, RuleError> {
        let lhs = self.binary(4)?;
        let op = match self.peek() {
            Tok::Op("=") => Some(BinOp::Eq),
            Tok::Op("!=") => Some(BinOp::Ne),
            Tok::Op("<") => Some(BinOp::Lt),
            Tok::Op("<=") => Some(BinOp::Le),
            Tok::Op(">") => Some(BinOp::Gt),
            Tok::Op(">=") => Some(BinOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let rhs = self.binary(4)?;
            let span = lhs.span.to(rhs.span);
            return Ok(Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span });
        }
        let negated = if self.is_kw("not") && keyword(&self.tokens[(self.at + 1).min(self.tokens.len() - 1)].tok) == Some("in") {
            self.bump();
            true
        } else {
            self.is_kw("not_in")
        };
        if self.is_kw("in") || self.is_kw("not_in") {
            self.bump();
            let open = self.expect("[", "to start the list after `in`")?;
            let mut list = Vec::new();
            while self.peek() != &Tok::Op("]") {
                list.push(self.binary(4)?);
                if self.peek() == &Tok::Op(",") {
                    self.bump();
                } else if self.peek() != &Tok::Op("]") {
                    let t = self.token();
                    return Err(RuleError::new(
                        "expected_token",
                        t.span,
                        format!("expected `,` or `]` in the list, found {}", describe(&t.tok)),
                    )
                    .help("write lists as [\"A\", \"B\"]")
                    .zh(format!("列表里这里需要 `,` 或 `]`，实际是{}", describe_zh(&t.tok)))
                    .help_zh("列表请写成 [\"A\", \"B\"]"));
                }
            }
            let close = self.bump().span;
            if list.is_empty() {
                return Err(RuleError::new("empty_list", open.to(close), "the list is empty")
                    .help("put at least one value in [ ]")
                    .zh("列表是空的")
                    .help_zh("[ ] 里至少放一个值"));
            }
            let span = lhs.span.to(close);
            return Ok(Expr { kind: ExprKind::In { expr: Box::new(lhs), list, negated }, span });
        }
        if negated {
            let t = self.token();
            return Err(RuleError::new("expected_token", t.span, "expected `in` after `not`").zh("`not` 后面需要 `in`"));
        }
        if self.is_kw("between") {
            self.bump();
            let lo = self.binary(4)?;
            if !self.is_kw("and") {
                let t = self.token();
                return Err(RuleError::new(
                    "expected_token",
                    t.span,
                    format!("expected `and` in `between … and …`, found {}", describe(&t.tok)),
                )
                .zh(format!("`between … and …` 这里需要 `and`，实际是{}", describe_zh(&t.tok))));
            }
            self.bump();
            let hi = self.binary(4)?;
            let span = lhs.span.to(hi.span);
            return Ok(Expr { kind: ExprKind::Between { expr: Box::new(lhs), lo: Box::new(lo), hi: Box::new(hi) }, span });
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, RuleError> {
        if self.peek() == &Tok::Op("-") {
            let start = self.bump().span;
            let inner = self.nest(|p| p.unary())?;
            let span = start.to(inner.span);
            return Ok(Expr { kind: ExprKind::Unary { op: UnOp::Neg, expr: Box::new(inner) }, span });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, RuleError> {
        let t = self.bump();
        let kind = match t.tok.clone() {
            Tok::Num(n) => ExprKind::Num(n),
            Tok::Text(s) => ExprKind::Text(s),
            Tok::Date(d) => ExprKind::Date(d),
            Tok::Op("(") => {
                let inner = self.expr()?;
                let close = self.expect(")", "to close `(`")?;
                return Ok(Expr { kind: inner.kind, span: t.span.to(close) });
            }
            Tok::Ident(_) if keyword(&t.tok) == Some("true") => ExprKind::Bool(true),
            Tok::Ident(_) if keyword(&t.tok) == Some("false") => ExprKind::Bool(false),
            Tok::Ident(s) if keyword(&t.tok).is_none() => {
                let name = Name { text: s, span: t.span };
                if self.peek() == &Tok::Op("(") {
                    return self.call(name);
                }
                let mut path = vec![name];
                while self.peek() == &Tok::Op(".") {
                    self.bump();
                    let n = self.bump();
                    let Tok::Ident(s) = n.tok else {
                        return Err(RuleError::new(
                            "expected_name",
                            n.span,
                            format!("expected a field name after `.`, found {}", describe(&n.tok)),
                        )
                        .zh(format!("`.` 后面需要字段名，实际是{}", describe_zh(&n.tok))));
                    };
                    path.push(Name { text: s, span: n.span });
                }
                let span = path[0].span.to(path[path.len() - 1].span);
                return Ok(Expr { kind: ExprKind::Path(path), span });
            }
            Tok::Duration(..) => {
                return Err(RuleError::new(
                    "misplaced_duration",
                    t.span,
                    "a duration only goes in a window, as in `count(orders, last 90d)`",
                )
                .zh("时长只能写在时间窗口里，如 `count(orders, last 90d)`"))
            }
            other => {
                return Err(RuleError::new(
                    "expected_value",
                    t.span,
                    format!("expected a value, a field or a function, found {}", describe(&other)),
                )
                .help("e.g. `count(orders, last 90d) > 5`")
                .zh(format!("这里需要一个值、字段或函数，实际是{}", describe_zh(&other)))
                .help_zh("如 `count(orders, last 90d) > 5`"))
            }
        };
        Ok(Expr { kind, span: t.span })
    }
}
