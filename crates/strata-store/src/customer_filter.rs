//! Which customers a list or export covers: the filter (text search, fields, tags, tiers, dates,
//! completeness, ids, the caller's record scope), the sort orders, and the SQL WHERE clause a
//! filter becomes on either backend.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use strata_core::{
    customer::{CustomerKind, LifecycleStage},
    label::Labelled,
};

use crate::{value::SqlValue, BackendKind};

/// Filters for customer lists and exports. Every set field must match.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerFilter {
    /// Name (or canonical name) contains, or external id / phone / email equals.
    pub q: Option<String>,
    /// Owner login.
    pub owner: Option<String>,
    pub team: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub kind: Option<CustomerKind>,
    pub lifecycle_stage: Option<LifecycleStage>,
    pub source_channel: Option<String>,
    pub tag: Option<String>,
    pub created_from: Option<NaiveDate>,
    pub created_to: Option<NaiveDate>,
    /// Completeness (percent) at least / at most.
    pub completeness_min: Option<u8>,
    pub completeness_max: Option<u8>,
    /// Current tier in a model: (model key, tier key).
    pub tier: Option<(String, String)>,
    /// Only these customers (the server's evaluation of a rule-language condition).
    #[serde(skip)]
    pub ids: Option<std::sync::Arc<Vec<i64>>>,
    /// Which customers the caller may see (set by the server from the caller's role).
    #[serde(skip)]
    pub scope: RecordScope,
    /// `q` also matches phone and e-mail exactly (off for callers who may not see them, so a
    /// hidden value cannot be learned by searching for it).
    #[serde(skip)]
    pub q_matches_contacts: Option<bool>,
    /// `q` matches phone and e-mail only of customers this user owns (the caller sees others'
    /// masked, so a search must not confirm them).
    #[serde(skip)]
    pub q_contacts_of_owner: Option<i64>,
}

/// The customers a caller may see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RecordScope {
    #[default]
    All,
    /// Customers this user owns.
    Owner(i64),
    /// Customers of this team, and those the user owns.
    Team { team: Option<i64>, user: i64 },
}

impl RecordScope {
    /// Whether a customer with this owner and team is in scope.
    pub fn includes(self, owner_id: Option<i64>, team_id: Option<i64>) -> bool {
        match self {
            RecordScope::All => true,
            RecordScope::Owner(u) => owner_id == Some(u),
            RecordScope::Team { team, user } => owner_id == Some(user) || (team.is_some() && team_id == team),
        }
    }
}

/// How a customer list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerSort {
    #[default]
    Id,
    IdDesc,
    Name,
    NameDesc,
    CreatedAt,
    CreatedAtDesc,
    UpdatedAtDesc,
    /// Least complete first.
    Completeness,
    CompletenessDesc,
}

impl CustomerSort {
    /// The ORDER BY expression of this sort.
    pub(crate) fn sql(self) -> &'static str {
        match self {
            CustomerSort::Id => "c.id",
            CustomerSort::IdDesc => "c.id DESC",
            CustomerSort::Name => "c.name, c.id",
            CustomerSort::NameDesc => "c.name DESC, c.id DESC",
            CustomerSort::CreatedAt => "c.created_at, c.id",
            CustomerSort::CreatedAtDesc => "c.created_at DESC, c.id DESC",
            CustomerSort::UpdatedAtDesc => "c.updated_at DESC, c.id DESC",
            CustomerSort::Completeness => "c.completeness, c.id",
            CustomerSort::CompletenessDesc => "c.completeness DESC, c.id DESC",
        }
    }
}

