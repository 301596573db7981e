//! Logging in: Argon2id password hashes, random secrets for sessions and API tokens (only their
//! SHA-256 is stored), and the login check with its delay after repeated failures.

use argon2::{
    password_hash::{rand_core::OsRng, rand_core::RngCore, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use chrono::Utc;
use sha2::{Digest, Sha256};
use strata_core::{access, customer::User};
use strata_store::{Store, StoreError};

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong login or password")]
    Invalid,
    #[error("too many failed logins from this address; try again in {0} s")]
    Throttled(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password check failed: {0}")]
    Hash(String),
}

impl LoginError {
    pub fn code(&self) -> &'static str {
        match self {
            LoginError::Invalid => "invalid_credentials",
            LoginError::Throttled(_) => "login_throttled",
            LoginError::Store(e) => e.code(),
            LoginError::Hash(_) => "password_hash_failed",
        }
    }
}

/// An Argon2id PHC string for a password (default parameters: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// 32 random bytes as hex, with a prefix saying what it is (`strata_` for API tokens).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// What the database keeps of a secret.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A hash of a random password, verified against when the login is unknown, so an unknown
/// login takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&new_secret("")).unwrap_or_default())
}

/// Checks a login. Failures are counted per login and client address; after a few, the next
/// attempt from that address must wait (doubling), while the user elsewhere is not slowed.
pub async fn login(store: &Store, login: &str, password: &str, address: &str) -> Result<User, LoginError> {
    let (failures, last) = store.login_failures(login, address).await?;
    let wait = access::login_delay_s(failures);
    if let Some(last) = last {
        let ready = last + chrono::Duration::seconds(wait as i64);
        let now = Utc::now();
        if ready > now {
            return Err(LoginError::Throttled(((ready - now).num_milliseconds() as u64).div_ceil(1000)));
        }
    }
    let creds = store.user_credentials(login).await?;
    let (user, hash) = match creds {
        Some((u, Some(h))) if u.active => (Some(u), h),
        _ => (None, decoy_hash().to_string()),
    };
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &pw)).await.map_err(|e| LoginError::Hash(e.to_string()))?;
    match user {
        Some(u) if ok => {
            store.clear_login_failures(login, address).await?;
            Ok(u)
        }
        _ => {
            store.note_login_failure(login, address).await?;
            Err(LoginError::Invalid)
        }
    }
}

/// Sets a user's password after checking it; ends their sessions.
pub async fn set_password(store: &Store, user: &User, password: &str) -> anyhow::Result<()> {
    access::check_password(&user.login, password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let pw = password.to_string();
    let hash =
        tokio::task::spawn_blocking(move || hash_password(&pw)).await?.map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))?;
    store.set_password_hash(user.id, Some(&hash)).await?;
    Ok(())
}

/// Creates an API token for a user; the secret is returned once and never stored.
pub async fn create_token(store: &Store, user: &User, name: &str) -> Result<(i64, String), StoreError> {
    let secret = new_secret("strata_");
    let id = store.create_api_token(user.id, name, &secret_hash(&secret)).await?;
    Ok((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_secrets_differ() {
        let h = hash_password("春眠不觉晓处处闻啼鸟").expect("hash");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password(&h, "春眠不觉晓处处闻啼鸟"));
        assert!(!verify_password(&h, "春眠不觉晓处处闻啼"));
        assert!(!verify_password("not a hash", "x"));
        let (a, b) = (new_secret("strata_"), new_secret("strata_"));
        assert_ne!(a, b);
        assert_eq!((a.len(), secret_hash(&a).len()), (7 + 64, 64));
    }
}
