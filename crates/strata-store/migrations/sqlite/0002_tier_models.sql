-- Tier models, their versions (draft → preview → published → retired) with the cut points in
-- force, each customer's current tier per model and the history of every change.
CREATE TABLE tier_models (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE tier_model_versions (
    id            INTEGER PRIMARY KEY,
    model_id      INTEGER NOT NULL REFERENCES tier_models(id),
    version       INTEGER NOT NULL,
    status        TEXT NOT NULL,
    spec          TEXT NOT NULL,
    calibration   TEXT,
    preview       TEXT,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    published_at  TEXT,
    UNIQUE (model_id, version)
);

CREATE TABLE customer_tiers (
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    model_id     INTEGER NOT NULL REFERENCES tier_models(id),
    tier         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    since        TEXT NOT NULL,
    PRIMARY KEY (customer_id, model_id)
);
CREATE INDEX customer_tiers_model ON customer_tiers(model_id, tier);

CREATE TABLE tier_history (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL,
    model_id     INTEGER NOT NULL REFERENCES tier_models(id),
    version      INTEGER NOT NULL,
    from_tier    TEXT,
    to_tier      TEXT,
    at           TEXT NOT NULL,
    reason       TEXT NOT NULL
);
CREATE INDEX tier_history_customer ON tier_history(customer_id, model_id, id);
CREATE INDEX tier_history_at ON tier_history(at);
