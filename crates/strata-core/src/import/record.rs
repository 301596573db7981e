//! One row of cells → one validated record, or every cell error in the row.

use chrono::FixedOffset;
use serde::Serialize;

use super::mapping::Mapping;
use super::row::Row;
use super::Entity;
use crate::{
    activity::{Channel, InteractionInput},
    commerce::{OrderInput, OrderStatus, PaymentInput, PaymentMethod},
    credit_code::normalise_credit_code,
    custom_field::{parse_bool, CustomFieldDef},
    customer::{parse_tags, ContactInput, CustomerInput, CustomerKind, LifecycleStage},
    date::parse_date,
    deal::{DealInput, DealStage},
    label::Labelled,
    money::Currency,
    service::{FeedbackInput, Severity, TicketInput, TicketStatus},
    ValueError,
};

/// Settings that apply to every row of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Currency of amounts that name none.
    pub currency: Currency,
    /// Time zone of times written without one.
    pub offset: FixedOffset,
    /// Kind of customers whose row does not say.
    pub default_kind: CustomerKind,
    pub custom_fields: Vec<CustomFieldDef>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            currency: Currency::CNY,
            offset: crate::date::china_offset(),
            default_kind: CustomerKind::Company,
            custom_fields: Vec::new(),
        }
    }
}

/// A cell that could not be used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellError {
    pub column: String,
    pub raw: String,
    pub code: &'static str,
    pub message: String,
    /// The message in Chinese, when there is one.
    pub message_zh: Option<String>,
}

/// How a row names its customer: by external id, else by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CustomerRef {
    pub external_id: Option<String>,
    pub name: Option<String>,
}

/// A validated row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Record {
    Customer(CustomerInput),
    Contact(CustomerRef, ContactInput),
    Order(CustomerRef, OrderInput),
    Payment(CustomerRef, PaymentInput),
    Interaction(CustomerRef, InteractionInput),
    Deal(CustomerRef, DealInput),
    Ticket(CustomerRef, TicketInput),
    Feedback(CustomerRef, FeedbackInput),
}

impl Mapping {
    /// Validates one data row (cells in file order) into a record.
    pub fn record(&self, cells: &[&str], opts: &ImportOptions) -> Result<Record, Vec<CellError>> {
        let mut row = Row { mapping: self, cells, opts, errors: Vec::new() };
        let rec = match self.entity {
            Entity::Customers => customer(&mut row),
            Entity::Contacts => contact(&mut row),
            Entity::Orders => order(&mut row),
            Entity::Payments => payment(&mut row),
            Entity::Interactions => interaction(&mut row),
            Entity::Deals => deal(&mut row),
            Entity::Tickets => ticket(&mut row),
            Entity::Feedback => feedback(&mut row),
        };
        row.finish(rec)
    }
}

fn customer(row: &mut Row) -> Option<Record> {
    let name = row.req("name", |s| Ok(s.to_string()));
    let credit_code = row.opt("credit_code", normalise_credit_code);
    let kind = row.opt("kind", CustomerKind::parse_label).unwrap_or(row.opts.default_kind);
    let lifecycle_stage = row.opt("lifecycle_stage", LifecycleStage::parse_label);
    let phone = row.phone("phone");
    let email = row.email("email");
    let custom = row.custom_values();
    let since = row.date("since");
    if kind == CustomerKind::Person && credit_code.is_some() {
        let i = row.mapping.index_of("credit_code").unwrap_or(0);
        let e =
            ValueError::new("credit_code_on_person", "a person has no unified social credit code; set 客户类型 to 企业 or clear the code")
                .zh("个人客户没有统一社会信用代码；请把客户类型设为企业，或清空该代码");
        row.fail(i, credit_code.as_deref().unwrap_or(""), e);
    }
    Some(Record::Customer(CustomerInput {
        external_id: row.text("external_id"),
        kind,
        name: name?,
        credit_code,
        industry: row.text("industry"),
        province: row.text("province"),
        city: row.text("city"),
        source_channel: row.text("source_channel"),
        owner: row.text("owner"),
        team: row.text("team"),
        lifecycle_stage,
        phone,
        email,
        tags: row.text("tags").map(|t| parse_tags(&t)).unwrap_or_default(),
        custom,
        since,
    }))
}

fn contact(row: &mut Row) -> Option<Record> {
    let cref = row.customer_ref();
    let name = row.req("name", |s| Ok(s.to_string()));
    let mobile = row.phone("mobile");
    let landline = row.phone("landline");
    let email = row.email("email");
    let input = ContactInput {
        external_id: row.text("external_id"),
        name: name?,
        title: row.text("title"),
        mobile,
        landline,
        email,
        wechat: row.text("wechat"),
    };
    Some(Record::Contact(cref, input))
}

