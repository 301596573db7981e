//! Learning from labelled outcomes: logistic regression recovers a known effect, AUC and
//! precision/recall on hand-checked cases, and the decision tree finds a planted rule.

use super::*;

/// Deterministic uniform numbers in [0, 1).
fn uniforms(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn auc_and_precision_recall_by_hand() {
    let labels = [true, false, true, false];
    assert_eq!(auc(&[0.9, 0.1, 0.8, 0.2], &labels), 1.0);
    assert_eq!(auc(&[0.1, 0.9, 0.2, 0.8], &labels), 0.0);
    assert_eq!(auc(&[0.5, 0.5, 0.5, 0.5], &labels), 0.5);
    assert_eq!(auc(&[0.9, 0.8, 0.3, 0.1], &labels), 0.75);
    assert_eq!(precision_recall(&[0.9, 0.8, 0.3, 0.1], &labels, 0.5), (0.5, 0.5));
    assert!(auc(&[0.1, 0.2], &[true, true]).is_nan());
}

#[test]
fn logistic_regression_recovers_a_planted_effect() {
    let mut u = uniforms(3);
    let n = 20_000;
    // churn odds rise with days since the last order, fall with recent orders; noise is unrelated
    let days: Vec<f64> = (0..n).map(|_| (u() * 400.0).floor()).collect();
    let recent: Vec<f64> = (0..n).map(|_| (u() * 10.0).floor()).collect();
    let noise: Vec<f64> = (0..n).map(|i| if i % 10 == 0 { f64::NAN } else { u() }).collect();
    let labels: Vec<bool> = (0..n)
        .map(|i| {
            let z = -1.0 + 0.01 * (days[i] - 200.0) - 0.3 * (recent[i] - 4.5);
            u() < 1.0 / (1.0 + (-z).exp())
        })
        .collect();
    let columns = vec![days, recent, noise];
    let m = Logistic::fit(&columns, &labels).expect("fit");
    // weights are per standard deviation: 0.01 · sd(days ≈ 115) ≈ 1.15, −0.3 · sd(recent ≈ 2.87) ≈ −0.86
    assert!((m.weights[0] - 1.15).abs() < 0.1, "{m:?}");
    assert!((m.weights[1] + 0.86).abs() < 0.1, "{m:?}");
    assert!(m.weights[2].abs() < 0.1, "{m:?}");
    let p = m.probabilities(&columns);
    let a = auc(&p, &labels);
    assert!(a > 0.75 && a < 0.95, "auc {a}");
    assert!(m.odds_per_sd(0) > 2.5 && m.odds_per_sd(1) < 0.5);
    let e = Logistic::fit(&columns, &vec![false; n]).unwrap_err();
    assert_eq!(e.code(), "too_few_examples");
}

#[test]
fn the_tree_finds_a_planted_rule() {
    let mut u = uniforms(11);
    let n = 10_000;
    let days: Vec<f64> = (0..n).map(|_| (u() * 400.0).floor()).collect();
    let orders: Vec<f64> = (0..n).map(|i| if i % 50 == 0 { f64::NAN } else { (u() * 20.0).floor() }).collect();
    // the outcome: days since last order > 180 and fewer than 3 orders, with 5 % label noise
    let labels: Vec<bool> = (0..n).map(|i| (days[i] > 180.0 && orders[i] < 3.0) != (u() < 0.05)).collect();
    let names = vec!["days_since(last order)".to_string(), "count(orders, last 365d)".to_string()];
    let rules = suggest_rules(&names, &[days.clone(), orders.clone()], &labels, TreeTerms { depth: 2, min_leaf_share: 0.01 });
    let best = &rules[0];
    let (a, b) = best.rule.split_once(" and ").expect("two conditions");
    let (days_rule, orders_rule) = if a.starts_with("days") { (a, b) } else { (b, a) };
    assert_eq!(orders_rule, "count(orders, last 365d) <= 2", "{rules:?}");
    let cut: f64 = days_rule.strip_prefix("days_since(last order) > ").and_then(|t| t.parse().ok()).expect("days threshold");
    assert!((175.0..=185.0).contains(&cut), "{rules:?}");
    assert!(best.precision > 0.9 && best.lift > 5.0, "{best:?}");
    // The rule's count is exactly the customers it matches (missing values match no branch).
    let matched = (0..n).filter(|&i| days[i] > cut && orders[i] <= 2.0).count();
    assert_eq!(best.customers, matched);
    assert!(rules.iter().all(|r| r.support > 0.0 && r.support <= 1.0));
}
