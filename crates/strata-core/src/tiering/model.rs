//! Compiling model files into checked models: tier lists, ladder conditions and score
//! dimensions checked against the schema, RFM segment maps, and the catalog of all models with
//! cross-model reads ordered and cycles rejected. Every error says where in the file it is.

use serde::Serialize;

mod compile;

use compile::compile_one;

use super::{
    rfm::Buckets,
    segments::SegmentMap,
    spec::{ModelSpec, Normalise},
    TierLabel,
};
use crate::rules::{
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
    /// The message, fix and rendering in Chinese (the English ones where none was written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_zh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_zh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered_zh: Option<String>,
}

impl ModelError {
    pub fn new(code: &'static str, model: &str, path: impl Into<String>, message: impl Into<String>) -> ModelError {
        ModelError {
            code,
            model: model.into(),
            path: path.into(),
            message: message.into(),
            help: None,
            rendered: None,
            position: None,
            message_zh: None,
            help_zh: None,
            rendered_zh: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> ModelError {
        self.help = Some(help.into());
        self
    }

    /// The message in Chinese.
    pub fn zh(mut self, message: impl Into<String>) -> ModelError {
        self.message_zh = Some(message.into());
        self
    }

    /// The fix in Chinese.
    pub fn help_zh(mut self, help: impl Into<String>) -> ModelError {
        self.help_zh = Some(help.into());
        self
    }

    fn rule(model: &str, path: String, source: &str, e: RuleError) -> ModelError {
        let (message_zh, help_zh) = e.words(true);
        ModelError {
            code: e.code,
            model: model.into(),
            path,
            message: e.message.clone(),
            help: e.help.clone(),
            rendered: Some(e.render(source)),
            position: Some(e.position(source)),
            message_zh: Some(message_zh.to_string()),
            help_zh: help_zh.map(str::to_string),
            rendered_zh: Some(e.render_in(source, true)),
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
                errors.push(
                    ModelError::new("duplicate_model", &s.key, "key", format!("two models have the key `{}`", s.key))
                        .zh(format!("有两个模型的键都是 `{}`", s.key)),
                );
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
                    .help("remove one of the tier(\"…\") reads so that no model depends on itself")
                    .zh(format!("模型之间循环读取层级：{}", names.join(" → ")))
                    .help_zh("去掉其中一处 tier(\"…\") 读取，让模型不再依赖自己"),
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
