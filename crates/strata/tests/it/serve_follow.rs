//! The real `strata serve` follows writes made by another process: a model published and an
//! import run from the CLI while the server runs reach its engine through the change feed, and
//! the server records the tier change the import causes.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use super::support::{path_str, Bin, CUSTOMERS_CSV};

const MODEL: &str = "key = \"value\"\nname = \"价值分层\"\nkind = \"ladder\"\n\
[[tiers]]\nkey = \"big\"\nname = \"大客户\"\nwhen = \"sum(orders.amount, last 365d) > 10000\"\n\
[[tiers]]\nkey = \"dormant\"\nname = \"沉睡\"\n";

/// Stops the server when the test ends, however it ends.
struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(addr: &str, token: &str, path: &str) -> Value {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").expect("send");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read");
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {path}: {e}: {raw}"))
}

fn tier(addr: &str, token: &str, id: i64) -> Option<String> {
    let t = get(addr, token, &format!("/api/v1/customers/{id}/tiers"));
    t["items"][0]["tier"]["key"].as_str().map(String::from)
}

#[test]
fn serve_follows_cli_imports_and_publishes() {
    let bin = Bin::new();
    bin.ok(&["import", "customers", path_str(&bin.write("c.csv", CUSTOMERS_CSV.as_bytes()))]);
    bin.ok(&["user", "add", "ops", "--role", "analyst"]);
    let token = bin.ok(&["token", "create", "ops", "--name", "follow-test"]).trim().to_string();
    let mut child = bin
        .cmd()
        .args(["serve", "--bind", "127.0.0.1:0", "--today", "2024-03-31", "--follow-ms", "100"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start strata serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.split_once("running at http://").map(|(_, rest)| rest.split('/').next().unwrap_or_default().to_string()))
        .expect("the server prints its address");
    let server = Server(child, addr.clone());
    std::thread::spawn(move || lines.for_each(drop));
    let id = get(&server.1, &token, "/api/v1/customers?q=C002")["items"][0]["id"].as_i64().expect("C002");

    let wait_for = |want: Option<&str>| {
        let start = Instant::now();
        loop {
            let got = tier(&addr, &token, id);
            if got.as_deref() == want || start.elapsed() > Duration::from_secs(20) {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    bin.ok(&["tier", "publish", path_str(&bin.write("value.toml", MODEL.as_bytes())), "--today", "2024-03-31"]);
    assert_eq!(wait_for(Some("dormant")).as_deref(), Some("dormant"), "the server installs the model the CLI published");
    bin.ok(&["import", "orders", path_str(&bin.write("o.csv", "订单号,客户编号,下单日期,金额\nSO-1,C002,2024-03-30,2万\n".as_bytes()))]);
    assert_eq!(wait_for(Some("big")).as_deref(), Some("big"), "the server re-evaluates the imported customer");
    // The follower's engine moves first; the change it causes is committed right after.
    let start = Instant::now();
    let (reasons, history) = loop {
        let history = get(&addr, &token, &format!("/api/v1/customers/{id}/tier-history"));
        let reasons: Vec<String> = history["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|h| h["reason"].as_str().map(String::from)).collect())
            .unwrap_or_default();
        if reasons.len() >= 2 || start.elapsed() > Duration::from_secs(20) {
            break (reasons, history);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(reasons, ["publish", "event"], "{history}");
}
