//! After-sales: service tickets (工单) with their timings, and feedback (NPS, CSAT).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

crate::labelled_enum!(
    /// How bad a ticket is.
    Severity, "ticket severity", {
    Low => ("low", "低", "low", ["一般", "p4", "轻微"]),
    Normal => ("normal", "中", "normal", ["普通", "p3", "medium"]),
    High => ("high", "高", "high", ["重要", "p2", "严重"]),
    Urgent => ("urgent", "紧急", "urgent", ["p1", "critical", "特急"]),
});

crate::labelled_enum!(
    /// Where a ticket stands.
    TicketStatus, "ticket status", {
    Open => ("open", "待处理", "open", ["新建", "未处理", "new"]),
    InProgress => ("in_progress", "处理中", "in progress", ["进行中", "跟进中"]),
    Resolved => ("resolved", "已解决", "resolved", ["解决", "已处理"]),
    Closed => ("closed", "已关闭", "closed", ["关闭", "完结"]),
});

/// A service request or complaint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketInput {
    pub external_id: Option<String>,
    pub category: Option<String>,
    pub severity: Severity,
    pub status: TicketStatus,
    pub opened_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Satisfaction with the resolution, 1–5.
    pub satisfaction: Option<u8>,
    pub summary: Option<String>,
}

/// A survey answer: Net Promoter Score (0–10) and/or customer satisfaction (1–5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackInput {
    pub external_id: Option<String>,
    pub received_on: NaiveDate,
    pub nps: Option<u8>,
    pub csat: Option<u8>,
    pub comment: Option<String>,
}

/// Promoter (9–10), passive (7–8) or detractor (0–6), as NPS defines them.
pub fn nps_class(score: u8) -> &'static str {
    match score {
        9..=10 => "promoter",
        7..=8 => "passive",
        _ => "detractor",
    }
}
