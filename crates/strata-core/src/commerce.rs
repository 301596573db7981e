//! Orders and payments (回款): money in integer cents with a currency.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

crate::labelled_enum!(
    /// Where an order stands. Refunded and cancelled orders do not count as revenue.
    OrderStatus, "order status", {
    Pending => ("pending", "待付款", "pending", ["未付款", "待支付", "unpaid", "new"]),
    Paid => ("paid", "已付款", "paid", ["已支付", "付款"]),
    Shipped => ("shipped", "已发货", "shipped", ["发货", "delivered", "已交付"]),
    Completed => ("completed", "已完成", "completed", ["完成", "成交", "done", "closed"]),
    Cancelled => ("cancelled", "已取消", "cancelled", ["取消", "作废", "canceled", "void"]),
    Refunded => ("refunded", "已退款", "refunded", ["退款", "退货", "returned"]),
});

impl OrderStatus {
    /// Whether the order's amount counts as revenue.
    pub fn is_revenue(self) -> bool {
        !matches!(self, OrderStatus::Cancelled | OrderStatus::Refunded)
    }
}

crate::labelled_enum!(
    /// How a payment was made.
    PaymentMethod, "payment method", {
    BankTransfer => ("bank_transfer", "银行转账", "bank transfer", ["转账", "对公转账", "汇款", "bank", "wire"]),
    Cash => ("cash", "现金", "cash", []),
    WechatPay => ("wechat_pay", "微信支付", "WeChat Pay", ["微信", "wechat"]),
    Alipay => ("alipay", "支付宝", "Alipay", []),
    Card => ("card", "银行卡", "card", ["刷卡", "信用卡", "credit card"]),
    Acceptance => ("acceptance", "承兑汇票", "bank acceptance", ["承兑", "汇票"]),
    Other => ("other", "其他", "other", []),
});

/// An order as imported or entered, before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderInput {
    /// The order number (订单编号), unique across orders.
    pub external_id: String,
    pub order_date: NaiveDate,
    pub amount_cents: i64,
    pub currency: Currency,
    pub product_line: Option<String>,
    pub status: OrderStatus,
}

/// A payment received (回款), optionally against an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentInput {
    pub external_id: String,
    pub order_external_id: Option<String>,
    pub paid_on: NaiveDate,
    pub amount_cents: i64,
    pub currency: Currency,
    pub method: Option<PaymentMethod>,
}
