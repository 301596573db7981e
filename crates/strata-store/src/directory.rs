//! Teams, users (added, and changed: name, e-mail, team, role, active) and custom-field
//! definitions: the small tables everything else refers to.

use chrono::Utc;
use sqlx::types::Json;
use strata_core::{
    custom_field::{CustomFieldDef, FieldKind},
    customer::{Role, Team, User, UserInput},
    label::Labelled,
};

use crate::{on_pool, Result, Store, StoreError};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    login: String,
    display_name: String,
    email: Option<String>,
    team_id: Option<i64>,
    team: Option<String>,
    role: String,
    active: bool,
}

const USER_SELECT: &str =
    "SELECT u.id, u.login, u.display_name, u.email, u.team_id, t.name AS team, u.role, u.active FROM users u LEFT JOIN teams t ON t.id = u.team_id";

/// An unrevoked API token of an active user, with the user (one query per authenticated request).
#[derive(sqlx::FromRow)]
struct TokenUserRow {
    token_id: i64,
    last_used_at: Option<chrono::DateTime<Utc>>,
    #[sqlx(flatten)]
    user: UserRow,
}

const TOKEN_USER_SELECT: &str = "SELECT k.id AS token_id, k.last_used_at, u.id, u.login, u.display_name, u.email, u.team_id, \
     t.name AS team, u.role, u.active FROM api_tokens k JOIN users u ON u.id = k.user_id LEFT JOIN teams t ON t.id = u.team_id \
     WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND u.active = $2";

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: r.id,
            login: r.login,
            display_name: r.display_name,
            email: r.email,
            team_id: r.team_id,
            team: r.team,
            role: Role::parse_label(&r.role).unwrap_or(Role::Sales),
            active: r.active,
        }
    }
}

#[derive(sqlx::FromRow)]
struct FieldRow {
    key: String,
    label: String,
    kind: String,
    options: Json<Vec<String>>,
    required: bool,
}

