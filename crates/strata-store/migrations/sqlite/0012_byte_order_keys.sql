-- On PostgreSQL this step makes external ids and canonical names compare byte by byte
-- (../postgres/0012_byte_order_keys.sql). SQLite's default collation is bytewise already.
SELECT 1;
