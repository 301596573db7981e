//! Checking function calls: aggregates over events, days_since, growth, tier, has_tag, div,
//! today — with their Chinese names.

use super::{boxed, Checker, Typed};
use crate::{
    metrics::Window,
    predict::Prediction,
    rules::{
        error::{suggest, RuleError, Span},
        program::*,
        schema::{event_field, event_kind, EventField, ValueType, EVENT_NAMES},
        syntax::*,
    },
};

const FUNCTIONS: [(&str, &[&str]); 16] = [
    ("count", &["计数", "数量", "次数"]),
    ("sum", &["总额", "合计", "求和"]),
    ("avg", &["平均", "均值"]),
    ("min", &["最小", "最小值"]),
    ("max", &["最大", "最大值"]),
    ("distinct", &["去重数", "种类数"]),
    ("days_since", &["距今天数"]),
    ("growth", &["增长率"]),
    ("tier", &["层级", "等级", "分层"]),
    ("has_tag", &["有标签", "标签包含"]),
    ("div", &["除"]),
    ("today", &["今天"]),
    ("p_alive", &["存活概率", "活跃概率"]),
    ("expected_orders", &["预计订单数", "预期订单数"]),
    ("clv", &["客户终身价值", "终身价值", "预测价值"]),
    ("percentile", &["百分位", "百分位排名"]),
];

/// A prediction that may be written without parentheses: `p_alive < 0.3`, `clv > 5000` (12 months).
pub(crate) fn bare_prediction(name: &str) -> Option<Prediction> {
    match function(name)? {
        "p_alive" => Some(Prediction::PAlive),
        "clv" => Some(Prediction::Clv(12)),
        _ => None,
    }
}

/// How a function is called, in English and in Chinese.
type Usage<'a> = (&'a str, &'a str);

/// The horizon argument of a prediction: `90d`, `12 months`, `1y`.
fn horizon(args: &[Arg], i: usize, (usage, usage_zh): Usage) -> Result<(u32, u32, bool), RuleError> {
    match args.get(i) {
        Some(Arg::Duration { days, count, months, .. }) if *days > 0 => Ok((*days, *count, *months)),
        Some(other) => Err(RuleError::new("expected_duration", other.span(), "expected a length of time here, e.g. 90d or 12 months")
            .help(usage)
            .zh("这里需要一段时长，如 90d 或 12 months")
            .help_zh(usage_zh)),
        None => Err(RuleError::new("wrong_arguments", Span::new(0, 0), usage).zh(usage_zh)),
    }
}

fn function(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    FUNCTIONS.iter().find(|(f, aliases)| *f == lower || aliases.contains(&name)).map(|(f, _)| *f)
}

/// The window argument at `i`, or `All` when absent.
pub(crate) fn window_of(args: &[Arg], i: usize) -> Result<Window, RuleError> {
    match args.get(i) {
        None => Ok(Window::All),
        Some(Arg::Window(w, _)) => Ok(*w),
        Some(other) => Err(RuleError::new("expected_window", other.span(), "expected a time window here")
            .help("e.g. last 90d, this quarter, last year, between 2024-01-01 and 2024-06-30")
            .zh("这里需要一个时间窗口")
            .help_zh("如 last 90d、this quarter、last year、between 2024-01-01 and 2024-06-30")),
    }
}

fn arity(name: &Name, args: &[Arg], min: usize, max: usize, (usage, usage_zh): Usage, span: Span) -> Result<(), RuleError> {
    if args.len() < min || args.len() > max {
        return Err(RuleError::new("wrong_arguments", span, format!("`{}` takes {}", name.text, usage))
            .zh(format!("`{}` 的参数：{}", name.text, usage_zh)));
    }
    Ok(())
}

fn unknown_kind(n: &Name) -> RuleError {
    let e = RuleError::new("unknown_event_kind", n.span, format!("unknown kind of event `{}`", n.text))
        .zh(format!("未知的事件类别 `{}`", n.text));
    match suggest(&n.text, EVENT_NAMES) {
        Some(s) => e.did_you_mean(s),
        None => e.help(format!("use one of: {}", EVENT_NAMES.join(", "))).help_zh(format!("可用：{}", EVENT_NAMES.join("、"))),
    }
}

fn text_arg<'a>(args: &'a [Arg], name: &Name, span: Span) -> Result<&'a str, RuleError> {
    match args.first() {
        Some(Arg::Expr(Expr { kind: ExprKind::Text(s), .. })) => Ok(s),
        _ => Err(RuleError::new("wrong_arguments", span, format!("`{}` takes one text in quotes", name.text))
            .zh(format!("`{}` 需要一个加引号的文本", name.text))),
    }
}

