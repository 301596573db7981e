-- Current tiers keyed by customer then model: the key also serves lookups by customer (deletes,
-- merges, the customer page), so the separate customer index goes and a tier change still
-- updates no indexed column. A model's tiers are read by scanning the table (at a sweep or a
-- publish). Keep in step with ../sqlite/0016_tiers_by_customer.sql.
ALTER TABLE customer_tiers DROP CONSTRAINT customer_tiers_pkey;
ALTER TABLE customer_tiers ADD PRIMARY KEY (customer_id, model_id);
DROP INDEX customer_tiers_customer;
