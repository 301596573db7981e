//! What the data-quality checks read: every customer's matching keys (kind, name, canonical
//! name, credit code, phone, e-mail, city, owner), the phones and e-mails of their contacts, and
//! which expected fields each customer has filled.

use std::collections::HashMap;

use futures_util::TryStreamExt;

use crate::{on_pool, Result, Store, StoreError};

/// One customer's completeness flags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompletenessRow {
    pub id: i64,
    /// A company (else a person).
    pub company: bool,
    /// The owner, as an index into [`CompletenessRows::owners`].
    pub owner: Option<u32>,
    /// Filled flags in the order of `strata_core::completeness::FIELDS`.
    pub filled: [bool; 8],
}

/// Every customer's completeness flags, by id, with the owners' display names once each.
#[derive(Debug, Clone, Default)]
pub struct CompletenessRows {
    pub owners: Vec<String>,
    pub rows: Vec<CompletenessRow>,
}

impl CompletenessRows {
    /// The display name of `row`'s owner.
    pub fn owner(&self, row: &CompletenessRow) -> Option<&str> {
        row.owner.and_then(|i| self.owners.get(i as usize)).map(String::as_str)
    }
}

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
    pub owner_id: Option<i64>,
    pub team_id: Option<i64>,
}

impl Store {
    /// Every customer's matching keys, by id.
    pub async fn match_keys(&self) -> Result<Vec<MatchKeys>> {
        let sql = "SELECT c.id, c.kind, c.name, c.canonical_name, c.credit_code, c.phone, c.email, c.city, u.display_name AS owner, c.owner_id, c.team_id \
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
        let sql = "SELECT c.id, c.kind, c.name, c.canonical_name, c.credit_code, c.phone, c.email, c.city, u.display_name AS owner, c.owner_id, c.team_id \
                   FROM customers c LEFT JOIN users u ON u.id = c.owner_id \
                   WHERE c.canonical_name LIKE $1 OR c.canonical_name LIKE $2 OR c.credit_code = $3 OR c.phone = $4 OR c.email = $5 \
                      OR c.id IN (SELECT customer_id FROM contacts WHERE mobile = $4 OR landline = $4 OR email = $5) \
                   ORDER BY c.id LIMIT 500";
        on_pool!(self, p => sqlx::query_as(sql)
            .bind(format!("{head}%")).bind(format!("%{tail}")).bind(credit_code).bind(phone).bind(email)
            .fetch_all(p).await)
        .map_err(StoreError::db("finding matching customers"))
    }

    /// Every customer's completeness flags, by id, read as a stream into compact rows (at a
    /// million customers, about 32 MB; owners' names are kept once each).
    pub async fn completeness_rows(&self) -> Result<CompletenessRows> {
        type Row = (i64, bool, Option<String>, bool, bool, bool, bool, bool, bool, bool, bool);
        let sql = "SELECT c.id, c.kind = 'company', u.display_name, \
                   COALESCE(c.credit_code, '') <> '', COALESCE(c.industry, '') <> '', COALESCE(c.province, '') <> '', \
                   COALESCE(c.city, '') <> '', c.owner_id IS NOT NULL, COALESCE(c.phone, '') <> '' OR COALESCE(c.email, '') <> '', \
                   COALESCE(c.source_channel, '') <> '', c.has_contact = TRUE \
                   FROM customers c LEFT JOIN users u ON u.id = c.owner_id ORDER BY c.id";
        let mut out = CompletenessRows::default();
        let mut owners: HashMap<String, u32> = HashMap::new();
        on_pool!(self, p => {
            let mut rows = sqlx::query_as::<_, Row>(sql).fetch(p);
            while let Some(r) = rows.try_next().await.map_err(StoreError::db("reading completeness"))? {
                let owner = r.2.map(|name| {
                    let next = owners.len() as u32;
                    *owners.entry(name).or_insert(next)
                });
                out.rows.push(CompletenessRow { id: r.0, company: r.1, owner, filled: [r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10] });
            }
        });
        out.owners = vec![String::new(); owners.len()];
        for (name, i) in owners {
            out.owners[i as usize] = name;
        }
        Ok(out)
    }

    /// Every contact's (customer id, mobile or landline, e-mail), by customer.
    pub async fn contact_match_keys(&self) -> Result<Vec<(i64, Option<String>, Option<String>, Option<String>)>> {
        let sql = "SELECT customer_id, mobile, landline, email FROM contacts ORDER BY customer_id, id";
        on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await).map_err(StoreError::db("reading contact matching keys"))
    }
}
