-- Current tiers keyed by model then customer, without a row id: a model's tiers are one range
-- in customer order (the engine reads them at start and at every sweep, no sort), and a tier
-- change rewrites one row in place, with no secondary index entry to move (the index by tier
-- is gone; counts per tier scan the model's range). The customer index serves deletes and
-- merges. Keep in step with ../postgres/0011_tiers_by_model.sql.
CREATE TABLE customer_tiers_by_model (
    model_id     INTEGER NOT NULL REFERENCES tier_models(id),
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tier         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    since        TEXT NOT NULL,
    PRIMARY KEY (model_id, customer_id)
) WITHOUT ROWID;
INSERT INTO customer_tiers_by_model (model_id, customer_id, tier, version, since)
    SELECT model_id, customer_id, tier, version, since FROM customer_tiers ORDER BY model_id, customer_id;
DROP TABLE customer_tiers;
ALTER TABLE customer_tiers_by_model RENAME TO customer_tiers;
CREATE INDEX customer_tiers_customer ON customer_tiers(customer_id);
