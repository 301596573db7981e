//! The rule language: text → spanned syntax tree → type-checked program → evaluation that
//! cannot fail. Errors carry a position and a fix.

pub mod error;
pub mod lexer;
pub mod parser;
pub mod syntax;

pub use error::{RuleError, Span};
pub use parser::parse;

#[cfg(test)]
mod parser_tests;
