//! BG/NBD and Gamma-Gamma through the real binary: the CDNOW sample imported with Strata's own
//! importer, fitted with the paper's calibration, checked against the published estimates; bad
//! requests fail clearly and leave the fit in force unchanged.

use super::support::{path_str, Bin};

/// The sample as two importable CSV files: customers and orders.
fn cdnow_files(bin: &Bin) -> (std::path::PathBuf, std::path::PathBuf) {
    let (customers, orders) = super::support::cdnow_csv();
    (bin.write("cdnow-customers.csv", customers.as_bytes()), bin.write("cdnow-orders.csv", orders.as_bytes()))
}

const RETENTION: &str = r#"
key = "retention"
name = "挽留"
kind = "ladder"

[[tiers]]
key = "at_risk"
name = "高危挽留"
when = "p_alive < 0.3 and clv(12 months) > 5"

[[tiers]]
key = "active"
name = "活跃"
when = "存活概率 >= 0.3 or expected_orders(90d) >= 0.5"

[[tiers]]
key = "other"
name = "其他"
"#;

const RESCUE: &str = r#"
key = "rescue"
name = "挽留优先级"
kind = "ladder"

[[tiers]]
key = "rescue"
name = "高危挽留"
when = "p_alive < 0.3 and percentile(clv) > 0.8"

[[tiers]]
key = "rest"
name = "其他"
"#;

