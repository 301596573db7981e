#!/usr/bin/env python3
"""The SQLite floor under `strata bench ingest`: the same writes as one batch of the live ingest
(new orders for random customers, the tier-history rows and current-tier updates they cause),
replayed as plain SQL on a copy of a benchmark store, with Strata's settings (WAL,
synchronous=FULL, 4 MB page cache, checkpoints past 65,536 log pages). No validation, no engine:
what the layout alone costs.

    python3 bench/sqlite-ingest-floor.py COPY-OF-STORE.db [--layout current|runs] [--batches 20]

`--layout runs` first rebuilds the orders' and the history's customer indexes with a leading
run number (`(run, customer_id, …)`, new rows in run 1), the layout a live path folding recent
rows into sorted runs would have; current tiers stay as they are. `--layout levels` is the same
layout kept up as it would have to be: run 1 is folded into run 2 once it holds `--k1` orders,
run 2 into the base (run 0) once it holds `--k2`, each fold one transaction timed within the
total. Prints one JSON line. The copy is modified: use a throwaway one.
"""
import argparse, json, os, random, sqlite3, statistics, time

p = argparse.ArgumentParser()
p.add_argument("db")
p.add_argument("--layout", choices=["current", "runs", "levels"], default="current")
p.add_argument("--batches", type=int, default=20)
p.add_argument("--orders", type=int, default=10_000, help="orders per batch")
p.add_argument("--changes", type=float, default=2.3, help="tier changes per order (bench ingest at M: about 2.2-2.4)")
p.add_argument("--seed", type=int, default=7)
p.add_argument("--no-current-tiers", action="store_true", help="leave out the current-tier updates (what a tier log alone would cost)")
p.add_argument("--k1", type=int, default=100_000, help="levels: orders in run 1 before it is folded into run 2")
p.add_argument("--k2", type=int, default=1_000_000, help="levels: orders in run 2 before it is folded into the base")
a = p.parse_args()

con = sqlite3.connect(a.db, isolation_level=None)
for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "cache_size=-4096", "wal_autocheckpoint=65536"):
    con.execute(f"PRAGMA {pragma}")
customers = con.execute("SELECT MAX(id) FROM customers").fetchone()[0]
models = [m for (m,) in con.execute("SELECT DISTINCT model_id FROM customer_tiers WHERE customer_id = 1")]
run_col = ""
if a.layout in ("runs", "levels"):
    con.execute("PRAGMA cache_size=-1000000")
    con.executescript("""
        ALTER TABLE orders ADD COLUMN run INTEGER NOT NULL DEFAULT 0;
        DROP INDEX orders_customer_events;
        CREATE INDEX orders_customer_events ON orders(run, customer_id, CAST(julianday(order_date) - 2440587.5 AS INTEGER),
            amount_cents, status NOT IN ('cancelled', 'refunded'), product_line);
        ALTER TABLE tier_history ADD COLUMN run INTEGER NOT NULL DEFAULT 0;
        DROP INDEX tier_history_customer;
        CREATE INDEX tier_history_customer ON tier_history(run, customer_id, model_id, id);
        PRAGMA wal_checkpoint(TRUNCATE);
    """)
    con.execute("PRAGMA cache_size=-4096")
    run_col = ", run"
order_sql = ("INSERT INTO orders (external_id, customer_id, order_date, amount_cents, currency, product_line, status, batch_id, "
             f"created_at, updated_at{run_col}) VALUES (?, ?, '2025-01-01', ?, 'CNY', NULL, 'completed', NULL, ?, ?{', 1' if run_col else ''})")
history_sql = ("INSERT INTO tier_history (customer_id, model_id, version, from_tier, to_tier, at, reason"
               f"{run_col}) VALUES (?, ?, 1, 'x', 'y', ?, 'event'{', 1' if run_col else ''})")
tier_sql = "UPDATE customer_tiers SET tier = ?, since = ? WHERE customer_id = ? AND model_id = ?"


def fold(source, target):
    """Moves every order and history row of run `source` into run `target`; returns seconds."""
    started = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    con.execute(f"UPDATE orders SET run = {target} WHERE run = {source}")
    con.execute(f"UPDATE tier_history SET run = {target} WHERE run = {source}")
    con.execute("COMMIT")
    return time.perf_counter() - started


rng = random.Random(a.seed)
times, folds, run1, run2 = [], [], 0, 0
for b in range(a.batches):
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    picked = [rng.randint(1, customers) for _ in range(a.orders)]
    changes = [(c, models[i % len(models)]) for c in picked for i in range(len(models))][: int(a.orders * a.changes)]
    started = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    con.executemany(order_sql, ((f"FLOOR-{a.seed}-{b}-{i}", c, rng.randint(100, 10**7), now, now) for i, c in enumerate(picked)))
    con.executemany(history_sql, ((c, m, now) for c, m in changes))
    if not a.no_current_tiers:
        con.executemany(tier_sql, ((f"t{b % 7}", now, c, m) for c, m in changes))
    con.execute("COMMIT")
    times.append(time.perf_counter() - started)
    run1 += a.orders
    if a.layout == "levels" and run1 >= a.k1:
        folds.append(fold(1, 2))
        run1, run2 = 0, run2 + run1
        if run2 >= a.k2:
            folds.append(fold(2, 0))
            run2 = 0
total = sum(times) + sum(folds)
print(json.dumps({"bench": "sqlite_ingest_floor", "layout": a.layout, "current_tiers": not a.no_current_tiers, "batches": a.batches, "orders_per_batch": a.orders,
                  "tier_changes_per_batch": int(a.orders * a.changes), "batch_median_s": round(statistics.median(times), 3),
                  "orders_per_s": round(a.orders * a.batches / total), "seconds": round(total, 3),
                  "folds": len(folds), "fold_s": round(sum(folds), 3)}))
