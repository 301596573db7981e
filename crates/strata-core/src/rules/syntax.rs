//! The spanned syntax tree of a rule, as written (before names and types are checked).

use super::error::Span;
use crate::metrics::{Day, Window};

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

/// Which end of a customer's history: `first order`, `last order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum End {
    First,
    Last,
}

/// One name in a dotted path, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Expr(Expr),
    Window(Window, Span),
    /// `last order`, `first interaction`
    Event(End, Name),
    /// A length of time on its own: `90d`, `12 months`, `1y` (for predictions), in days and as
    /// written (count and unit).
    Duration {
        days: u32,
        count: u32,
        months: bool,
        span: Span,
    },
}

impl Arg {
    pub fn span(&self) -> Span {
        match self {
            Arg::Expr(e) => e.span,
            Arg::Window(_, s) => *s,
            Arg::Event(_, n) => n.span,
            Arg::Duration { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Num(f64),
    Text(String),
    Date(Day),
    Bool(bool),
    /// `industry`, `orders.amount`, `custom.预算`
    Path(Vec<Name>),
    Call {
        name: Name,
        args: Vec<Arg>,
    },
    Unary {
        op: UnOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        lo: Box<Expr>,
        hi: Box<Expr>,
    },
}

impl Expr {
    /// Depth of the tree (for the depth limit): chains such as `a or b or c` nest too.
    pub fn depth(&self) -> usize {
        1 + match &self.kind {
            ExprKind::Num(_) | ExprKind::Text(_) | ExprKind::Date(_) | ExprKind::Bool(_) | ExprKind::Path(_) => 0,
            ExprKind::Call { args, .. } => args.iter().map(|a| if let Arg::Expr(e) = a { e.depth() } else { 1 }).max().unwrap_or(0),
            ExprKind::Unary { expr, .. } => expr.depth(),
            ExprKind::Binary { lhs, rhs, .. } => lhs.depth().max(rhs.depth()),
            ExprKind::In { expr, list, .. } => expr.depth().max(list.iter().map(Expr::depth).max().unwrap_or(0)),
            ExprKind::Between { expr, lo, hi } => expr.depth().max(lo.depth()).max(hi.depth()),
        }
    }

    /// Number of nodes (for the size limit).
    pub fn size(&self) -> usize {
        1 + match &self.kind {
            ExprKind::Num(_) | ExprKind::Text(_) | ExprKind::Date(_) | ExprKind::Bool(_) | ExprKind::Path(_) => 0,
            ExprKind::Call { args, .. } => args.iter().map(|a| if let Arg::Expr(e) = a { e.size() } else { 1 }).sum(),
            ExprKind::Unary { expr, .. } => expr.size(),
            ExprKind::Binary { lhs, rhs, .. } => lhs.size() + rhs.size(),
            ExprKind::In { expr, list, .. } => expr.size() + list.iter().map(Expr::size).sum::<usize>(),
            ExprKind::Between { expr, lo, hi } => expr.size() + lo.size() + hi.size(),
        }
    }
}
