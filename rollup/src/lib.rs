//! The audit rollups: pre-aggregated action counts that let the gateway answer totals, the chart,
//! the top figures and deep-page positions without reading every activity in a long window
//! (docs/scale.md explains the design and BENCHMARKS.md what it costs and buys).
//!
//! Six tables ([`Rollup`]), each keyed by a time bucket and by the [`Dimension`]s one family of
//! figures needs:
//!
//! | table | dimensions (with `grain` and `bucket`, the key: [`create_tables`]) | serves |
//! |---|---|---|
//! | `audit_rollup_total` | `is_system` | `total`, `actions_per_day`, the list's total and deep pages without an `actions` filter |
//! | `audit_rollup_time` | `is_system, verb` | the same with an `actions` filter, and the verbs facet |
//! | `audit_rollup_entity` | `is_system, verb, object_type` | `top_entity_type` |
//! | `audit_rollup_user` | `user_id, verb` | `unique_actors`, `top_actor` and everything under a `users` filter, with an `actions` filter (days and months only) |
//! | `audit_rollup_actor` | `user_id` | the same without an `actions` filter |
//! | `audit_rollup_user_entity` | `user_id, verb, object_type` | `top_entity_type` under a `users` filter (days and months only; packed: one row per user and bucket) |
//!
//! A [`Grain`] is a 15-minute bucket, a UTC day, a UTC calendar month or (the total and time
//! tables only) an hour; `bucket` is the bucket's start in seconds since the Unix epoch. `n` is the
//! number of activities in the bucket. Each table says which grains it keeps ([`Rollup::keeps`];
//! the per-user tables count only actions with a user); readers count the other grains from the
//! log.
//!
//! **Who keeps them right.** Other systems write the log, so changes are captured by triggers
//! inside the writers' own transactions ([`create_triggers`]): nothing has to run beside the
//! database for answers to be exact. Every event is turned into *deltas* — rows `(issued_at,
//! user_id, is_internal, verb, object_type, delta)`, `-1` for what an activity was filed as and
//! `+1` for what it is now — and the trigger *appends* them to [`DELTA`] (an update's summed by
//! key, so that what did not move cancels out): one insert, no shared row updated or locked, so
//! concurrent writers never queue behind each other's hot buckets. [`compact`] folds the deltas
//! into the six tables with one generic upsert per table ([`apply`], also the backfill's way in) and
//! deletes them in the same statement or transaction; readers sum each table's rows with the
//! pending deltas ([`Rollup::pending`]), so an answer is exact whether the deltas were folded or
//! not, and folding only keeps the pending part small. The invariant: each activity is counted once
//! per grain, tables and deltas together, under its transaction's `issued_at` and `user_id` and its
//! user's *current* `is_internal` (false when the user row does not exist). Hence the events:
//!
//! - `activity` insert, delete, update (of verb, object type or transaction);
//! - `transaction` update of `issued_at` or `user_id` (which also covers `ON DELETE SET NULL` when
//!   a user is deleted: the referential action fires it);
//! - `users` update of `is_internal`, insert (a row for a dangling `user_id`), and, *before* a
//!   delete, re-filing an internal user's actions as user actions (once the row is gone they are);
//! - PostgreSQL `TRUNCATE activity` empties the rollups and the deltas.
//!
//! Counts that drop to zero stay as zero rows; readers ignore them. (A packed table drops the
//! entry, and keeps `[]` for a bucket with none left.)
//!
//! PostgreSQL triggers are statement-level with transition tables, so a multi-row `INSERT` or
//! `COPY` appends its deltas in one statement; SQLite only has row-level triggers.
//!
//! **Current definitions, not history.** This crate is what `seed`, `rollups rebuild` and future
//! migrations use. The migration that created the rollups runs a frozen copy of what it generated
//! when it shipped; a change here that should reach installed databases is a new migration (a test
//! compares a fresh, a stepwise and a seeded database's schemas).
//!
//! **Concurrent writers.** Writers only append. A user's `is_internal` changing is the one event
//! that must not interleave with that user's writes: on PostgreSQL the `users` triggers wait for
//! the log's writers to commit before they re-file. Concurrent compactions each fold the rows they
//! deleted, and write keys in key order so they wait rather than deadlock. SQLite has one writer
//! at a time.
//!
//! The modules, by concern: `catalogue` (what the tables and deltas are), `bucket` (timestamps to buckets),
//! `read` (where readers find rows and pending deltas), `fold` (deltas into tables), `triggers`
//! (the log's changes into deltas) and `rebuild` (the log into tables).

mod bucket;
mod catalogue;
mod fold;
mod read;
mod rebuild;
mod triggers;

pub use bucket::{bucket_of, epoch_seconds};
pub use catalogue::{
    DAY, DELTA, Dimension, Grain, HOUR, QUARTER_HOUR, Rollup, clear, columns, create_tables, table_names,
};
pub use fold::{apply, compact};
pub use read::{PENDING_CTE, pending_query};
pub use rebuild::{activity_deltas, backfill, month_starts, rebuild, repack};
pub use triggers::{create_triggers, drop_triggers};
