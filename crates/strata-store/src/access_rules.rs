//! The access rules admins set at run time (one JSON row per role), read as one
//! [`Policy`]; roles without a row keep the built-in defaults.

use chrono::Utc;
use strata_core::{
    access_policy::{Policy, RoleRules},
    customer::Role,
    label::Labelled,
};

use crate::{on_pool, Result, Store, StoreError};

impl Store {
    /// Every role's rules in force.
    pub async fn access_policy(&self) -> Result<Policy> {
        let rows: Vec<(String, String)> =
            on_pool!(self, p => sqlx::query_as("SELECT role, rules FROM access_rules ORDER BY role").fetch_all(p).await)
                .map_err(StoreError::db("reading access rules"))?;
        let mut policy = Policy::default();
        for (role, rules) in rows {
            let role = Role::parse_label(&role).map_err(|_| {
                StoreError::invalid("access_rules_unreadable", format!("access rules for an unknown role `{role}`"))
                    .zh(format!("未知角色 `{role}` 的访问规则"))
            })?;
            let rules: RoleRules = serde_json::from_str(&rules).map_err(|e| {
                StoreError::invalid("access_rules_unreadable", format!("the access rules of {role} do not parse: {e}"))
                    .zh(format!("{role} 的访问规则无法解析：{e}"))
            })?;
            policy.roles.insert(role, rules);
        }
        Ok(policy)
    }

    /// Sets a role's rules (checked first), or with `None` returns it to the defaults.
    /// Returns the rules in force before.
    pub async fn set_role_rules(&self, role: Role, rules: Option<&RoleRules>, actor: &str) -> Result<Option<RoleRules>> {
        if let Some(r) = rules {
            r.check(role).map_err(|e| StoreError::invalid(e.code(), e.to_string()))?;
        } else if role == Role::Admin {
            return Err(StoreError::invalid("admin_rules_fixed", strata_core::access_policy::PolicyError::AdminFixed.to_string())
                .zh("管理员的访问规则是固定的，不能修改"));
        }
        let before = self.access_policy().await?.roles.remove(&role);
        let code = role.code();
        on_pool!(self, p => {
            let mut tx = p.begin().await.map_err(StoreError::db("starting an access rule change"))?;
            sqlx::query("DELETE FROM access_rules WHERE role = $1").bind(code).execute(&mut *tx).await
                .map_err(StoreError::db("replacing access rules"))?;
            if let Some(r) = rules {
                let json = serde_json::to_string(r).map_err(|e| StoreError::invalid("invalid_rules", e.to_string()))?;
                sqlx::query("INSERT INTO access_rules (role, rules, updated_by, updated_at) VALUES ($1, $2, $3, $4)")
                    .bind(code).bind(json).bind(actor).bind(Utc::now()).execute(&mut *tx).await
                    .map_err(StoreError::db("writing access rules"))?;
            }
            tx.commit().await.map_err(StoreError::db("committing access rules"))?;
        });
        Ok(before)
    }
}
