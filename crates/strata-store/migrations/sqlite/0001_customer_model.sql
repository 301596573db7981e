-- The customer data model (SQLite dialect). Keep in step with ../postgres/0001_customer_model.sql.
CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT,
    team_id       INTEGER REFERENCES teams(id),
    role          TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

CREATE TABLE custom_fields (
    key         TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    options     TEXT NOT NULL,
    required    INTEGER NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE import_batches (
    id           INTEGER PRIMARY KEY,
    entity       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    actor        TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    rows_total   INTEGER NOT NULL,
    inserted     INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL,
    rejected     INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('committed', 'undone')),
    undone_at    TEXT,
    undone_by    TEXT
);

-- Each data table's batch_id names the import that last wrote the row. It has no foreign key:
-- it is only ever set inside that import's own transaction, and a per-row check would halve
-- import speed on PostgreSQL.

-- Before-images of rows an import updated, so the import can be undone.
CREATE TABLE import_changes (
    batch_id        INTEGER NOT NULL REFERENCES import_batches(id),
    table_name      TEXT NOT NULL,
    row_id          INTEGER NOT NULL,
    prior_batch_id  INTEGER,
    before          TEXT NOT NULL,
    PRIMARY KEY (batch_id, table_name, row_id)
);
CREATE INDEX import_changes_prior ON import_changes(prior_batch_id);

CREATE TABLE customers (
    id               INTEGER PRIMARY KEY,
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
CREATE INDEX customers_canonical_name ON customers(canonical_name);
CREATE INDEX customers_owner ON customers(owner_id);

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    external_id  TEXT NOT NULL UNIQUE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    name         TEXT NOT NULL,
    title        TEXT,
    mobile       TEXT,
    landline     TEXT,
    email        TEXT,
    wechat       TEXT,
    batch_id     INTEGER,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX contacts_customer ON contacts(customer_id);

CREATE TABLE orders (
    id            INTEGER PRIMARY KEY,
    external_id   TEXT NOT NULL UNIQUE,
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    order_date    TEXT NOT NULL,
    amount_cents  INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    product_line  TEXT,
    status        TEXT NOT NULL,
    batch_id      INTEGER,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX orders_customer ON orders(customer_id);

CREATE TABLE payments (
    id                 INTEGER PRIMARY KEY,
    external_id        TEXT NOT NULL UNIQUE,
    customer_id        INTEGER NOT NULL REFERENCES customers(id),
    order_external_id  TEXT,
    paid_on            TEXT NOT NULL,
    amount_cents       INTEGER NOT NULL,
    currency           TEXT NOT NULL,
    method             TEXT,
    batch_id           INTEGER,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX payments_customer ON payments(customer_id);

CREATE TABLE interactions (
    id              INTEGER PRIMARY KEY,
    external_id     TEXT NOT NULL UNIQUE,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    channel         TEXT NOT NULL,
    user_id         INTEGER REFERENCES users(id),
    occurred_at     TEXT NOT NULL,
    summary         TEXT,
    outcome         TEXT,
    next_follow_up  TEXT,
    batch_id        INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX interactions_customer ON interactions(customer_id);

CREATE TABLE deals (
    id              INTEGER PRIMARY KEY,
    external_id     TEXT NOT NULL UNIQUE,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    title           TEXT NOT NULL,
    stage           TEXT NOT NULL,
    amount_cents    INTEGER,
    currency        TEXT NOT NULL,
    expected_close  TEXT,
    owner_id        INTEGER REFERENCES users(id),
    budget_cents    INTEGER,
    authority       INTEGER,
    need            TEXT,
    timing          TEXT,
    closed_on       TEXT,
    close_reason    TEXT,
    batch_id        INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX deals_customer ON deals(customer_id);

CREATE TABLE tickets (
    id                 INTEGER PRIMARY KEY,
    external_id        TEXT NOT NULL UNIQUE,
    customer_id        INTEGER NOT NULL REFERENCES customers(id),
    category           TEXT,
    severity           TEXT NOT NULL,
    status             TEXT NOT NULL,
    opened_at          TEXT NOT NULL,
    first_response_at  TEXT,
    resolved_at        TEXT,
    satisfaction       INTEGER,
    summary            TEXT,
    batch_id           INTEGER,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX tickets_customer ON tickets(customer_id);

CREATE TABLE feedback (
    id           INTEGER PRIMARY KEY,
    external_id  TEXT NOT NULL UNIQUE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    received_on  TEXT NOT NULL,
    nps          INTEGER,
    csat         INTEGER,
    comment      TEXT,
    batch_id     INTEGER,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX feedback_customer ON feedback(customer_id);
