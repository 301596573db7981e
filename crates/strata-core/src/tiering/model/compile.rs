//! Compiling one model file: its tier list, ladder conditions or score dimensions checked
//! against the schema, or its RFM buckets and segment map.

use super::{
    super::{
        rfm::Buckets,
        segments::{standard_rules, SegmentMap},
        spec::{ModelKind, ModelSpec, Normalise, Segments},
    },
    labels, valid_key, Body, Dimension, Model, ModelError,
};
use crate::rules::{check_condition, check_number, schema::Schema};

pub(super) fn compile_one(spec: &ModelSpec, schema: &Schema) -> Result<Model, Vec<ModelError>> {
    let key = spec.key.as_str();
    let mut errors = Vec::new();
    let err = |code, path: String, msg: String| ModelError::new(code, key, path, msg);
    if !valid_key(key) {
        errors.push(
            err("invalid_key", "key".into(), format!("`{key}` is not a valid model key"))
                .help("use letters, digits, _ or -")
                .zh(format!("`{key}` 不能作模型键"))
                .help_zh("请只用字母、数字、_ 或 -"),
        );
    }
    if spec.name.trim().is_empty() {
        errors.push(err("missing_name", "name".into(), "the model needs a name".into()).zh("模型需要名称"));
    }
    if spec.tiers.is_empty() {
        errors.push(
            err("no_tiers", "tiers".into(), "the model has no tiers".into())
                .help("add [[tiers]] sections")
                .zh("模型没有层级")
                .help_zh("请添加 [[tiers]] 段"),
        );
    }
    for (i, t) in spec.tiers.iter().enumerate() {
        let path = format!("tiers[{}]", i + 1);
        if !valid_key(&t.key) {
            errors.push(
                err("invalid_key", format!("{path}.key"), format!("`{}` is not a valid tier key", t.key))
                    .zh(format!("`{}` 不能作层级键", t.key)),
            );
        }
        if t.name.trim().is_empty() {
            errors.push(err("missing_name", format!("{path}.name"), "the tier needs a name".into()).zh("层级需要名称"));
        }
        if spec.tiers[..i].iter().any(|o| o.key == t.key || o.name == t.name) {
            errors.push(err("duplicate_tier", path, format!("two tiers are called `{}`", t.key)).zh(format!("有两个层级都叫 `{}`", t.key)));
        }
    }
    let mut reads = Vec::new();
    let body = match spec.kind {
        ModelKind::Ladder => ladder(spec, schema, &mut reads, &mut errors),
        ModelKind::Score => score(spec, schema, &mut reads, &mut errors),
        ModelKind::Rfm => rfm(spec, &mut errors),
    };
    match body {
        Some(body) if errors.is_empty() => {
            reads.sort_unstable();
            reads.dedup();
            Ok(Model { spec: spec.clone(), tiers: labels(spec), body, reads })
        }
        _ => Err(errors),
    }
}

fn ladder(spec: &ModelSpec, schema: &Schema, reads: &mut Vec<usize>, errors: &mut Vec<ModelError>) -> Option<Body> {
    let mut rules = Vec::new();
    let mut default = None;
    for (i, t) in spec.tiers.iter().enumerate() {
        let path = format!("tiers[{}].when", i + 1);
        if t.min_score.is_some() || t.default {
            errors.push(
                ModelError::new(
                    "wrong_setting",
                    &spec.key,
                    format!("tiers[{}]", i + 1),
                    "ladder tiers take `when`, not `min_score` or `default`",
                )
                .help("a ladder tier without `when` is the default; put it last")
                .zh("规则阶梯的层级用 `when`，不用 `min_score` 或 `default`")
                .help_zh("没有 `when` 的层级就是默认层级；请放在最后"),
            );
        }
        match (&t.when, default) {
            (_, Some(_)) => errors.push(
                ModelError::new(
                    "tier_after_default",
                    &spec.key,
                    format!("tiers[{}]", i + 1),
                    "no tier can follow the default tier (the one without `when`)",
                )
                .help("move the tier without `when` to the end")
                .zh("默认层级（没有 `when` 的那个）后面不能再有层级")
                .help_zh("请把没有 `when` 的层级移到最后"),
            ),
            (None, None) => default = Some(i as u16),
            (Some(src), None) => match check_condition(src, schema) {
                Ok(p) => {
                    reads.extend(&p.reads_models);
                    rules.push(p);
                }
                Err(e) => errors.push(ModelError::rule(&spec.key, path, src, e)),
            },
        }
    }
    Some(Body::Ladder { rules, default })
}

