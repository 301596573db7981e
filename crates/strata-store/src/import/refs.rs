//! Resolving an import's references: customers by external id or name, users by login or
//! name, teams by name, from caches loaded once per import.

use compact_str::CompactString;

use super::*;

/// An external id and the customer id it names.
type IdPair = (String, i64);

/// Customer ids by external id. A large import looks up every row's customer in a map of a
/// million or more entries, each lookup a cache miss or two: a key of up to 24 bytes is kept
/// inside its slot (no third miss to compare it), and the hash is a fast one.
pub(super) type CustomerIds = HashMap<CompactString, i64, foldhash::fast::RandomState>;

/// The keys a chunk has given so far, with the row of each (a repeat is rejected naming it).
pub(super) type SeenKeys = HashMap<String, u64, foldhash::fast::RandomState>;

/// Distinct unknown customer numbers in one chunk above which every external id is loaded
/// (an import announced as large loads them all at its first chunk).
const FULL_LOAD_AFTER: usize = 50_000;

impl ImportSession {
    /// Loads what `records` need of the caches that is not loaded yet (nothing, with no
    /// query, when [`RefMaps::cover`] them).
    pub(super) async fn load_caches(&mut self, records: &[(u64, Record)]) -> Result<()> {
        let Needs { user: needs_user, team: needs_team, ext: need_ext, name: need_name } = Needs::of(records);
        if needs_user && self.users.is_none() {
            let rows: Vec<(i64, String, String)> = on_tx!(&mut self.tx, t => sqlx::query_as("SELECT id, login, display_name FROM users")
                .fetch_all(&mut **t).await)
            .map_err(StoreError::db("loading users"))?;
            let mut m = HashMap::new();
            for (id, login, display) in rows {
                m.entry(display.to_lowercase()).or_insert(id);
                m.insert(login.to_lowercase(), id);
            }
            self.users = Some(m);
        }
        if needs_team && self.teams.is_none() {
            let rows: Vec<(i64, String)> = on_tx!(&mut self.tx, t => sqlx::query_as("SELECT id, name FROM teams")
                .fetch_all(&mut **t).await)
            .map_err(StoreError::db("loading teams"))?;
            self.teams = Some(rows.into_iter().map(|(id, n)| (n, id)).collect());
        }
        if need_ext {
            // Small chunks look up just their customers; a large one loads every external id once.
            if self.by_external.is_none() {
                self.external_complete = false;
            }
            let known = self.by_external.get_or_insert_with(CustomerIds::default);
            let mut missing: Vec<String> = Vec::new();
            if !self.external_complete {
                let mut seen: HashSet<&str> = HashSet::new();
                for r in records.iter().filter_map(|(_, r)| record_ref(r)) {
                    if let Some(e) = r.external_id.as_deref() {
                        if !known.contains_key(e) && seen.insert(e) {
                            missing.push(e.to_string());
                        }
                    }
                }
            }
            if !missing.is_empty() && (self.large || missing.len() > FULL_LOAD_AFTER) {
                // External ids of merged-away customers name their survivor; a customer's own
                // external id wins over an alias.
                let (aliases, rows): (Vec<IdPair>, Vec<IdPair>) = on_tx!(&mut self.tx, t => {
                    let aliases = sqlx::query_as("SELECT external_id, customer_id FROM merged_external_ids").fetch_all(&mut **t).await;
                    let rows = sqlx::query_as("SELECT external_id, id FROM customers WHERE external_id IS NOT NULL").fetch_all(&mut **t).await;
                    aliases.and_then(|a| rows.map(|r| (a, r)))
                })
                .map_err(StoreError::db("loading customer ids"))?;
                self.by_external = Some(aliases.into_iter().chain(rows).map(|(e, id)| (CompactString::from(e), id)).collect());
                self.external_complete = true;
            } else {
                let backend = self.backend_kind();
                let mut found: Vec<(CompactString, i64)> = Vec::new();
                for chunk in missing.chunks(500) {
                    let list = crate::placeholders(1, chunk.len());
                    let sql = format!(
                        "SELECT external_id, customer_id, 0 FROM merged_external_ids WHERE external_id IN ({list}) UNION ALL \
                         SELECT external_id, id, 1 FROM customers WHERE external_id IN ({list})"
                    );
                    let sql = crate::dialect(backend, &sql);
                    let mut rows: Vec<(String, i64, i32)> = on_tx!(&mut self.tx, t => {
                        let mut q = sqlx::query_as(&sql);
                        for e in chunk {
                            q = q.bind(e);
                        }
                        q.fetch_all(&mut **t).await
                    })
                    .map_err(StoreError::db("looking up customer ids"))?;
                    rows.sort_by_key(|r| r.2);
                    found.extend(rows.into_iter().map(|(e, id, _)| (CompactString::from(e), id)));
                }
                self.by_external.get_or_insert_with(CustomerIds::default).extend(found);
            }
        }
        if need_name && self.by_canonical.is_none() {
            let rows: Vec<(String, i64)> = on_tx!(&mut self.tx, t => sqlx::query_as("SELECT canonical_name, id FROM customers")
                .fetch_all(&mut **t).await)
            .map_err(StoreError::db("loading customer names"))?;
            let mut m: HashMap<String, Option<i64>> = HashMap::new();
            for (name, id) in rows {
                m.entry(name).and_modify(|v| *v = None).or_insert(Some(id));
            }
            self.by_canonical = Some(m);
        }
        Ok(())
    }

