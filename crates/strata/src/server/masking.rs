//! The caller's view of customer data: which customers are in scope, and every response's
//! sensitive fields masked or removed by the field rules (the defaults of
//! `strata_core::access`, as the access rules in force change them).

use serde_json::{Map, Value};
use strata_core::{
    access::{self, FieldGroup, Scope, Visibility},
    custom_field::{CustomFieldDef, FieldKind},
    customer::Customer,
    engine::explain::Explanation,
};
use strata_store::{CustomerFilter, RecordScope};

use super::{ApiError, AppState, Caller};

/// Fields of customers and records that are contact details.
const CONTACT_FIELDS: [&str; 5] = ["phone", "mobile", "landline", "email", "wechat"];
/// Fields of records that are amounts.
const AMOUNT_FIELDS: [&str; 3] = ["amount_cents", "budget_cents", "amount"];

/// Whether a condition, dimension or metric name is about amounts of money.
fn about_money(s: &str) -> bool {
    ["amount", "monetary", "clv", "revenue", "budget", "金额", "收入"].iter().any(|w| s.contains(w))
}

impl Caller {
    pub fn record_scope(&self) -> RecordScope {
        match self.policy.scope(self.role()) {
            Scope::All => RecordScope::All,
            Scope::Own => RecordScope::Owner(self.user.id),
            Scope::Team => RecordScope::Team { team: self.user.team_id, user: self.user.id },
        }
    }

