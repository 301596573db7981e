//! Predictive-model fits over HTTP: fit on demand (the CDNOW sample), the fits in force with
//! their history, a model that reads predictions re-evaluated by a refit, and bad requests.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::http::Api;

const RETENTION: &str = r#"
key = "retention"
name = "挽留"
kind = "ladder"

[[tiers]]
key = "at_risk"
name = "高危挽留"
when = "p_alive < 0.3"

[[tiers]]
key = "other"
name = "其他"
"#;

#[tokio::test]
async fn fits_are_made_shown_and_move_tiers() {
    let api = Api::on(std::sync::Arc::new(tempfile::tempdir().expect("tempdir")), chrono::NaiveDate::from_ymd_opt(1998, 7, 1)).await;
    let (customers, orders) = super::support::cdnow_csv();
    assert_eq!(api.upload("customers", "", "c.csv", customers.as_bytes()).await.0, StatusCode::OK);
    assert_eq!(api.upload("orders", "", "o.csv", orders.as_bytes()).await.0, StatusCode::OK);

    // Before any fit: a model reading p_alive does not check.
    let (status, e) = api.json(Method::POST, "/api/v1/tier-models/check", Some(json!({"spec": RETENTION}))).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("model_invalid")), "{e}");
    assert!(e["message"].as_str().unwrap_or("").contains("needs a BG/NBD fit"), "{e}");

    let body = json!({"calibration_end": "1997-09-30", "unit": "weeks"});
    let (status, fit) = api.json(Method::POST, "/api/v1/model-fits/bgnbd", Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{fit}");
    let r = fit["params"]["r"].as_f64().unwrap_or(0.0);
    assert!((r - 0.243).abs() < 0.243 * 0.005, "{fit}");

    // Publish a model reading p_alive; a refit on the whole period moves some customers.
    let (status, saved) = api.json(Method::POST, "/api/v1/tier-models", Some(json!({"spec": RETENTION}))).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let version = saved["version"].as_i64().unwrap_or(1);
    let (status, out) = api.json(Method::POST, &format!("/api/v1/tier-models/retention/versions/{version}/publish"), None).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, refit) =
        api.json(Method::POST, "/api/v1/model-fits/bgnbd", Some(json!({"calibration_end": "1998-06-30", "unit": "weeks"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{refit}");
    assert!(refit["tier_changes"].as_u64().unwrap_or(0) > 0, "{refit}");
    let (_, changes) = api.json(Method::GET, "/api/v1/tier-changes?limit=5000", None).await;
    assert!(changes.to_string().contains("refit"), "{changes}");

    let (status, list) = api.json(Method::GET, "/api/v1/model-fits?history=5", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["fits"][0]["in_force"]["calibration_end"], "1998-06-30", "{list}");
    assert_eq!(list["fits"][0]["history"].as_array().map(|a| a.len()), Some(2), "{list}");

    // Bad requests: specific codes, nothing stored.
    for (uri, body, code) in [
        ("/api/v1/model-fits/bgnbd", json!({"calibration_end": "1990-01-01"}), "calibration_outside_data"),
        ("/api/v1/model-fits/bgnbd", json!({"calibration_end": "1999-01-01"}), "calibration_outside_data"),
        ("/api/v1/model-fits/bgnbd", json!({"unit": "fortnights"}), "invalid_unit"),
        ("/api/v1/model-fits/bgnbd", json!({"calibration_end": "1997-01-01"}), "too_few_customers"),
        ("/api/v1/model-fits/bgnbd", json!({"calibrate": "1997-01-01"}), "invalid_body"),
        ("/api/v1/model-fits/pareto", json!({}), "not_found"),
    ] {
        let (_, e) = api.json(Method::POST, uri, Some(body)).await;
        assert_eq!(e["code"], code, "{uri}: {e}");
        if code == "not_found" {
            assert_eq!(e["details"]["message_zh"], "找不到预测模型 pareto", "{uri}: {e}");
        }
        if code == "calibration_outside_data" || code == "too_few_customers" {
            assert!(e["details"]["message_zh"].as_str().is_some_and(|m| m.ends_with("当前生效的拟合不变")), "{uri}: {e}");
        }
    }
    let (_, after) = api.json(Method::GET, "/api/v1/model-fits?history=5", None).await;
    assert_eq!(after, list, "failed fits stored nothing");

    // The daily sweep's refit: the BG/NBD fit (calibration ended 1998-06-30) is recent; a
    // Gamma-Gamma fit calibrated on 1997-09-30 is due and is refitted up to today.
    let (status, _) = api.json(Method::POST, "/api/v1/model-fits/gamma_gamma", Some(json!({"calibration_end": "1997-09-30"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let today = strata_core::metrics::day_of(chrono::NaiveDate::from_ymd_opt(1998, 7, 1).expect("date"));
    assert_eq!(api.state.live.refit_due(today).await.expect("refit"), vec!["gamma_gamma".to_string()]);
    let (_, now) = api.json(Method::GET, "/api/v1/model-fits", None).await;
    let ends: Vec<&str> = now["fits"].as_array().into_iter().flatten().filter_map(|f| f["in_force"]["calibration_end"].as_str()).collect();
    assert_eq!(ends, vec!["1998-06-30", "1998-07-01"], "{now}");
    assert!(api.state.live.refit_due(today).await.expect("refit").is_empty(), "nothing is due twice");

    // Learning from outcomes: a churn model evaluated after its cut-off, and suggested rules.
    let (status, churn) = api.json(Method::POST, "/api/v1/churn-model", Some(json!({"cutoff": "1997-12-31", "horizon": "180d"}))).await;
    assert_eq!(status, StatusCode::OK, "{churn}");
    let auc = churn["auc"].as_f64().unwrap_or(0.0);
    assert!(auc > 0.7 && auc < 0.95, "{churn}");
    assert_eq!((churn["train"]["as_of"].as_str(), churn["test"]["customers"].as_u64()), (Some("1997-07-04"), Some(2357)), "{churn}");
    let days = churn["weights"].as_array().and_then(|w| w.iter().find(|w| w["feature"] == "days_since(last order)")).cloned();
    assert!(days.and_then(|d| d["odds_ratio_per_sd"].as_f64()).unwrap_or(0.0) > 1.0, "{churn}");
    let body = json!({"cutoff": "1997-12-31", "outcome": "churned", "depth": 2, "features": ["days_since(last order)", "count(orders, last 365d)"]});
    let (status, rules) = api.json(Method::POST, "/api/v1/rule-suggestions", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    let first = &rules["rules"][0];
    assert!(first["precision"].as_f64().unwrap_or(0.0) > rules["base_rate"].as_f64().unwrap_or(1.0), "{rules}");
    // The suggestion is a rule Strata accepts as it stands.
    let model = format!("key = \"suggested\"\nname = \"建议\"\nkind = \"ladder\"\n\n[[tiers]]\nkey = \"risk\"\nname = \"风险\"\nwhen = {}\n\n[[tiers]]\nkey = \"rest\"\nname = \"其他\"\n", first["rule"]);
    let (status, checked) = api.json(Method::POST, "/api/v1/tier-models/check", Some(json!({"spec": model}))).await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    for (uri, body, code) in [
        ("/api/v1/churn-model", json!({"cutoff": "1998-06-01"}), "window_after_today"),
        ("/api/v1/churn-model", json!({"cutoff": "1997-12-31", "horizon": "6 moons"}), "invalid_horizon"),
        ("/api/v1/churn-model", json!({"cutoff": "1997-12-31", "features": ["count(order, last 90x)"]}), "feature_invalid"),
        ("/api/v1/churn-model", json!({"cutoff": "1997-01-01", "horizon": "30d"}), "too_few_examples"),
        ("/api/v1/rule-suggestions", json!({"cutoff": "1997-12-31", "outcome": "happy"}), "invalid_outcome"),
        ("/api/v1/rule-suggestions", json!({"cutoff": "1997-12-31", "outcome": "won"}), "too_few_customers"),
    ] {
        let (status, e) = api.json(Method::POST, uri, Some(body)).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{uri}: {e}");
        if code != "invalid_outcome" {
            assert!(e["details"]["message_zh"].as_str().is_some_and(|m| !m.is_empty() && !m.contains("the ")), "{uri}: {e}");
        }
    }
}