fn order(row: &mut Row) -> Option<Record> {
    let cref = row.customer_ref();
    let external_id = row.req("external_id", |s| Ok(s.to_string()));
    let order_date = row.req("order_date", parse_date);
    let amount = row.money("amount", true);
    let currency = row.currency_of(amount);
    let status = row.opt("status", OrderStatus::parse_label).unwrap_or(OrderStatus::Completed);
    let input = OrderInput {
        external_id: external_id?,
        order_date: order_date?,
        amount_cents: amount?.cents,
        currency,
        product_line: row.text("product_line"),
        status,
    };
    Some(Record::Order(cref, input))
}

fn payment(row: &mut Row) -> Option<Record> {
    let cref = row.customer_ref();
    let external_id = row.req("external_id", |s| Ok(s.to_string()));
    let paid_on = row.req("paid_on", parse_date);
    let amount = row.money("amount", true);
    let currency = row.currency_of(amount);
    let method = row.opt("method", PaymentMethod::parse_label);
    let input = PaymentInput {
        external_id: external_id?,
        order_external_id: row.text("order_external_id"),
        paid_on: paid_on?,
        amount_cents: amount?.cents,
        currency,
        method,
    };
    Some(Record::Payment(cref, input))
}

fn interaction(row: &mut Row) -> Option<Record> {
    let cref = row.customer_ref();
    let channel = row.req("channel", Channel::parse_label);
    let occurred_at = row.time("occurred_at", true);
    let next_follow_up = row.date("next_follow_up");
    let input = InteractionInput {
        external_id: row.text("external_id"),
        channel: channel?,
        user: row.text("user"),
        occurred_at: occurred_at?,
        summary: row.long_text("summary"),
        outcome: row.long_text("outcome"),
        next_follow_up,
    };
    Some(Record::Interaction(cref, input))
}

fn deal(row: &mut Row) -> Option<Record> {
    let cref = row.customer_ref();
    let title = row.req("title", |s| Ok(s.to_string()));
    let stage = row.req("stage", DealStage::parse_label);
    let amount = row.money("amount", false);
    let budget = row.money("budget", false);
    let currency = row.currency_of(amount);
    let expected_close = row.date("expected_close");
    let authority = row.opt("authority", parse_bool);
    let timing = row.date("timing");
    let closed_on = row.date("closed_on");
    let input = DealInput {
        external_id: row.text("external_id"),
        title: title?,
        stage: stage?,
        amount_cents: amount.map(|m| m.cents),
        currency,
        expected_close,
        owner: row.text("owner"),
        budget_cents: budget.map(|m| m.cents),
        authority,
        need: row.long_text("need"),
        timing,
        closed_on,
        close_reason: row.long_text("close_reason"),
    };
    Some(Record::Deal(cref, input))
}

fn ticket(row: &mut Row) -> Option<Record> {
    let cref = row.customer_ref();
    let opened_at = row.time("opened_at", true);
    let first_response_at = row.time("first_response_at", false);
    let resolved_at = row.time("resolved_at", false);
    if let (Some(o), Some(r)) = (opened_at, first_response_at.or(resolved_at)) {
        if r < o {
            let col = row.mapping.index_of("first_response_at").or(row.mapping.index_of("resolved_at")).unwrap_or(0);
            row.fail(
                col,
                &r.to_rfc3339(),
                ValueError::new("time_before_opened", "a response or resolution time is before the ticket was opened")
                    .zh("首次响应或解决时间早于工单创建时间"),
            );
        }
    }
    let severity = row.opt("severity", Severity::parse_label).unwrap_or(Severity::Normal);
    let default_status = if resolved_at.is_some() { TicketStatus::Resolved } else { TicketStatus::Open };
    let status = row.opt("status", TicketStatus::parse_label).unwrap_or(default_status);
    let satisfaction = row.small_int("satisfaction", 1, 5);
    let input = TicketInput {
        external_id: row.text("external_id"),
        category: row.text("category"),
        severity,
        status,
        opened_at: opened_at?,
        first_response_at,
        resolved_at,
        satisfaction,
        summary: row.long_text("summary"),
    };
    Some(Record::Ticket(cref, input))
}

