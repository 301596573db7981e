//! Turns a demo customer's profile into records of every kind: the customer, contacts, orders,
//! payments, interactions, deals, tickets and feedback.

use chrono::{Duration, NaiveDate, NaiveTime};
use rand::Rng;
use strata_core::{
    activity::{Channel, InteractionInput},
    commerce::{OrderInput, OrderStatus, PaymentInput, PaymentMethod},
    customer::{ContactInput, CustomerInput, CustomerKind},
    deal::{DealInput, DealStage},
    import::{CustomerRef, Entity, Record},
    money::Currency,
    service::{FeedbackInput, Severity, TicketInput, TicketStatus},
};

use super::{
    profile::{mobile, normal, person_name, pick, poisson, rng_for, seasonal_day, weighted, Profile},
    vocab::*,
};

fn cref(p: &Profile) -> CustomerRef {
    CustomerRef { external_id: Some(p.external_id.clone()), name: None }
}

fn at(d: NaiveDate, rng: &mut rand_chacha::ChaCha8Rng) -> chrono::DateTime<chrono::Utc> {
    // business hours in China (UTC+8): 09:00–18:59 local = 01:00–10:59 UTC
    let t = NaiveTime::from_hms_opt(rng.random_range(1..11), rng.random_range(0..60), 0).unwrap_or(NaiveTime::MIN);
    d.and_time(t).and_utc()
}

fn cents(level: f64, rng: &mut rand_chacha::ChaCha8Rng) -> i64 {
    let yuan = (level + 0.6 * normal(rng)).exp();
    ((yuan * 100.0).round() as i64).max(100)
}

