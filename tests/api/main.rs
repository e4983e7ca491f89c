//! Integration tests: the real router over HTTP, on a fresh database per test.
//! `cargo test` runs them on SQLite; with `TEST_DATABASE_URL=postgres://…` on PostgreSQL.

mod auth;
mod bad_input;
mod cli;
mod common;
mod connection;
mod consistency;
mod edge;
mod export;
mod fuzz;
mod graphql;
mod graphql_http;
mod insights;
mod list;
mod live;
mod migrations;
mod openapi;
mod outage;
mod page;
mod parity;
mod process;
mod replica;
mod rest;
mod retention;
mod rollup;
mod schema;
mod subscription;
mod telemetry;
mod zones;