fn feedback(row: &mut Row) -> Option<Record> {
    let cref = row.customer_ref();
    let received_on = row.req("received_on", parse_date);
    let nps = row.small_int("nps", 0, 10);
    let csat = row.small_int("csat", 1, 5);
    let no_score_given = row.text("nps").is_none() && row.text("csat").is_none();
    if no_score_given {
        let col = row.mapping.index_of("nps").or(row.mapping.index_of("csat")).unwrap_or(0);
        row.fail(
            col,
            "",
            ValueError::new("missing_score", "feedback needs an NPS (0–10) or a CSAT (1–5) score")
                .zh("反馈需要 NPS（0–10）或 CSAT（1–5）评分"),
        );
    }
    let input =
        FeedbackInput { external_id: row.text("external_id"), received_on: received_on?, nps, csat, comment: row.long_text("comment") };
    Some(Record::Feedback(cref, input))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn rec(entity: Entity, headers: &[&str], cells: &[&str]) -> Result<Record, Vec<CellError>> {
        let hs: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        let m = Mapping::resolve(entity, &hs, &BTreeMap::new(), &[]).unwrap();
        m.record(cells, &ImportOptions::default())
    }

    #[test]
    fn customer_rows_are_normalised() {
        let r = rec(
            Entity::Customers,
            &["客户名称", "手机", "邮箱", "统一社会信用代码", "标签", "生命周期"],
            &["  深圳市腾飞科技有限公司 ", "138 0013 8000", "Sales@TengFei.CN", "91110108551385082Q", "战略客户、华南", "成熟期"],
        )
        .unwrap();
        let Record::Customer(c) = r else { panic!("not a customer") };
        assert_eq!(c.name, "深圳市腾飞科技有限公司");
        assert_eq!(c.phone.as_deref(), Some("+8613800138000"));
        assert_eq!(c.email.as_deref(), Some("sales@tengfei.cn"));
        assert_eq!(c.tags, vec!["战略客户", "华南"]);
        assert_eq!(c.lifecycle_stage, Some(LifecycleStage::Mature));
        assert_eq!(c.canonical_name(), "腾飞科技");
    }

    #[test]
    fn every_bad_cell_is_reported() {
        let errs = rec(Entity::Customers, &["客户名称", "手机", "邮箱", "信用代码"], &["", "12345", "nope", "123"]).unwrap_err();
        let codes: Vec<(&str, &str)> = errs.iter().map(|e| (e.column.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            vec![("客户名称", "required"), ("信用代码", "invalid_credit_code"), ("手机", "invalid_phone"), ("邮箱", "invalid_email")]
        );
    }

    #[test]
    fn order_rows() {
        let r =
            rec(Entity::Orders, &["订单号", "客户编号", "下单日期", "金额", "状态"], &["SO-1", "C1", "2024年1月5日", "¥1.2万", "已退款"])
                .unwrap();
        let Record::Order(cref, o) = r else { panic!("not an order") };
        assert_eq!(cref.external_id.as_deref(), Some("C1"));
        assert_eq!(o.amount_cents, 1_200_000);
        assert_eq!(o.status, OrderStatus::Refunded);
        let r = rec(Entity::Orders, &["订单号", "客户编号", "下单日期", "金额(万元)"], &["SO-2", "C1", "2024-01-05", "1.5"]).unwrap();
        let Record::Order(_, o) = r else { panic!("not an order") };
        assert_eq!(o.amount_cents, 1_500_000);
        let errs = rec(Entity::Orders, &["订单号", "客户编号", "下单日期", "金额"], &["SO-3", "", "2024-02-30", "abc"]).unwrap_err();
        let codes: Vec<&str> = errs.iter().map(|e| e.code).collect();
        assert_eq!(codes, vec!["missing_customer", "invalid_date", "invalid_amount"]);
    }

    #[test]
    fn feedback_and_ticket_rules() {
        let errs = rec(Entity::Feedback, &["客户编号", "日期", "NPS", "CSAT"], &["C1", "2024-01-01", "", ""]).unwrap_err();
        assert_eq!(errs[0].code, "missing_score");
        let errs = rec(Entity::Feedback, &["客户编号", "日期", "NPS"], &["C1", "2024-01-01", "11"]).unwrap_err();
        assert_eq!(errs[0].code, "invalid_score");
        let errs =
            rec(Entity::Tickets, &["客户编号", "创建时间", "解决时间"], &["C1", "2024-01-02 10:00", "2024-01-01 10:00"]).unwrap_err();
        assert_eq!(errs[0].code, "time_before_opened");
        let r =
            rec(Entity::Tickets, &["客户编号", "创建时间", "解决时间", "优先级"], &["C1", "2024-01-02 10:00", "2024-01-03 10:00", "P1"])
                .unwrap();
        let Record::Ticket(_, t) = r else { panic!("not a ticket") };
        assert_eq!((t.severity, t.status), (Severity::Urgent, TicketStatus::Resolved));
    }

    #[test]
    fn short_rows_read_as_empty_cells() {
        let errs = rec(Entity::Orders, &["订单号", "客户编号", "下单日期", "金额"], &["SO-1", "C1"]).unwrap_err();
        let cols: Vec<&str> = errs.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(cols, vec!["下单日期", "金额"]);
    }
}