/// Appends `entity` records of customer `p` to `out`.
pub fn records(entity: Entity, p: &Profile, seed: u64, until: NaiveDate, out: &mut Vec<Record>) {
    let mut rng = rng_for(seed, p.idx, entity as u64 + 1);
    let r = &mut rng;
    match entity {
        Entity::Customers => {
            let (province, _, _, _, team) = PROVINCES[p.province];
            let big = p.owner.is_some_and(|o| o == "xujie" || o == "sunyue");
            let mut custom = std::collections::BTreeMap::new();
            if p.kind == CustomerKind::Company {
                let size = weighted(r, &[("1-50人", 40.0), ("51-200人", 30.0), ("201-1000人", 20.0), ("1000人以上", 10.0)]);
                custom.insert("company_size".to_string(), serde_json::Value::from(size));
                if r.random::<f64>() < 0.5 {
                    let budget = (p.level.exp() * p.orders as f64 * 1.2 / 1000.0).round() as i64 * 100_000;
                    custom.insert("annual_budget".to_string(), serde_json::Value::from(budget.max(1_000_000)));
                }
            }
            out.push(Record::Customer(CustomerInput {
                external_id: Some(p.external_id.clone()),
                kind: p.kind,
                name: p.name.clone(),
                credit_code: p.credit_code.clone(),
                industry: (p.kind == CustomerKind::Company).then(|| INDUSTRIES[p.industry].0.to_string()),
                province: Some(province.to_string()),
                city: Some(p.city.to_string()),
                source_channel: Some(p.source.to_string()),
                owner: p.owner.map(str::to_string),
                team: p.owner.map(|_| if big { "大客户部" } else { team }.to_string()),
                lifecycle_stage: None,
                phone: Some(p.phone.clone()),
                email: None,
                tags: p.tags.clone(),
                custom,
                since: Some(p.since),
            }));
        }
        Entity::Contacts => {
            let n = if p.kind == CustomerKind::Company { r.random_range(1..=3) } else { 0 };
            for k in 0..n {
                let (name, pinyin) = person_name(r);
                out.push(Record::Contact(
                    cref(p),
                    ContactInput {
                        external_id: Some(format!("{}-K{k}", p.external_id)),
                        name,
                        title: Some(pick(r, TITLES).to_string()),
                        mobile: Some(mobile(r)),
                        landline: (r.random::<f64>() < 0.3).then(|| format!("+8621{:08}", r.random_range(0..100_000_000u64))),
                        email: Some(format!("{pinyin}{}@example.cn", p.idx % 1000)),
                        wechat: (r.random::<f64>() < 0.6).then(|| format!("wxid_{pinyin}{:04}", r.random_range(0..10_000))),
                    },
                ));
            }
        }
        Entity::Orders | Entity::Payments => {
            // Orders and payments share one stream so payments match their orders.
            let mut orng = rng_for(seed, p.idx, 100);
            let r = &mut orng;
            let mut days: Vec<NaiveDate> = (0..p.orders).map(|_| seasonal_day(r, p.since, p.end)).collect();
            days.sort();
            for (k, day) in days.into_iter().enumerate() {
                let amount = cents(p.level, r);
                let recent = (until - day).num_days() < 7;
                let status = if recent {
                    weighted(r, &[(OrderStatus::Paid, 50.0), (OrderStatus::Shipped, 30.0), (OrderStatus::Pending, 20.0)])
                } else {
                    weighted(
                        r,
                        &[
                            (OrderStatus::Completed, 94.0),
                            (OrderStatus::Refunded, 3.0),
                            (OrderStatus::Cancelled, 2.0),
                            (OrderStatus::Shipped, 1.0),
                        ],
                    )
                };
                let order_id = format!("SO{:07}{:04}", p.idx + 1, k);
                let product = pick(r, &p.products).to_string();
                let pay_lag = r.random_range(0..60);
                let method = weighted(
                    r,
                    &[
                        (PaymentMethod::BankTransfer, 60.0),
                        (PaymentMethod::WechatPay, 15.0),
                        (PaymentMethod::Alipay, 15.0),
                        (PaymentMethod::Acceptance, 10.0),
                    ],
                );
                if entity == Entity::Orders {
                    out.push(Record::Order(
                        cref(p),
                        OrderInput {
                            external_id: order_id,
                            order_date: day,
                            amount_cents: amount,
                            currency: Currency::CNY,
                            product_line: Some(product),
                            status,
                        },
                    ));
                } else if matches!(status, OrderStatus::Completed | OrderStatus::Shipped | OrderStatus::Paid | OrderStatus::Refunded) {
                    let paid_on = (day + Duration::days(pay_lag)).min(until);
                    out.push(Record::Payment(
                        cref(p),
                        PaymentInput {
                            external_id: format!("PM{:07}{:04}", p.idx + 1, k),
                            order_external_id: Some(order_id),
                            paid_on,
                            amount_cents: amount,
                            currency: Currency::CNY,
                            method: Some(method),
                        },
                    ));
                }
            }
        }
        Entity::Interactions => {
            let n = (1 + poisson(r, 2.0 + p.orders as f64 / 5.0)).min(60);
            let from = p.since - Duration::days(30);
            let to = (p.end + Duration::days(60)).min(until);
            for k in 0..n {
                let day = seasonal_day(r, from, to);
                let channel = weighted(
                    r,
                    &[
                        (Channel::Phone, 35.0),
                        (Channel::Wechat, 30.0),
                        (Channel::Visit, 15.0),
                        (Channel::Email, 10.0),
                        (Channel::Meeting, 10.0),
                    ],
                );
                let summary = pick(r, INTERACTION_SUMMARIES).replace("{p}", pick(r, &p.products));
                out.push(Record::Interaction(
                    cref(p),
                    InteractionInput {
                        external_id: Some(format!("IN{:07}{:03}", p.idx + 1, k)),
                        channel,
                        user: p.owner.map(str::to_string),
                        occurred_at: at(day, r),
                        summary: Some(summary),
                        outcome: Some(pick(r, OUTCOMES).to_string()),
                        next_follow_up: (r.random::<f64>() < 0.5).then(|| day + Duration::days(r.random_range(3..30))),
                    },
                ));
            }
        }
        Entity::Deals => {
            let n = poisson(r, 0.6) + u32::from(p.orders > 30);
            for k in 0..n {
                let created = seasonal_day(r, p.since, until);
                let age = (until - created).num_days();
                let stage = if age > 120 {
                    weighted(r, &[(DealStage::Won, 55.0), (DealStage::Lost, 45.0)])
                } else {
                    weighted(
                        r,
                        &[
                            (DealStage::Lead, 25.0),
                            (DealStage::Qualified, 25.0),
                            (DealStage::Proposal, 20.0),
                            (DealStage::Negotiation, 15.0),
                            (DealStage::Won, 10.0),
                            (DealStage::Lost, 5.0),
                        ],
                    )
                };
                let amount = cents(p.level + 1.5, r);
                let closed = stage.is_closed().then(|| (created + Duration::days(r.random_range(14..120))).min(until));
                let product = pick(r, &p.products);
                out.push(Record::Deal(
                    cref(p),
                    DealInput {
                        external_id: Some(format!("DL{:07}{:02}", p.idx + 1, k)),
                        title: format!("{product}采购项目"),
                        stage,
                        amount_cents: Some(amount),
                        currency: Currency::CNY,
                        expected_close: Some(created + Duration::days(r.random_range(30..150))),
                        owner: p.owner.map(str::to_string),
                        budget_cents: (r.random::<f64>() < 0.6).then(|| amount / 100 * r.random_range(80..140)),
                        authority: Some(r.random::<f64>() < 0.55),
                        need: Some(format!("需要{product}提升效率")),
                        timing: Some(created + Duration::days(r.random_range(30..180))),
                        closed_on: closed,
                        close_reason: match stage {
                            DealStage::Won => Some(pick(r, WON_REASONS).to_string()),
                            DealStage::Lost => Some(pick(r, LOST_REASONS).to_string()),
                            _ => None,
                        },
                    },
                ));
            }
        }
        Entity::Tickets => {
            let n = poisson(r, 0.15 + p.orders as f64 / 60.0).min(20);
            for k in 0..n {
                let day = seasonal_day(r, p.since, until);
                let opened = at(day, r);
                let severity =
                    weighted(r, &[(Severity::Low, 30.0), (Severity::Normal, 45.0), (Severity::High, 18.0), (Severity::Urgent, 7.0)]);
                let hours_to_respond = match severity {
                    Severity::Urgent => 0.2 + r.random::<f64>() * 2.0,
                    Severity::High => 0.5 + r.random::<f64>() * 6.0,
                    _ => 1.0 + r.random::<f64>() * 30.0,
                };
                let first = opened + Duration::minutes((hours_to_respond * 60.0) as i64);
                let resolved = first + Duration::minutes(r.random_range(30..(7 * 24 * 60)));
                let open_still = resolved.date_naive() > until;
                out.push(Record::Ticket(
                    cref(p),
                    TicketInput {
                        external_id: Some(format!("TK{:07}{:02}", p.idx + 1, k)),
                        category: Some(pick(r, TICKET_CATEGORIES).to_string()),
                        severity,
                        status: if open_still {
                            TicketStatus::InProgress
                        } else {
                            weighted(r, &[(TicketStatus::Resolved, 40.0), (TicketStatus::Closed, 60.0)])
                        },
                        opened_at: opened,
                        first_response_at: (first.date_naive() <= until).then_some(first),
                        resolved_at: (!open_still).then_some(resolved),
                        satisfaction: (!open_still && r.random::<f64>() < 0.6)
                            .then(|| weighted(r, &[(5u8, 45.0), (4, 30.0), (3, 15.0), (2, 6.0), (1, 4.0)])),
                        summary: Some(format!("{}问题", pick(r, TICKET_CATEGORIES))),
                    },
                ));
            }
        }
        Entity::Feedback => {
            if r.random::<f64>() < 0.35 {
                for k in 0..r.random_range(1..=3) {
                    let nps = weighted(
                        r,
                        &[
                            (10u8, 25.0),
                            (9, 20.0),
                            (8, 17.0),
                            (7, 13.0),
                            (6, 8.0),
                            (5, 6.0),
                            (4, 4.0),
                            (3, 3.0),
                            (2, 2.0),
                            (1, 1.0),
                            (0, 1.0),
                        ],
                    );
                    let comment = pick(r, FEEDBACK_COMMENTS);
                    out.push(Record::Feedback(
                        cref(p),
                        FeedbackInput {
                            external_id: Some(format!("FB{:07}{k}", p.idx + 1)),
                            received_on: seasonal_day(r, p.since, until),
                            nps: Some(nps),
                            csat: Some(((nps as f64) / 2.0).round().clamp(1.0, 5.0) as u8),
                            comment: (!comment.is_empty()).then(|| comment.to_string()),
                        },
                    ));
                }
            }
        }
    }
}
