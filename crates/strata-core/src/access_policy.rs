//! Access rules an admin changes at run time, per role: which actions are allowed, which
//! customers are seen, and how each group of sensitive fields shows on the role's own and on
//! others' customers. Whatever a role's rules do not set falls back to the defaults in
//! [`crate::access`]. The admin role cannot be changed (so someone can always repair the rules),
//! and only admins manage users and rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::access::{self, Action, FieldGroup, Scope, Visibility};
use crate::customer::Role;

/// How a field group shows on the role's own customers and on others'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRule {
    pub own: Visibility,
    pub others: Visibility,
}

/// One role's rules; what is absent keeps its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRules {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub actions: BTreeMap<Action, bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<FieldGroup, FieldRule>,
}

/// Why a role's rules were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the admin role's rules are fixed: an admin may always do and see everything, so someone can repair the rules")]
    AdminFixed,
    #[error("only admins manage users and access rules; make the user an admin instead of granting manage_users to {0}")]
    ManageUsersReserved(&'static str),
    #[error("{group} on others' customers cannot be shown more than on the role's own ({others:?} vs {own:?})")]
    OthersMoreVisible { group: &'static str, own: Visibility, others: Visibility },
}

impl PolicyError {
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::AdminFixed => "admin_rules_fixed",
            PolicyError::ManageUsersReserved(_) => "manage_users_reserved",
            PolicyError::OthersMoreVisible { .. } => "field_rule_inverted",
        }
    }
}

impl RoleRules {
    /// Refuses rules that would lock admins out or make no sense.
    pub fn check(&self, role: Role) -> Result<(), PolicyError> {
        if role == Role::Admin {
            return Err(PolicyError::AdminFixed);
        }
        if self.actions.get(&Action::ManageUsers) == Some(&true) {
            return Err(PolicyError::ManageUsersReserved(crate::label::Labelled::code(role)));
        }
        for (group, rule) in &self.fields {
            if rule.others < rule.own {
                return Err(PolicyError::OthersMoreVisible { group: group.code(), own: rule.own, others: rule.others });
            }
        }
        Ok(())
    }
}

/// Every role's rules in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub roles: BTreeMap<Role, RoleRules>,
}

impl Policy {
    pub fn allows(&self, role: Role, action: Action) -> bool {
        self.roles.get(&role).and_then(|r| r.actions.get(&action)).copied().unwrap_or_else(|| access::allows(role, action))
    }

    pub fn scope(&self, role: Role) -> Scope {
        self.roles.get(&role).and_then(|r| r.scope).unwrap_or_else(|| access::scope(role))
    }

    pub fn visibility(&self, role: Role, group: FieldGroup, owns: bool) -> Visibility {
        match self.roles.get(&role).and_then(|r| r.fields.get(&group)) {
            Some(rule) if owns => rule.own,
            Some(rule) => rule.others,
            None => access::visibility(role, group, owns),
        }
    }

    /// The role's rules with every default written out (what the admin page shows).
    pub fn effective(&self, role: Role) -> RoleRules {
        RoleRules {
            actions: Action::ALL.iter().map(|a| (*a, self.allows(role, *a))).collect(),
            scope: Some(self.scope(role)),
            fields: FieldGroup::ALL
                .iter()
                .map(|g| (*g, FieldRule { own: self.visibility(role, *g, true), others: self.visibility(role, *g, false) }))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_rules_keep_the_defaults() {
        let p = Policy::default();
        for (role, ..) in <Role as crate::label::Labelled>::ALL {
            for a in Action::ALL {
                assert_eq!(p.allows(*role, a), access::allows(*role, a));
            }
            for g in FieldGroup::ALL {
                assert_eq!(p.visibility(*role, g, false), access::visibility(*role, g, false));
            }
            assert_eq!(p.scope(*role), access::scope(*role));
        }
    }

    #[test]
    fn set_rules_override_and_are_checked() {
        let hide = FieldRule { own: Visibility::Visible, others: Visibility::Hidden };
        let rules = RoleRules {
            actions: [(Action::Export, false)].into(),
            scope: Some(Scope::Own),
            fields: [(FieldGroup::ContactDetails, hide)].into(),
        };
        rules.check(Role::Sales).expect("sensible");
        let p = Policy { roles: [(Role::Sales, rules.clone())].into() };
        assert!(!p.allows(Role::Sales, Action::Export) && p.allows(Role::Sales, Action::EditCustomers));
        assert_eq!(p.scope(Role::Sales), Scope::Own);
        assert_eq!(p.visibility(Role::Sales, FieldGroup::ContactDetails, false), Visibility::Hidden);
        assert_eq!(p.visibility(Role::Sales, FieldGroup::Amounts, true), Visibility::Hidden, "unset: the default");
        assert!(p.allows(Role::Manager, Action::Export), "other roles keep theirs");
        assert_eq!(p.effective(Role::Sales).actions.len(), Action::ALL.len());

        let cases: [(Role, RoleRules, &str); 3] = [
            (Role::Admin, RoleRules::default(), "admin_rules_fixed"),
            (Role::Manager, RoleRules { actions: [(Action::ManageUsers, true)].into(), ..Default::default() }, "manage_users_reserved"),
            (
                Role::Analyst,
                RoleRules {
                    fields: [(FieldGroup::Amounts, FieldRule { own: Visibility::Hidden, others: Visibility::Visible })].into(),
                    ..Default::default()
                },
                "field_rule_inverted",
            ),
        ];
        for (role, rules, code) in cases {
            assert_eq!(rules.check(role).map_err(|e| e.code()), Err(code), "{role:?}");
        }
        let json = serde_json::json!({"actions": {"export": false}, "scope": "own", "fields": {"contact_details": {"own": "visible", "others": "hidden"}}});
        assert_eq!(serde_json::from_value::<RoleRules>(json).expect("parses"), rules);
        assert!(serde_json::from_value::<RoleRules>(serde_json::json!({"actions": {"fly": true}})).is_err());
    }
}
