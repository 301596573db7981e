//! The OpenAPI 3.1 document of the JSON API (`GET /api/v1/openapi.json`), built from one table
//! of operations; a test checks every documented operation is routed.

use axum::Json;
use serde_json::{json, Map, Value};

/// (method, path under /api/v1, tag, summary, action needed or "" for none, request schema).
pub const OPERATIONS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("post", "/auth/login", "accounts", "Log in: sets the session cookie, answers the user and the CSRF token", "", "Login"),
    ("post", "/auth/logout", "accounts", "End the session", "", ""),
    ("get", "/auth/me", "accounts", "The caller: user, scope, allowed actions, CSRF token", "", ""),
    ("get", "/auth/setup", "accounts", "Whether the first-run admin setup is needed", "", ""),
    ("post", "/auth/setup", "accounts", "Create the first admin (only while no admin can log in)", "", "Setup"),
    ("get", "/tokens", "accounts", "API tokens (own; all for admins)", "", ""),
    ("post", "/tokens", "accounts", "Create an API token acting as the caller (secret shown once)", "", "TokenBody"),
    ("delete", "/tokens/{id}", "accounts", "Revoke an API token", "", ""),
    ("get", "/audit", "accounts", "The audit trail, newest first (filters actor, action, object, from, to, before_id)", "view_audit", ""),
    (
        "get",
        "/access-rules",
        "accounts",
        "Every role's access rules in force (defaults written out) and which were changed",
        "manage_users",
        "",
    ),
    (
        "put",
        "/access-rules/{role}",
        "accounts",
        "Set a role's permissions, record scope and field rules (audited; admin is fixed)",
        "manage_users",
        "RoleRules",
    ),
    ("delete", "/access-rules/{role}", "accounts", "Return a role to the default rules (audited)", "manage_users", ""),
    ("get", "/users", "directory", "Users", "view_customers", ""),
    ("post", "/users", "directory", "Add a user", "manage_users", "UserBody"),
    (
        "patch",
        "/users/{login}",
        "directory",
        "Change a user's name, e-mail, team, role or active flag (audited)",
        "manage_users",
        "UserChangeBody",
    ),
    ("put", "/users/{login}/password", "directory", "Set a password (one's own, or anyone's for admins)", "", "PasswordBody"),
    ("get", "/teams", "directory", "Teams", "view_customers", ""),
    ("post", "/teams", "directory", "Add a team", "manage_users", "TeamBody"),
    ("get", "/custom-fields", "directory", "Custom field definitions", "view_customers", ""),
    ("post", "/custom-fields", "directory", "Define a custom field", "manage_users", "FieldBody"),
    ("get", "/customers", "customers", "Customers in the caller's scope: filters, sort, pages", "view_customers", ""),
    ("post", "/customers", "customers", "Create a customer; the answer lists possible duplicates", "edit_customers", "CustomerBody"),
    ("post", "/customers/bulk", "customers", "One owner or tag change for many customers, all or nothing", "edit_customers", "BulkBody"),
    ("get", "/customers/{id}", "customers", "One customer with record counts", "view_customers", ""),
    ("put", "/customers/{id}", "customers", "Replace a customer's master data", "edit_customers", "CustomerBody"),
    ("delete", "/customers/{id}", "customers", "Delete a customer without records", "edit_customers", ""),
    (
        "get",
        "/customers/{id}/{records}",
        "customers",
        "A customer's orders, payments, contacts, interactions, deals, tickets or feedback",
        "view_customers",
        "",
    ),
    ("get", "/customers/{id}/tiers", "tiers", "The customer's tier in every model, with explanations", "view_customers", ""),
    ("get", "/customers/{id}/tier-history", "tiers", "The customer's tier history", "view_customers", ""),
    ("get", "/imports", "imports", "Import batches", "view_customers", ""),
    ("post", "/imports/{entity}", "imports", "Import a CSV or xlsx file (multipart `file`, optional `mapping`)", "edit_customers", ""),
    ("get", "/batches/{id}", "imports", "One import batch", "view_customers", ""),
    ("post", "/batches/{id}/undo", "imports", "Undo an import batch", "edit_customers", ""),
    ("get", "/import-reports/{name}", "imports", "A rejected-rows report (CSV)", "edit_customers", ""),
    ("get", "/exports/{entity}", "imports", "Export as CSV, xlsx or JSON Lines (scope and field rules apply)", "export", ""),
    (
        "post",
        "/events/{kind}",
        "customers",
        "Write events (orders, payments, …) as JSON rows; tiers re-evaluated before the answer",
        "edit_customers",
        "EventsBody",
    ),
    ("get", "/engine", "tiers", "The tier engine's state", "view_customers", ""),
    ("get", "/tier-models", "tiers", "Tier models with versions and counts", "view_customers", ""),
    ("post", "/tier-models", "tiers", "Save a draft version", "manage_models", "SpecBody"),
    ("post", "/tier-models/check", "tiers", "Check a model file (errors with positions and fixes)", "view_customers", "SpecBody"),
    ("post", "/tier-models/preview", "tiers", "Preview a model: counts, migration matrix, samples", "manage_models", "SpecBody"),
    ("get", "/tier-models/{key}", "tiers", "One model", "view_customers", ""),
    ("post", "/tier-models/{key}/versions/{version}/publish", "tiers", "Publish a version (full re-evaluation)", "manage_models", ""),
    ("get", "/tier-presets", "tiers", "Shipped model presets", "", ""),
    ("get", "/tier-presets/{name}", "tiers", "One preset's model file", "", ""),
    (
        "get",
        "/rule-completions",
        "tiers",
        "What a rule editor offers while typing (amounts only for roles that see them)",
        "view_customers",
        "",
    ),
    ("get", "/tier-changes", "tiers", "The feed of tier changes (after, limit)", "manage_models", ""),
    ("get", "/model-fits", "predictions", "Predictive fits in force and earlier ones", "view_customers", ""),
    ("post", "/model-fits/{kind}", "predictions", "Fit BG/NBD or Gamma-Gamma now", "manage_models", "FitBody"),
    ("post", "/churn-model", "predictions", "Train and evaluate a churn model on past data", "manage_models", "StudyBody"),
    ("post", "/rule-suggestions", "predictions", "Rules that separate an outcome, with support and lift", "manage_models", "StudyBody"),
    ("get", "/duplicates", "data quality", "Groups of possible duplicate customers with reasons", "merge_customers", ""),
    ("get", "/completeness", "data quality", "Completeness per owner and least complete customers", "merge_customers", ""),
    ("get", "/merges", "data quality", "Recorded merges (customer filter)", "merge_customers", ""),
    ("post", "/merges", "data quality", "Plan (dry_run) or make a merge", "merge_customers", "MergeBody"),
    ("get", "/merges/{id}", "data quality", "One merge", "merge_customers", ""),
    ("post", "/merges/{id}/undo", "data quality", "Undo a merge exactly", "merge_customers", "UndoBody"),
];