/// A change to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    /// `Some(None)` removes the e-mail.
    pub email: Option<Option<String>>,
    /// A team's name; `Some(None)` takes the user out of their team.
    pub team: Option<Option<String>>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Store {
    pub async fn create_team(&self, name: &str) -> Result<Team> {
        let name = strata_core::text::clean_text(name);
        if name.is_empty() {
            return Err(StoreError::invalid("invalid_team", "a team needs a name").zh("团队需要名称"));
        }
        let id: i64 = on_pool!(self, p => sqlx::query_scalar("INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(&name).bind(Utc::now()).fetch_one(p).await)
        .map_err(|e| {
            if unique_violation(&e) {
                StoreError::conflict("team_exists", format!("team `{name}` already exists")).zh(format!("团队 `{name}` 已存在"))
            } else {
                StoreError::db("creating a team")(e)
            }
        })?;
        Ok(Team { id, name })
    }

    pub async fn list_teams(&self) -> Result<Vec<Team>> {
        let rows: Vec<(i64, String)> = on_pool!(self, p => sqlx::query_as("SELECT id, name FROM teams ORDER BY name").fetch_all(p).await)
            .map_err(StoreError::db("listing teams"))?;
        Ok(rows.into_iter().map(|(id, name)| Team { id, name }).collect())
    }

    /// Adds a user; the team must exist.
    pub async fn create_user(&self, u: &UserInput) -> Result<User> {
        let login = strata_core::text::clean_text(&u.login);
        let ok = !login.is_empty() && login.len() <= 64 && login.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '@'));
        if !ok {
            return Err(StoreError::invalid(
                "invalid_login",
                format!("`{login}` is not a valid login; use letters, digits, `_`, `.`, `-` or `@`"),
            )
            .zh(format!("`{login}` 不是有效的登录名；请使用字母、数字、`_`、`.`、`-` 或 `@`")));
        }
        let team_id = match &u.team {
            Some(t) => Some(self.list_teams().await?.into_iter().find(|x| &x.name == t).map(|x| x.id).ok_or_else(|| {
                StoreError::invalid("unknown_team", format!("`{t}` is not a team; add it first with `strata team add`"))
                    .zh(format!("`{t}` 不是团队；请先用 `strata team add` 添加"))
            })?),
            None => None,
        };
        let sql = "INSERT INTO users (login, display_name, email, team_id, role, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let display = if u.display_name.trim().is_empty() { login.clone() } else { strata_core::text::clean_text(&u.display_name) };
        let id: i64 = on_pool!(self, p => sqlx::query_scalar(sql).bind(&login).bind(&display).bind(&u.email).bind(team_id)
            .bind(u.role.code()).bind(true).bind(Utc::now()).fetch_one(p).await)
        .map_err(|e| {
            if unique_violation(&e) {
                StoreError::conflict("user_exists", format!("user `{login}` already exists")).zh(format!("用户 `{login}` 已存在"))
            } else {
                StoreError::db("creating a user")(e)
            }
        })?;
        self.get_user(id).await
    }

    /// Changes a user; returns them before and after. The last active admin can be neither
    /// demoted nor deactivated (nobody could manage users any more). A deactivated user's
    /// sessions end.
    pub async fn update_user(&self, login: &str, c: &UserChange) -> Result<(User, User)> {
        let users = self.list_users().await?;
        let before = users.iter().find(|u| u.login == login).cloned().ok_or(StoreError::NotFound { what: "user", id: login.into() })?;
        let team_id = match &c.team {
            None => before.team_id,
            Some(None) => None,
            Some(Some(t)) => Some(self.list_teams().await?.into_iter().find(|x| &x.name == t).map(|x| x.id).ok_or_else(|| {
                StoreError::invalid("unknown_team", format!("`{t}` is not a team; add it first with `strata team add`"))
                    .zh(format!("`{t}` 不是团队；请先用 `strata team add` 添加"))
            })?),
        };
        let role = c.role.unwrap_or(before.role);
        let active = c.active.unwrap_or(before.active);
        let still_admin = role == Role::Admin && active;
        if before.role == Role::Admin
            && before.active
            && !still_admin
            && !users.iter().any(|u| u.id != before.id && u.role == Role::Admin && u.active)
        {
            return Err(StoreError::conflict(
                "last_admin",
                format!("`{login}` is the only active admin; make another user admin first, or nobody could manage users"),
            )
            .zh(format!("`{login}` 是唯一启用的管理员；请先让另一个用户成为管理员，否则没有人能管理用户")));
        }
        let display = match &c.display_name {
            Some(d) if strata_core::text::clean_text(d).is_empty() => {
                return Err(StoreError::invalid("invalid_input", "a user's display name cannot be empty").zh("用户的显示名称不能为空"));
            }
            Some(d) => strata_core::text::clean_text(d),
            None => before.display_name.clone(),
        };
        let email = match &c.email {
            None => before.email.clone(),
            Some(e) => e.clone(),
        };
        on_pool!(self, p => {
            let mut tx = p.begin().await.map_err(StoreError::db("starting a user change"))?;
            sqlx::query("UPDATE users SET display_name = $1, email = $2, team_id = $3, role = $4, active = $5 WHERE id = $6")
                .bind(&display).bind(&email).bind(team_id).bind(role.code()).bind(active).bind(before.id)
                .execute(&mut *tx).await.map_err(StoreError::db("changing a user"))?;
            if !active {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(before.id).execute(&mut *tx).await
                    .map_err(StoreError::db("ending sessions"))?;
            }
            tx.commit().await.map_err(StoreError::db("committing a user change"))?;
        });
        let after = self.get_user(before.id).await?;
        Ok((before, after))
    }

    /// One user (every authenticated request reads its caller this way).
    pub async fn get_user(&self, id: i64) -> Result<User> {
        let sql = format!("{USER_SELECT} WHERE u.id = $1");
        let row: Option<UserRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await).map_err(StoreError::db("reading a user"))?;
        row.map(User::from).ok_or(StoreError::NotFound { what: "user", id: id.to_string() })
    }

    /// The token with `token_hash` if unrevoked and its user active: (token id, last use, user).
    pub(crate) async fn token_and_user(&self, token_hash: &str) -> Result<Option<(i64, Option<chrono::DateTime<Utc>>, User)>> {
        let row: Option<TokenUserRow> =
            on_pool!(self, p => sqlx::query_as(TOKEN_USER_SELECT).bind(token_hash).bind(true).fetch_optional(p).await)
                .map_err(StoreError::db("reading an API token"))?;
        Ok(row.map(|r| (r.token_id, r.last_used_at, User::from(r.user))))
    }

    pub async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("{USER_SELECT} ORDER BY u.login");
        let rows: Vec<UserRow> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await).map_err(StoreError::db("listing users"))?;
        Ok(rows.into_iter().map(User::from).collect())
    }

    /// Defines a custom field; the definition is checked first. No migration is involved.
    pub async fn define_custom_field(&self, def: &CustomFieldDef) -> Result<()> {
        def.validate()?;
        let sql = "INSERT INTO custom_fields (key, label, kind, options, required, position, created_at) \
                   VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(position), 0) + 1 FROM custom_fields), $6)";
        let failed = |e: sqlx::Error| {
            if unique_violation(&e) {
                StoreError::conflict("field_exists", format!("custom field `{}` already exists", def.key))
                    .zh(format!("自定义字段 `{}` 已存在", def.key))
            } else {
                StoreError::db("defining a custom field")(e)
            }
        };
        // A new field changes the schema rules are checked against: followers reload.
        on_pool!(self, p => {
            let mut tx = p.begin().await.map_err(StoreError::db("starting a field definition"))?;
            sqlx::query(sql).bind(&def.key).bind(&def.label).bind(def.kind.code()).bind(Json(&def.options))
                .bind(def.required).bind(Utc::now()).execute(&mut *tx).await.map_err(failed)?;
            crate::data_changes::note_changes!(&mut *tx, self.kind(), &[(crate::data_changes::ChangeKind::Reload, None)]);
            tx.commit().await.map_err(StoreError::db("committing a field definition"))?;
        });
        Ok(())
    }

    pub async fn list_custom_fields(&self) -> Result<Vec<CustomFieldDef>> {
        let rows: Vec<FieldRow> = on_pool!(self, p => sqlx::query_as("SELECT key, label, kind, options, required FROM custom_fields ORDER BY position").fetch_all(p).await)
            .map_err(StoreError::db("listing custom fields"))?;
        Ok(rows
            .into_iter()
            .map(|r| CustomFieldDef {
                key: r.key,
                label: r.label,
                kind: FieldKind::parse_label(&r.kind).unwrap_or(FieldKind::Text),
                options: r.options.0,
                required: r.required,
            })
            .collect())
    }
}
