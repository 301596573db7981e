//! Survivorship on small merges: each default rule, chosen fields, and the plans refused.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;

use super::survivorship::*;
use crate::customer::{Customer, CustomerKind};

fn customer(id: i64, name: &str, updated_day: u32) -> Customer {
    let at = Utc.with_ymd_and_hms(2026, 3, updated_day, 8, 0, 0).single().expect("time");
    Customer {
        id,
        external_id: Some(format!("C{id}")),
        kind: CustomerKind::Company,
        name: name.into(),
        canonical_name: name.into(),
        credit_code: None,
        industry: None,
        province: None,
        city: None,
        source_channel: None,
        owner_id: Some(id * 10),
        owner: Some(format!("user{id}")),
        team_id: Some(id * 100),
        team: Some(format!("team{id}")),
        lifecycle_stage: None,
        phone: None,
        email: None,
        tags: vec![],
        custom: BTreeMap::new(),
        since: None,
        created_at: at,
        updated_at: at,
        has_contact: false,
        completeness: 0,
    }
}

fn decision<'a>(m: &'a Merged, field: &str) -> &'a Decision {
    m.decisions.iter().find(|d| d.field == field).expect("decision")
}

#[test]
fn default_rules_pick_survivor_recent_richest_earliest_and_union() {
    let mut a = customer(1, "深圳市腾飞科技有限公司", 1);
    a.phone = Some("+8613800138000".into());
    a.industry = Some("制造".into());
    a.tags = vec!["重点".into()];
    a.since = NaiveDate::from_ymd_opt(2021, 5, 1);
    a.custom.insert("region".into(), json!("华南"));
    let mut b = customer(2, "腾飞科技", 9);
    b.phone = Some("+8613900139000".into());
    b.email = Some("it@tengfei.cn".into());
    b.tags = vec!["重点".into(), "战略客户".into()];
    b.since = NaiveDate::from_ymd_opt(2019, 2, 1);
    b.custom.insert("region".into(), json!(""));
    let m = plan(&[a, b], &[100, 5_000], &BTreeMap::new()).expect("plan");
    assert_eq!((m.survivor, m.absorbed.clone()), (1, vec![2]));
    assert_eq!(m.input.name, "深圳市腾飞科技有限公司");
    assert_eq!(m.input.external_id.as_deref(), Some("C1"));
    // b was updated later: its phone wins, a's is set aside; a's industry survives b's gap.
    assert_eq!(m.input.phone.as_deref(), Some("+8613900139000"));
    assert_eq!(decision(&m, "phone").set_aside, vec![(1, json!("+8613800138000"))]);
    assert_eq!(m.input.industry.as_deref(), Some("制造"));
    assert_eq!(m.input.email.as_deref(), Some("it@tengfei.cn"));
    // b has the larger revenue: owner and team come together from b.
    assert_eq!((m.input.owner.as_deref(), m.owner_id, m.team_id), (Some("user2"), Some(20), Some(200)));
    assert_eq!(decision(&m, "owner").rule, Rule::LargestRevenue);
    assert_eq!(m.input.since, NaiveDate::from_ymd_opt(2019, 2, 1));
    assert_eq!(m.input.tags, vec!["重点".to_string(), "战略客户".to_string()]);
    // An empty custom value is no value.
    assert_eq!(m.input.custom.get("region"), Some(&json!("华南")));
}

#[test]
fn chosen_fields_override_the_rules() {
    let mut a = customer(1, "腾飞科技有限公司", 1);
    a.phone = Some("+8613800138000".into());
    a.tags = vec!["A".into()];
    let mut b = customer(2, "深圳市腾飞科技有限公司", 2);
    b.phone = Some("+8613900139000".into());
    b.tags = vec!["B".into()];
    let chosen: BTreeMap<String, i64> = [("name", 2), ("phone", 1), ("owner", 1), ("tags", 2)].map(|(f, id)| (f.to_string(), id)).into();
    let m = plan(&[a, b], &[0, 9_999], &chosen).expect("plan");
    assert_eq!(m.input.name, "深圳市腾飞科技有限公司");
    assert_eq!(m.input.phone.as_deref(), Some("+8613800138000"));
    assert_eq!(m.input.owner.as_deref(), Some("user1"));
    assert_eq!(m.input.tags, vec!["B".to_string()]);
    assert!(m.decisions.iter().filter(|d| chosen.contains_key(&d.field)).all(|d| d.rule == Rule::Chosen));
}

#[test]
fn equal_revenue_keeps_the_survivors_owner() {
    let m = plan(&[customer(5, "甲", 1), customer(3, "乙", 2)], &[0, 0], &BTreeMap::new()).expect("plan");
    assert_eq!(m.owner_id, Some(50));
}

#[test]
fn bad_plans_are_refused_with_codes() {
    let c = |id| customer(id, "x", 1);
    let none = BTreeMap::new();
    let cases: Vec<(Vec<Customer>, BTreeMap<String, i64>, &str)> = vec![
        (vec![c(1), c(1)], none.clone(), "merge_with_itself"),
        (vec![c(1)], none.clone(), "merge_needs_two"),
        (vec![c(1), c(2), c(2)], none.clone(), "merge_repeated_customer"),
        (vec![c(1), c(2)], [("phnoe".to_string(), 1)].into(), "unknown_merge_field"),
        (vec![c(1), c(2)], [("custom.".to_string(), 1)].into(), "unknown_merge_field"),
        (vec![c(1), c(2)], [("phone".to_string(), 7)].into(), "merge_source_not_in_merge"),
    ];
    for (customers, chosen, code) in cases {
        let revenue = vec![0; customers.len()];
        let err = plan(&customers, &revenue, &chosen).expect_err(code);
        assert_eq!(err.code(), code, "{err}");
    }
    let err = plan(&[c(1), c(2)], &[0, 0], &[("phon".to_string(), 1)].into()).expect_err("typo");
    assert!(err.to_string().contains("did you mean `phone`?"), "{err}");
}
