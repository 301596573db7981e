//! The command line in Chinese: `STRATA_LANG=zh` or a Chinese locale makes imports, tier
//! commands, their help and errors speak Chinese; a language Strata does not speak is refused.

use super::support::{path_str, Bin, CUSTOMERS_CSV, MISSPELT_MODEL, ORDERS_CSV, VALUE_MODEL};

#[test]
fn imports_and_their_errors_speak_chinese() {
    let bin = Bin::new();
    let file = bin
        .write("bad.csv", "客户编号,客户名称,手机,邮箱\nC010,好公司,13800000000,\nC011,坏公司,12345,nope\nC012,,13800000001,\n".as_bytes());
    let (ok, out) = bin.zh(&["import", "customers", path_str(&file)]);
    assert!(!ok, "{out}");
    assert!(out.contains("文件：") && out.contains("列：客户编号→external_id"), "{out}");
    assert!(out.contains("第 3 行 [手机] `12345`：") && out.contains("（invalid_phone）"), "{out}");
    assert!(out.contains("未导入任何内容：3 行中有 2 行被拒绝"), "{out}");
    let (ok, out) = bin.zh(&["import", "customers", path_str(&file), "--skip-invalid"]);
    assert!(ok && out.contains("已导入 3 行") && out.contains("新增 1，更新 0，未变 0，拒绝 2"), "{out}");
    assert!(out.contains("撤销：`strata batch undo"), "{out}");

    let missing = bin.write("missing-column.csv", "客户编号,手机\nC1,13800000000\n".as_bytes());
    let (ok, out) = bin.zh(&["import", "customers", path_str(&missing)]);
    assert!(!ok && out.starts_with("错误：") && out.contains("missing-column.csv"), "{out}");
    assert!(!out.contains("is missing"), "no English: {out}");
    let (ok, out) = bin.zh(&["--timezone", "Europe/Berlin", "batch", "list"]);
    assert!(!ok && out.contains("`Europe/Berlin` 不是 UTC 偏移"), "{out}");
    let (ok, out) = bin.zh(&["batch", "undo", "999"]);
    assert!(!ok && out.starts_with("错误：找不到") && out.contains("999"), "{out}");
    let (ok, out) = bin.zh(&["export", "customers", "--format", "xlsx"]);
    assert!(!ok && out.contains("导出 .xlsx 需要指定 --output"), "{out}");
    let (ok, out) = bin.zh(&["batch", "list"]);
    assert!(ok && out.starts_with("编号\t数据\t状态") && out.contains("\t客户\t已导入\t"), "{out}");
    let (ok, out) = bin.zh(&["batch", "show", "1"]);
    assert!(ok && out.starts_with("批次 1：客户，文件 ") && out.contains("共 3 行，新增 1") && out.contains("状态：已导入"), "{out}");
    let out = bin.ok(&["batch", "show", "1"]);
    assert!(out.starts_with("batch 1: customers, file ") && out.contains("state: committed"), "{out}");
    assert!(bin.ok(&["batch", "show", "1", "--json"]).contains("\"rows_total\": 3"));
    let (ok, out) = bin.zh(&["user", "add", "lina", "--name", "李娜", "--role", "销售"]);
    assert!(ok && out.contains("已添加用户 lina（李娜，sales）"), "{out}");
    let (ok, out) = bin.zh(&["user", "add", "zhao", "--role", "boss"]);
    assert!(!ok && out.starts_with("错误：--role：") && !out.contains("unknown"), "{out}");
    let (ok, out) = bin.zh(&["user", "set", "lina", "--active", "false"]);
    assert!(ok && out.contains("lina：李娜（sales，团队 —，停用）"), "{out}");
    let (ok, out) = bin.zh(&["token", "create", "nobody", "--name", "x"]);
    assert!(!ok && out.contains("没有用户 `nobody`"), "{out}");
}

