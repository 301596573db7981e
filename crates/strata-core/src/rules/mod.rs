//! The rule language: text → spanned syntax tree → type-checked program → evaluation that
//! cannot fail. Errors carry a position and a fix.

pub mod check;
pub mod completion;
pub mod error;
pub mod lexer;
pub mod parser;
pub mod program;
pub mod schema;
pub mod syntax;

pub use check::{check_condition, check_number};
pub use error::{RuleError, Span};
pub use parser::parse;

#[cfg(test)]
mod check_tests;
#[cfg(test)]
mod parser_tests;
