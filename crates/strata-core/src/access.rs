//! Who may do what: permissions per role, which customers a role sees (own, team's, all), how
//! sensitive fields are shown (visible, masked, hidden), masking itself, password rules and
//! the delay after failed logins.

use serde::{Deserialize, Serialize};

use crate::customer::Role;

/// Something a user asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read customers and their records (within the role's scope).
    ViewCustomers,
    /// Create, change or delete customers and their records; import.
    EditCustomers,
    /// Merge customers and undo merges.
    MergeCustomers,
    /// Hand customers to another owner from the list (bulk).
    AssignOwners,
    /// Export customers or records (the caller's fields rules apply to the file).
    Export,
    /// Check, preview and publish tier models; fit predictive models.
    ManageModels,
    /// Users, teams, roles, custom fields.
    ManageUsers,
    /// Read the audit trail.
    ViewAudit,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::ViewCustomers,
        Action::EditCustomers,
        Action::MergeCustomers,
        Action::AssignOwners,
        Action::Export,
        Action::ManageModels,
        Action::ManageUsers,
        Action::ViewAudit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::ViewCustomers => "view_customers",
            Action::EditCustomers => "edit_customers",
            Action::MergeCustomers => "merge_customers",
            Action::AssignOwners => "assign_owners",
            Action::Export => "export",
            Action::ManageModels => "manage_models",
            Action::ManageUsers => "manage_users",
            Action::ViewAudit => "view_audit",
        }
    }
}

/// Whether `role` may do `action` at all (record scope and field rules come on top).
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Admin => true,
        Role::Manager => !matches!(action, ManageUsers | ViewAudit),
        Role::Sales => matches!(action, ViewCustomers | EditCustomers | Export),
        Role::Service => matches!(action, ViewCustomers | EditCustomers),
        Role::Analyst => matches!(action, ViewCustomers | Export | ManageModels),
    }
}

/// Which customers a role sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Customers the user owns (no default role has it; kept for stricter setups).
    Own,
    /// Customers of the user's team (and those the user owns).
    Team,
    All,
}

pub fn scope(role: Role) -> Scope {
    match role {
        Role::Admin | Role::Analyst | Role::Service => Scope::All,
        Role::Manager | Role::Sales => Scope::Team,
    }
}

/// Whether a role may change a customer in its scope: sales only the customers they own.
pub fn may_edit(role: Role, owns: bool) -> bool {
    role != Role::Sales || owns
}

/// Groups of sensitive fields with their own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldGroup {
    /// Phones, e-mails, WeChat ids of customers and contacts.
    ContactDetails,
    /// Order, payment and deal amounts, budgets, revenue.
    Amounts,
}

impl FieldGroup {
    pub const ALL: [FieldGroup; 2] = [FieldGroup::ContactDetails, FieldGroup::Amounts];

    pub fn code(self) -> &'static str {
        match self {
            FieldGroup::ContactDetails => "contact_details",
            FieldGroup::Amounts => "amounts",
        }
    }
}

/// How a field is shown to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Visible,
    /// Shown partly ("+86138****8000"); the whole value can be revealed (and that is audited).
    Masked,
    /// Not shown, not filterable, not sortable, not exported.
    Hidden,
}

/// The default field rules: analysts see no contact details; sales see masked contact details
/// of customers they do not own; only managers and admins see amounts.
pub fn visibility(role: Role, group: FieldGroup, owns: bool) -> Visibility {
    match (group, role) {
        (_, Role::Admin) => Visibility::Visible,
        (FieldGroup::ContactDetails, Role::Analyst) => Visibility::Hidden,
        (FieldGroup::ContactDetails, Role::Sales) if !owns => Visibility::Masked,
        (FieldGroup::ContactDetails, _) => Visibility::Visible,
        (FieldGroup::Amounts, Role::Manager) => Visibility::Visible,
        (FieldGroup::Amounts, _) => Visibility::Hidden,
    }
}

/// A phone with its middle digits hidden: "+8613800138000" → "+86138****8000".
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let (head, tail) = if phone.starts_with("+86") { (6, 4) } else { (chars.len().min(3), 2) };
    if chars.len() <= head + tail {
        return "*".repeat(chars.len().max(4));
    }
    let masked = chars.len() - head - tail;
    format!("{}{}{}", chars[..head].iter().collect::<String>(), "*".repeat(masked), chars[chars.len() - tail..].iter().collect::<String>())
}

