//! What the tier commands print, in the command line's language: model checks and their
//! errors, previews, publishes and explanations, version statuses and tier names.

use std::path::Path;

use strata_core::{
    engine::{explain::Explanation, Engine},
    tiering::{model::ModelError, spec},
};

use super::{preview::Preview, publish::Published};
use crate::cli::language::{padded, pick, Lang, Said};

/// A model file that does not read as a model, named, in both languages.
pub fn spec_error(path: &Path, message: &str) -> anyhow::Error {
    let shown = path.display();
    Said::error(format!("{shown}: {message}"), format!("{shown}：{}", spec::parse_error_zh(message)))
}

/// A model check's errors, each with its rule pointer or fix.
pub fn check_errors(errors: &[ModelError], lang: Lang) -> String {
    let mut out = String::new();
    for e in errors {
        let (message, rendered, help) = match lang {
            Lang::Zh => (
                format!("模型 `{}`，{}：{}", e.model, e.path, e.message_zh.as_deref().unwrap_or(&e.message)),
                e.rendered_zh.as_ref().or(e.rendered.as_ref()),
                e.help_zh.as_ref().or(e.help.as_ref()),
            ),
            Lang::En => (e.to_string(), e.rendered.as_ref(), e.help.as_ref()),
        };
        out.push_str(&message);
        out.push('\n');
        if let Some(r) = rendered {
            out.extend(r.lines().map(|l| format!("  {l}\n")));
        } else if let Some(h) = help {
            out.push_str(&format!("  {}{h}\n", pick(lang, "提示：", "help: ")));
        }
    }
    out
}

/// A model that checks out.
pub fn check_ok(key: &str, tiers: usize, kind: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{key}：通过（{tiers} 个层级，类型 {kind}）"),
        Lang::En => format!("{key}: ok ({tiers} tiers, kind {kind})"),
    }
}

pub fn preview_text(p: &Preview, version: i64, names: &TierNames, lang: Lang) -> String {
    let none = pick(lang, "（无）", "(none)");
    let name = |t: &Option<String>| t.as_deref().map_or_else(|| none.to_string(), |k| names.labelled(&p.model, k));
    let mut out = match lang {
        Lang::Zh => format!("{} v{version} 预览：共 {} 个客户，{} 个会换层级\n", p.model, p.customers, p.moving),
        Lang::En => format!("preview of {} v{version} over {} customers; {} would change tier\n", p.model, p.customers, p.moving),
    };
    for (t, n) in &p.counts {
        out.push_str(&format!("  {} {n}\n", padded(&name(t), 24)));
    }
    out.push_str(pick(lang, "从 → 到：客户数（示例）\n", "from → to: customers (samples)\n"));
    for c in &p.matrix {
        let samples: Vec<String> = c.samples.iter().map(i64::to_string).collect();
        out.push_str(&format!("  {} → {}: {} ({})\n", name(&c.from), name(&c.to), c.customers, samples.join(", ")));
    }
    out
}

pub fn published_text(p: &Published, names: &TierNames, lang: Lang) -> String {
    let mut out = match lang {
        Lang::Zh => format!("已发布 {} v{}：评估 {} 个客户，记录 {} 次层级变化\n", p.model, p.version, p.customers, p.changes),
        Lang::En => {
            format!("published {} v{}: {} customers evaluated, {} tier changes recorded\n", p.model, p.version, p.customers, p.changes)
        }
    };
    for c in &p.counts {
        out.push_str(&format!("  {} {}\n", padded(&names.labelled(&p.model, &c.tier), 24), c.customers));
    }
    out
}

/// A rule step's result or a check's truth, in the words the customer page uses.
fn outcome(word: &str, lang: Lang) -> &str {
    let key = match word {
        "yes" => "holds_yes",
        "no" => "holds_no",
        other => other,
    };
    Some(crate::web::i18n::word(lang, key)).filter(|w| !w.is_empty()).unwrap_or(word)
}

