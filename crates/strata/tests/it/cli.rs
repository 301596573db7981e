//! Black-box tests of the real binary: imports of every kind of file and every kind of bad
//! input, idempotence, undo, exports, and a SIGKILL in the middle of an import.

use std::{io::Write, time::Duration};

use super::support::{path_str, text, Bin, CUSTOMERS_CSV, MISSPELT_MODEL, ORDERS_CSV, VALUE_MODEL};

#[test]
fn imports_gbk_csv_and_is_idempotent() {
    let bin = Bin::new();
    let (gbk, _, _) = encoding_rs::GB18030.encode(CUSTOMERS_CSV);
    let file = bin.write("customers-gbk.csv", &gbk);
    let out = bin.ok(&["import", "customers", path_str(&file)]);
    assert!(out.contains("gb18030"), "{out}");
    assert!(out.contains("3 new"), "{out}");
    let again = bin.ok(&["import", "customers", path_str(&file)]);
    assert!(again.contains("0 new, 0 updated, 3 unchanged"), "{again}");
    let orders = bin.write("orders.csv", ORDERS_CSV.as_bytes());
    assert!(bin.ok(&["import", "orders", path_str(&orders)]).contains("3 new"));
    let jsonl = bin.ok(&["export", "orders", "--format", "jsonl"]);
    assert!(jsonl.contains("\"amount_cents\":123450"), "{jsonl}");
    assert!(jsonl.contains("\"amount_cents\":1200000"), "{jsonl}");
    assert!(jsonl.contains("\"order_date\":\"2024-02-01\""), "{jsonl}");
    assert!(jsonl.contains("\"status\":\"refunded\""), "JSON Lines keep the stored codes: {jsonl}");
    // A Chinese export shows statuses by label and imports back unchanged.
    let zh = bin.ok(&["export", "orders", "--output", path_str(&bin.path("orders-zh.csv"))]);
    let csv = std::fs::read_to_string(bin.path("orders-zh.csv")).expect("export");
    assert!(csv.contains(",已退款,") && csv.contains(",已完成,") && !csv.contains("refunded"), "{zh}{csv}");
    let again = bin.ok(&["import", "orders", path_str(&bin.path("orders-zh.csv"))]);
    assert!(again.contains("0 new, 0 updated, 3 unchanged"), "{again}");
}

#[test]
fn bad_rows_abort_the_whole_import_and_are_reported() {
    let bin = Bin::new();
    let file = bin
        .write("bad.csv", "客户编号,客户名称,手机,邮箱\nC010,好公司,13800000000,\nC011,坏公司,12345,nope\nC012,,13800000001,\n".as_bytes());
    let report = bin.path("report.csv");
    let out = bin.fails(&["import", "customers", path_str(&file), "--report", path_str(&report)]);
    assert!(out.contains("row 3 [手机] `12345`"), "{out}");
    assert!(out.contains("nothing imported: 2 of 3 rows"), "{out}");
    let csv = std::fs::read_to_string(&report).expect("report written");
    assert!(csv.contains("3,邮箱,nope,invalid_email"), "{csv}");
    assert!(csv.contains("4,客户名称,,required"), "{csv}");
    assert!(!bin.ok(&["export", "customers"]).contains("C010"), "nothing was written");
    assert!(!bin.ok(&["batch", "list"]).contains("bad.csv"), "no batch was recorded");
    // --skip-invalid imports the good row and reports the rest.
    let out = bin.ok(&["import", "customers", path_str(&file), "--skip-invalid", "--report", path_str(&report)]);
    assert!(out.contains("1 new") && out.contains("2 rejected"), "{out}");
}