impl Checker<'_> {
    pub(super) fn call(&mut self, name: &Name, args: &[Arg], span: Span) -> Result<Typed, RuleError> {
        let Some(f) = function(&name.text) else {
            let all = FUNCTIONS.iter().flat_map(|(f, a)| std::iter::once(*f).chain(a.iter().copied()));
            let e = RuleError::new("unknown_function", name.span, format!("unknown function `{}`", name.text))
                .zh(format!("未知函数 `{}`", name.text));
            return Err(match suggest(&name.text, all) {
                Some(s) => e.did_you_mean(s),
                None => {
                    let known = FUNCTIONS.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", ");
                    e.help(format!("functions: {known}")).help_zh(format!("可用函数：{known}"))
                }
            });
        };
        match f {
            "count" => {
                arity(
                    name,
                    args,
                    1,
                    2,
                    ("an event kind and an optional window: count(orders, last 90d)", "一类事件，可加时间窗口：count(orders, last 90d)"),
                    span,
                )?;
                let kind = self.kind_arg(&args[0])?;
                let m = Metric { kind, aggregate: Aggregate::Count, window: window_of(args, 1)?, growth: false };
                Ok(Typed::Value(self.metric(m), ValueType::Number))
            }
            "sum" | "avg" | "min" | "max" | "distinct" => {
                let usage = format!("an event field and an optional window: {f}(orders.amount, last 90d)");
                let usage_zh = format!("一个事件字段，可加时间窗口：{f}(orders.amount, last 90d)");
                arity(name, args, 1, 2, (&usage, &usage_zh), span)?;
                let (kind, field) = self.field_arg(&args[0])?;
                let aggregate = match (f, field) {
                    ("distinct", field) => Aggregate::Distinct(field),
                    (_, EventField::Cat(_)) => {
                        return Err(RuleError::new(
                            "wrong_arguments",
                            args[0].span(),
                            format!("`{f}` needs a numeric field; this field holds categories"),
                        )
                        .help("use distinct(…) to count different values")
                        .zh(format!("`{f}` 需要数值字段；这个字段是类别"))
                        .help_zh("不同取值的个数请用 distinct(…)"))
                    }
                    ("sum", EventField::Num(i)) => Aggregate::Sum(i),
                    ("avg", EventField::Num(i)) => Aggregate::Avg(i),
                    ("min", EventField::Num(i)) => Aggregate::Min(i),
                    (_, EventField::Num(i)) => Aggregate::Max(i),
                };
                let m = Metric { kind, aggregate, window: window_of(args, 1)?, growth: false };
                Ok(Typed::Value(self.metric(m), ValueType::Number))
            }
            "days_since" => {
                arity(
                    name,
                    args,
                    1,
                    1,
                    ("first or last and an event kind: days_since(last order)", "first 或 last 加一类事件：days_since(last order)"),
                    span,
                )?;
                let Arg::Event(end, kind_name) = &args[0] else {
                    return Err(RuleError::new(
                        "wrong_arguments",
                        args[0].span(),
                        "write days_since(last order) or days_since(first order)",
                    )
                    .zh("请写 days_since(last order) 或 days_since(first order)"));
                };
                let kind = event_kind(&kind_name.text).ok_or_else(|| unknown_kind(kind_name))?;
                let m = Metric { kind, aggregate: Aggregate::DaysSince(*end), window: Window::All, growth: false };
                Ok(Typed::Value(self.metric(m), ValueType::Number))
            }
            "growth" => {
                let usage = (
                    "one aggregate with a window: growth(sum(orders.amount, this quarter))",
                    "一个带时间窗口的汇总：growth(sum(orders.amount, this quarter))",
                );
                arity(name, args, 1, 1, usage, span)?;
                let Arg::Expr(inner) = &args[0] else {
                    return Err(RuleError::new(
                        "wrong_arguments",
                        args[0].span(),
                        "growth takes an aggregate such as sum(orders.amount, this quarter)",
                    )
                    .zh("growth 的参数是一个汇总，如 sum(orders.amount, this quarter)"));
                };
                let node = self.typed(inner, ValueType::Number)?;
                let Node::Metric(i) = node else {
                    return Err(RuleError::new(
                        "wrong_arguments",
                        inner.span,
                        "growth takes one aggregate such as count(orders, last 90d)",
                    )
                    .zh("growth 的参数是一个汇总，如 count(orders, last 90d)"));
                };
                let mut m = self.metrics[i];
                if m.window == Window::All || matches!(m.aggregate, Aggregate::DaysSince(_)) {
                    return Err(RuleError::new(
                        "wrong_arguments",
                        inner.span,
                        "growth compares a window with the period before it; give the aggregate a window",
                    )
                    .help("e.g. growth(sum(orders.amount, this quarter))")
                    .zh("growth 比较一个时间窗口与它之前的同长时期；请给汇总加上时间窗口")
                    .help_zh("如 growth(sum(orders.amount, this quarter))"));
                }
                m.growth = true;
                Ok(Typed::Value(self.metric(m), ValueType::Number))
            }
            "tier" => {
                arity(name, args, 1, 1, ("a model name: tier(\"value\")", "一个模型名：tier(\"value\")"), span)?;
                let model = text_arg(args, name, span)?;
                let Some(m) = self.schema.model(model) else {
                    let names: Vec<&str> = self.schema.models.iter().map(|m| m.key.as_str()).collect();
                    let e = RuleError::new("unknown_model", args[0].span(), format!("unknown tier model `{model}`"))
                        .zh(format!("未知的分层模型 `{model}`"));
                    return Err(match suggest(model, names.iter().copied()) {
                        Some(s) => e.did_you_mean(s),
                        None if names.is_empty() => e.help("no other models exist yet").help_zh("还没有其他模型"),
                        None => e.help(format!("models: {}", names.join(", "))).help_zh(format!("已有模型：{}", names.join("、"))),
                    });
                };
                if !self.reads.contains(&m) {
                    self.reads.push(m);
                }
                Ok(Typed::TextRef(TextSource::Tier(m)))
            }
            "has_tag" => {
                arity(name, args, 1, 1, ("one tag in quotes: has_tag(\"战略客户\")", "一个加引号的标签：has_tag(\"战略客户\")"), span)?;
                Ok(Typed::Value(Node::HasTag(text_arg(args, name, span)?.to_string()), ValueType::Bool))
            }
            "div" => {
                arity(name, args, 3, 3, ("three numbers: div(a, b, value_when_b_is_zero)", "三个数：div(a, b, 除数为零时的值)"), span)?;
                let mut nodes = Vec::new();
                for a in args {
                    let Arg::Expr(e) = a else {
                        return Err(RuleError::new("wrong_arguments", a.span(), "div takes numbers").zh("div 的参数是数字"));
                    };
                    nodes.push(self.typed(e, ValueType::Number)?);
                }
                let fallback = nodes.pop().unwrap_or(Node::Const(0.0));
                let b = nodes.pop().unwrap_or(Node::Const(1.0));
                let a = nodes.pop().unwrap_or(Node::Const(0.0));
                Ok(Typed::Value(Node::DivOr(boxed(a), boxed(b), boxed(fallback)), ValueType::Number))
            }
            "percentile" => {
                arity(
                    name,
                    args,
                    1,
                    1,
                    ("one number: percentile(clv(12 months)) > 0.8", "一个数：percentile(clv(12 months)) > 0.8"),
                    span,
                )?;
                let Arg::Expr(inner) = &args[0] else {
                    return Err(RuleError::new(
                        "wrong_arguments",
                        args[0].span(),
                        "percentile takes a number, e.g. percentile(sum(orders.amount))",
                    )
                    .zh("percentile 的参数是一个数，如 percentile(sum(orders.amount))"));
                };
                let node = self.typed(inner, ValueType::Number)?;
                if node.has_percentile() {
                    return Err(RuleError::new("wrong_arguments", inner.span, "percentile(…) cannot contain another percentile(…)")
                        .zh("percentile(…) 里不能再套 percentile(…)"));
                }
                Ok(Typed::Value(Node::Percentile(boxed(node)), ValueType::Number))
            }
            "p_alive" => {
                arity(name, args, 0, 0, ("no arguments: p_alive < 0.3", "不带参数：p_alive < 0.3"), span)?;
                self.prediction(Prediction::PAlive, name.span)
            }
            "expected_orders" => {
                let usage = ("a coming period: expected_orders(90d)", "未来一段时间：expected_orders(90d)");
                arity(name, args, 1, 1, usage, span)?;
                let (days, _, _) = horizon(args, 0, usage)?;
                if days > 3660 {
                    return Err(RuleError::new("wrong_arguments", args[0].span(), "predict at most 10 years ahead").zh("最多预测 10 年"));
                }
                self.prediction(Prediction::ExpectedOrders(days), name.span)
            }
            "clv" => {
                let usage = ("a horizon in months: clv(12 months)", "以月计的时长：clv(12 months)");
                arity(name, args, 0, 1, usage, span)?;
                let months = if args.is_empty() {
                    12
                } else {
                    let (days, count, in_months) = horizon(args, 0, usage)?;
                    if in_months {
                        count
                    } else {
                        (f64::from(days) / crate::predict::DAYS_PER_MONTH).round().max(1.0) as u32
                    }
                };
                if months > 120 {
                    return Err(RuleError::new("wrong_arguments", args[0].span(), "lifetime value over at most 120 months")
                        .zh("生命周期价值最多算 120 个月"));
                }
                self.prediction(Prediction::Clv(months), name.span)
            }
            _ => {
                arity(name, args, 0, 0, ("no arguments: today()", "不带参数：today()"), span)?;
                Ok(Typed::Value(Node::Today, ValueType::Date))
            }
        }
    }

    /// A predicted metric, if the fits it needs are in force.
    pub(super) fn prediction(&mut self, prediction: Prediction, at: Span) -> Result<Typed, RuleError> {
        if !self.schema.forecast.supports(prediction) {
            let (what, what_zh, run) = match (prediction, self.schema.forecast.purchases.is_some()) {
                (Prediction::Clv(_), true) => ("a Gamma-Gamma spend model", "Gamma-Gamma 消费模型", "strata model fit gamma-gamma"),
                (Prediction::Clv(_), false) => (
                    "BG/NBD and Gamma-Gamma fits",
                    "BG/NBD 和 Gamma-Gamma 拟合",
                    "strata model fit bgnbd, then strata model fit gamma-gamma",
                ),
                _ => ("a BG/NBD fit", "BG/NBD 拟合", "strata model fit bgnbd"),
            };
            return Err(RuleError::new("model_not_fitted", at, format!("this prediction needs {what}, and none is in force"))
                .help(format!("fit it first: {run}"))
                .zh(format!("这个预测需要{what_zh}，目前没有生效的拟合"))
                .help_zh(format!("请先拟合：{run}")));
        }
        let m = Metric {
            kind: crate::metrics::EventKind::Orders,
            aggregate: Aggregate::Predicted(prediction),
            window: Window::All,
            growth: false,
        };
        Ok(Typed::Value(self.metric(m), ValueType::Number))
    }

    fn kind_arg(&self, arg: &Arg) -> Result<crate::metrics::EventKind, RuleError> {
        match arg {
            Arg::Expr(Expr { kind: ExprKind::Path(p), .. }) if p.len() == 1 => event_kind(&p[0].text).ok_or_else(|| unknown_kind(&p[0])),
            other => Err(RuleError::new("wrong_arguments", other.span(), "expected a kind of event, e.g. orders")
                .help(format!("use one of: {}", EVENT_NAMES.join(", ")))
                .zh("这里需要一类事件，如 orders")
                .help_zh(format!("可用：{}", EVENT_NAMES.join("、")))),
        }
    }

    fn field_arg(&self, arg: &Arg) -> Result<(crate::metrics::EventKind, EventField), RuleError> {
        let Arg::Expr(Expr { kind: ExprKind::Path(p), span }) = arg else {
            return Err(RuleError::new("wrong_arguments", arg.span(), "expected an event field, e.g. orders.amount")
                .zh("这里需要事件字段，如 orders.amount"));
        };
        let [k, f] = p.as_slice() else {
            return Err(RuleError::new("wrong_arguments", *span, "expected an event field, e.g. orders.amount")
                .zh("这里需要事件字段，如 orders.amount"));
        };
        let kind = event_kind(&k.text).ok_or_else(|| unknown_kind(k))?;
        let field = event_field(kind, &f.text).ok_or_else(|| {
            let fields: Vec<&str> = kind.numbers().iter().chain(kind.categories()).copied().collect();
            let e = RuleError::new("unknown_field", f.span, format!("{} have no field `{}`", kind.name(), f.text)).zh(format!(
                "{} 没有字段 `{}`",
                kind.name(),
                f.text
            ));
            match suggest(&f.text, fields.iter().copied()) {
                Some(s) => e.did_you_mean(s),
                None => e.help(format!("{} have: {}", kind.name(), fields.join(", "))).help_zh(format!(
                    "{} 的字段有：{}",
                    kind.name(),
                    fields.join("、")
                )),
            }
        })?;
        Ok((kind, field))
    }
}
