-- Orders' and payments' external ids unique through a named index instead of a UNIQUE column
-- constraint, so that a large import into an empty table can drop the index and build it once
-- at commit (a sort) instead of inserting 20 million keys one by one. SQLite cannot drop a
-- column constraint's index: both tables are rebuilt with the same columns, rows and indexes.
-- Keep in step with ../postgres/0014_named_order_keys.sql.
CREATE TABLE orders_rebuilt (
    id            INTEGER PRIMARY KEY,
    external_id   TEXT NOT NULL,
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
INSERT INTO orders_rebuilt (id, external_id, customer_id, order_date, amount_cents, currency, product_line, status, batch_id, created_at, updated_at)
    SELECT id, external_id, customer_id, order_date, amount_cents, currency, product_line, status, batch_id, created_at, updated_at FROM orders;
DROP TABLE orders;
ALTER TABLE orders_rebuilt RENAME TO orders;
CREATE UNIQUE INDEX orders_external_id ON orders(external_id);
CREATE INDEX orders_customer_events ON orders(customer_id, CAST(julianday(order_date) - 2440587.5 AS INTEGER), amount_cents, status NOT IN ('cancelled', 'refunded'), product_line);

CREATE TABLE payments_rebuilt (
    id                 INTEGER PRIMARY KEY,
    external_id        TEXT NOT NULL,
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
INSERT INTO payments_rebuilt (id, external_id, customer_id, order_external_id, paid_on, amount_cents, currency, method, batch_id, created_at, updated_at)
    SELECT id, external_id, customer_id, order_external_id, paid_on, amount_cents, currency, method, batch_id, created_at, updated_at FROM payments;
DROP TABLE payments;
ALTER TABLE payments_rebuilt RENAME TO payments;
CREATE UNIQUE INDEX payments_external_id ON payments(external_id);
CREATE INDEX payments_customer_events ON payments(customer_id, CAST(julianday(paid_on) - 2440587.5 AS INTEGER), amount_cents, method);
