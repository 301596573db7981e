#!/usr/bin/env bash
# Import benchmark, run back to back on the same files: Strata into SQLite, Strata into
# PostgreSQL, and PostgreSQL's own COPY of orders.csv into a plain table, into a table with
# the indexes Strata keeps on PostgreSQL (unique order number, customer index) and into one
# with those Strata keeps on SQLite (unique order number; customer, date and amount, the
# engine's covering index). One JSON line each.
#
# usage: bench/import-vs-copy.sh DATA_DIR POSTGRES_URL   (e.g. bench-data/M postgres://postgres:pw@127.0.0.1/postgres)
set -euo pipefail
data=${1:?data directory with customers.csv and orders.csv}
pg=${2:?postgres URL}
here=$(cd "$(dirname "$0")/.." && pwd)
strata=${STRATA_BIN:-$here/target/release/strata}
[ -x "$strata" ] || (cd "$here" && cargo build --release -q)
export STRATA_LOG=warn

"$strata" bench import --data "$data"
"$strata" --database-url "$pg" bench import --data "$data"

copy() { # name, DDL
    psql -q "$pg" -c "DROP TABLE IF EXISTS strata_copy_peer" -c "$2" -c "CHECKPOINT" >/dev/null
    local t0 t1
    t0=$(date +%s.%N)
    psql -q "$pg" -c "\\copy strata_copy_peer FROM '$data/orders.csv' WITH (FORMAT csv, HEADER true)"
    t1=$(date +%s.%N)
    local rows
    rows=$(psql -qAt "$pg" -c "SELECT count(*) FROM strata_copy_peer")
    psql -q "$pg" -c "DROP TABLE strata_copy_peer" >/dev/null
    python3 -c "import json; s=$t1-$t0; print(json.dumps({'bench':'import','backend':'postgres_copy_peer','table':'$1','file':'orders.csv','rows':$rows,'seconds':round(s,3),'rows_per_s':round($rows/s)}))"
}
copy plain "CREATE TABLE strata_copy_peer (order_id bigint, customer_id integer, order_date date, amount double precision)"
copy indexed "CREATE TABLE strata_copy_peer (order_id text, customer_id bigint, order_date date, amount numeric(14,2)); CREATE UNIQUE INDEX ON strata_copy_peer (order_id); CREATE INDEX ON strata_copy_peer (customer_id)"
copy indexed_covering "CREATE TABLE strata_copy_peer (order_id text, customer_id bigint, order_date date, amount numeric(14,2)); CREATE UNIQUE INDEX ON strata_copy_peer (order_id); CREATE INDEX ON strata_copy_peer (customer_id, order_date, amount)"