    /// Refuses bulk writes (imports, event intake, undo) to a caller who does not see every
    /// customer: a file could name customers outside their scope.
    pub fn require_all_customers(&self) -> Result<(), ApiError> {
        if self.record_scope() == RecordScope::All {
            return Ok(());
        }
        Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "imports and bulk writes need a role that sees every customer; the role {} sees only some",
                strata_core::label::Labelled::code(self.role())
            ),
        )
        .with_zh(format!(
            "导入和批量写入需要能看到所有客户的角色；角色「{}」只能看到部分客户",
            strata_core::label::Labelled::label_zh(self.role())
        )))
    }

    /// A customer filter restricted to what the caller sees and may search by.
    pub fn restrict(&self, mut f: CustomerFilter) -> CustomerFilter {
        f.scope = self.record_scope();
        let contacts = self.visibility(FieldGroup::ContactDetails, None);
        f.q_matches_contacts = Some(contacts != Visibility::Hidden);
        if contacts == Visibility::Masked {
            f.q_contacts_of_owner = Some(self.user.id);
        }
        f
    }

    /// A customer the caller may change, or 404 (not in scope) / 403 (in scope, not theirs).
    pub async fn editable_customer(&self, s: &AppState, id: i64) -> Result<Customer, ApiError> {
        let c = self.customer(s, id).await?;
        if !access::may_edit(self.role(), c.owner_id == Some(self.user.id)) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                format!("customer {id} belongs to another owner; only they or a manager may change it"),
            )
            .with_zh(format!("客户 {id} 属于其他负责人；只有负责人本人或经理可以修改")));
        }
        Ok(c)
    }

    pub fn sees(&self, c: &Customer) -> bool {
        self.record_scope().includes(c.owner_id, c.team_id)
    }

    pub fn visibility(&self, group: FieldGroup, owner_id: Option<i64>) -> Visibility {
        self.policy.visibility(self.role(), group, owner_id == Some(self.user.id))
    }

    /// A customer the caller may see, or 404 (as if it did not exist).
    pub async fn customer(&self, s: &AppState, id: i64) -> Result<Customer, ApiError> {
        match s.store.get_customer(id).await {
            Ok(c) if self.sees(&c) => Ok(c),
            Ok(_) => Err(ApiError::not_found("customer", &id.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// Columns an export leaves out for this caller: contact details unless visible on every
    /// customer in scope, amounts (and money custom fields) unless visible.
    pub fn export_omits(&self, defs: &[CustomFieldDef]) -> Vec<String> {
        let mut out = Vec::new();
        let everywhere = |g| match self.policy.scope(self.role()) {
            Scope::Own => self.visibility(g, Some(self.user.id)),
            _ => self.visibility(g, None),
        };
        if everywhere(FieldGroup::ContactDetails) != Visibility::Visible {
            out.extend(CONTACT_FIELDS.iter().map(|s| s.to_string()));
        }
        if everywhere(FieldGroup::Amounts) != Visibility::Visible {
            out.extend(AMOUNT_FIELDS.iter().map(|s| s.to_string()));
            out.extend(defs.iter().filter(|d| d.kind == FieldKind::Money).map(|d| format!("custom.{}", d.key)));
        }
        out
    }

    /// A customer as this caller may see it.
    pub fn customer_json(&self, c: &Customer, defs: &[CustomFieldDef]) -> Value {
        let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
        let contacts = self.visibility(FieldGroup::ContactDetails, c.owner_id);
        let amounts = self.visibility(FieldGroup::Amounts, c.owner_id);
        if let Some(o) = v.as_object_mut() {
            apply(o, contacts, amounts);
            if amounts == Visibility::Hidden {
                if let Some(Value::Object(custom)) = o.get_mut("custom") {
                    custom.retain(|k, _| !defs.iter().any(|d| &d.key == k && d.kind == FieldKind::Money));
                }
            }
        }
        v
    }

    /// A record (contact, order, …) of a customer owned by `owner_id`, as the caller may see it.
    pub fn record_json(&self, mut record: Map<String, Value>, owner_id: Option<i64>) -> Value {
        apply(&mut record, self.visibility(FieldGroup::ContactDetails, owner_id), self.visibility(FieldGroup::Amounts, owner_id));
        Value::Object(record)
    }
}

impl Caller {
    /// A tier explanation without amounts for a caller who may not see them: RFM monetary,
    /// and the customer's values of conditions and score dimensions about amounts or value.
    pub fn explanation_json(&self, mut explanation: Explanation, owner_id: Option<i64>) -> Value {
        if self.visibility(FieldGroup::Amounts, owner_id) == Visibility::Visible {
            return serde_json::json!(explanation);
        }
        explanation.to_move_up.retain(|hint| !hint.states_money(about_money));
        let mut x = serde_json::json!(explanation);
        let detail = &mut x["detail"];
        if let Some(o) = detail.as_object_mut() {
            o.remove("monetary");
        }
        for step in detail["steps"].as_array_mut().into_iter().flatten() {
            for check in step["checks"].as_array_mut().into_iter().flatten() {
                if check["condition"].as_str().is_some_and(about_money) {
                    if let Some(o) = check.as_object_mut() {
                        o.insert("value".into(), Value::from("—"));
                        o.remove("short_by");
                    }
                }
            }
        }
        for d in detail["dimensions"].as_array_mut().into_iter().flatten() {
            let named = format!("{} {}", d["key"].as_str().unwrap_or(""), d["name"].as_str().unwrap_or("")).to_lowercase();
            if about_money(&named) {
                if let Some(o) = d.as_object_mut() {
                    o.insert("value".into(), Value::Null);
                }
            }
        }
        x
    }
}

/// Masks or removes the sensitive fields of one JSON object.
fn apply(o: &mut Map<String, Value>, contacts: Visibility, amounts: Visibility) {
    for key in CONTACT_FIELDS {
        match (contacts, o.get(key).and_then(Value::as_str)) {
            (Visibility::Hidden, _) => {
                o.remove(key);
            }
            (Visibility::Masked, Some(s)) => {
                let masked = match key {
                    "email" => access::mask_email(s),
                    "wechat" => access::mask_text(s),
                    _ => access::mask_phone(s),
                };
                o.insert(key.into(), Value::from(masked));
            }
            _ => {}
        }
    }
    if amounts != Visibility::Visible {
        for key in AMOUNT_FIELDS {
            o.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_masked_or_removed() {
        let record = || {
            serde_json::json!({"phone": "+8613800138000", "email": "sales@tengfei.cn", "wechat": "wx_tf", "amount_cents": 100, "name": "x"})
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        let cases = [
            (
                Visibility::Visible,
                Visibility::Visible,
                r#"{"amount_cents":100,"email":"sales@tengfei.cn","name":"x","phone":"+8613800138000","wechat":"wx_tf"}"#,
            ),
            (Visibility::Masked, Visibility::Hidden, r#"{"email":"s***@tengfei.cn","name":"x","phone":"+86138****8000","wechat":"w***"}"#),
            (Visibility::Hidden, Visibility::Hidden, r#"{"name":"x"}"#),
        ];
        for (contacts, amounts, want) in cases {
            let mut o = record();
            apply(&mut o, contacts, amounts);
            assert_eq!(Value::Object(o).to_string(), want);
        }
    }
}
