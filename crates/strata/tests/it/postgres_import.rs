//! The real binary importing into PostgreSQL (when `STRATA_TEST_POSTGRES_URL` is set): a large
//! orders file into an empty table goes in through one `COPY` kept open from chunk to chunk,
//! restarted once for a row that names its customer by name only; rows rejected by validation
//! and by the store are reported in file order; the keys and ids are right afterwards.

use sqlx::Connection;

use super::support::{path_str, Bin};

/// Orders in the file: enough for the import to announce itself as large.
const ORDERS: usize = 120_000;

#[test]
fn a_large_orders_import_streams_through_copy_on_postgres() {
    let Ok(url) = std::env::var("STRATA_TEST_POSTGRES_URL") else {
        eprintln!("STRATA_TEST_POSTGRES_URL not set: PostgreSQL import skipped");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let db = format!("strata_it_{}_{}", std::process::id(), chrono::Utc::now().timestamp_micros());
    let mut admin = rt.block_on(sqlx::PgConnection::connect(&url)).expect("connect to PostgreSQL");
    rt.block_on(sqlx::query(&format!("CREATE DATABASE {db}")).execute(&mut admin)).expect("create database");
    let (base, _) = url.rsplit_once('/').expect("URL has a database part");
    let db_url = format!("{base}/{db}");

    let bin = Bin::new();
    let customers: String =
        std::iter::once("客户编号,客户名称\n".to_string()).chain((0..200).map(|c| format!("C{c},流式导入测试{c}号有限公司\n"))).collect();
    let file = bin.write("customers.csv", customers.as_bytes());
    bin.ok(&["--database-url", &db_url, "import", "customers", path_str(&file)]);

    // Data row n is line n + 2 of the file, the row number reports use.
    let mut orders = String::from("订单编号,客户编号,客户名称,下单日期,金额\n");
    for n in 0..ORDERS {
        let line = match n {
            20_000 => "SO-20000,C1,,2024-13-45,10\n".to_string(),
            20_001 => "SO-20001,NOPE,,2024-03-01,10\n".to_string(),
            // Named by name only: this chunk needs the names loaded, between two COPYs.
            50_000 => "SO-50000,,流式导入测试7号有限公司,2024-03-01,10\n".to_string(),
            90_001 => "SO-90000,C3,,2024-03-01,10\n".to_string(),
            _ => format!("SO-{n},C{},,2024-{:02}-{:02},{}.{:02}\n", n % 200, 1 + n % 12, 1 + n % 28, n % 9000, n % 100),
        };
        orders.push_str(&line);
    }
    let file = bin.write("orders.csv", orders.as_bytes());
    let report = bin.path("report.csv");
    let out = bin.ok(&["--database-url", &db_url, "import", "orders", path_str(&file), "--skip-invalid", "--report", path_str(&report)]);
    assert!(out.contains(&format!("{} new", ORDERS - 3)) && out.contains("3 rejected"), "{out}");
    let csv = std::fs::read_to_string(&report).expect("report written");
    let numbers: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap_or("")).collect();
    assert_eq!(numbers.len(), 3, "{csv}");
    assert_eq!(numbers, ["20002", "20003", "90003"], "rejections in file order:\n{csv}");
    for needle in ["invalid_date", "unknown_customer", "duplicate_in_file"] {
        assert!(csv.contains(needle), "{needle} in:\n{csv}");
    }

    let mut raw = rt.block_on(sqlx::PgConnection::connect(&db_url)).expect("raw connection");
    let (count, by_name): (i64, i64) = rt
        .block_on(
            sqlx::query_as(
                "SELECT count(*), count(*) FILTER (WHERE external_id = 'SO-50000' AND customer_id = \
                 (SELECT id FROM customers WHERE external_id = 'C7')) FROM orders",
            )
            .fetch_one(&mut raw),
        )
        .expect("count orders");
    assert_eq!((count, by_name), ((ORDERS - 3) as i64, 1));
    let keys: i64 = rt
        .block_on(
            sqlx::query_scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype IN ('p', 'f')")
                .fetch_one(&mut raw),
        )
        .expect("constraints");
    assert_eq!(keys, 2, "the primary key and the customer foreign key are back");
    // The ids the import gave are behind the sequence: a later order gets a fresh one.
    let more = bin.write("more.csv", "订单编号,客户编号,下单日期,金额\nSO-NEW,C5,2024-05-01,1\n".as_bytes());
    let out = bin.ok(&["--database-url", &db_url, "import", "orders", path_str(&more)]);
    assert!(out.contains("1 new"), "{out}");
    drop(raw);
    rt.block_on(sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)")).execute(&mut admin)).expect("drop database");
}
