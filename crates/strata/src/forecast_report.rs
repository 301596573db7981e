//! What `strata model …` prints, in the command line's language: stored purchase-model fits,
//! churn studies and suggested rules, and the errors of a study.

use serde_json::{json, Value};
use strata_store::ModelFit;

use crate::{
    cli::language::{padded, pick, Lang, Said},
    outcomes::StudyError,
};

/// A study that could not run, in both languages.
pub fn study_error(e: StudyError) -> anyhow::Error {
    Said::error(e.to_string(), e.message_zh())
}

/// A stored fit as text for the terminal, its time in the business time zone `zone`.
pub fn fit_text(fit: &ModelFit, lang: Lang, zone: chrono::FixedOffset) -> String {
    let params: serde_json::Map<String, Value> = serde_json::from_str(&fit.params).unwrap_or_default();
    let order: &[&str] = if fit.kind == "bgnbd" { &["r", "alpha", "a", "b"] } else { &["p", "q", "gamma"] };
    let shown: Vec<String> =
        order.iter().map(|k| format!("{k} = {:.4}", params.get(*k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN))).collect();
    let (customers, repeat) = (fit.customers, fit.repeat_customers);
    let (title, who) = match (fit.kind.as_str(), lang) {
        ("bgnbd", Lang::Zh) => ("BG/NBD", format!("{customers} 个客户（复购 {repeat} 个）")),
        ("bgnbd", Lang::En) => ("BG/NBD", format!("{customers} customers ({repeat} repeat buyers)")),
        (_, Lang::Zh) => ("Gamma-Gamma", format!("{customers} 个复购客户")),
        (_, Lang::En) => ("Gamma-Gamma", format!("{customers} repeat buyers")),
    };
    let (id, end, unit, ll, its, secs, by) =
        (fit.id, &fit.calibration_end, &fit.time_unit, fit.log_likelihood, fit.iterations, fit.seconds, &fit.fitted_by);
    let at = fit.fitted_at.with_timezone(&zone).format("%Y-%m-%d %H:%M");
    let params = shown.join("  ");
    match lang {
        Lang::Zh => format!(
            "{title} 拟合 #{id} — {who}，校准日 {end}，时间单位 {unit}\n  {params}\n  对数似然 {ll:.2}，迭代 {its} 次，用时 {secs:.3} 秒，{at} 由 {by} 拟合"
        ),
        Lang::En => format!(
            "{title} fit #{id} — {who}, calibration end {end}, in {unit}\n  {params}\n  log-likelihood {ll:.2}, {its} iterations, {secs:.3} s, fitted {at} by {by}"
        ),
    }
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// A churn study: who it was trained and evaluated on, how well it predicts, what moves the odds.
pub fn print_churn(r: &Value, lang: Lang) {
    let horizon = &r["horizon_days"];
    match lang {
        Lang::Zh => println!("流失：{horizon} 天内没有计入收入的订单"),
        Lang::En => println!("churn: no revenue order within {horizon} days"),
    }
    for (zh, en, part) in [("训练", "trained on", &r["train"]), ("评估", "evaluated on", &r["test"])] {
        let (n, as_of, rate) = (&part["customers"], part["as_of"].as_str().unwrap_or(""), 100.0 * number(&part["outcome_rate"]));
        match lang {
            Lang::Zh => println!("  {zh}：截至 {as_of} 的 {n} 个购买客户，{rate:.1}% 流失"),
            Lang::En => println!("  {en} {n} buyers as of {as_of}, {rate:.1}% churned"),
        }
    }
    let (auc, p, precision, recall) = (number(&r["auc"]), &r["threshold"], number(&r["precision"]), number(&r["recall"]));
    match lang {
        Lang::Zh => println!("  AUC {auc:.3}；预测为流失（p ≥ {p}）：精确率 {precision:.3}，召回率 {recall:.3}"),
        Lang::En => println!("  AUC {auc:.3}; predicted churners (p ≥ {p}): precision {precision:.3}, recall {recall:.3}"),
    }
    println!(
        "{}",
        pick(lang, "  影响流失几率的因素（各多一个标准差）：", "  what moves the odds of churn (one standard deviation more of each):")
    );
    for w in r["weights"].as_array().into_iter().flatten() {
        let name = padded(w["feature"].as_str().unwrap_or(""), 44);
        if w["has_data"] != json!(true) {
            println!("    {name} {}", pick(lang, "数据中没有变化", "no variation in the data"));
            continue;
        }
        let (odds, sd) = (number(&w["odds_ratio_per_sd"]), number(&w["sd"]));
        let change = match (odds >= 1.0, lang) {
            (true, Lang::Zh) => format!("几率 ×{odds:.2}（升高）"),
            (false, Lang::Zh) => format!("几率 ×{odds:.2}（降低）"),
            (true, Lang::En) => format!("raises the odds ×{odds:.2}"),
            (false, Lang::En) => format!("lowers the odds ×{odds:.2}"),
        };
        println!("    {name} +{sd:.1} {change}");
    }
}

/// Suggested rules, each as a ladder tier ready to paste into a model file.
pub fn print_rules(r: &Value, lang: Lang) {
    let (n, as_of, outcome, horizon) =
        (&r["customers"], r["as_of"].as_str().unwrap_or(""), r["outcome"].as_str().unwrap_or(""), &r["horizon_days"]);
    let base = 100.0 * number(&r["base_rate"]);
    match lang {
        Lang::Zh => println!("截至 {as_of} 的 {n} 个客户，{horizon} 天内结果 `{outcome}`：基准比例 {base:.1}%"),
        Lang::En => println!("{n} customers as of {as_of}, outcome `{outcome}` within {horizon} days: base rate {base:.1}%"),
    }
    let rules = r["rules"].as_array().cloned().unwrap_or_default();
    if rules.is_empty() {
        println!(
            "{}",
            pick(
                lang,
                "用这些特征，没有规则能比基准比例更好地区分该结果",
                "no rule separates the outcome better than the base rate with these features"
            )
        );
    }
    for (i, rule) in rules.iter().enumerate() {
        let (k, precision, lift) = (i + 1, 100.0 * number(&rule["precision"]), number(&rule["lift"]));
        let (customers, support) = (&rule["customers"], 100.0 * number(&rule["support"]));
        let head = match lang {
            Lang::Zh => format!("# 规则 {k}：精确率 {precision:.1}%，提升 ×{lift:.2}，{customers} 个客户（{support:.1}%）"),
            Lang::En => format!("# rule {k}: precision {precision:.1}%, lift ×{lift:.2}, {customers} customers ({support:.1}%)"),
        };
        println!("\n{head}\n[[tiers]]\nkey = \"suggested_{k}\"\nname = \"建议规则 {k}\"\nwhen = {}", rule["rule"]);
    }
}
