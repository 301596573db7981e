-- Customer merges and their exact undo (SQLite dialect). Keep in step with ../postgres/0005_merges.sql.

-- Customer ids are never handed out twice: a merge deletes the customers it absorbs and its undo
-- puts them back under their own ids, so `customers` is rebuilt with AUTOINCREMENT (this
-- migration runs with foreign keys off; the child tables keep referring to `customers`).
CREATE TABLE customers_rebuilt (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id      TEXT UNIQUE,
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    canonical_name   TEXT NOT NULL,
    credit_code      TEXT,
    industry         TEXT,
    province         TEXT,
    city             TEXT,
    source_channel   TEXT,
    owner_id         INTEGER REFERENCES users(id),
    team_id          INTEGER REFERENCES teams(id),
    lifecycle_stage  TEXT,
    phone            TEXT,
    email            TEXT,
    tags             TEXT NOT NULL,
    custom           TEXT NOT NULL,
    since            TEXT,
    batch_id         INTEGER,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
INSERT INTO customers_rebuilt SELECT id, external_id, kind, name, canonical_name, credit_code, industry, province, city,
    source_channel, owner_id, team_id, lifecycle_stage, phone, email, tags, custom, since, batch_id, created_at, updated_at
    FROM customers;
DROP TABLE customers;
ALTER TABLE customers_rebuilt RENAME TO customers;
CREATE INDEX customers_canonical_name ON customers(canonical_name);
CREATE INDEX customers_owner ON customers(owner_id);

-- One row per merge: the survivor's row before and after, the absorbed customers' rows and
-- current tiers (JSON images), the field decisions, and whether it was undone.
CREATE TABLE merges (
    id               INTEGER PRIMARY KEY,
    survivor_id      INTEGER NOT NULL,
    absorbed_ids     TEXT NOT NULL,
    actor            TEXT NOT NULL,
    merged_at        TEXT NOT NULL,
    survivor_before  TEXT NOT NULL,
    survivor_after   TEXT NOT NULL,
    absorbed_rows    TEXT NOT NULL,
    absorbed_tiers   TEXT NOT NULL,
    decisions        TEXT NOT NULL,
    moved            INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('merged', 'undone')),
    undone_at        TEXT,
    undone_by        TEXT
);
CREATE INDEX merges_survivor ON merges(survivor_id);

-- Every child row a merge re-pointed, with the customer it belonged to.
CREATE TABLE merge_moves (
    merge_id       INTEGER NOT NULL REFERENCES merges(id),
    table_name     TEXT NOT NULL,
    row_id         INTEGER NOT NULL,
    from_customer  INTEGER NOT NULL,
    PRIMARY KEY (merge_id, table_name, row_id)
);

-- External ids of absorbed customers, so files that still name them reach the survivor. A later
-- merge that absorbs the survivor re-points them (recorded in merge_moves, so its undo puts them back).
CREATE TABLE merged_external_ids (
    id           INTEGER PRIMARY KEY,
    external_id  TEXT NOT NULL UNIQUE,
    customer_id  INTEGER NOT NULL,
    merge_id     INTEGER NOT NULL REFERENCES merges(id)
);