#[test]
fn tier_commands_speak_chinese() {
    let bin = Bin::new();
    bin.ok(&["import", "customers", path_str(&bin.write("c.csv", CUSTOMERS_CSV.as_bytes()))]);
    bin.ok(&["import", "orders", path_str(&bin.write("o.csv", ORDERS_CSV.as_bytes()))]);
    let bad = bin.write("bad.toml", MISSPELT_MODEL.as_bytes());
    let (ok, out) = bin.zh(&["tier", "check", path_str(&bad)]);
    assert!(!ok && out.contains("模型 `bad`，tiers[1].when：") && out.contains("amount"), "{out}");
    assert!(!out.contains("did you mean"), "no English: {out}");
    let broken = bin.write("broken.toml", "key = \"x\"\nkind = \"lader\"\n".as_bytes());
    let (ok, out) = bin.zh(&["tier", "check", path_str(&broken)]);
    assert!(!ok && out.contains("broken.toml：") && out.contains("lader"), "{out}");

    let model = bin.write("value.toml", VALUE_MODEL.as_bytes());
    let (ok, out) = bin.zh(&["tier", "check", path_str(&model)]);
    assert!(ok && out.contains("value：通过（3 个层级"), "{out}");
    let (_, out) = bin.zh(&["tier", "preview", path_str(&model)]);
    assert!(out.contains("共 3 个客户，3 个会换层级") && out.contains("（无） → 核心 (A): 1"), "{out}");
    let (_, out) = bin.zh(&["tier", "publish", path_str(&model)]);
    assert!(out.contains("已发布 value v1：评估 3 个客户，记录 3 次层级变化"), "{out}");
    let (_, out) = bin.zh(&["tier", "explain", "C002"]);
    assert!(out.contains("不符合 核心") && out.contains("符合 浙江") && out.contains("升级条件："), "{out}");
    let (_, out) = bin.zh(&["tier", "history", "C001"]);
    assert!(out.contains(" 起") && out.contains("— → 核心 (模型发布)"), "{out}");
    let (ok, out) = bin.zh(&["tier", "explain", "C999"]);
    assert!(!ok && out.contains("没有编号或外部编号为 `C999` 的客户"), "{out}");
}

#[test]
fn the_locale_chooses_the_language_unless_one_is_given() {
    let bin = Bin::new();
    let run = |lang: &str, args: &[&str]| {
        let out = bin.cmd().env_remove("STRATA_LANG").env_remove("LC_ALL").env_remove("LC_MESSAGES").env("LANG", lang).args(args).output();
        let out = out.expect("run strata");
        (out.status, format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    };
    assert!(run("zh_CN.UTF-8", &["batch", "list"]).1.starts_with("编号"));
    assert!(run("C.UTF-8", &["batch", "list"]).1.starts_with("id\tentity"));
    assert!(run("zh_CN.UTF-8", &["--language", "en", "batch", "list"]).1.starts_with("id\tentity"));
    let (status, out) = run("C.UTF-8", &["--language", "fr", "batch", "list"]);
    assert_eq!(status.code(), Some(2), "{out}");
    assert!(out.contains("`fr` is not a language Strata speaks; use zh or en"), "{out}");
}

#[test]
fn help_speaks_the_language_asked_for() {
    let bin = Bin::new();
    let (ok, out) = bin.zh(&["import", "--help"]);
    assert!(ok && out.contains("用法：strata import") && out.contains("导入有效的行并报告其余的行") && out.contains("显示帮助"), "{out}");
    let (ok, out) = bin.zh(&["--help"]);
    assert!(ok && out.contains("客户分层管理系统") && out.contains("分层模型：检查、预览、发布、评估、解释"), "{out}");
    let out = bin.ok(&["--language=zh", "tier", "publish", "--help"]);
    assert!(out.contains("发布模型文件"), "{out}");
    let out = bin.ok(&["import", "--help"]);
    assert!(out.contains("Usage: strata import") && out.contains("Import the valid rows"), "{out}");

    // A command line that does not parse says so in Chinese, with exit code 2.
    let bad = bin.cmd().env("STRATA_LANG", "zh").args(["import", "bogus", "x.csv"]).output().expect("run strata");
    let said = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{said}");
    assert!(said.starts_with("错误：<ENTITY> 的值 `bogus` 无效：没有 `bogus` 这类数据") && said.contains("orders（订单）"), "{said}");
    let out = bin.fails(&["import", "bogus", "x.csv"]);
    assert!(out.contains("unknown kind of data `bogus`"), "English stays English: {out}");
}
