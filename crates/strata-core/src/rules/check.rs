//! Syntax tree → `Program`: resolves names against the `Schema`, checks types, rejects text
//! ordering, date/number mix-ups and divisions by values that can be zero, and enforces the
//! evaluation-cost limit. Every error has a position and a fix.

use super::{
    error::{suggest, RuleError, Span},
    parse,
    program::*,
    schema::{event_kind, Schema, ValueType},
    syntax::*,
};

/// Highest estimated evaluation cost per customer.
pub const MAX_COST: u64 = 5_000;

/// A typed sub-expression while checking.
enum Typed {
    Value(Node, ValueType),
    /// A text column: only compared with constants.
    TextRef(TextSource),
    TextConst(String),
}

/// Checks `src` as a condition (true/false), e.g. a ladder tier's rule.
pub fn check_condition(src: &str, schema: &Schema) -> Result<Program, RuleError> {
    check(src, schema, ValueType::Bool)
}

/// Checks `src` as a number, e.g. a weighted score's dimension.
pub fn check_number(src: &str, schema: &Schema) -> Result<Program, RuleError> {
    check(src, schema, ValueType::Number)
}

fn check(src: &str, schema: &Schema, want: ValueType) -> Result<Program, RuleError> {
    let expr = parse(src)?;
    let mut c = Checker { schema, metrics: Vec::new(), reads: Vec::new(), cost: 0 };
    let typed = c.expr(&expr)?;
    let (root, ty) = c.value(typed, expr.span)?;
    if ty != want {
        let (help, help_zh) = match want {
            ValueType::Bool => ("compare it, e.g. `… > 5`", "请写成比较，如 `… > 5`"),
            _ => ("use a number, e.g. `sum(orders.amount, last 365d)`", "请用数字，如 `sum(orders.amount, last 365d)`"),
        };
        return Err(RuleError::new("wrong_type", expr.span, format!("this is {}, but {} is needed here", ty.name(), want.name()))
            .help(help)
            .zh(format!("这里是{}，但需要{}", ty.name_zh(), want.name_zh()))
            .help_zh(help_zh));
    }
    if c.cost > MAX_COST {
        return Err(RuleError::new(
            "rule_too_costly",
            expr.span,
            format!("the rule costs about {} per customer; the limit is {MAX_COST}", c.cost),
        )
        .help("use fewer event aggregates")
        .zh(format!("这条规则每个客户约需 {} 的计算量，上限为 {MAX_COST}", c.cost))
        .help_zh("少用几个事件汇总"));
    }
    Ok(Program { root, metrics: c.metrics, ty, reads_models: c.reads, cost: c.cost })
}

struct Checker<'s> {
    schema: &'s Schema,
    metrics: Vec<Metric>,
    reads: Vec<usize>,
    cost: u64,
}

fn boxed(n: Node) -> Box<Node> {
    Box::new(n)
}

