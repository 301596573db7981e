//! Compiling model files into checked models: tier lists, ladder conditions and score
//! dimensions checked against the schema, RFM segment maps, and the catalog of all models with
//! cross-model reads ordered and cycles rejected. Every error says where in the file it is.

use serde::Serialize;

use super::{
    rfm::Buckets,
    segments::{standard_rules, SegmentMap},
    spec::{ModelKind, ModelSpec, Normalise, Segments},
    TierLabel,
};
use crate::rules::{
    check_condition, check_number,
    program::Program,
    schema::{ModelRef, Schema},
    RuleError,
};

/// A problem in a model file.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("model `{model}`, {path}: {message}")]
pub struct ModelError {
    pub code: &'static str,
    pub model: String,
    /// Where in the file, e.g. `tiers[2].when` (1-based).
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// For rule errors: the rule text with a caret under the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
    /// For rule errors: 1-based line and column inside the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<(usize, usize)>,
}

impl ModelError {
    pub fn new(code: &'static str, model: &str, path: impl Into<String>, message: impl Into<String>) -> ModelError {
        ModelError { code, model: model.into(), path: path.into(), message: message.into(), help: None, rendered: None, position: None }
    }

    pub fn help(mut self, help: impl Into<String>) -> ModelError {
        self.help = Some(help.into());
        self
    }

    fn rule(model: &str, path: String, source: &str, e: RuleError) -> ModelError {
        ModelError {
            code: e.code,
            model: model.into(),
            path,
            message: e.message.clone(),
            help: e.help.clone(),
            rendered: Some(e.render(source)),
            position: Some(e.position(source)),
        }
    }
}

/// A checked weighted-score dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    pub program: Program,
    /// Weight as a share of all weights (they sum to 1).
    pub share: f64,
    pub normalise: Normalise,
    pub bins: Vec<[f64; 2]>,
}

/// What a model computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `rules[i]` is tier i's condition; tiers past the rules are the default.
    Ladder {
        rules: Vec<Program>,
        default: Option<u16>,
    },
    /// Tiers by minimum score: `by_min` lists tier indices by descending minimum.
    Score {
        dimensions: Vec<Dimension>,
        by_min: Vec<(f64, u16)>,
    },
    Rfm {
        buckets: [Buckets; 3],
        map: SegmentMap,
        default: Option<u16>,
    },
}

/// A checked model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub spec: ModelSpec,
    pub tiers: Vec<TierLabel>,
    pub body: Body,
    /// Catalog indices of models this one reads with `tier("…")`.
    pub reads: Vec<usize>,
}

impl Model {
    /// Whether a rule of this model uses a prediction (`p_alive`, `expected_orders`, `clv`), so
    /// a new purchase-model fit can move its tiers.
    pub fn reads_predictions(&self) -> bool {
        let programs: Vec<&Program> = match &self.body {
            Body::Ladder { rules, .. } => rules.iter().collect(),
            Body::Score { dimensions, .. } => dimensions.iter().map(|d| &d.program).collect(),
            Body::Rfm { .. } => Vec::new(),
        };
        programs.iter().any(|p| p.metrics.iter().any(|m| matches!(m.aggregate, crate::rules::program::Aggregate::Predicted(_))))
    }

    pub fn key(&self) -> &str {
        &self.spec.key
    }

    /// Whether evaluation depends on cut points computed from the population.
    pub fn is_relative(&self) -> bool {
        match &self.body {
            Body::Ladder { rules, .. } => rules.iter().any(|r| r.root.has_percentile()),
            Body::Score { dimensions, .. } => dimensions.iter().any(|d| d.normalise != Normalise::Bins),
            Body::Rfm { buckets, .. } => buckets.iter().any(|b| matches!(b, Buckets::Quantiles(_))),
        }
    }
}

/// Every active model, checked together, with an evaluation order that puts a model after
/// the models it reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub models: Vec<Model>,
    pub order: Vec<usize>,
}

fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.chars().count() <= 64 && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// The tier labels of a spec (what other models can name before this one is checked).
pub fn labels(spec: &ModelSpec) -> Vec<TierLabel> {
    spec.tiers.iter().map(|t| TierLabel::new(&t.key, &t.name, if t.name_en.is_empty() { &t.key } else { &t.name_en })).collect()
}

impl Catalog {
    /// Checks `specs` together against the customer schema (custom fields). All problems are
    /// reported, not just the first.
    pub fn compile(specs: &[ModelSpec], base: &Schema) -> Result<Catalog, Vec<ModelError>> {
        let mut schema = base.clone();
        schema.models = specs.iter().map(|s| ModelRef { key: s.key.clone(), name: s.name.clone(), tiers: labels(s) }).collect();
        let mut errors = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            if specs[..i].iter().any(|o| o.key == s.key) {
                errors.push(ModelError::new("duplicate_model", &s.key, "key", format!("two models have the key `{}`", s.key)));
            }
        }
        let mut models = Vec::new();
        for spec in specs {
            match compile_one(spec, &schema) {
                Ok(m) => models.push(m),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let order = evaluation_order(&models)?;
        Ok(Catalog { models, order })
    }

    pub fn index(&self, key: &str) -> Option<usize> {
        self.models.iter().position(|m| m.key() == key)
    }

    /// The schema rules see: custom fields plus every model's tiers.
    pub fn schema(&self, base: &Schema) -> Schema {
        let mut s = base.clone();
        s.models =
            self.models.iter().map(|m| ModelRef { key: m.spec.key.clone(), name: m.spec.name.clone(), tiers: m.tiers.clone() }).collect();
        s
    }
}

/// Depth-first order; a read that leads back to a model on the current path is a cycle.
fn evaluation_order(models: &[Model]) -> Result<Vec<usize>, Vec<ModelError>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(i: usize, models: &[Model], marks: &mut [Mark], path: &mut Vec<usize>, order: &mut Vec<usize>) -> Result<(), Box<ModelError>> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let from = path.iter().position(|&p| p == i).unwrap_or(0);
                let mut names: Vec<&str> = path[from..].iter().map(|&p| models[p].key()).collect();
                names.push(models[i].key());
                return Err(Box::new(
                    ModelError::new(
                        "model_cycle",
                        models[i].key(),
                        "tiers",
                        format!("models read each other's tiers in a cycle: {}", names.join(" → ")),
                    )
                    .help("remove one of the tier(\"…\") reads so that no model depends on itself"),
                ));
            }
            Mark::New => {}
        }
        marks[i] = Mark::Open;
        path.push(i);
        for &r in &models[i].reads {
            visit(r, models, marks, path, order)?;
        }
        path.pop();
        marks[i] = Mark::Done;
        order.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; models.len()];
    let mut order = Vec::with_capacity(models.len());
    for i in 0..models.len() {
        visit(i, models, &mut marks, &mut Vec::new(), &mut order).map_err(|e| vec![*e])?;
    }
    Ok(order)
}

