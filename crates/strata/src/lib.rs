//! Strata as a library: the CLI, the HTTP server (built as a value, testable in-process), the
//! import and export pipelines, the demo generator and benchmarks. `main.rs` only calls in here.

pub mod accounts;
pub mod bench;
pub mod bench_bgnbd;
pub mod bench_dedupe;
pub mod bench_ingest;
pub mod bench_merge;
pub mod bench_models;
pub mod bench_rfm;
pub mod cli;
pub mod commands;
pub mod config;
pub mod dedupe;
pub mod demo;
pub mod export;
pub mod forecast;
mod forecast_report;
pub mod import;
pub mod live;
pub mod memory;
pub mod merge;
pub mod outcomes;
pub mod server;
pub mod tiering;
pub mod web;