fn score(spec: &ModelSpec, schema: &Schema, reads: &mut Vec<usize>, errors: &mut Vec<ModelError>) -> Option<Body> {
    let key = spec.key.as_str();
    if spec.dimensions.is_empty() {
        errors.push(
            ModelError::new("no_dimensions", key, "dimensions", "a score model needs dimensions")
                .help("add [[dimensions]] with expr and weight")
                .zh("评分模型需要维度")
                .help_zh("请添加带 expr 和 weight 的 [[dimensions]]"),
        );
    }
    let total: f64 = spec.dimensions.iter().map(|d| d.weight).filter(|w| w.is_finite() && *w > 0.0).sum();
    let mut dimensions = Vec::new();
    for (i, d) in spec.dimensions.iter().enumerate() {
        let path = format!("dimensions[{}]", i + 1);
        if !(d.weight.is_finite() && d.weight > 0.0) {
            errors.push(
                ModelError::new("bad_weight", key, format!("{path}.weight"), format!("weight {} must be a positive number", d.weight))
                    .zh(format!("权重 {} 必须是正数", d.weight)),
            );
        }
        if d.normalise == Normalise::Bins {
            let ascending = d.bins.windows(2).all(|w| w[0][0] < w[1][0]);
            let points_ok = d.bins.iter().all(|b| b[0].is_finite() && (0.0..=100.0).contains(&b[1]));
            if d.bins.is_empty() || !ascending || !points_ok {
                errors.push(
                    ModelError::new(
                        "bad_bins",
                        key,
                        format!("{path}.bins"),
                        "bins must be [[edge, points], …] with ascending edges and points 0–100",
                    )
                    .help("e.g. bins = [[0, 0], [10000, 50], [100000, 100]]")
                    .zh("bins 应写成 [[分界, 分数], …]，分界递增，分数 0–100")
                    .help_zh("如 bins = [[0, 0], [10000, 50], [100000, 100]]"),
                );
            }
        } else if !d.bins.is_empty() {
            errors.push(
                ModelError::new("wrong_setting", key, format!("{path}.bins"), "bins are only used with normalise = \"bins\"")
                    .zh("只有 normalise = \"bins\" 时才用 bins"),
            );
        }
        match check_number(&d.expr, schema) {
            Ok(p) if p.root.has_percentile() => errors.push(
                ModelError::new("wrong_setting", key, format!("{path}.expr"), "percentile(…) is not used inside a score dimension")
                    .help("give the dimension the plain value and normalise = \"percentile\"")
                    .zh("评分维度里不用 percentile(…)")
                    .help_zh("维度写原始值，再设 normalise = \"percentile\""),
            ),
            Ok(p) => {
                reads.extend(&p.reads_models);
                dimensions.push(Dimension {
                    program: p,
                    share: d.weight / total.max(f64::MIN_POSITIVE),
                    normalise: d.normalise,
                    bins: d.bins.clone(),
                });
            }
            Err(e) => errors.push(ModelError::rule(key, format!("{path}.expr"), &d.expr, e)),
        }
    }
    let mut by_min = Vec::new();
    for (i, t) in spec.tiers.iter().enumerate() {
        match t.min_score {
            Some(m) if (0.0..=100.0).contains(&m) => by_min.push((m, i as u16)),
            _ => errors.push(
                ModelError::new(
                    "bad_min_score",
                    key,
                    format!("tiers[{}].min_score", i + 1),
                    "each score tier needs min_score between 0 and 100",
                )
                .help("e.g. min_score = 80 for the top tier and 0 for the lowest")
                .zh("每个评分层级需要 0 到 100 之间的 min_score")
                .help_zh("如最高层 min_score = 80，最低层为 0"),
            ),
        }
    }
    by_min.sort_by(|a, b| b.0.total_cmp(&a.0));
    if !by_min.is_empty() && !by_min.iter().any(|(m, _)| *m == 0.0) {
        errors.push(
            ModelError::new("no_lowest_tier", key, "tiers", "no tier starts at score 0, so some customers would have no tier")
                .help("set min_score = 0 on the lowest tier")
                .zh("没有从 0 分开始的层级，有些客户会没有层级")
                .help_zh("请把最低层级的 min_score 设为 0"),
        );
    }
    Some(Body::Score { dimensions, by_min })
}

fn rfm(spec: &ModelSpec, errors: &mut Vec<ModelError>) -> Option<Body> {
    let key = spec.key.as_str();
    let Some(r) = &spec.rfm else {
        errors.push(
            ModelError::new("missing_rfm", key, "rfm", "an RFM model needs an [rfm] section")
                .help("see the preset: strata tier preset rfm")
                .zh("RFM 模型需要 [rfm] 段")
                .help_zh("参见预设：strata tier preset rfm"),
        );
        return None;
    };
    let buckets = [r.recency.clone(), r.frequency.clone(), r.monetary.clone()];
    for (b, name) in buckets.iter().zip(["recency", "frequency", "monetary"]) {
        let ok = match b {
            Buckets::Quantiles(k) => (3..=10).contains(k),
            Buckets::Thresholds(t) => (2..=9).contains(&t.len()) && t.windows(2).all(|w| w[0] != w[1]),
        };
        if !ok {
            errors.push(
                ModelError::new(
                    "bad_buckets",
                    key,
                    format!("rfm.{name}"),
                    "use 3–10 buckets: quantiles = 3…10, or 2–9 distinct thresholds",
                )
                .zh("请分 3–10 档：quantiles = 3…10，或 2–9 个互不相同的阈值"),
            );
        }
    }
    let defaults: Vec<u16> = spec.tiers.iter().enumerate().filter(|(_, t)| t.default).map(|(i, _)| i as u16).collect();
    if defaults.len() > 1 {
        errors.push(ModelError::new("two_defaults", key, "tiers", "only one tier can be the default").zh("只能有一个默认层级"));
    }
    let rules = match &r.segments {
        Segments::Preset(p) if p == "standard" => standard_rules(),
        Segments::Preset(p) => {
            errors.push(
                ModelError::new("unknown_preset", key, "rfm.segments", format!("unknown segment preset `{p}`"))
                    .help("use \"standard\" or a list of rules")
                    .zh(format!("未知的分群预设 `{p}`"))
                    .help_zh("请用 \"standard\" 或一组规则"),
            );
            return None;
        }
        Segments::Rules(rules) => rules.clone(),
    };
    if !errors.is_empty() {
        return None;
    }
    let counts = [buckets[0].count(), buckets[1].count(), buckets[2].count()];
    match SegmentMap::compile(&rules, &labels(spec), counts, !defaults.is_empty()) {
        Ok(map) => Some(Body::Rfm { buckets, map, default: defaults.first().copied() }),
        Err(e) => {
            errors.push(ModelError::new("bad_segment_map", key, "rfm.segments", e.to_string()));
            None
        }
    }
}
