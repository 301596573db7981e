//! Interactions (跟进记录) on every channel: who, when, what, outcome, next follow-up.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

crate::labelled_enum!(
    /// The channel an interaction happened on.
    Channel, "channel", {
    Phone => ("phone", "电话", "phone", ["致电", "来电", "call", "电话沟通"]),
    Email => ("email", "邮件", "email", ["电子邮件", "e-mail", "mail"]),
    Visit => ("visit", "拜访", "visit", ["上门", "上门拜访", "面访", "onsite"]),
    Wechat => ("wechat", "微信", "WeChat", ["企业微信", "weixin"]),
    Meeting => ("meeting", "会议", "meeting", ["视频会议", "线上会议", "video call"]),
    Other => ("other", "其他", "other", []),
});

/// One logged interaction with a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractionInput {
    pub external_id: Option<String>,
    pub channel: Channel,
    /// Login of the user who had the interaction.
    pub user: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub summary: Option<String>,
    pub outcome: Option<String>,
    pub next_follow_up: Option<NaiveDate>,
}