fn fit(bin: &Bin, kind: &str) -> serde_json::Value {
    let out = bin.ok(&["model", "fit", kind, "--calibration-end", "1997-09-30", "--unit", "weeks", "--today", "1998-07-01", "--json"]);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn near(v: &serde_json::Value, key: &str, want: f64, share: f64) {
    let got = v["params"][key].as_f64().unwrap_or(f64::NAN);
    assert!((got - want).abs() <= share * want, "{key} = {got}, published {want}");
}

#[test]
fn cdnow_fits_match_the_published_estimates() {
    let bin = Bin::new();
    let (customers, orders) = cdnow_files(&bin);
    assert!(bin.ok(&["import", "customers", path_str(&customers)]).contains("2357 new"));
    assert!(bin.ok(&["import", "orders", path_str(&orders)]).contains("6919 new"));
    // A model that reads predictions cannot be checked before the fits exist.
    let retention = bin.write("retention.toml", RETENTION.as_bytes());
    let early = bin.fails(&["tier", "check", path_str(&retention)]);
    assert!(early.contains("needs a BG/NBD fit, and none is in force") && early.contains("strata model fit bgnbd"), "{early}");

    let bg = fit(&bin, "bgnbd");
    for (k, want) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)] {
        near(&bg, k, want, 0.005);
    }
    let ll = bg["log_likelihood"].as_f64().unwrap_or(f64::NAN);
    assert!((ll - -9582.4).abs() <= 0.5, "log-likelihood {ll}");
    assert_eq!((bg["customers"].as_i64(), bg["repeat_customers"].as_i64()), (Some(2357), Some(946)));
    assert_eq!(bg["calibration_end"], "1997-09-30");

    let gg = fit(&bin, "gamma-gamma");
    for (k, want) in [("p", 6.25), ("q", 3.74), ("gamma", 15.44)] {
        near(&gg, k, want, 0.005);
    }
    assert_eq!(gg["customers"].as_i64(), Some(946));

    // Predictions in rules: publish a retention ladder; a refit re-evaluates it.
    bin.ok(&["tier", "publish", path_str(&retention), "--today", "1998-07-01"]);
    let shown = bin.ok(&["tier", "show", "retention"]);
    let count = |tier: &str| -> u64 {
        shown.lines().find(|l| l.trim_start().starts_with(tier)).and_then(|l| l.split_whitespace().last()?.parse().ok()).unwrap_or(0)
    };
    let (at_risk, active) = (count("at_risk"), count("active"));
    assert!(at_risk > 100 && active > 100 && at_risk + active + count("other") == 2357, "{shown}");
    // The brief's rule: at risk and in the top fifth by lifetime value (ranked at publish).
    let rescue = bin.write("rescue.toml", RESCUE.as_bytes());
    bin.ok(&["tier", "publish", path_str(&rescue), "--today", "1998-07-01"]);
    let shown = bin.ok(&["tier", "show", "rescue"]);
    let rescued: u64 = shown
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("rescue"))
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
        .unwrap_or(0);
    assert!(rescued > 0 && rescued < 2357 / 5, "{shown}");
    let why = bin.ok(&["tier", "explain", "CD0001", "--model", "retention", "--today", "1998-07-01"]);
    assert!(why.contains("p_alive"), "{why}");
    let refit = bin.ok(&["model", "fit", "bgnbd", "--calibration-end", "1998-06-30", "--unit", "weeks", "--today", "1998-07-01"]);
    assert!(refit.contains("BG/NBD fit #3"), "{refit}");
    let history = bin.ok(&["tier", "history", "CD0001"]);
    assert!(history.contains("publish"), "{history}");

    // Bad requests: a clear error, nothing stored, the fits in force unchanged.
    let before = bin.ok(&["model", "show", "--json"]);
    let early = bin.fails(&["model", "fit", "bgnbd", "--calibration-end", "1996-12-31", "--today", "1998-07-01"]);
    assert!(early.contains("calibration_outside_data") && early.contains("1997-01-01"), "{early}");
    let future = bin.fails(&["model", "fit", "bgnbd", "--calibration-end", "1999-01-01", "--today", "1998-07-01"]);
    assert!(future.contains("after today"), "{future}");
    let thin = bin.fails(&["model", "fit", "bgnbd", "--calibration-end", "1997-01-01", "--today", "1998-07-01"]);
    assert!(
        thin.contains("too_few_customers: too few customers with a purchase by the calibration end: 18") && thin.contains("unchanged"),
        "{thin}"
    );
    assert_eq!(bin.ok(&["model", "show", "--json"]), before);
    let churn = bin.ok(&["model", "churn", "--cutoff", "1997-12-31", "--today", "1998-07-01"]);
    assert!(churn.contains("AUC 0.") && churn.contains("days_since(last order)") && churn.contains("raises the odds"), "{churn}");
    let rules =
        bin.ok(&["model", "suggest-rules", "--outcome", "churned", "--cutoff", "1997-12-31", "--today", "1998-07-01", "--depth", "2"]);
    assert!(rules.contains("[[tiers]]") && rules.contains("when = \"") && rules.contains("precision"), "{rules}");
    let late = bin.fails(&["model", "churn", "--cutoff", "1998-06-01", "--today", "1998-07-01"]);
    assert!(late.contains("after today"), "{late}");
    let shown = bin.ok(&["model", "show"]);
    assert!(shown.contains("BG/NBD fit #3") && shown.contains("Gamma-Gamma fit #2"), "{shown}");

    // The same in Chinese.
    let (ok, shown) = bin.zh(&["model", "show"]);
    assert!(ok && shown.contains("BG/NBD 拟合 #3") && shown.contains("校准日 1998-06-30") && shown.contains("对数似然"), "{shown}");
    let (ok, early) = bin.zh(&["model", "fit", "bgnbd", "--calibration-end", "1996-12-31", "--today", "1998-07-01"]);
    assert!(!ok && early.contains("bgnbd 未拟合（calibration_outside_data）") && early.contains("第一笔订单在 1997-01-01"), "{early}");
    assert!(early.contains("当前生效的拟合不变"), "{early}");
    let (ok, churn) = bin.zh(&["model", "churn", "--cutoff", "1997-12-31", "--today", "1998-07-01"]);
    assert!(ok && churn.contains("AUC 0.") && churn.contains("精确率") && churn.contains("几率 ×"), "{churn}");
    let (ok, late) = bin.zh(&["model", "churn", "--cutoff", "1998-06-01", "--today", "1998-07-01"]);
    assert!(!ok && late.contains("晚于今天（1998-07-01）"), "{late}");
    let (ok, typo) =
        bin.zh(&["model", "churn", "--cutoff", "1997-12-31", "--today", "1998-07-01", "--feature", "sum(orders.amout, last 90d)"]);
    assert!(!ok && typo.contains("特征 `sum(orders.amout, last 90d)` 无法通过检查"), "{typo}");
    let (ok, rules) =
        bin.zh(&["model", "suggest-rules", "--outcome", "churned", "--cutoff", "1997-12-31", "--today", "1998-07-01", "--depth", "2"]);
    assert!(ok && rules.contains("基准比例") && rules.contains("# 规则 1：精确率"), "{rules}");
}

#[test]
fn fitting_without_orders_says_what_is_missing() {
    let bin = Bin::new();
    let out = bin.fails(&["model", "fit", "bgnbd"]);
    assert!(out.contains("no_orders") && out.contains("import orders first"), "{out}");
    assert!(bin.ok(&["model", "show"]).contains("no model fitted yet"));
    let (ok, out) = bin.zh(&["model", "fit", "bgnbd"]);
    assert!(!ok && out.contains("请先导入订单"), "{out}");
    let (ok, out) = bin.zh(&["model", "show"]);
    assert!(ok && out.contains("尚未拟合任何模型"), "{out}");
}

#[test]
fn rules_are_suggested_from_won_and_lost_deals() {
    let bin = Bin::new();
    bin.ok(&["demo", "--no-serve", "--size", "500", "--until", "2025-06-30"]);
    let out = bin.ok(&["model", "suggest-rules", "--outcome", "won", "--cutoff", "2024-06-30", "--horizon", "1y", "--today", "2025-06-30"]);
    assert!(out.contains("outcome `won` within 365 days"), "{out}");
    assert!(out.contains("[[tiers]]") || out.contains("no rule separates"), "{out}");
}