impl Checker<'_> {
    fn value(&self, t: Typed, span: Span) -> Result<(Node, ValueType), RuleError> {
        match t {
            Typed::Value(n, ty) => Ok((n, ty)),
            Typed::TextRef(_) | Typed::TextConst(_) => Err(RuleError::new("text_needs_comparison", span, "text can only be compared here")
                .help("compare it with = \"…\", != \"…\" or in [\"…\"]")
                .zh("文本在这里只能用来比较")
                .help_zh("请用 = \"…\"、!= \"…\" 或 in [\"…\"] 比较")),
        }
    }

    fn typed(&mut self, e: &Expr, want: ValueType) -> Result<Node, RuleError> {
        let t = self.expr(e)?;
        let (n, ty) = self.value(t, e.span)?;
        if ty != want {
            return Err(RuleError::new("wrong_type", e.span, format!("expected {}, found {}", want.name(), ty.name())).zh(format!(
                "这里需要{}，实际是{}",
                want.name_zh(),
                ty.name_zh()
            )));
        }
        Ok(n)
    }

    fn metric(&mut self, m: Metric) -> Node {
        self.cost += 20;
        let i = self.metrics.iter().position(|x| *x == m).unwrap_or_else(|| {
            self.metrics.push(m);
            self.metrics.len() - 1
        });
        Node::Metric(i)
    }

    fn expr(&mut self, e: &Expr) -> Result<Typed, RuleError> {
        self.cost += 1;
        Ok(match &e.kind {
            ExprKind::Num(n) => Typed::Value(Node::Const(*n), ValueType::Number),
            ExprKind::Date(d) => Typed::Value(Node::Const(f64::from(*d)), ValueType::Date),
            ExprKind::Bool(b) => Typed::Value(Node::Bool(*b), ValueType::Bool),
            ExprKind::Text(s) => Typed::TextConst(s.clone()),
            ExprKind::Path(path) => self.path(path)?,
            ExprKind::Call { name, args } => self.call(name, args, e.span)?,
            ExprKind::Unary { op: UnOp::Not, expr } => Typed::Value(Node::Not(boxed(self.typed(expr, ValueType::Bool)?)), ValueType::Bool),
            ExprKind::Unary { op: UnOp::Neg, expr } => {
                Typed::Value(Node::Neg(boxed(self.typed(expr, ValueType::Number)?)), ValueType::Number)
            }
            ExprKind::Binary { op: op @ (BinOp::And | BinOp::Or), lhs, rhs } => {
                let (a, b) = (self.typed(lhs, ValueType::Bool)?, self.typed(rhs, ValueType::Bool)?);
                let n = if *op == BinOp::And { Node::And(boxed(a), boxed(b)) } else { Node::Or(boxed(a), boxed(b)) };
                Typed::Value(n, ValueType::Bool)
            }
            ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => self.comparison(*op, lhs, rhs)?,
            ExprKind::Binary { op, lhs, rhs } => self.arithmetic(*op, lhs, rhs)?,
            ExprKind::In { expr, list, negated } => self.membership(expr, list, *negated)?,
            ExprKind::Between { expr, lo, hi } => {
                let ge = self.comparison(BinOp::Ge, expr, lo)?;
                let le = self.comparison(BinOp::Le, expr, hi)?;
                let (ge, _) = self.value(ge, e.span)?;
                let (le, _) = self.value(le, e.span)?;
                Typed::Value(Node::And(boxed(ge), boxed(le)), ValueType::Bool)
            }
        })
    }

    fn path(&mut self, path: &[Name]) -> Result<Typed, RuleError> {
        let first = &path[0];
        let (name, span) = match path {
            [n] => (n.text.as_str(), n.span),
            [c, n] if c.text == "custom" || c.text == "自定义" => (n.text.as_str(), n.span),
            [k, f] if event_kind(&k.text).is_some() => {
                return Err(RuleError::new(
                    "event_field_outside_aggregate",
                    k.span.to(f.span),
                    format!("`{}.{}` has one value per event, not per customer", k.text, f.text),
                )
                .help(format!("aggregate it, e.g. sum({}.{}, last 90d)", k.text, f.text))
                .zh(format!("`{}.{}` 是每条事件的值，不是每个客户的值", k.text, f.text))
                .help_zh(format!("请汇总，如 sum({}.{}, last 90d)", k.text, f.text)))
            }
            _ => {
                return Err(
                    RuleError::new("unknown_field", first.span.to(path[path.len() - 1].span), "unknown field path").zh("未知的字段路径")
                )
            }
        };
        if let Some((attr, ty)) = self.schema.attr(name) {
            return Ok(if ty == ValueType::Text { Typed::TextRef(TextSource::Attr(attr)) } else { Typed::Value(Node::Attr(attr), ty) });
        }
        if let Some(prediction) = calls::bare_prediction(name).filter(|_| path.len() == 1) {
            return self.prediction(prediction, span);
        }
        if event_kind(name).is_some() {
            return Err(RuleError::new("event_kind_as_value", span, format!("`{name}` is a kind of event, not a value"))
                .help(format!("count them, e.g. count({name}, last 90d) > 0"))
                .zh(format!("`{name}` 是一类事件，不是一个值"))
                .help_zh(format!("请计数，如 count({name}, last 90d) > 0")));
        }
        let names = self.schema.attr_names();
        let mut err = RuleError::new("unknown_field", span, format!("unknown field `{name}`")).zh(format!("未知字段 `{name}`"));
        err = match suggest(name, names.iter().copied()) {
            Some(s) => err.did_you_mean(s),
            None => {
                let known = names.iter().take(12).copied().collect::<Vec<_>>().join(", ");
                err.help(format!("known fields: {known}")).help_zh(format!("可用字段：{known}"))
            }
        };
        Err(err)
    }

    fn comparison(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr) -> Result<Typed, RuleError> {
        let span = lhs.span.to(rhs.span);
        let (a, b) = (self.expr(lhs)?, self.expr(rhs)?);
        let cmp = match op {
            BinOp::Eq => Cmp::Eq,
            BinOp::Ne => Cmp::Ne,
            BinOp::Lt => Cmp::Lt,
            BinOp::Le => Cmp::Le,
            BinOp::Gt => Cmp::Gt,
            _ => Cmp::Ge,
        };
        match (a, b) {
            (Typed::TextRef(source), Typed::TextConst(s)) | (Typed::TextConst(s), Typed::TextRef(source)) => {
                if !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                    return Err(RuleError::new("text_order", span, format!("text cannot be compared with `{}`", op.symbol()))
                        .help("use = , != or in [\"…\"] with text")
                        .zh(format!("文本不能用 `{}` 比较", op.symbol()))
                        .help_zh("文本请用 =、!= 或 in [\"…\"]"));
                }
                self.text_in(source, vec![(s, rhs.span)], cmp == Cmp::Ne)
            }
            (Typed::TextConst(_), Typed::TextConst(_)) | (Typed::TextRef(_), Typed::TextRef(_)) => {
                Err(RuleError::new("text_comparison", span, "compare a text field with a fixed text, e.g. province = \"广东\"")
                    .zh("请把文本字段与固定文本比较，如 province = \"广东\""))
            }
            (Typed::Value(_, ty), Typed::TextConst(text)) | (Typed::TextConst(text), Typed::Value(_, ty)) => {
                let (help, help_zh) = match ty {
                    ValueType::Date => ("write dates without quotes: 2024-01-31", "日期不加引号：2024-01-31"),
                    _ if text.trim().parse::<f64>().is_ok() => ("remove the quotes around the number", "去掉数字两边的引号"),
                    _ => ("compare it with a number, without quotes", "请与数字比较（不加引号）"),
                };
                Err(RuleError::new("type_mismatch", span, format!("this compares {} with text", ty.name()))
                    .help(help)
                    .zh(format!("这里把{}和文本比较", ty.name_zh()))
                    .help_zh(help_zh))
            }
            (a, b) => {
                let (na, ta) = self.value(a, lhs.span)?;
                let (nb, tb) = self.value(b, rhs.span)?;
                if ta != tb {
                    let dates = ta == ValueType::Date || tb == ValueType::Date;
                    return Err(RuleError::new("type_mismatch", span, format!("this compares {} with {}", ta.name(), tb.name()))
                        .help(if dates {
                            "compare dates with dates (2024-01-31), or use days_since(last order) for a number of days"
                        } else {
                            "both sides must have the same type"
                        })
                        .zh(format!("这里把{}和{}比较", ta.name_zh(), tb.name_zh()))
                        .help_zh(if dates {
                            "日期请与日期比较（2024-01-31），天数请用 days_since(last order)"
                        } else {
                            "两边的类型必须相同"
                        }));
                }
                if ta == ValueType::Bool && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                    return Err(
                        RuleError::new("bool_order", span, "conditions can only be compared with = or !=").zh("条件只能用 = 或 != 比较")
                    );
                }
                Ok(Typed::Value(Node::Cmp(cmp, boxed(na), boxed(nb)), ValueType::Bool))
            }
        }
    }

    fn text_in(&mut self, source: TextSource, values: Vec<(String, Span)>, negated: bool) -> Result<Typed, RuleError> {
        if let TextSource::Tier(m) = source {
            let model = &self.schema.models[m];
            for (v, span) in &values {
                if !model.tiers.iter().any(|t| t.is_named(v)) {
                    let names: Vec<&str> = model.tiers.iter().flat_map(|t| [t.name.as_str(), t.key.as_str()]).collect();
                    let mut e = RuleError::new("unknown_tier", *span, format!("model `{}` has no tier `{v}`", model.key))
                        .zh(format!("模型 `{}` 没有层级 `{v}`", model.key));
                    e = match suggest(v, names.iter().copied()) {
                        Some(s) => e.did_you_mean(s),
                        None => e.help(format!("its tiers are: {}", names.join(", "))).help_zh(format!("它的层级有：{}", names.join("、"))),
                    };
                    return Err(e);
                }
            }
        }
        Ok(Typed::Value(Node::TextIn { source, values: values.into_iter().map(|(v, _)| v).collect(), negated }, ValueType::Bool))
    }

    fn membership(&mut self, expr: &Expr, list: &[Expr], negated: bool) -> Result<Typed, RuleError> {
        match self.expr(expr)? {
            Typed::TextRef(source) => {
                let mut values = Vec::new();
                for item in list {
                    match &item.kind {
                        ExprKind::Text(s) => values.push((s.clone(), item.span)),
                        _ => {
                            return Err(RuleError::new("type_mismatch", item.span, "this list holds text; write each item in quotes")
                                .zh("这个列表装的是文本；每一项都要加引号"))
                        }
                    }
                }
                self.text_in(source, values, negated)
            }
            t => {
                let (node, ty) = self.value(t, expr.span)?;
                let mut values = Vec::new();
                for item in list {
                    match (&item.kind, ty) {
                        (ExprKind::Num(n), ValueType::Number) => values.push(*n),
                        (ExprKind::Date(d), ValueType::Date) => values.push(f64::from(*d)),
                        _ => {
                            return Err(RuleError::new(
                                "type_mismatch",
                                item.span,
                                format!("the list must hold fixed values of the same type ({})", ty.name()),
                            )
                            .zh(format!("列表里必须是同一类型的固定值（{}）", ty.name_zh())))
                        }
                    }
                }
                Ok(Typed::Value(Node::NumIn { value: boxed(node), values, negated }, ValueType::Bool))
            }
        }
    }

    fn arithmetic(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr) -> Result<Typed, RuleError> {
        let span = lhs.span.to(rhs.span);
        let a = self.expr(lhs)?;
        let (na, ta) = self.value(a, lhs.span)?;
        let b = self.expr(rhs)?;
        let (nb, tb) = self.value(b, rhs.span)?;
        let arith = match op {
            BinOp::Add => Arith::Add,
            BinOp::Sub => Arith::Sub,
            BinOp::Mul => Arith::Mul,
            _ => Arith::Div,
        };
        let ty = match (arith, ta, tb) {
            (_, ValueType::Number, ValueType::Number) => ValueType::Number,
            (Arith::Sub, ValueType::Date, ValueType::Date) => ValueType::Number,
            (Arith::Add | Arith::Sub, ValueType::Date, ValueType::Number) => ValueType::Date,
            _ => {
                return Err(RuleError::new(
                    "type_mismatch",
                    span,
                    format!("cannot apply `{}` to {} and {}", op.symbol(), ta.name(), tb.name()),
                )
                .help("arithmetic works on numbers; a date minus a date gives days")
                .zh(format!("`{}` 不能用于{}和{}", op.symbol(), ta.name_zh(), tb.name_zh()))
                .help_zh("算术只用于数字；日期减日期得到天数"))
            }
        };
        if arith == Arith::Div && !matches!(nb, Node::Const(c) if c != 0.0) {
            return Err(RuleError::new("division_by_maybe_zero", rhs.span, "the divisor can be zero for some customers")
                .help("write div(a, b, 0) to say what the result is when it is zero")
                .zh("对某些客户来说除数可能为零")
                .help_zh("写成 div(a, b, 0)，说明除数为零时结果取什么"));
        }
        Ok(Typed::Value(Node::Arith(arith, boxed(na), boxed(nb)), ty))
    }
}

mod calls;
