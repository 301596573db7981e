//! The accounts part of the store story: passwords, sessions, API tokens, failed-login counts
//! and the append-only audit trail.

use super::*;
use strata_store::{AuditEntry, AuditFilter, UserChange};

pub(crate) async fn accounts(store: &Store) {
    assert!(!store.has_admin_login().await.unwrap());
    let admin = store
        .create_user(&UserInput { login: "root".into(), display_name: "管理员".into(), email: None, team: None, role: Role::Admin })
        .await
        .unwrap();
    store.set_password_hash(admin.id, Some("$argon2id$fake")).await.unwrap();
    assert!(store.has_admin_login().await.unwrap());
    let (u, hash) = store.user_credentials("root").await.unwrap().expect("user");
    assert_eq!((u.id, hash.as_deref()), (admin.id, Some("$argon2id$fake")));
    assert!(store.user_credentials("nobody").await.unwrap().is_none());
    assert!(matches!(store.set_password_hash(999_999, None).await, Err(StoreError::NotFound { .. })));

    // Sessions expire, end on logout and on a password change.
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    store.create_session("s1", admin.id, "csrf1", later).await.unwrap();
    store.create_session("old", admin.id, "csrf0", chrono::Utc::now() - chrono::Duration::seconds(1)).await.unwrap();
    assert_eq!(store.session_user("s1").await.unwrap().map(|(u, c)| (u.id, c)), Some((admin.id, "csrf1".into())));
    assert!(store.session_user("old").await.unwrap().is_none());
    store.delete_session("s1").await.unwrap();
    assert!(store.session_user("s1").await.unwrap().is_none());
    store.create_session("s2", admin.id, "csrf2", later).await.unwrap();
    store.set_password_hash(admin.id, Some("$argon2id$other")).await.unwrap();
    assert!(store.session_user("s2").await.unwrap().is_none());

    // Users change; the last active admin stays one; a deactivated user's sessions end.
    let team = store.create_team("客服部").await.unwrap();
    let sam = store
        .create_user(&UserInput { login: "sam".into(), display_name: "Sam".into(), email: None, team: None, role: Role::Sales })
        .await
        .unwrap();
    let promote = UserChange {
        role: Some(Role::Manager),
        team: Some(Some("客服部".into())),
        display_name: Some(" 山姆 ".into()),
        ..Default::default()
    };
    let (before, after) = store.update_user("sam", &promote).await.unwrap();
    assert_eq!((before.role, before.team_id), (Role::Sales, None));
    assert_eq!((after.role, after.team_id, after.display_name.as_str(), after.active), (Role::Manager, Some(team.id), "山姆", true));
    let demote_root = UserChange { role: Some(Role::Manager), ..Default::default() };
    assert_eq!(store.update_user("root", &demote_root).await.unwrap_err().code(), "last_admin");
    let off = UserChange { active: Some(false), ..Default::default() };
    assert_eq!(store.update_user("root", &off).await.unwrap_err().code(), "last_admin");
    assert_eq!(store.get_user(admin.id).await.unwrap().role, Role::Admin, "nothing changed");
    let bad_team = UserChange { team: Some(Some("nope".into())), ..Default::default() };
    assert_eq!(store.update_user("sam", &bad_team).await.unwrap_err().code(), "unknown_team");
    assert!(matches!(store.update_user("nobody", &off).await, Err(StoreError::NotFound { .. })));
    store.create_session("sam1", sam.id, "c", later).await.unwrap();
    let (_, gone) = store.update_user("sam", &UserChange { active: Some(false), team: Some(None), ..Default::default() }).await.unwrap();
    assert_eq!((gone.active, gone.team_id), (false, None));
    assert!(store.session_user("sam1").await.unwrap().is_none());
    store.update_user("sam", &UserChange { active: Some(true), role: Some(Role::Admin), ..Default::default() }).await.unwrap();
    store.update_user("root", &demote_root).await.expect("another admin exists now");
    store.update_user("root", &UserChange { role: Some(Role::Admin), ..Default::default() }).await.unwrap();
    store.update_user("sam", &UserChange { role: Some(Role::Sales), ..Default::default() }).await.unwrap();

    // Access rules: set per role (checked), read as one policy, reset to the defaults.
    use strata_core::access::{Action, FieldGroup, Scope, Visibility};
    use strata_core::access_policy::{FieldRule, RoleRules};
    assert!(store.access_policy().await.unwrap().roles.is_empty());
    let strict = RoleRules {
        actions: [(Action::Export, false)].into(),
        scope: Some(Scope::Own),
        fields: [(FieldGroup::ContactDetails, FieldRule { own: Visibility::Masked, others: Visibility::Hidden })].into(),
    };
    assert_eq!(store.set_role_rules(Role::Sales, Some(&strict), "root").await.unwrap(), None);
    let policy = store.access_policy().await.unwrap();
    assert_eq!(policy.roles.get(&Role::Sales), Some(&strict));
    assert!(!policy.allows(Role::Sales, Action::Export) && policy.scope(Role::Sales) == Scope::Own);
    assert_eq!(store.set_role_rules(Role::Admin, Some(&RoleRules::default()), "root").await.unwrap_err().code(), "admin_rules_fixed");
    let inverted = RoleRules {
        fields: [(FieldGroup::Amounts, FieldRule { own: Visibility::Hidden, others: Visibility::Visible })].into(),
        ..Default::default()
    };
    assert_eq!(store.set_role_rules(Role::Sales, Some(&inverted), "root").await.unwrap_err().code(), "field_rule_inverted");
    assert_eq!(store.access_policy().await.unwrap().roles.get(&Role::Sales), Some(&strict), "a refused change changes nothing");
    assert_eq!(store.set_role_rules(Role::Sales, None, "root").await.unwrap(), Some(strict));
    assert!(store.access_policy().await.unwrap().roles.is_empty());

    // API tokens work until revoked.
    let t = store.create_api_token(admin.id, "erp", "h1").await.unwrap();
    assert_eq!(store.token_user("h1").await.unwrap().map(|u| u.id), Some(admin.id));
    assert_eq!(store.list_api_tokens(Some(admin.id)).await.unwrap()[0].name, "erp");
    store.revoke_api_token(t).await.unwrap();
    assert!(store.token_user("h1").await.unwrap().is_none());
    assert!(matches!(store.revoke_api_token(t).await, Err(StoreError::NotFound { .. })));

    // Failed logins count per login and address.
    for _ in 0..3 {
        store.note_login_failure("root", "10.0.0.9").await.unwrap();
    }
    assert_eq!(store.login_failures("root", "10.0.0.9").await.unwrap().0, 3);
    assert_eq!(store.login_failures("root", "10.0.0.1").await.unwrap().0, 0);
    store.clear_login_failures("root", "10.0.0.9").await.unwrap();
    assert_eq!(store.login_failures("root", "10.0.0.9").await.unwrap().0, 0);

    // The audit trail: filtered, newest first, and append-only in the database itself.
    let e = |action: &'static str, object: &str| AuditEntry {
        actor: "root",
        action,
        object: Some(object.into()),
        after: Some(serde_json::json!({"name": "x"})),
        ..Default::default()
    };
    store.append_audit(&e("customer.create", "customer:1")).await.unwrap();
    store.append_audit(&e("customer.update", "customer:1")).await.unwrap();
    store.append_audit(&AuditEntry { actor: "wangwei", action: "login", address: Some("10.0.0.9"), ..Default::default() }).await.unwrap();
    let all = store.list_audit(&AuditFilter::default(), 10).await.unwrap();
    assert_eq!(all.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(), ["login", "customer.update", "customer.create"]);
    let f = AuditFilter { action: Some("customer.".into()), ..Default::default() };
    assert_eq!(store.list_audit(&f, 10).await.unwrap().len(), 2);
    let f = AuditFilter { actor: Some("wangwei".into()), ..Default::default() };
    assert_eq!(store.list_audit(&f, 10).await.unwrap()[0].address.as_deref(), Some("10.0.0.9"));
    let f = AuditFilter { before_id: Some(all[0].id), object: Some("customer:1".into()), ..Default::default() };
    assert_eq!(store.list_audit(&f, 1).await.unwrap()[0].action, "customer.update");
}

/// Updates and deletes of the audit trail are refused by the database itself.
macro_rules! audit_is_append_only {
    ($conn:expr) => {
        for sql in ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"] {
            let err = sqlx::query(sql).execute(&mut $conn).await.expect_err(sql);
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
    };
}
pub(crate) use audit_is_append_only;
