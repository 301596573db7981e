-- Current tiers keyed by customer then model, without a row id: a customer's tiers in every
-- model share one page, so the tier changes an event causes (one per model, two or three per
-- new order) dirty one page instead of one page in each model's range. Live ingest of random
-- customers wrote about 18,000 pages per 10,000 orders in this table alone; keyed this way it
-- writes about 7,000. A model's tiers are read in customer order by scanning the table (at a
-- sweep or a publish, not at start); the customer index is the key itself and goes.
-- Keep in step with ../postgres/0016_tiers_by_customer.sql.
CREATE TABLE customer_tiers_by_customer (
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    model_id     INTEGER NOT NULL REFERENCES tier_models(id),
    tier         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    since        TEXT NOT NULL,
    PRIMARY KEY (customer_id, model_id)
) WITHOUT ROWID;
INSERT INTO customer_tiers_by_customer (customer_id, model_id, tier, version, since)
    SELECT customer_id, model_id, tier, version, since FROM customer_tiers ORDER BY customer_id, model_id;
DROP TABLE customer_tiers;
ALTER TABLE customer_tiers_by_customer RENAME TO customer_tiers;
