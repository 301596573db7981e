//! Merging duplicate customers: which value of each field the surviving customer keeps (the
//! survivorship rules), with every decision and the values it set aside listed for review.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::customer::{Customer, CustomerInput};

/// The fields a merge decides, besides custom fields (`custom.<key>`).
pub const MERGE_FIELDS: [&str; 14] = [
    "name",
    "kind",
    "external_id",
    "credit_code",
    "industry",
    "province",
    "city",
    "source_channel",
    "owner",
    "lifecycle_stage",
    "phone",
    "email",
    "tags",
    "since",
];

/// How a field's value was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The surviving customer's own value (name, kind, external id).
    Survivor,
    /// The most recently updated customer that has a value.
    MostRecentNonEmpty,
    /// Owner and team of the customer with the larger revenue.
    LargestRevenue,
    /// The earliest date (customer since).
    Earliest,
    /// Every customer's tags, survivor's first.
    Union,
    /// Named by the person merging.
    Chosen,
}

/// One field's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub field: String,
    pub rule: Rule,
    /// The customer whose value was kept (the survivor for unions and empty fields).
    pub from: i64,
    pub value: Value,
    /// Other customers' different, non-empty values, set aside.
    pub set_aside: Vec<(i64, Value)>,
}

/// What the surviving customer becomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Merged {
    pub survivor: i64,
    pub absorbed: Vec<i64>,
    /// The survivor's new master data (owner and team as login and name).
    #[serde(skip)]
    pub input: CustomerInput,
    pub owner_id: Option<i64>,
    pub team_id: Option<i64>,
    pub decisions: Vec<Decision>,
}

/// Why a merge cannot be planned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MergeError {
    #[error("customer {0} cannot be merged with itself; name other customers to merge into it")]
    WithItself(i64),
    #[error("a merge needs at least one customer besides the survivor {0}")]
    NothingToMerge(i64),
    #[error("customer {0} is named twice in the merge")]
    Repeated(i64),
    #[error(
        "unknown merge field `{field}`{}; fields are {}, or custom.<key>",
        .suggestion.as_ref().map_or(String::new(), |s| format!("; did you mean `{s}`?")),
        MERGE_FIELDS.join(", ")
    )]
    UnknownField { field: String, suggestion: Option<String> },
    #[error("field `{field}` is to come from customer {id}, which is not part of this merge")]
    NotInMerge { field: String, id: i64 },
}

impl MergeError {
    pub fn code(&self) -> &'static str {
        match self {
            MergeError::WithItself(_) => "merge_with_itself",
            MergeError::NothingToMerge(_) => "merge_needs_two",
            MergeError::Repeated(_) => "merge_repeated_customer",
            MergeError::UnknownField { .. } => "unknown_merge_field",
            MergeError::NotInMerge { .. } => "merge_source_not_in_merge",
        }
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            MergeError::WithItself(id) => format!("客户 {id} 不能与自身合并；请指定要并入它的其他客户"),
            MergeError::NothingToMerge(id) => format!("合并至少需要保留客户 {id} 之外的一个客户"),
            MergeError::Repeated(id) => format!("客户 {id} 在合并中出现了两次"),
            MergeError::UnknownField { field, suggestion } => {
                let hint = suggestion.as_ref().map_or(String::new(), |s| format!("；是不是 `{s}`？"));
                format!("没有可合并的字段 `{field}`{hint}；可用字段：{}，或 custom.<字段键>", MERGE_FIELDS.join("、"))
            }
            MergeError::NotInMerge { field, id } => format!("字段 `{field}` 要取自客户 {id}，但该客户不在这次合并中"),
        }
    }
}

/// Checks the customer ids of a merge: survivor first, at least one other, none twice.
pub fn check_ids(survivor: i64, absorbed: &[i64]) -> Result<(), MergeError> {
    let mut seen = BTreeSet::new();
    for &id in absorbed {
        if id == survivor {
            return Err(MergeError::WithItself(id));
        }
        if !seen.insert(id) {
            return Err(MergeError::Repeated(id));
        }
    }
    if absorbed.is_empty() {
        return Err(MergeError::NothingToMerge(survivor));
    }
    Ok(())
}

