-- On SQLite this step puts orders' and payments' day numbers and orders' live flag into the
-- covering indexes (../sqlite/0013_indexed_days.sql). PostgreSQL's indexes hold typed dates
-- already, which a scan reads without parsing.
SELECT 1;