/// The WHERE clause for a filter and its parameters, numbered from `$1`.
pub(crate) fn filter_sql(f: &CustomerFilter, backend: BackendKind) -> (String, Vec<SqlValue>) {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<SqlValue> = Vec::new();
    fn push(conds: &mut Vec<String>, params: &mut Vec<SqlValue>, cond: &str, v: SqlValue) {
        params.push(v);
        conds.push(cond.replace("$?", &format!("${}", params.len())));
    }
    if let Some(q) = f.q.as_deref().map(strata_core::text::clean_text).filter(|q| !q.is_empty()) {
        let like = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        params.push(SqlValue::text(like));
        params.push(SqlValue::text(q.clone()));
        let (a, b) = (params.len() - 1, params.len());
        let contacts = match (f.q_matches_contacts.unwrap_or(true), f.q_contacts_of_owner) {
            (false, _) => String::new(),
            (true, None) => format!(" OR c.phone = ${b} OR c.email = ${b}"),
            (true, Some(owner)) => format!(" OR (c.owner_id = {owner} AND (c.phone = ${b} OR c.email = ${b}))"),
        };
        conds.push(format!("(c.name LIKE ${a} ESCAPE '\\' OR c.canonical_name LIKE ${a} ESCAPE '\\' OR c.external_id = ${b}{contacts})"));
    }
    let eq = [
        ("u.login = $?", &f.owner),
        ("tm.name = $?", &f.team),
        ("c.industry = $?", &f.industry),
        ("c.province = $?", &f.province),
        ("c.city = $?", &f.city),
        ("c.source_channel = $?", &f.source_channel),
    ];
    for (cond, v) in eq {
        if let Some(v) = v {
            push(&mut conds, &mut params, cond, SqlValue::text(v.clone()));
        }
    }
    if let Some(k) = f.kind {
        push(&mut conds, &mut params, "c.kind = $?", SqlValue::text(k.code()));
    }
    if let Some(l) = f.lifecycle_stage {
        push(&mut conds, &mut params, "c.lifecycle_stage = $?", SqlValue::text(l.code()));
    }
    if let Some(t) = &f.tag {
        let cond = match backend {
            BackendKind::Sqlite => "EXISTS (SELECT 1 FROM json_each(c.tags) WHERE json_each.value = $?)",
            BackendKind::Postgres => "c.tags @> jsonb_build_array($?::text)",
        };
        push(&mut conds, &mut params, cond, SqlValue::text(t.clone()));
    }
    if let Some(d) = f.created_from {
        push(&mut conds, &mut params, "c.created_at >= $?", SqlValue::Time(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc())));
    }
    if let Some(d) = f.created_to {
        let next = d.succ_opt().and_then(|n| n.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
        push(&mut conds, &mut params, "c.created_at < $?", SqlValue::Time(next));
    }
    if let Some(m) = f.completeness_min {
        push(&mut conds, &mut params, "c.completeness >= $?", SqlValue::Int(Some(i64::from(m))));
    }
    if let Some(m) = f.completeness_max {
        push(&mut conds, &mut params, "c.completeness <= $?", SqlValue::Int(Some(i64::from(m))));
    }
    if let Some((model, tier)) = &f.tier {
        params.push(SqlValue::text(model.clone()));
        params.push(SqlValue::text(tier.clone()));
        conds.push(format!(
            "EXISTS (SELECT 1 FROM customer_tiers t JOIN tier_models mt ON mt.id = t.model_id \
             WHERE t.customer_id = c.id AND mt.key = ${} AND t.tier = ${})",
            params.len() - 1,
            params.len()
        ));
    }
    if let Some(ids) = &f.ids {
        let list = serde_json::to_string(ids.as_slice()).unwrap_or_else(|_| "[]".into());
        let cond = match backend {
            BackendKind::Sqlite => "c.id IN (SELECT value FROM json_each($?))",
            BackendKind::Postgres => "c.id IN (SELECT CAST(jsonb_array_elements_text(CAST($? AS jsonb)) AS BIGINT))",
        };
        push(&mut conds, &mut params, cond, SqlValue::text(list));
    }
    match f.scope {
        RecordScope::All => {}
        RecordScope::Owner(u) => push(&mut conds, &mut params, "c.owner_id = $?", SqlValue::Int(Some(u))),
        RecordScope::Team { team: None, user } => push(&mut conds, &mut params, "c.owner_id = $?", SqlValue::Int(Some(user))),
        RecordScope::Team { team: Some(t), user } => {
            params.push(SqlValue::Int(Some(t)));
            params.push(SqlValue::Int(Some(user)));
            conds.push(format!("(c.team_id = ${} OR c.owner_id = ${})", params.len() - 1, params.len()));
        }
    }
    let sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    (sql, params)
}
