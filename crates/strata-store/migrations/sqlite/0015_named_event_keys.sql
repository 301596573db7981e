-- Interactions', deals', tickets' and feedback's external ids unique through a named index, as
-- orders' and payments' are since migration 14: a large import into an empty table drops the
-- index and builds it once at the end. Each table is rebuilt with the same columns, rows and
-- indexes (SQLite cannot drop a column constraint's index).
-- Keep in step with ../postgres/0015_named_event_keys.sql.

CREATE TABLE interactions_rebuilt (
    id              INTEGER PRIMARY KEY,
    external_id     TEXT NOT NULL,
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
INSERT INTO interactions_rebuilt (id, external_id, customer_id, channel, user_id, occurred_at, summary, outcome, next_follow_up, batch_id, created_at, updated_at)
    SELECT id, external_id, customer_id, channel, user_id, occurred_at, summary, outcome, next_follow_up, batch_id, created_at, updated_at FROM interactions;
DROP TABLE interactions;
ALTER TABLE interactions_rebuilt RENAME TO interactions;
CREATE UNIQUE INDEX interactions_external_id ON interactions(external_id);
CREATE INDEX interactions_customer ON interactions(customer_id);

CREATE TABLE deals_rebuilt (
    id              INTEGER PRIMARY KEY,
    external_id     TEXT NOT NULL,
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
INSERT INTO deals_rebuilt (id, external_id, customer_id, title, stage, amount_cents, currency, expected_close, owner_id, budget_cents, authority, need, timing, closed_on, close_reason, batch_id, created_at, updated_at)
    SELECT id, external_id, customer_id, title, stage, amount_cents, currency, expected_close, owner_id, budget_cents, authority, need, timing, closed_on, close_reason, batch_id, created_at, updated_at FROM deals;
DROP TABLE deals;
ALTER TABLE deals_rebuilt RENAME TO deals;
CREATE UNIQUE INDEX deals_external_id ON deals(external_id);
CREATE INDEX deals_customer ON deals(customer_id);

CREATE TABLE tickets_rebuilt (
    id                 INTEGER PRIMARY KEY,
    external_id        TEXT NOT NULL,
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
INSERT INTO tickets_rebuilt (id, external_id, customer_id, category, severity, status, opened_at, first_response_at, resolved_at, satisfaction, summary, batch_id, created_at, updated_at)
    SELECT id, external_id, customer_id, category, severity, status, opened_at, first_response_at, resolved_at, satisfaction, summary, batch_id, created_at, updated_at FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_rebuilt RENAME TO tickets;
CREATE UNIQUE INDEX tickets_external_id ON tickets(external_id);
CREATE INDEX tickets_customer ON tickets(customer_id);

CREATE TABLE feedback_rebuilt (
    id           INTEGER PRIMARY KEY,
    external_id  TEXT NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    received_on  TEXT NOT NULL,
    nps          INTEGER,
    csat         INTEGER,
    comment      TEXT,
    batch_id     INTEGER,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
INSERT INTO feedback_rebuilt (id, external_id, customer_id, received_on, nps, csat, comment, batch_id, created_at, updated_at)
    SELECT id, external_id, customer_id, received_on, nps, csat, comment, batch_id, created_at, updated_at FROM feedback;
DROP TABLE feedback;
ALTER TABLE feedback_rebuilt RENAME TO feedback;
CREATE UNIQUE INDEX feedback_external_id ON feedback(external_id);
CREATE INDEX feedback_customer ON feedback(customer_id);
