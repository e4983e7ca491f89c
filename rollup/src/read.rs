//! The read side: where a reader finds a table's rows, and the deltas not folded into it yet, as
//! rows of the same shape. What to read and how to sum it is the gateway's (`audit::rollup`).

use sea_orm::DbBackend;

use crate::bucket::bucketed;
use crate::catalogue::{DELTA, DELTA_COLUMNS, Rollup, packing};

/// The name of the CTE [`pending_cte`] defines, which [`Rollup::pending`] reads.
pub const PENDING_CTE: &str = "audit_rollup_pending";

impl Rollup {
    /// Where readers find its rows, with every dimension and `n` as columns: its name, or for a
    /// packed table a parenthesised query that unpacks it.
    pub fn source(self, backend: DbBackend) -> String {
        let table = self.table();
        if !table.packed {
            return table.name.to_owned();
        }
        let (fields, entries) = packing::entries(backend, table, "p.counts");
        format!("(SELECT p.grain, p.bucket, p.user_id, {fields} FROM {} AS p CROSS JOIN {entries})", table.name)
    }

    /// The deltas not folded yet, as rows of this table (its key columns and `n`): a
    /// parenthesised query that readers add to the table's own rows. It reads [`PENDING_CTE`],
    /// which the statement must define at its head ([`pending_query`]).
    pub fn pending(self) -> String {
        let table = self.table();
        format!(
            "(SELECT grain, bucket, {dimensions}, n FROM {PENDING_CTE} WHERE {only})",
            dimensions = table.dimension_columns(),
            only = table.only(),
        )
    }
}

/// The query of the CTE [`PENDING_CTE`] (a statement defines it at its head as
/// `audit_rollup_pending AS (…)`): the pending deltas summed by key at every grain, with their
/// bucket. Not marked `MATERIALIZED`: read once, it is inlined and each read buckets only the grains
/// it asks for; read by many parts of one statement, it is bucketed once for all of them.
pub fn pending_query(backend: DbBackend) -> String {
    format!(
        "SELECT grain, bucket, user_id, is_system, verb, object_type, delta AS n FROM ({}) AS b",
        bucketed(backend, &format!("SELECT {DELTA_COLUMNS} FROM {DELTA}"))
    )
}