    /// The caches references resolve against, borrowed apart from the transaction.
    pub(super) fn ref_maps(&self) -> RefMaps<'_> {
        RefMaps {
            by_external: self.by_external.as_ref(),
            by_canonical: self.by_canonical.as_ref(),
            users: self.users.as_ref(),
            teams: self.teams.as_ref(),
        }
    }

    /// Of these external ids, those no customer holds but a merge left behind, with the
    /// customer who absorbed them.
    pub(super) async fn customers_aliased(&mut self, keys: &[String]) -> Result<HashMap<String, i64>> {
        if self.has_aliases.is_none() {
            let any: Option<i64> = on_tx!(&mut self.tx, t => sqlx::query_scalar("SELECT customer_id FROM merged_external_ids LIMIT 1")
                .fetch_optional(&mut **t).await)
            .map_err(StoreError::db("looking for merged external ids"))?;
            self.has_aliases = Some(any.is_some());
        }
        let mut out = HashMap::new();
        if self.has_aliases != Some(true) {
            return Ok(out);
        }
        let backend = self.backend_kind();
        for chunk in keys.chunks(500) {
            let sql = format!(
                "SELECT m.external_id, m.customer_id FROM merged_external_ids m WHERE m.external_id IN ({}) \
                 AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.external_id = m.external_id)",
                crate::placeholders(1, chunk.len())
            );
            let sql = crate::dialect(backend, &sql);
            let rows: Vec<IdPair> = on_tx!(&mut self.tx, t => {
                let mut q = sqlx::query_as(&sql);
                for k in chunk {
                    q = q.bind(k);
                }
                q.fetch_all(&mut **t).await
            })
            .map_err(StoreError::db("looking up merged external ids"))?;
            out.extend(rows);
        }
        Ok(out)
    }

    pub(super) async fn customers_named(&mut self, names: &[String]) -> Result<Vec<(i64, String, Option<String>)>> {
        let mut uniq: Vec<&String> = names.iter().collect::<HashSet<_>>().into_iter().collect();
        uniq.sort();
        let sql = format!(
            "SELECT id, canonical_name, phone FROM customers WHERE canonical_name IN ({}) ORDER BY id",
            placeholders(1, uniq.len())
        );
        let sql = crate::dialect(self.kind(), &sql).into_owned();
        on_tx!(&mut self.tx, t => {
            let mut q = sqlx::query_as(&sql);
            for n in &uniq {
                q = q.bind(n.as_str());
            }
            q.fetch_all(&mut **t).await
        })
        .map_err(StoreError::db("matching customers by name"))
    }
}

/// Which caches a chunk's records resolve against.
struct Needs {
    user: bool,
    team: bool,
    /// Customers by external id.
    ext: bool,
    /// Customers by canonical name.
    name: bool,
}

impl Needs {
    fn of(records: &[(u64, Record)]) -> Needs {
        let user = records.iter().any(|(_, r)| match r {
            Record::Customer(c) => c.owner.is_some(),
            Record::Deal(_, d) => d.owner.is_some(),
            Record::Interaction(_, i) => i.user.is_some(),
            _ => false,
        });
        let team = records.iter().any(|(_, r)| matches!(r, Record::Customer(c) if c.team.is_some()));
        let (mut ext, mut name) = (false, false);
        for r in records.iter().filter_map(|(_, r)| record_ref(r)) {
            ext |= r.external_id.is_some();
            name |= r.external_id.is_none();
        }
        Needs { user, team, ext, name }
    }
}

/// The caches an import resolves references against (loaded by `load_caches`).
pub(super) struct RefMaps<'a> {
    pub(super) by_external: Option<&'a CustomerIds>,
    pub(super) by_canonical: Option<&'a HashMap<String, Option<i64>>>,
    pub(super) users: Option<&'a HashMap<String, i64>>,
    pub(super) teams: Option<&'a HashMap<String, i64>>,
}

