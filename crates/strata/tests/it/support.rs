//! Shared helpers: temporary stores, sample files, and running the real binary.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

pub const CUSTOMERS_CSV: &str = "客户编号,客户名称*,手机,邮箱,省份,负责人,标签,统一社会信用代码\n\
C001,深圳市腾飞科技有限公司,138 0013 8000,Sales@TengFei.CN,广东省,王伟,战略客户、华南,91110108551385082Q\n\
C002,杭州云帆贸易有限公司,0571-88886666,,浙江省,wangwei,,\n\
C003,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",13900000000,,,,,\n";

pub const ORDERS_CSV: &str = "订单号,客户编号,下单日期,金额,状态\n\
SO-1,C001,2024/1/5,\"¥1,234.50\",已完成\n\
SO-2,C001,2024年2月1日,1.2万,\n\
SO-3,C002,2024.3.1,88,已退款\n";

/// A three-tier ladder over the customers and orders above (Chinese names in the rule).
pub const VALUE_MODEL: &str = "key = \"value\"\nname = \"价值分层\"\nkind = \"ladder\"\n\
     [[tiers]]\nkey = \"A\"\nname = \"核心\"\nwhen = \"sum(订单.金额, between 2024-01-01 and 2024-12-31) > 10000\"\n\
     [[tiers]]\nkey = \"B\"\nname = \"浙江\"\nwhen = \"province = \\\"浙江省\\\"\"\n\
     [[tiers]]\nkey = \"C\"\nname = \"普通\"\n";

/// A model whose rule misspells `amount`.
pub const MISSPELT_MODEL: &str =
    "key = \"bad\"\nname = \"坏\"\nkind = \"ladder\"\n[[tiers]]\nkey = \"a\"\nname = \"a\"\nwhen = \"sum(orders.amout) > 1\"\n";

/// The CDNOW sample (fixtures/cdnow) as importable customers and orders CSV (dollar amounts).
pub fn cdnow_csv() -> (String, String) {
    const CDNOW: &str = include_str!("../../../../fixtures/cdnow/CDNOW_sample.txt");
    let mut customers = String::from("客户编号,客户名称\n");
    let mut orders = String::from("订单编号,客户编号,下单日期,金额,币种\n");
    let mut seen = std::collections::BTreeSet::new();
    for (i, line) in CDNOW.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if seen.insert(f[1]) {
            customers.push_str(&format!("CD{},CDNOW customer {}\n", f[1], f[1]));
        }
        orders.push_str(&format!("O{i},CD{},{},{},USD\n", f[1], f[2], f[4]));
    }
    (customers, orders)
}

pub struct Bin {
    pub dir: tempfile::TempDir,
}

impl Bin {
    pub fn new() -> Bin {
        let bin = Bin { dir: tempfile::tempdir().expect("tempdir") };
        bin.ok(&["team", "add", "华南大区"]);
        bin.ok(&["user", "add", "wangwei", "--name", "王伟", "--team", "华南大区"]);
        bin
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_strata"));
        c.arg("--data-dir").arg(self.path("data")).env("STRATA_LOG", "warn").env_remove("STRATA_DATABASE_URL").env("STRATA_LANG", "en");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run strata")
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "strata {args:?} failed:\nstdout: {}\nstderr: {}", text(&out.stdout), text(&out.stderr));
        text(&out.stdout)
    }

    /// Runs in Chinese (`STRATA_LANG=zh`); returns whether it succeeded and stdout + stderr.
    pub fn zh(&self, args: &[&str]) -> (bool, String) {
        let out = self.cmd().env("STRATA_LANG", "zh").args(args).output().expect("run strata");
        (out.status.success(), format!("{}{}", text(&out.stdout), text(&out.stderr)))
    }

    /// Runs and asserts failure; returns stdout + stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "strata {args:?} should fail:\nstdout: {}", text(&out.stdout));
        format!("{}{}", text(&out.stdout), text(&out.stderr))
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
