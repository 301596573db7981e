//! Integration tests of the `strata` crate: the HTTP API in-process, and the real binary.

mod accounts;
mod admin_web;
mod bulk;
mod cli;
mod cli_language;
mod duplicates;
mod fits_http;
mod http;
mod list_filters;
mod postgres_import;
mod purchase_models;
mod serve_follow;
mod support;
mod tiers_http;
mod web;
