-- Current tiers keyed by model then customer: a model's tiers are one index range in customer
-- order, and with no index on the tier column a tier change is a heap-only update. The
-- customer index serves deletes and merges. Keep in step with ../sqlite/0011_tiers_by_model.sql.
ALTER TABLE customer_tiers DROP CONSTRAINT customer_tiers_pkey;
ALTER TABLE customer_tiers ADD PRIMARY KEY (model_id, customer_id);
DROP INDEX customer_tiers_model;
CREATE INDEX customer_tiers_customer ON customer_tiers(customer_id);
