//! Strata's domain: the customer data model, value normalisation and validation, import schemas.
//!
//! Invariant: this crate performs no IO, has no async, no SQL and no HTTP. Everything here is a
//! pure function of its inputs, so it is tested with plain data-driven unit tests.

pub mod access;
pub mod access_policy;
pub mod activity;
pub mod commerce;
pub mod company_name;
pub mod completeness;
pub mod credit_code;
pub mod custom_field;
pub mod customer;
pub mod date;
pub mod deal;
pub mod dedupe;
pub mod email;
pub mod engine;
pub mod error;
pub mod import;
pub mod label;
pub mod metrics;
pub mod money;
pub mod phone;
pub mod predict;
pub mod rules;
pub mod service;
pub mod text;
pub mod tiering;

pub use error::ValueError;
