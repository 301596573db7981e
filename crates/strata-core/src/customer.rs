//! Customers (companies or persons), their contacts, and the people and teams who own them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::company_name::{canonical_company_name, canonical_person_name};

crate::labelled_enum!(
    /// A company (B2B) or a person (B2C).
    CustomerKind, "customer kind", {
    Company => ("company", "企业", "company", ["公司", "单位", "企业客户", "b2b", "organisation", "organization"]),
    Person => ("person", "个人", "person", ["个人客户", "自然人", "b2c", "individual"]),
});

crate::labelled_enum!(
    /// Where a customer is in its life with the business (生命周期).
    LifecycleStage, "lifecycle stage", {
    Prospect => ("prospect", "潜在", "prospect", ["潜在客户", "线索", "lead"]),
    New => ("new", "新客", "new", ["新客户", "新"]),
    Growing => ("growing", "成长", "growing", ["成长期", "成长客户"]),
    Mature => ("mature", "成熟", "mature", ["成熟期", "成熟客户", "稳定"]),
    Declining => ("declining", "衰退", "declining", ["衰退期", "下滑"]),
    Churned => ("churned", "流失", "churned", ["流失客户", "已流失", "lost"]),
    WonBack => ("won_back", "召回", "won back", ["挽回", "召回客户", "recovered"]),
});

/// A customer's master data as imported or entered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerInput {
    pub external_id: Option<String>,
    pub kind: CustomerKind,
    pub name: String,
    pub credit_code: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub source_channel: Option<String>,
    /// Login of the owning user.
    pub owner: Option<String>,
    /// Name of the owning team.
    pub team: Option<String>,
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Main phone in E.164, used with the canonical name to match customers without an id.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tags: Vec<String>,
    /// Custom field values by key, already validated against their definitions.
    pub custom: BTreeMap<String, serde_json::Value>,
    /// When the customer relationship started, if the source knows.
    pub since: Option<NaiveDate>,
}

impl CustomerInput {
    /// The key used to match this customer against existing ones when it has no external id.
    pub fn canonical_name(&self) -> String {
        canonical_name(self.kind, &self.name)
    }
}

pub fn canonical_name(kind: CustomerKind, name: &str) -> String {
    match kind {
        CustomerKind::Company => canonical_company_name(name),
        CustomerKind::Person => canonical_person_name(name),
    }
}

/// Normalises a tag list: cleaned, empty ones dropped, duplicates removed, order kept.
/// Accepts separators people use in one cell: , ， ; ； 、 |
pub fn parse_tags(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in raw.split([',', '，', ';', '；', '、', '|']) {
        let t = crate::text::clean_text(t);
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// A contact person at a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactInput {
    pub external_id: Option<String>,
    pub name: String,
    pub title: Option<String>,
    pub mobile: Option<String>,
    pub landline: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
}

crate::labelled_enum!(
    /// What a user may do: permissions, record scope and field rules per role are in `access`.
    Role, "role", {
    Admin => ("admin", "管理员", "admin", ["administrator"]),
    Manager => ("manager", "经理", "manager", ["主管", "总监", "director"]),
    Sales => ("sales", "销售", "sales", ["销售员", "业务员"]),
    Service => ("service", "客服", "service", ["售后", "support"]),
    Analyst => ("analyst", "分析师", "analyst", ["数据分析"]),
});

/// A user who can own customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInput {
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub team: Option<String>,
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tag_cells() {
        assert_eq!(parse_tags("战略客户, 重点 ，战略客户、华南"), vec!["战略客户", "重点", "华南"]);
        assert!(parse_tags(" ; ").is_empty());
    }
}

/// A stored customer as the API and UI see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: i64,
    pub external_id: Option<String>,
    pub kind: CustomerKind,
    pub name: String,
    pub canonical_name: String,
    pub credit_code: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub source_channel: Option<String>,
    pub owner_id: Option<i64>,
    /// Login of the owner.
    pub owner: Option<String>,
    pub team_id: Option<i64>,
    pub team: Option<String>,
    pub lifecycle_stage: Option<LifecycleStage>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub custom: BTreeMap<String, serde_json::Value>,
    pub since: Option<NaiveDate>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Whether the customer has at least one contact person.
    #[serde(default)]
    pub has_contact: bool,
    /// Share of the expected fields filled, in percent (see `completeness::FIELDS`).
    #[serde(default)]
    pub completeness: u8,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub team_id: Option<i64>,
    pub team: Option<String>,
    pub role: Role,
    pub active: bool,
}

/// A stored team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
}

/// Normalises customer input from the API the way imports normalise cells: names and text
/// cleaned, phone to E.164, e-mail lower-cased, credit code checked, tags de-duplicated.
/// Returns every field error at once.
pub fn normalise_input(mut c: CustomerInput) -> Result<CustomerInput, Vec<(&'static str, crate::ValueError)>> {
    use crate::text::non_empty;
    let mut errors = Vec::new();
    c.name = crate::text::clean_text(&c.name);
    if c.name.is_empty() {
        errors.push(("name", crate::ValueError::new("required", "name is required").zh("名称必填")));
    }
    for v in [&mut c.external_id, &mut c.industry, &mut c.province, &mut c.city, &mut c.source_channel, &mut c.owner, &mut c.team] {
        *v = v.as_deref().and_then(non_empty);
    }
    c.phone = match c.phone.as_deref().and_then(non_empty) {
        Some(p) => crate::phone::normalise_phone(&p).map_err(|e| errors.push(("phone", e))).ok(),
        None => None,
    };
    c.email = match c.email.as_deref().and_then(non_empty) {
        Some(e) => crate::email::normalise_email(&e).map_err(|e| errors.push(("email", e))).ok(),
        None => None,
    };
    c.credit_code = match c.credit_code.as_deref().and_then(non_empty) {
        Some(code) => crate::credit_code::normalise_credit_code(&code).map_err(|e| errors.push(("credit_code", e))).ok(),
        None => None,
    };
    if c.kind == CustomerKind::Person && c.credit_code.is_some() {
        errors.push((
            "credit_code",
            crate::ValueError::new("credit_code_on_person", "a person has no unified social credit code")
                .zh("个人客户没有统一社会信用代码"),
        ));
    }
    c.tags = parse_tags(&c.tags.join(","));
    if errors.is_empty() {
        Ok(c)
    } else {
        Err(errors)
    }
}
