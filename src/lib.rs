//! audit-gateway: a GraphQL API (and a REST twin) over an application's audit log. What it does,
//! field by field, is `docs/behaviour.md`; what one request may cost, `docs/limits.md`.
//!
//! A request travels down this list:
//!
//! - [`server`] accepts connections and holds them to their timeouts; it drains on SIGTERM/SIGINT.
//! - [`app`] assembles the axum router and its layers; [`state`] is what every handler shares.
//!   Outermost, [`traces`] opens the request's span when spans are exported.
//! - [`edge`] finishes every response: the access log, JSON bodies for the gateway's own errors.
//! - [`admission`] guards the data routes: fail fast while the database is away ([`availability`],
//!   which also retries a read whose connection broke, once),
//!   then the token ([`auth`] turns it into an administrator, or a 401/403, and remembers a
//!   valid one for a second), then its rate
//!   ([`rate_limit`]).
//! - [`graphql`] and [`rest`] are the two faces. Each parses its raw input into the one
//!   [`filter::Filter`] and calls the same query functions; neither contains SQL.
//! - [`audit_page`] serves the administrator's page at `/`, a client of the GraphQL face; it and
//!   the playground are files built into the binary ([`assets`]).
//! - [`filter`] owns the shared filter, its validation and the window arithmetic (local calendar
//!   dates, time-zone offsets, timeframes) that turns it into UTC bounds.
//! - [`audit`] runs the queries: the activity page and the insights, as aggregate SQL.
//! - [`live`] follows the log as it is written, for the subscription and the event stream.
//! - [`error`] is the one error type, rendered as HTTP bodies and as GraphQL errors.
//! - [`db`] connects to SQLite or PostgreSQL and applies migrations.
//! - [`compaction`] folds the rollup deltas the log's triggers append into the rollups (the
//!   `audit_rollup` crate) while the gateway serves.
//! - [`telemetry`] records metrics and serves them at `--metrics-bind`; [`traces`] exports spans
//!   over OTLP at `--otlp-endpoint`.
//! - [`retention`] removes the log's oldest days (`retention`, `serve --retain-days`).
//! - [`tokens`] creates, lists and revokes API tokens (the secret is never stored).
//! - [`seed`] writes deterministic synthetic activity for demos, tests and benchmarks.
//! - [`cli`] is the `audit-gateway` command line; `main.rs` only calls it.

pub mod admission;
pub mod app;
pub mod assets;
pub mod audit;
pub mod audit_page;
pub mod auth;
pub mod availability;
pub mod cli;
pub mod compaction;
pub mod db;
pub mod edge;
pub mod error;
pub mod filter;
pub mod graphql;
pub mod live;
pub mod rate_limit;
pub mod rest;
pub mod retention;
pub mod seed;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod tokens;
pub mod traces;
