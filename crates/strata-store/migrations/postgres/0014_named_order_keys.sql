-- Orders' and payments' external ids unique through a named index instead of a UNIQUE
-- constraint, so that a large import into an empty table can drop the index and build it once
-- at commit. `ON CONFLICT (external_id)` infers the index as it did the constraint.
-- Keep in step with ../sqlite/0014_named_order_keys.sql.
ALTER TABLE orders DROP CONSTRAINT orders_external_id_key;
CREATE UNIQUE INDEX orders_external_id ON orders (external_id);
ALTER TABLE payments DROP CONSTRAINT payments_external_id_key;
CREATE UNIQUE INDEX payments_external_id ON payments (external_id);