#[test]
fn every_unreadable_file_gets_a_clear_error_and_writes_nothing() {
    let bin = Bin::new();
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("missing-column.csv", "客户编号,手机\nC1,13800000000\n".into(), "customers", "required column `name` (客户名称) is missing"),
        ("empty.csv", Vec::new(), "customers", "the file is empty"),
        ("header-only.csv", "客户名称,手机\n".into(), "customers", "no data rows"),
        ("garbage.csv", (0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(), "customers", "encoding"),
        ("corrupt.xlsx", b"PK\x03\x04 this is not really a workbook".to_vec(), "customers", "not a readable .xlsx workbook"),
        ("orders-no-customer.csv", "订单号,下单日期,金额\nSO1,2024-01-01,5\n".into(), "orders", "need a customer"),
        ("data.xls", b"old".to_vec(), "customers", "save as .xlsx first"),
    ];
    for (name, bytes, entity, needle) in cases {
        let file = bin.write(name, &bytes);
        let out = bin.fails(&["import", entity, path_str(&file)]);
        assert!(out.contains(needle), "{name}: expected `{needle}` in:\n{out}");
        assert!(out.contains(name), "{name}: the message names the file:\n{out}");
    }
    let mapping = bin.write("map.json", r#"{"客户名称": "nmae"}"#.as_bytes());
    let file = bin.write("ok.csv", "客户名称\n腾飞\n".as_bytes());
    let out = bin.fails(&["import", "customers", path_str(&file), "--mapping", path_str(&mapping)]);
    assert!(out.contains("`nmae`, which is not a field of customers"), "{out}");
    assert!(bin.ok(&["batch", "list"]).lines().count() == 1, "only the header line: nothing was imported");
}

#[test]
fn xlsx_sheets_mapping_files_and_undo() {
    let bin = Bin::new();
    let path = bin.path("book.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let other = book.add_worksheet();
    other.set_name("说明").expect("name");
    other.write_string(0, 0, "这是说明页").expect("cell");
    let sheet = book.add_worksheet();
    sheet.set_name("客户").expect("name");
    for (c, h) in ["公司", "手机号码", "建档日期", "备注"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    sheet.write_string(1, 0, "北京星河软件有限公司").expect("cell");
    sheet.write_number(1, 1, 13800138000.0).expect("phone as a number");
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 1, 5).expect("date");
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
    sheet.write_datetime_with_format(1, 2, &date, &fmt).expect("date cell");
    sheet.write_string(1, 3, "老客户").expect("cell");
    book.save(&path).expect("save xlsx");

    let out = bin.fails(&["import", "customers", path_str(&path), "--sheet", "不存在"]);
    assert!(out.contains("no sheet named `不存在`; sheets: 说明, 客户"), "{out}");
    let mapping = bin.write("map.json", r#"{"公司": "name", "备注": "ignore"}"#.as_bytes());
    let out = bin.ok(&["import", "customers", path_str(&path), "--sheet", "客户", "--mapping", path_str(&mapping)]);
    assert!(out.contains("1 new"), "{out}");
    let exported = bin.ok(&["export", "customers", "--format", "jsonl"]);
    assert!(exported.contains("\"phone\":\"+8613800138000\"") && exported.contains("\"since\":\"2024-01-05\""), "{exported}");
    let batches = bin.ok(&["batch", "list"]);
    let id = batches.lines().nth(1).and_then(|l| l.split('\t').next()).expect("a batch").to_string();
    assert!(bin.ok(&["batch", "undo", &id]).contains("1 rows deleted"));
    assert!(bin.fails(&["batch", "undo", &id]).contains("already undone"));
    assert!(!bin.ok(&["export", "customers"]).contains("星河"));
}

#[test]
fn exports_are_safe_to_open_in_excel() {
    let bin = Bin::new();
    let file = bin.write("c.csv", CUSTOMERS_CSV.as_bytes());
    bin.ok(&["import", "customers", path_str(&file)]);
    let csv = bin.ok(&["export", "customers", "--lang", "en"]);
    assert!(csv.contains("\"'=HYPERLINK("), "formula is escaped: {csv}");
    let xlsx = bin.path("out.xlsx");
    bin.ok(&["export", "customers", "--format", "xlsx", "--output", path_str(&xlsx)]);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).expect("valid xlsx");
    let range = book.worksheet_range("customers").expect("sheet");
    let cells: Vec<String> = range.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
    assert!(cells.iter().any(|c| c.starts_with("=HYPERLINK(")), "stored as text, not a formula: {cells:?}");
    assert!(book.worksheet_formula("customers").map(|f| f.used_cells().count()).unwrap_or(0) == 0, "no formulas");
    let filtered = bin.ok(&["export", "customers", "--province", "浙江省", "--format", "jsonl"]);
    assert_eq!(filtered.lines().count(), 1, "{filtered}");
}

#[test]
fn sigkill_during_an_import_leaves_no_partial_batch() {
    let bin = Bin::new();
    let customers = bin.write("c.csv", CUSTOMERS_CSV.as_bytes());
    bin.ok(&["import", "customers", path_str(&customers)]);
    let path = bin.path("big-orders.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        writeln!(f, "order_id,customer_id,order_date,amount").expect("write");
        for i in 0..1_200_000 {
            writeln!(f, "O{i},C00{},2024-01-{:02},{}.{:02}", 1 + i % 2, 1 + i % 28, i % 1000, i % 100).expect("write");
        }
    }
    let mut child = bin.cmd().args(["import", "orders", path_str(&path)]).spawn().expect("spawn");
    // Wait until the import's transaction spills pages to the WAL (its pages outgrow SQLite's
    // 64 MB cache, so this happens well before the commit), then kill it.
    let wal = bin.path("data").join("strata.db-wal");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) < 8_000_000 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the import was killed before finishing");
    let batches = bin.ok(&["batch", "list"]);
    assert_eq!(batches.lines().count(), 2, "only the customers batch exists:\n{batches}");
    let orders = bin.ok(&["export", "orders", "--format", "jsonl"]);
    assert_eq!(orders.lines().count(), 0, "no orders were left behind");
    let out = bin.ok(&["import", "orders", path_str(&path)]);
    assert!(out.contains("1200000 new"), "the store is healthy after the kill: {}", text(out.as_bytes()));
}

#[test]
fn a_large_file_repeating_an_order_number_far_apart_is_rejected_with_its_row() {
    let bin = Bin::new();
    let customers = bin.write("c.csv", CUSTOMERS_CSV.as_bytes());
    bin.ok(&["import", "customers", path_str(&customers)]);
    // Large enough for keys to be checked once at the end; the repeat is chunks apart.
    let path = bin.path("orders-repeat.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        writeln!(f, "order_id,customer_id,order_date,amount").expect("write");
        for i in 0..100_000 {
            let key = if i == 90_000 { 5 } else { i };
            writeln!(f, "O{key},C001,2024-01-{:02},{}.50", 1 + i % 28, i % 1000).expect("write");
        }
    }
    let out = bin.fails(&["import", "orders", path_str(&path)]);
    assert!(out.contains("row 90002") && out.contains("nothing imported"), "{out}");
    assert_eq!(bin.ok(&["export", "orders", "--format", "jsonl"]).lines().count(), 0, "nothing was written");
    let out = bin.ok(&["import", "orders", path_str(&path), "--skip-invalid"]);
    assert!(out.contains("99999 new") && out.contains("1 rejected"), "{out}");
}

/// The benchmark's RFM workload through the real importer and store matches the result every
/// reference implementation agrees on (fixtures/bench-1000/README.md).
#[test]
fn bench_rfm_matches_the_reference_checksum() {
    let bin = Bin::new();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/bench-1000");
    let out = bin.ok(&["bench", "rfm", "--data", data, "--repeat", "1"]);
    let line: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(line["rows"], 1000);
    assert_eq!(line["sum_recency"], 229_296);
    assert_eq!(line["sum_frequency"], 20_000);
    assert_eq!(line["sum_monetary"], 1_561_698.93);
    assert_eq!(line["score_fingerprint"], 168_263_562);
    let segments = &line["segments"];
    for (name, count) in [("Champions", 150), ("Lost", 60), ("New Customers", 9), ("Hibernating", 170), ("Promising", 34)] {
        assert_eq!(segments[name], count, "{name}");
    }
}

#[test]
fn tier_models_are_checked_previewed_published_explained_and_swept() {
    let bin = Bin::new();
    bin.ok(&["import", "customers", path_str(&bin.write("c.csv", CUSTOMERS_CSV.as_bytes()))]);
    bin.ok(&["import", "orders", path_str(&bin.write("o.csv", ORDERS_CSV.as_bytes()))]);
    let model = bin.write("value.toml", VALUE_MODEL.as_bytes());
    assert!(bin.ok(&["tier", "check", path_str(&model)]).contains("value: ok (3 tiers"));
    let bad = bin.write("bad.toml", MISSPELT_MODEL.as_bytes());
    let out = bin.fails(&["tier", "check", path_str(&bad)]);
    assert!(out.contains("tiers[1].when") && out.contains("did you mean `amount`?"), "{out}");
    let a = bin.write("a.toml", "key=\"a\"\nname=\"甲\"\nkind=\"ladder\"\n[[tiers]]\nkey=\"x\"\nname=\"x\"\nwhen='tier(\"b\") = \"y\"'\n[[tiers]]\nkey=\"z\"\nname=\"z\"\n".as_bytes());
    let b = bin.write("b.toml", "key=\"b\"\nname=\"乙\"\nkind=\"ladder\"\n[[tiers]]\nkey=\"y\"\nname=\"y\"\nwhen='tier(\"a\") = \"x\"'\n[[tiers]]\nkey=\"w\"\nname=\"w\"\n".as_bytes());
    let out = bin.fails(&["tier", "check", path_str(&a), path_str(&b)]);
    assert!(out.contains("cycle: a → b → a"), "{out}");

    let out = bin.ok(&["tier", "preview", path_str(&model)]);
    assert!(out.contains("3 customers; 3 would change tier"), "{out}");
    assert!(out.contains("(none) → 核心 (A): 1"), "{out}");
    let out = bin.ok(&["tier", "publish", path_str(&model)]);
    assert!(out.contains("published value v1: 3 customers evaluated, 3 tier changes recorded"), "{out}");
    let out = bin.ok(&["tier", "history", "C001"]);
    assert!(out.contains("value            核心") && out.contains("— → 核心 (model published)"), "tiers by name: {out}");
    let out = bin.ok(&["tier", "explain", "C002"]);
    assert!(out.contains("浙江 (B)") && out.contains("not met 核心") && out.contains("matched 浙江"), "{out}");
    assert!(out.contains("to move up: → A: sum(orders.amount, between 2024-01-01 and 2024-12-31) > 10000 (now 0, 10001 more)"), "{out}");
    let out = bin.ok(&["tier", "eval", "--today", "2030-01-01", "--json"]);
    assert!(out.contains("\"changes\":0") && out.contains("\"model\":\"value\""), "{out}");
    let out = bin.ok(&["tier", "eval", "--today", "2030-01-01"]);
    assert!(out.contains("value v1: swept as of 2030-01-01, 0 tier changes"), "{out}");
    assert!(bin.ok(&["tier", "preset", "lifecycle"]).contains("成熟"));
    // In English, a model and its tiers by their English names, RFM scores as R/F/M.
    let rfm = bin.write("rfm.toml", bin.ok(&["tier", "preset", "rfm"]).as_bytes());
    bin.ok(&["tier", "publish", path_str(&rfm), "--today", "2025-01-01"]);
    let out = bin.ok(&["tier", "explain", "C001", "--model", "rfm", "--today", "2025-01-01"]);
    assert!(out.starts_with("RFM segments [rfm]: ") && out.contains(", scores R ") && !out.contains("Some("), "{out}");
    assert!(bin.fails(&["tier", "explain", "C999"]).contains("no customer with id or external id `C999`"));
}

#[test]
fn users_change_role_team_and_active_from_the_command_line() {
    let bin = Bin::new();
    let out = bin.ok(&["user", "set", "wangwei", "--role", "manager", "--team", ""]);
    assert!(out.contains("wangwei: 王伟 (manager, team —, active)"), "{out}");
    assert!(bin.fails(&["user", "set", "wangwei", "--team", "没有的团队"]).contains("not a team"));
    assert!(bin.fails(&["user", "set", "wangwei", "--role", "boss"]).contains("--role"));
    assert!(bin.ok(&["user", "set", "wangwei", "--active", "false"]).contains("inactive"));
    assert!(bin.ok(&["user", "list"]).contains("wangwei\t王伟\tmanager"), "nothing else changed");
}

#[test]
fn the_business_time_zone_reads_times_written_without_one_and_a_wrong_one_is_refused() {
    let bin = Bin::new();
    let out = bin.fails(&["--timezone", "Europe/Berlin", "batch", "list"]);
    assert!(out.contains("`Europe/Berlin` is not a UTC offset") && out.contains("+01:00"), "{out}");
    let customers = bin.write("c.csv", "客户编号,客户名称\nC1,腾飞科技有限公司\n".as_bytes());
    bin.ok(&["import", "customers", path_str(&customers)]);
    let interactions = bin.write("i.csv", "客户编号,跟进时间,跟进方式,跟进内容\nC1,2024-01-05 09:00,电话,初次沟通\n".as_bytes());
    bin.ok(&["--timezone", "+01:00", "import", "interactions", path_str(&interactions)]);
    let out = bin.ok(&["export", "interactions", "--format", "jsonl"]);
    assert!(out.contains("2024-01-05T08:00:00"), "09:00 at UTC+1 is 08:00 UTC: {out}");
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let bin = Bin::new();
    // A pipe whose reader is gone before the command starts: its first line meets a closed pipe.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = bin.cmd().args(["tier", "preset", "rfm"]).stdout(writer).output().expect("run strata");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!said.contains("panicked"), "{said}");
    assert_eq!(out.status.code(), Some(141), "{said}");
}