fn compile_one(spec: &ModelSpec, schema: &Schema) -> Result<Model, Vec<ModelError>> {
    let key = spec.key.as_str();
    let mut errors = Vec::new();
    let err = |code, path: String, msg: String| ModelError::new(code, key, path, msg);
    if !valid_key(key) {
        errors.push(err("invalid_key", "key".into(), format!("`{key}` is not a valid model key")).help("use letters, digits, _ or -"));
    }
    if spec.name.trim().is_empty() {
        errors.push(err("missing_name", "name".into(), "the model needs a name".into()));
    }
    if spec.tiers.is_empty() {
        errors.push(err("no_tiers", "tiers".into(), "the model has no tiers".into()).help("add [[tiers]] sections"));
    }
    for (i, t) in spec.tiers.iter().enumerate() {
        let path = format!("tiers[{}]", i + 1);
        if !valid_key(&t.key) {
            errors.push(err("invalid_key", format!("{path}.key"), format!("`{}` is not a valid tier key", t.key)));
        }
        if t.name.trim().is_empty() {
            errors.push(err("missing_name", format!("{path}.name"), "the tier needs a name".into()));
        }
        if spec.tiers[..i].iter().any(|o| o.key == t.key || o.name == t.name) {
            errors.push(err("duplicate_tier", path, format!("two tiers are called `{}`", t.key)));
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
                .help("a ladder tier without `when` is the default; put it last"),
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
                .help("move the tier without `when` to the end"),
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
                .help("add [[dimensions]] with expr and weight"),
        );
    }
    let total: f64 = spec.dimensions.iter().map(|d| d.weight).filter(|w| w.is_finite() && *w > 0.0).sum();
    let mut dimensions = Vec::new();
    for (i, d) in spec.dimensions.iter().enumerate() {
        let path = format!("dimensions[{}]", i + 1);
        if !(d.weight.is_finite() && d.weight > 0.0) {
            errors.push(ModelError::new(
                "bad_weight",
                key,
                format!("{path}.weight"),
                format!("weight {} must be a positive number", d.weight),
            ));
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
                    .help("e.g. bins = [[0, 0], [10000, 50], [100000, 100]]"),
                );
            }
        } else if !d.bins.is_empty() {
            errors.push(ModelError::new("wrong_setting", key, format!("{path}.bins"), "bins are only used with normalise = \"bins\""));
        }
        match check_number(&d.expr, schema) {
            Ok(p) if p.root.has_percentile() => errors.push(
                ModelError::new("wrong_setting", key, format!("{path}.expr"), "percentile(…) is not used inside a score dimension")
                    .help("give the dimension the plain value and normalise = \"percentile\""),
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
                .help("e.g. min_score = 80 for the top tier and 0 for the lowest"),
            ),
        }
    }
    by_min.sort_by(|a, b| b.0.total_cmp(&a.0));
    if !by_min.is_empty() && !by_min.iter().any(|(m, _)| *m == 0.0) {
        errors.push(
            ModelError::new("no_lowest_tier", key, "tiers", "no tier starts at score 0, so some customers would have no tier")
                .help("set min_score = 0 on the lowest tier"),
        );
    }
    Some(Body::Score { dimensions, by_min })
}

fn rfm(spec: &ModelSpec, errors: &mut Vec<ModelError>) -> Option<Body> {
    let key = spec.key.as_str();
    let Some(r) = &spec.rfm else {
        errors.push(
            ModelError::new("missing_rfm", key, "rfm", "an RFM model needs an [rfm] section")
                .help("see the preset: strata tier preset rfm"),
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
            errors.push(ModelError::new(
                "bad_buckets",
                key,
                format!("rfm.{name}"),
                "use 3–10 buckets: quantiles = 3…10, or 2–9 distinct thresholds",
            ));
        }
    }
    let defaults: Vec<u16> = spec.tiers.iter().enumerate().filter(|(_, t)| t.default).map(|(i, _)| i as u16).collect();
    if defaults.len() > 1 {
        errors.push(ModelError::new("two_defaults", key, "tiers", "only one tier can be the default"));
    }
    let rules = match &r.segments {
        Segments::Preset(p) if p == "standard" => standard_rules(),
        Segments::Preset(p) => {
            errors.push(
                ModelError::new("unknown_preset", key, "rfm.segments", format!("unknown segment preset `{p}`"))
                    .help("use \"standard\" or a list of rules"),
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
