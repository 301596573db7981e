//! What duplicate detection reads: every customer's matching keys (kind, name, canonical name,
//! credit code, phone, e-mail, city, owner) and the phones and e-mails of their contacts.

use crate::{on_pool, Result, Store, StoreError};

/// One customer's matching keys as stored (already normalised on write).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct MatchKeys {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub canonical_name: String,
    pub credit_code: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub city: Option<String>,
    /// The owner's display name.
    pub owner: Option<String>,
}

impl Store {
    /// Every customer's matching keys, by id.
    pub async fn match_keys(&self) -> Result<Vec<MatchKeys>> {
        let sql = "SELECT c.id, c.kind, c.name, c.canonical_name, c.credit_code, c.phone, c.email, c.city, u.display_name AS owner \
                   FROM customers c LEFT JOIN users u ON u.id = c.owner_id ORDER BY c.id";
        on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await).map_err(StoreError::db("reading matching keys"))
    }

    /// Customers that could match a new one: names starting or ending like `key` (its first and
    /// last two characters), or sharing its credit code, phone or e-mail (also through a
    /// contact). At most 500.
    pub async fn match_candidates(
        &self,
        key: &str,
        credit_code: Option<&str>,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<Vec<MatchKeys>> {
        let chars: Vec<char> = key.chars().collect();
        let head: String = chars.iter().take(2).collect();
        let tail: String = chars.iter().skip(chars.len().saturating_sub(2)).collect();
        let sql = "SELECT c.id, c.kind, c.name, c.canonical_name, c.credit_code, c.phone, c.email, c.city, u.display_name AS owner \
                   FROM customers c LEFT JOIN users u ON u.id = c.owner_id \
                   WHERE c.canonical_name LIKE $1 OR c.canonical_name LIKE $2 OR c.credit_code = $3 OR c.phone = $4 OR c.email = $5 \
                      OR c.id IN (SELECT customer_id FROM contacts WHERE mobile = $4 OR landline = $4 OR email = $5) \
                   ORDER BY c.id LIMIT 500";
        on_pool!(self, p => sqlx::query_as(sql)
            .bind(format!("{head}%")).bind(format!("%{tail}")).bind(credit_code).bind(phone).bind(email)
            .fetch_all(p).await)
        .map_err(StoreError::db("finding matching customers"))
    }

    /// Every contact's (customer id, mobile or landline, e-mail), by customer.
    pub async fn contact_match_keys(&self) -> Result<Vec<(i64, Option<String>, Option<String>, Option<String>)>> {
        let sql = "SELECT customer_id, mobile, landline, email FROM contacts ORDER BY customer_id, id";
        on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await).map_err(StoreError::db("reading contact matching keys"))
    }
}