pub fn explanation_text(engine: &Engine, m: usize, x: &Explanation, lang: Lang) -> String {
    use strata_core::engine::explain::Detail;
    let zh = lang == Lang::Zh;
    let model = &engine.catalog.models[m];
    // Tiers by the names the model gives them (English names may be only the keys).
    let tier = x.tier.as_ref().map_or(pick(lang, "（无）", "(none)").to_string(), |t| format!("{} ({})", t.name_in(zh), t.key));
    let model_name = name_in(&model.spec.name, &model.spec.name_en, lang);
    let mut out = format!("{model_name} [{}]: {tier}\n", model.key());
    match &x.detail {
        Detail::Ladder { steps } => {
            for s in steps {
                out.push_str(&format!("  {} {}\n", outcome(s.result, lang), s.tier.name_in(zh)));
                for c in &s.checks {
                    let value = pick(lang, "值", "value");
                    out.push_str(&format!("      {} — {value} {} → {}\n", c.condition, c.value, outcome(c.holds, lang)));
                }
            }
        }
        Detail::Score { score, dimensions } => {
            out.push_str(&format!("  {} {score:.1}\n", pick(lang, "得分", "score")));
            for d in dimensions {
                let v = d.value.map_or(pick(lang, "缺失", "missing").into(), |v| format!("{v:.2}"));
                out.push_str(&match lang {
                    Lang::Zh => format!("      {} = {v}：{:.1} 分 × {:.2} = {:.1}\n", d.name, d.points, d.weight, d.contribution),
                    Lang::En => format!("      {} = {v}: {:.1} points × {:.2} = {:.1}\n", d.name, d.points, d.weight, d.contribution),
                });
            }
        }
        Detail::Rfm { recency_days, frequency, monetary, scores } => {
            let r = recency_days.map_or("-".into(), |d| d.to_string());
            let scores = scores.map_or("-".to_string(), |[r, f, m]| format!("R {r} · F {f} · M {m}"));
            out.push_str(&match lang {
                Lang::Zh => format!("  最近购买 {r} 天前，购买 {frequency} 次，金额 {monetary:.2}，得分 {scores}\n"),
                Lang::En => format!("  recency {r} days, frequency {frequency}, monetary {monetary:.2}, scores {scores}\n"),
            });
        }
    }
    for hint in &x.to_move_up {
        out.push_str(&format!("  {}{}\n", pick(lang, "升级条件：", "to move up: "), hint.text(zh)));
    }
    out
}

/// One model's part of a daily sweep.
pub fn sweep_text(l: &super::sweep::SweepLine, lang: Lang) -> String {
    let (model, v, n, day) = (&l.model, l.version, l.changes, &l.today);
    match (lang, l.refreshed) {
        (Lang::Zh, true) => format!("{model} v{v}：按 {day} 复核，{n} 次层级变化，切分点已刷新"),
        (Lang::Zh, false) => format!("{model} v{v}：按 {day} 复核，{n} 次层级变化"),
        (Lang::En, true) => format!("{model} v{v}: swept as of {day}, {n} tier changes, cut points refreshed"),
        (Lang::En, false) => format!("{model} v{v}: swept as of {day}, {n} tier changes"),
    }
}

/// A model's or a tier's name: the English one in English when it has one, else the Chinese.
pub fn name_in<'a>(zh: &'a str, en: &'a str, lang: Lang) -> &'a str {
    if lang == Lang::En && !en.is_empty() {
        en
    } else {
        zh
    }
}

/// A model version's status (published, draft, …) in words.
pub fn status_word(status: &str, lang: Lang) -> String {
    crate::web::i18n::named(lang, "status_", status).unwrap_or(status).to_string()
}

/// Tier names of the published models, to show stored tier keys by name.
#[derive(Default)]
pub struct TierNames(std::collections::HashMap<(String, String), String>);

impl TierNames {
    /// From the published versions (a version whose file does not read keeps its keys).
    pub fn of(published: &[strata_store::ModelVersion], lang: Lang) -> TierNames {
        published
            .iter()
            .filter_map(|v| spec::ModelSpec::from_toml(&v.spec).ok())
            .fold(TierNames::default(), |names, spec| names.with(&spec, lang))
    }

    /// The same with the tiers of `spec` (a draft) in place of its published ones.
    pub fn with(mut self, spec: &spec::ModelSpec, lang: Lang) -> TierNames {
        for t in &spec.tiers {
            self.0.insert((spec.key.clone(), t.key.clone()), name_in(&t.name, &t.name_en, lang).to_string());
        }
        self
    }

    /// Model `model`'s tier `key` as `name (key)`, or the key alone when it has no other name.
    pub fn labelled(&self, model: &str, key: &str) -> String {
        match self.0.get(&(model.to_string(), key.to_string())) {
            Some(name) if name != key => format!("{name} ({key})"),
            _ => key.to_string(),
        }
    }

    /// Model `model`'s tier `key` by name (a key without one as itself; none as —).
    pub fn tier(&self, model: &str, key: Option<&str>) -> String {
        match key {
            None => "—".to_string(),
            Some(k) => self.0.get(&(model.to_string(), k.to_string())).cloned().unwrap_or_else(|| k.to_string()),
        }
    }
}
