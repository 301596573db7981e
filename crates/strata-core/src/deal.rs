//! Deals (商机) with their stage, amount and BANT qualification.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

crate::labelled_enum!(
    /// Where a deal is in the pipeline. `Won` and `Lost` are final.
    DealStage, "deal stage", {
    Lead => ("lead", "线索", "lead", ["初步接触", "初访"]),
    Qualified => ("qualified", "已确认需求", "qualified", ["需求确认", "需求分析", "qualification"]),
    Proposal => ("proposal", "方案报价", "proposal", ["报价", "方案", "quote"]),
    Negotiation => ("negotiation", "商务谈判", "negotiation", ["谈判", "合同谈判"]),
    Won => ("won", "赢单", "won", ["成交", "签约", "closed won"]),
    Lost => ("lost", "输单", "lost", ["丢单", "失败", "closed lost"]),
});

impl DealStage {
    pub fn is_closed(self) -> bool {
        matches!(self, DealStage::Won | DealStage::Lost)
    }
}

/// A sales opportunity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealInput {
    pub external_id: Option<String>,
    pub title: String,
    pub stage: DealStage,
    pub amount_cents: Option<i64>,
    pub currency: Currency,
    pub expected_close: Option<NaiveDate>,
    /// Login of the owning user.
    pub owner: Option<String>,
    /// BANT: the budget the customer has confirmed.
    pub budget_cents: Option<i64>,
    /// BANT: whether the decision maker is engaged.
    pub authority: Option<bool>,
    /// BANT: the need in the customer's words.
    pub need: Option<String>,
    /// BANT: when the customer intends to buy.
    pub timing: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    /// Why a deal was won or lost.
    pub close_reason: Option<String>,
}
