-- External ids and canonical names are matching keys, never sorted for people: compare them
-- byte by byte (COLLATE "C") instead of through the database's locale, which costs a
-- locale-aware string comparison at every step of every index search on import and lookup.
-- Equality is unchanged. SQLite compares these bytewise already (../sqlite/0012_byte_order_keys.sql).
ALTER TABLE customers ALTER COLUMN external_id TYPE TEXT COLLATE "C";
ALTER TABLE customers ALTER COLUMN canonical_name TYPE TEXT COLLATE "C";
ALTER TABLE contacts ALTER COLUMN external_id TYPE TEXT COLLATE "C";
ALTER TABLE orders ALTER COLUMN external_id TYPE TEXT COLLATE "C";
ALTER TABLE payments ALTER COLUMN external_id TYPE TEXT COLLATE "C";
ALTER TABLE interactions ALTER COLUMN external_id TYPE TEXT COLLATE "C";
ALTER TABLE deals ALTER COLUMN external_id TYPE TEXT COLLATE "C";
ALTER TABLE tickets ALTER COLUMN external_id TYPE TEXT COLLATE "C";
ALTER TABLE feedback ALTER COLUMN external_id TYPE TEXT COLLATE "C";
ALTER TABLE merged_external_ids ALTER COLUMN external_id TYPE TEXT COLLATE "C";
