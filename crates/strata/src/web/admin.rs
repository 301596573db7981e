//! The administration pages: users and teams (added and changed through the JSON API with the
//! session's CSRF token), what each role may do and see (permissions, record scope, field
//! rules), and the audit trail with its filters and paging.

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::{
    access::{Action, FieldGroup},
    customer::Role,
    label::Labelled,
};
use strata_store::AuditFilter;

use super::{filled, ClientAddress, Page};
use crate::server::AppState;

/// Audit entries per page.
const AUDIT_PAGE: i64 = 100;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
}

fn roles() -> Vec<&'static str> {
    Role::ALL.iter().map(|r| r.1).collect()
}

pub async fn users(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr).await;
    if let Err(r) = page.allowed("/admin/users", Action::ManageUsers) {
        return r;
    }
    let (users, teams) = match (s.store.list_users().await, s.store.list_teams().await) {
        (Ok(u), Ok(t)) => (u, t),
        (Err(e), _) | (_, Err(e)) => return crate::server::ApiError::from(e).into_response(),
    };
    page.render("admin_users.html", json!({"users": users, "teams": teams, "roles": roles(), "section": "users"}))
}

pub async fn roles_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr).await;
    if let Err(r) = page.allowed("/admin/roles", Action::ManageUsers) {
        return r;
    }
    let policy = match s.policy.get(&s.store).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let rows: Vec<Value> = Role::ALL
        .iter()
        .map(|(role, code, ..)| {
            let rules = policy.effective(*role);
            let allowed: Vec<Value> =
                Action::ALL.iter().map(|a| json!({"action": a.code(), "on": rules.actions.get(a).copied().unwrap_or(false)})).collect();
            let fields: Vec<Value> = FieldGroup::ALL.iter().map(|g| json!({"group": g.code(), "rule": rules.fields.get(g)})).collect();
            json!({"role": code, "scope": rules.scope, "allowed": allowed, "fields": fields, "fixed": *role == Role::Admin,
                   "changed": policy.roles.contains_key(role)})
        })
        .collect();
    let actions: Vec<&str> = Action::ALL.iter().map(|a| a.code()).collect();
    let groups: Vec<&str> = FieldGroup::ALL.iter().map(|g| g.code()).collect();
    page.render(
        "admin_roles.html",
        json!({"rows": rows, "actions": actions, "groups": groups, "scopes": ["own", "team", "all"],
               "visibilities": ["visible", "masked", "hidden"], "section": "roles"}),
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    object: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before_id: Option<i64>,
    lang: Option<String>,
}

/// What an audited action was, in the page's language (the stable code when it has no name).
fn action_name(code: &str, lang: super::i18n::Lang) -> String {
    super::i18n::named(lang, "audited_", code).map_or_else(|| code.to_string(), str::to_string)
}

/// A day in the business time zone `tz`: its start (`end` false) or the start of the next day.
fn day_bound(tz: chrono::FixedOffset, raw: &str, end: bool) -> Result<chrono::DateTime<Utc>, String> {
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| format!("`{raw}` is not a date; write it as 2024-06-30"))?;
    let d = if end { d.succ_opt().unwrap_or(d) } else { d };
    tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN)).single().map(|t| t.with_timezone(&Utc)).ok_or_else(|| raw.to_string())
}

pub async fn audit(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<AuditQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr).await;
    if let Err(r) = page.allowed("/admin/audit", Action::ViewAudit) {
        return r;
    }
    let from = filled(&q.from).map(|d| day_bound(s.config.timezone, &d, false)).transpose();
    let to = filled(&q.to).map(|d| day_bound(s.config.timezone, &d, true)).transpose();
    let (from, to) = match (from, to) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            let mut res = page.render("admin_audit.html", json!({"f": filters_json(&q), "items": [], "error": e, "section": "audit"}));
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return res;
        }
    };
    let f = AuditFilter { actor: filled(&q.actor), action: filled(&q.action), object: filled(&q.object), from, to, before_id: q.before_id };
    let items = match s.store.list_audit(&f, AUDIT_PAGE).await {
        Ok(i) => i,
        Err(e) => return crate::server::ApiError::from(e).into_response(),
    };
    let rows: Vec<Value> = items
        .iter()
        .map(|r| {
            let at = r.at.with_timezone(&s.config.timezone).format("%Y-%m-%d %H:%M:%S").to_string();
            let whole = json!(r);
            let text = |k: &str| Some(&whole[k]).filter(|v| !v.is_null()).map(Value::to_string);
            let action_name = action_name(&r.action, page.lang);
            json!({"id": r.id, "at": at, "actor": r.actor, "action": r.action, "action_name": action_name, "object": r.object, "address": r.address,
                   "before": text("before"), "after": text("after"), "detail": text("detail")})
        })
        .collect();
    let older = (items.len() as i64 == AUDIT_PAGE).then(|| items.last().map(|r| r.id)).flatten().map(|id| {
        let mut pairs: Vec<(&str, String)> =
            [("actor", &q.actor), ("action", &q.action), ("object", &q.object), ("from", &q.from), ("to", &q.to)]
                .into_iter()
                .filter_map(|(k, v)| filled(v).map(|v| (k, v)))
                .collect();
        pairs.push(("before_id", id.to_string()));
        format!("/admin/audit?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    });
    page.render("admin_audit.html", json!({"f": filters_json(&q), "items": rows, "older_url": older, "error": null, "section": "audit"}))
}

fn filters_json(q: &AuditQuery) -> Value {
    json!({"actor": filled(&q.actor), "action": filled(&q.action), "object": filled(&q.object), "from": filled(&q.from), "to": filled(&q.to)})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    #[test]
    fn audited_actions_read_by_name() {
        let cases = [
            ("login", Lang::Zh, "登录"),
            ("permissions.change", Lang::Zh, "修改角色权限"),
            ("permissions.change", Lang::En, "role permissions changed"),
            ("something.new", Lang::Zh, "something.new"),
        ];
        for (code, lang, want) in cases {
            assert_eq!(action_name(code, lang), want, "{code}");
        }
    }
}