/// An e-mail with the local part hidden after its first letter: "sales@tengfei.cn" → "s***@tengfei.cn".
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().map(String::from).unwrap_or_default()),
        None => "***".into(),
    }
}

/// Any other text: first character and stars ("wx_tengfei" → "w***").
pub fn mask_text(s: &str) -> String {
    format!("{}***", s.chars().next().map(String::from).unwrap_or_default())
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Checks a new password: long enough, not the login, not all one character.
pub fn check_password(login: &str, password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!("a password needs at least {MIN_PASSWORD_CHARS} characters (this one has {n})"));
    }
    if password.eq_ignore_ascii_case(login) || password.to_lowercase().contains(&login.to_lowercase()) && !login.is_empty() {
        return Err("a password must not contain the login".into());
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err("a password of one repeated character is too easy to guess".into());
    }
    Ok(())
}

/// Failed logins (for one login from one address) allowed before each further attempt waits.
pub const FREE_FAILURES: u32 = 5;

/// How long the next attempt must wait after `failures` recent failures, in seconds: nothing for
/// the first few, then doubling from 1 s up to 15 minutes. A user from another address is not
/// slowed down by an attacker's failures.
pub fn login_delay_s(failures: u32) -> u64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(20);
    (1u64 << doublings).min(15 * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_per_role() {
        use Action::*;
        let table: [(Role, &[Action], &[Action]); 5] = [
            (Role::Admin, &[ManageUsers, ViewAudit, MergeCustomers], &[]),
            (Role::Manager, &[MergeCustomers, AssignOwners, ManageModels, Export], &[ManageUsers, ViewAudit]),
            (Role::Sales, &[ViewCustomers, EditCustomers, Export], &[MergeCustomers, AssignOwners, ManageModels, ManageUsers]),
            (Role::Service, &[ViewCustomers, EditCustomers], &[Export, AssignOwners, ManageModels]),
            (Role::Analyst, &[ViewCustomers, Export, ManageModels], &[EditCustomers, MergeCustomers]),
        ];
        for (role, yes, no) in table {
            for a in yes {
                assert!(allows(role, *a), "{role:?} may {a:?}");
            }
            for a in no {
                assert!(!allows(role, *a), "{role:?} may not {a:?}");
            }
        }
        assert_eq!((scope(Role::Sales), scope(Role::Manager), scope(Role::Analyst)), (Scope::Team, Scope::Team, Scope::All));
        assert!(may_edit(Role::Sales, true) && !may_edit(Role::Sales, false) && may_edit(Role::Manager, false));
    }

    #[test]
    fn field_rules() {
        use FieldGroup::*;
        use Visibility::*;
        let cases = [
            (Role::Sales, ContactDetails, true, Visible),
            (Role::Sales, ContactDetails, false, Masked),
            (Role::Analyst, ContactDetails, true, Hidden),
            (Role::Service, ContactDetails, false, Visible),
            (Role::Sales, Amounts, true, Hidden),
            (Role::Manager, Amounts, false, Visible),
            (Role::Admin, Amounts, false, Visible),
        ];
        for (role, group, owns, want) in cases {
            assert_eq!(visibility(role, group, owns), want, "{role:?} {group:?} owns={owns}");
        }
    }

    #[test]
    fn masks() {
        let cases = [
            (mask_phone("+8613800138000"), "+86138****8000"),
            (mask_phone("+862188886666"), "+86218***6666"),
            (mask_phone("12"), "****"),
            (mask_email("sales@tengfei.cn"), "s***@tengfei.cn"),
            (mask_email("nonsense"), "***"),
            (mask_text("wx_tengfei"), "w***"),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn passwords_and_delays() {
        assert!(check_password("wangwei", "short").unwrap_err().contains("at least 10"));
        assert!(check_password("wangwei", "wangwei2024!").unwrap_err().contains("login"));
        assert!(check_password("wangwei", "aaaaaaaaaaaa").is_err());
        assert!(check_password("wangwei", "春眠不觉晓处处闻啼鸟").is_ok());
        let delays: Vec<u64> = [0, 4, 5, 6, 10, 40].into_iter().map(login_delay_s).collect();
        assert_eq!(delays, vec![0, 0, 1, 2, 32, 900]);
    }
}
