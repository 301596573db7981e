//! Accounts: password hashes, browser sessions, API tokens and failed-login counts. Secrets
//! never reach the database: sessions and tokens are stored as SHA-256 hashes, passwords as
//! the PHC strings the caller hashed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use strata_core::customer::User;

use crate::{on_pool, Result, Store, StoreError};

/// An API token as listed (never the secret).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Sets (or with `None` removes) a user's password hash; ends the user's sessions.
    pub async fn set_password_hash(&self, user_id: i64, hash: Option<&str>) -> Result<()> {
        on_pool!(self, p => {
            let mut tx = p.begin().await.map_err(StoreError::db("starting a password change"))?;
            let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(user_id).execute(&mut *tx).await
                .map_err(StoreError::db("setting a password"))?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound { what: "user", id: user_id.to_string() });
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await
                .map_err(StoreError::db("ending sessions"))?;
            tx.commit().await.map_err(StoreError::db("committing a password change"))?;
        });
        Ok(())
    }

    /// The user with this login and their password hash (None when they cannot log in).
    pub async fn user_credentials(&self, login: &str) -> Result<Option<(User, Option<String>)>> {
        let row: Option<(i64, Option<String>)> =
            on_pool!(self, p => sqlx::query_as("SELECT id, password_hash FROM users WHERE login = $1").bind(login).fetch_optional(p).await)
                .map_err(StoreError::db("reading credentials"))?;
        match row {
            None => Ok(None),
            Some((id, hash)) => Ok(Some((self.get_user(id).await?, hash))),
        }
    }

    /// Whether an active admin can log in (else the server asks for one at first run).
    pub async fn has_admin_login(&self) -> Result<bool> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = $1 AND password_hash IS NOT NULL").bind(true).fetch_one(p).await)
        .map_err(StoreError::db("looking for an admin"))?;
        Ok(n > 0)
    }

    pub async fn create_session(&self, token_hash: &str, user_id: i64, csrf: &str, expires_at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, p => sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash).bind(user_id).bind(csrf).bind(Utc::now()).bind(expires_at).execute(p).await.map(|r| r.rows_affected()))
            .map_err(StoreError::db("creating a session"))?;
        Ok(())
    }

    /// The active user of an unexpired session, with its CSRF token.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<(User, String)>> {
        let row: Option<(i64, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT s.user_id, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = $3")
            .bind(token_hash).bind(Utc::now()).bind(true).fetch_optional(p).await)
        .map_err(StoreError::db("reading a session"))?;
        match row {
            None => Ok(None),
            Some((id, csrf)) => Ok(Some((self.get_user(id).await?, csrf))),
        }
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at < $2").bind(token_hash).bind(Utc::now()).execute(p).await.map(|r| r.rows_affected()))
            .map_err(StoreError::db("ending a session"))?;
        Ok(())
    }

    /// Stores a new API token's hash for a user; returns its id.
    pub async fn create_api_token(&self, user_id: i64, name: &str, token_hash: &str) -> Result<i64> {
        self.get_user(user_id).await?;
        on_pool!(self, p => sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(user_id).bind(name).bind(token_hash).bind(Utc::now()).fetch_one(p).await)
            .map_err(StoreError::db("creating an API token"))
    }

    /// The active user of an unrevoked token (its last use noted at most once a minute).
    pub async fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let Some((id, last, user)) = self.token_and_user(token_hash).await? else { return Ok(None) };
        let now = Utc::now();
        if last.is_none_or(|l| now - l > chrono::Duration::minutes(1)) {
            on_pool!(self, p => sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(id).execute(p).await.map(|r| r.rows_affected()))
                .map_err(StoreError::db("noting an API token's use"))?;
        }
        Ok(Some(user))
    }

    pub async fn list_api_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
        let all: Vec<ApiToken> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id").fetch_all(p).await)
        .map_err(StoreError::db("listing API tokens"))?;
        Ok(all.into_iter().filter(|t| user_id.is_none_or(|u| t.user_id == u)).collect())
    }

    pub async fn revoke_api_token(&self, id: i64) -> Result<()> {
        let n = on_pool!(self, p => sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(Utc::now()).bind(id).execute(p).await.map(|r| r.rows_affected()))
        .map_err(StoreError::db("revoking an API token"))?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "active API token", id: id.to_string() });
        }
        Ok(())
    }

    /// Recent failed logins for a login from an address, and when the last one was.
    pub async fn login_failures(&self, login: &str, address: &str) -> Result<(u32, Option<DateTime<Utc>>)> {
        let row: Option<(i64, DateTime<Utc>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT failures, last_at FROM login_failures WHERE login = $1 AND address = $2").bind(login).bind(address).fetch_optional(p).await)
            .map_err(StoreError::db("reading failed logins"))?;
        Ok(row.map_or((0, None), |(n, at)| (n.clamp(0, u32::MAX as i64) as u32, Some(at))))
    }

    pub async fn note_login_failure(&self, login: &str, address: &str) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO login_failures (login, address, failures, last_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (login, address) DO UPDATE SET failures = login_failures.failures + 1, last_at = excluded.last_at")
            .bind(login).bind(address).bind(Utc::now()).execute(p).await.map(|r| r.rows_affected()))
        .map_err(StoreError::db("noting a failed login"))?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, login: &str, address: &str) -> Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM login_failures WHERE login = $1 AND address = $2").bind(login).bind(address).execute(p).await.map(|r| r.rows_affected()))
            .map_err(StoreError::db("clearing failed logins"))?;
        Ok(())
    }
}
