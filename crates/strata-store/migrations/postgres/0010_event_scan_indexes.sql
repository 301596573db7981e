-- On SQLite this step widens the customer indexes of orders and payments into covering ones
-- for the tier engine's reads (see ../sqlite/0010_event_scan_indexes.sql). PostgreSQL streams
-- those reads from the table and keeps its plain customer indexes, so there is nothing to do.
SELECT 1;
