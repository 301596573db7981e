-- The covering indexes of 0010 hold orders' and payments' day as a day number (days since
-- 1970-01-01) and orders' live flag (not cancelled or refunded) instead of the date and status
-- texts: a cold start reads them as they are, with nothing parsed or compared per row, and the
-- index entries are smaller. The expressions are those of `select_parts` in src/event_scan.rs,
-- character for character (SQLite matches an indexed expression by its text).
DROP INDEX orders_customer_events;
CREATE INDEX orders_customer_events ON orders(customer_id, CAST(julianday(order_date) - 2440587.5 AS INTEGER), amount_cents, status NOT IN ('cancelled', 'refunded'), product_line);
DROP INDEX payments_customer_events;
CREATE INDEX payments_customer_events ON payments(customer_id, CAST(julianday(paid_on) - 2440587.5 AS INTEGER), amount_cents, method);