/// Plans a merge. `customers[0]` survives; `revenue` is each customer's order revenue in cents
/// (same order); `chosen` names, per field, the customer whose value to keep.
pub fn plan(customers: &[Customer], revenue: &[i64], chosen: &BTreeMap<String, i64>) -> Result<Merged, MergeError> {
    let survivor = customers.first().map_or(0, |c| c.id);
    let absorbed: Vec<i64> = customers.iter().skip(1).map(|c| c.id).collect();
    check_ids(survivor, &absorbed)?;
    let custom_keys: BTreeSet<&String> = customers.iter().flat_map(|c| c.custom.keys()).collect();
    for (field, &id) in chosen {
        let known = MERGE_FIELDS.contains(&field.as_str()) || field.strip_prefix("custom.").is_some_and(|k| !k.is_empty());
        if !known {
            let suggestion = crate::rules::error::suggest(field, MERGE_FIELDS.iter().copied()).map(|s| s.to_string());
            return Err(MergeError::UnknownField { field: field.clone(), suggestion });
        }
        if !customers.iter().any(|c| c.id == id) {
            return Err(MergeError::NotInMerge { field: field.clone(), id });
        }
    }
    // Most recent first; the survivor wins ties.
    let mut recent: Vec<&Customer> = customers.iter().collect();
    recent.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then((a.id != survivor).cmp(&(b.id != survivor))));
    let by_id = |id: i64| customers.iter().find(|c| c.id == id);
    let richest = customers
        .iter()
        .zip(revenue.iter().copied().chain(std::iter::repeat(0)))
        .max_by(|(a, ra), (b, rb)| ra.cmp(rb).then((a.id == survivor).cmp(&(b.id == survivor))).then(b.id.cmp(&a.id)))
        .map_or(survivor, |(c, _)| c.id);

    let mut decisions = Vec::new();
    let mut decide = |field: &str, get: &dyn Fn(&Customer) -> Value, rule: Rule| -> i64 {
        let (rule, from) = match chosen.get(field) {
            Some(&id) => (Rule::Chosen, id),
            None => match rule {
                Rule::MostRecentNonEmpty => (rule, recent.iter().find(|c| !get(c).is_null()).map_or(survivor, |c| c.id)),
                Rule::LargestRevenue => (rule, richest),
                Rule::Earliest => {
                    let first = customers.iter().filter(|c| !get(c).is_null()).min_by_key(|c| get(c).as_str().map(str::to_string));
                    (rule, first.map_or(survivor, |c| c.id))
                }
                _ => (rule, survivor),
            },
        };
        let value = by_id(from).map_or(Value::Null, get);
        let set_aside = customers.iter().map(|c| (c.id, get(c))).filter(|(id, v)| *id != from && !v.is_null() && *v != value).collect();
        decisions.push(Decision { field: field.to_string(), rule, from, value, set_aside });
        from
    };
    let text = |f: fn(&Customer) -> &Option<String>| move |c: &Customer| f(c).clone().map_or(Value::Null, Value::from);
    let pick = |from: i64| by_id(from).unwrap_or(&customers[0]);

    let name_from = decide("name", &|c| Value::from(c.name.clone()), Rule::Survivor);
    let kind_from = decide("kind", &|c| serde_json::to_value(c.kind).unwrap_or(Value::Null), Rule::Survivor);
    let ext_from = decide("external_id", &text(|c| &c.external_id), Rule::Survivor);
    let credit_from = decide("credit_code", &text(|c| &c.credit_code), Rule::MostRecentNonEmpty);
    let industry_from = decide("industry", &text(|c| &c.industry), Rule::MostRecentNonEmpty);
    let province_from = decide("province", &text(|c| &c.province), Rule::MostRecentNonEmpty);
    let city_from = decide("city", &text(|c| &c.city), Rule::MostRecentNonEmpty);
    let source_from = decide("source_channel", &text(|c| &c.source_channel), Rule::MostRecentNonEmpty);
    let owner_from = decide("owner", &text(|c| &c.owner), Rule::LargestRevenue);
    let stage_from =
        decide("lifecycle_stage", &|c| serde_json::to_value(c.lifecycle_stage).unwrap_or(Value::Null), Rule::MostRecentNonEmpty);
    let phone_from = decide("phone", &text(|c| &c.phone), Rule::MostRecentNonEmpty);
    let email_from = decide("email", &text(|c| &c.email), Rule::MostRecentNonEmpty);
    let since_from = decide("since", &|c| c.since.map_or(Value::Null, |d| Value::from(d.to_string())), Rule::Earliest);

    let mut custom = BTreeMap::new();
    for key in custom_keys {
        let get = |c: &Customer| c.custom.get(key).cloned().filter(|v| !v.is_null() && v != &Value::from("")).unwrap_or(Value::Null);
        let from = decide(&format!("custom.{key}"), &get, Rule::MostRecentNonEmpty);
        let v = get(pick(from));
        if !v.is_null() {
            custom.insert(key.clone(), v);
        }
    }

    let tags = match chosen.get("tags") {
        Some(&id) => pick(id).tags.clone(),
        None => {
            let mut all: Vec<String> = Vec::new();
            for t in customers.iter().flat_map(|c| &c.tags) {
                if !all.contains(t) {
                    all.push(t.clone());
                }
            }
            all
        }
    };
    let tag_from = chosen.get("tags").copied().unwrap_or(survivor);
    let tag_rule = if chosen.contains_key("tags") { Rule::Chosen } else { Rule::Union };
    let set_aside = customers
        .iter()
        .filter(|c| c.id != tag_from && c.tags.iter().any(|t| !tags.contains(t)))
        .map(|c| (c.id, Value::from(c.tags.clone())))
        .collect();
    decisions.push(Decision { field: "tags".into(), rule: tag_rule, from: tag_from, value: Value::from(tags.clone()), set_aside });

    let owner = pick(owner_from);
    let input = CustomerInput {
        external_id: pick(ext_from).external_id.clone(),
        kind: pick(kind_from).kind,
        name: pick(name_from).name.clone(),
        credit_code: pick(credit_from).credit_code.clone(),
        industry: pick(industry_from).industry.clone(),
        province: pick(province_from).province.clone(),
        city: pick(city_from).city.clone(),
        source_channel: pick(source_from).source_channel.clone(),
        owner: owner.owner.clone(),
        team: owner.team.clone(),
        lifecycle_stage: pick(stage_from).lifecycle_stage,
        phone: pick(phone_from).phone.clone(),
        email: pick(email_from).email.clone(),
        tags,
        custom,
        since: pick(since_from).since,
    };
    Ok(Merged { survivor, absorbed, input, owner_id: owner.owner_id, team_id: owner.team_id, decisions })
}