impl RefMaps<'_> {
    /// Whether these caches resolve every reference of `records` as `load_caches` would leave
    /// them, so that it has nothing to load (`external_complete`: every external id is in).
    pub(super) fn cover(&self, records: &[(u64, Record)], external_complete: bool) -> bool {
        let needs = Needs::of(records);
        let ext_known = |e: &str| self.by_external.is_some_and(|m| m.contains_key(e));
        let ext_covered = !needs.ext
            || (self.by_external.is_some() && external_complete)
            || records.iter().filter_map(|(_, r)| record_ref(r)).all(|r| r.external_id.as_deref().is_none_or(ext_known));
        (!needs.user || self.users.is_some())
            && (!needs.team || self.teams.is_some())
            && (!needs.name || self.by_canonical.is_some())
            && ext_covered
    }

    /// A record as its table's row: its key (the external id; for an event without one, a hash
    /// of its content; none for a customer without one) and its values. A reference that does
    /// not resolve rejects the record, numbered `row`.
    pub(super) fn keyed_row(
        &self,
        entity: Entity,
        row: u64,
        rec: &Record,
    ) -> std::result::Result<(Option<String>, Vec<SqlValue>), RejectedRow> {
        let resolved = self.resolve(rec).map_err(|mut e| {
            e.row = row;
            e
        })?;
        let (ext, values) = row_of(rec, resolved);
        let key = match (ext, entity) {
            (Some(k), _) => Some(k),
            (None, Entity::Customers) => None,
            (None, _) => Some(table::content_key(&values)),
        };
        Ok((key, values))
    }

    pub(super) fn resolve_customer(&self, r: &CustomerRef) -> std::result::Result<i64, RejectedRow> {
        if let Some(ext) = &r.external_id {
            return self.by_external.and_then(|m| m.get(ext.as_str()).copied()).ok_or_else(|| RejectedRow {
                row: 0,
                field: "customer_external_id".into(),
                raw: ext.clone(),
                code: "unknown_customer",
                message: format!("no customer has 客户编号 `{ext}`; import the customer first or fix the number"),
                message_zh: format!("没有客户编号为 `{ext}` 的客户；请先导入该客户，或改正编号"),
            });
        }
        let name = r.name.clone().unwrap_or_default();
        let by = self.by_canonical;
        let lookup = |k: String| by.and_then(|m| m.get(&k).copied());
        let found = lookup(canonical_name(CustomerKind::Company, &name)).or_else(|| lookup(canonical_name(CustomerKind::Person, &name)));
        match found {
            Some(Some(id)) => Ok(id),
            Some(None) => Err(RejectedRow {
                row: 0,
                field: "customer_name".into(),
                raw: name.clone(),
                code: "ambiguous_customer",
                message: format!("several customers are called `{name}`; add a 客户编号 column to say which"),
                message_zh: format!("有多个客户叫 `{name}`；请加一列客户编号指明是哪一个"),
            }),
            None => Err(RejectedRow {
                row: 0,
                field: "customer_name".into(),
                raw: name.clone(),
                code: "unknown_customer",
                message: format!("no customer is called `{name}`; import the customer first or fix the name"),
                message_zh: format!("没有叫 `{name}` 的客户；请先导入该客户，或改正名称"),
            }),
        }
    }

    pub(super) fn resolve_user(&self, field: &str, login: &Option<String>) -> std::result::Result<Option<i64>, RejectedRow> {
        let Some(l) = login else { return Ok(None) };
        match self.users.and_then(|m| m.get(&l.to_lowercase())) {
            Some(id) => Ok(Some(*id)),
            None => Err(RejectedRow {
                row: 0,
                field: field.into(),
                raw: l.clone(),
                code: "unknown_user",
                message: format!("`{l}` is not a user; add them with `strata user add` or use an existing login"),
                message_zh: format!("`{l}` 不是系统用户；请先添加该用户，或填写已有的登录名"),
            }),
        }
    }

    pub(super) fn resolve(&self, record: &Record) -> std::result::Result<Resolved, RejectedRow> {
        let mut r = Resolved::default();
        if let Some(cref) = record_ref(record) {
            r.customer_id = Some(self.resolve_customer(cref)?);
        }
        match record {
            Record::Customer(c) => {
                r.user_id = self.resolve_user("owner", &c.owner)?;
                if let Some(team) = &c.team {
                    r.team_id = Some(*self.teams.and_then(|m| m.get(team)).ok_or_else(|| RejectedRow {
                        row: 0,
                        field: "team".into(),
                        raw: team.clone(),
                        code: "unknown_team",
                        message: format!("`{team}` is not a team; add it with `strata team add` or fix the name"),
                        message_zh: format!("`{team}` 不是团队；请先添加该团队，或改正名称"),
                    })?);
                }
            }
            Record::Deal(_, d) => r.user_id = self.resolve_user("owner", &d.owner)?,
            Record::Interaction(_, i) => r.user_id = self.resolve_user("user", &i.user)?,
            _ => {}
        }
        Ok(r)
    }
}
