-- The data change feed every running server follows to keep its in-memory tier engine current
-- (several `strata serve` over one database, CLI imports next to a server), and leases that let
-- exactly one server run a scheduled job.
--
-- kind: `customer` (customer_id's master data or events changed, or it was created or deleted),
-- `reload` (too much changed to list: reload everything), `models` (published models or their cut
-- points changed).
CREATE TABLE data_changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    customer_id  INTEGER,
    at           TEXT NOT NULL,
    -- The server that applied the change to its own engine as it wrote it (it skips the entry).
    origin       TEXT
);

CREATE TABLE job_leases (
    job          TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_run     TEXT
);
