-- Access rules an admin set at run time, one row per role (SQLite dialect). Keep in step with
-- ../postgres/0009_access_rules.sql. `rules` is strata_core::access_policy::RoleRules as JSON;
-- a role without a row keeps the built-in defaults.
CREATE TABLE access_rules (
    role        TEXT PRIMARY KEY,
    rules       TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