fn schemas() -> Value {
    let s = |props: Value, required: &[&str]| json!({"type": "object", "additionalProperties": false, "properties": props, "required": required});
    let text = json!({"type": "string"});
    let text_or_null = json!({"type": ["string", "null"]});
    json!({
        "Error": s(json!({"code": {"type": "string", "description": "stable snake_case code"}, "message": {"type": "string", "description": "in English"},
                          "details": {"description": "what, where and how to fix: rejected rows, fields, rule positions; `message_zh` (on the details or on each item) says it in Chinese where written"}}), &["code", "message"]),
        "Login": s(json!({"login": text, "password": text}), &["login", "password"]),
        "Setup": s(json!({"login": text, "display_name": text_or_null, "password": text}), &["login", "password"]),
        "TokenBody": s(json!({"name": text}), &["name"]),
        "PasswordBody": s(json!({"password": {"type": "string", "minLength": strata_core::access::MIN_PASSWORD_CHARS}}), &["password"]),
        "UserBody": s(json!({"login": text, "display_name": text_or_null, "email": text_or_null, "team": text_or_null,
                             "role": {"enum": ["admin", "manager", "sales", "service", "analyst"]}}), &["login", "role"]),
        "UserChangeBody": s(json!({"display_name": text, "email": text_or_null, "team": text_or_null,
                                   "role": {"enum": ["admin", "manager", "sales", "service", "analyst"]}, "active": {"type": "boolean"}}), &[]),
        "RoleRules": s(json!({"actions": {"type": "object", "additionalProperties": {"type": "boolean"},
                                          "description": "action code → allowed (view_customers, edit_customers, merge_customers, assign_owners, export, manage_models, view_audit)"},
                              "scope": {"enum": ["own", "team", "all"]},
                              "fields": {"type": "object", "description": "contact_details / amounts → {own, others}: visible, masked or hidden",
                                         "additionalProperties": {"type": "object", "properties": {"own": {"enum": ["visible", "masked", "hidden"]}, "others": {"enum": ["visible", "masked", "hidden"]}}}}}), &[]),
        "TeamBody": s(json!({"name": text}), &["name"]),
        "FieldBody": s(json!({"key": text, "label": text, "kind": {"enum": ["text", "number", "money", "date", "enum", "multi_enum", "bool"]},
                              "options": {"type": "array", "items": text}, "required": {"type": "boolean"}}), &["key", "label", "kind"]),
        "CustomerBody": s(json!({"name": text, "kind": {"enum": ["company", "person"]}, "external_id": text_or_null, "credit_code": text_or_null,
                                 "industry": text_or_null, "province": text_or_null, "city": text_or_null, "source_channel": text_or_null,
                                 "owner": text_or_null, "team": text_or_null, "lifecycle_stage": text_or_null, "phone": text_or_null,
                                 "email": text_or_null, "tags": {"type": "array", "items": text}, "custom": {"type": "object"},
                                 "since": {"type": ["string", "null"], "format": "date"}}), &["name"]),
        "EventsBody": s(json!({"rows": {"type": "array", "items": {"type": "object"}, "maxItems": 10000}}), &["rows"]),
        "SpecBody": s(json!({"spec": text, "format": {"enum": ["toml", "yaml"]}}), &["spec"]),
        "FitBody": s(json!({"calibration_end": {"type": "string", "format": "date"}, "unit": {"enum": ["days", "weeks"]}}), &[]),
        "StudyBody": {"type": "object", "description": "cutoff, horizon, features (rule expressions), threshold / outcome, depth"},
        "MergeBody": s(json!({"survivor": {"type": "integer"}, "absorbed": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
                              "take": {"type": "object", "additionalProperties": {"type": "integer"}}, "dry_run": {"type": "boolean"}}), &["survivor", "absorbed"]),
        "UndoBody": s(json!({"force": {"type": "boolean"}}), &[]),
        "BulkBody": s(json!({"ids": {"type": "array", "items": {"type": "integer"}, "maxItems": 10000},
                             "query": {"type": "string", "description": "instead of ids: the customer list's filters as a query string"},
                             "owner": {"type": "string", "description": "login of the new owner (needs assign_owners)"},
                             "add_tag": {"type": "string"}, "remove_tag": {"type": "string"}}), &[]),
    })
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let error = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    for (method, path, tag, summary, action, body) in OPERATIONS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let public = matches!(*path, "/auth/login" | "/auth/setup") || path.starts_with("/tier-presets");
        let mut op = json!({
            "tags": [tag], "summary": summary, "parameters": params,
            "responses": {"200": {"description": "success (201 for creations, 204 without a body)"}, "default": error},
        });
        if !action.is_empty() {
            op["x-strata-permission"] = json!(action);
        }
        if public && !path.starts_with("/tier-presets") {
            op["security"] = json!([]);
        }
        if !body.is_empty() {
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}}});
        }
        let entry = paths.entry(format!("/api/v1{path}")).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Strata 客户分层管理系统 API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Errors are {code, message, details} with stable snake_case codes. Bodies reject unknown fields. \
                                 Session-cookie writes need the X-CSRF-Token header."},
        "servers": [{"url": "/"}],
        "security": [{"token": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "an API token from `strata token create` or POST /api/v1/tokens"},
                "session": {"type": "apiKey", "in": "cookie", "name": super::SESSION_COOKIE},
            },
            "schemas": schemas(),
        },
        "paths": paths,
    })
}

pub async fn serve() -> Json<Value> {
    Json(document())
}
