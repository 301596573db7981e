-- The tier engine reads every customer's orders and payments at start, and one customer's on
-- every change. These indexes hold every column those reads use, in customer then date order,
-- so the reads come from the index alone: grouped by customer, nothing counted first, no
-- table lookups. They replace the plain customer indexes (a prefix of them). Keep in step with
-- ../postgres/0010_event_scan_indexes.sql and with `scan_sql` in src/event_scan.rs.
DROP INDEX orders_customer;
CREATE INDEX orders_customer_events ON orders(customer_id, order_date, amount_cents, status, product_line);
DROP INDEX payments_customer;
CREATE INDEX payments_customer_events ON payments(customer_id, paid_on, amount_cents, method);
