//! A tiny SQL writer: text plus bound values with numbered placeholders, and the handful of
//! expressions where SQLite and PostgreSQL differ. Everything backend-specific is in [`Dialect`].
//! The big statements (unions of rollup rows, CTEs of local days) are written here by hand; the
//! filter's conditions are sea-query's ([`super::condition`]), written into the same statement.

use std::convert::Infallible;
use std::fmt;

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Condition, Expr, PostgresQueryBuilder, QueryBuilder, SqlWriter, SqliteQueryBuilder};
use sea_orm::{DbBackend, Statement, Value};

use super::condition::{Columns, Internal, condition};
use crate::filter::Filter;

/// The backend-specific pieces of SQL.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dialect(pub DbBackend);

impl Dialect {
    fn placeholder(self, n: usize) -> String {
        match self.0 {
            DbBackend::Postgres => format!("${n}"),
            // `?NNN` lets a value be referred to twice, like `$n` on PostgreSQL.
            _ => format!("?{n}"),
        }
    }

    /// Whole seconds since the Unix epoch of a `TIMESTAMP` column holding UTC, rounded down.
    pub fn epoch_seconds(self, column: &str) -> String {
        audit_rollup::epoch_seconds(self.0, column)
    }

    /// A collation that orders text by bytes (PostgreSQL's default follows the locale).
    pub fn byte_order(self) -> &'static str {
        match self.0 {
            DbBackend::Postgres => "COLLATE \"C\"",
            _ => "COLLATE BINARY",
        }
    }
}

/// SQL text being written, with the values bound so far.
pub(crate) struct Sql {
    pub dialect: Dialect,
    /// The statement's CTEs, by name, in the order they were defined: written at its head by
    /// [`Sql::into_statement`], so any part of the statement may define one it reads.
    ctes: Vec<(String, String)>,
    /// Whether a CTE refers to itself (`WITH RECURSIVE`).
    recursive: bool,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DbBackend) -> Self {
        Sql { dialect: Dialect(backend), ctes: Vec::new(), recursive: false, text: String::new(), values: Vec::new() }
    }

    /// Defines the CTE `name` at the statement's head, `define` writing what follows the name
    /// (`(k, lo, hi) AS (…)`, or ` AS (…)`); its values are bound like any others. A name already
    /// defined keeps its first definition: parts of a statement that read the same CTE may each
    /// ask for it.
    pub fn with(&mut self, name: &str, define: impl FnOnce(&mut Sql)) -> &mut Self {
        let defined = self.try_with(name, |sql| {
            define(sql);
            Ok::<(), Infallible>(())
        });
        match defined {
            Ok(sql) => sql,
            Err(never) => match never {},
        }
    }

    /// [`Sql::with`] for a definition that may fail to be written.
    pub fn try_with<E>(&mut self, name: &str, define: impl FnOnce(&mut Sql) -> Result<(), E>) -> Result<&mut Self, E> {
        if self.ctes.iter().any(|(defined, _)| defined == name) {
            return Ok(self);
        }
        let at = self.text.len();
        let written = define(self);
        let definition = self.text.split_off(at);
        written?;
        self.ctes.push((name.to_owned(), definition));
        Ok(self)
    }

    /// [`Sql::with`] for a CTE that refers to itself.
    pub fn with_recursive(&mut self, name: &str, define: impl FnOnce(&mut Sql)) -> &mut Self {
        self.recursive = true;
        self.with(name, define)
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Binds a value and writes its placeholder.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        let placeholder = self.dialect.placeholder(self.values.len());
        self.text.push_str(&placeholder);
        self
    }

    /// Runs `write` and returns what it wrote instead of keeping it in place: a piece (a derived
    /// table, say) that the caller puts where it belongs later. Its values stay bound in order;
    /// placeholders are numbered, so they need not appear in the text in that order.
    pub fn fragment(&mut self, write: impl FnOnce(&mut Sql)) -> String {
        let at = self.text.len();
        write(self);
        self.text.split_off(at)
    }

    /// Writes the `FROM … WHERE …` shared by every audit query: the activities in the filter's
    /// scope, joined to their transaction (`t`) and, when it still exists, its user (`u`).
    pub fn push_scope(&mut self, filter: &Filter) -> &mut Self {
        self.push_scope_between(filter, filter.utc_start(), filter.utc_end())
    }

    /// [`Sql::push_scope`] over `[from, to)` (each bound if given) instead of the filter's window.
    pub fn push_scope_between(
        &mut self,
        filter: &Filter,
        from: Option<NaiveDateTime>,
        to: Option<NaiveDateTime>,
    ) -> &mut Self {
        self.push_scope_from("").push_bounds(from, to).push_scope_filters(filter)
    }

    /// Writes ` AND t.issued_at >= from AND t.issued_at < to`, each bound if given.
    pub fn push_bounds(&mut self, from: Option<NaiveDateTime>, to: Option<NaiveDateTime>) -> &mut Self {
        if let Some(from) = from {
            self.push(" AND t.issued_at >= ").bind(from);
        }
        if let Some(to) = to {
            self.push(" AND t.issued_at < ").bind(to);
        }
        self
    }

    /// Defines the CTE `name(k, lo, hi)`: row `k` is the `k`-th of `spans`, a half-open span
    /// `[lo, hi)` (a zone's local days and chart buckets as UTC timestamps, or as seconds since the
    /// epoch) that rows can be joined to.
    pub fn with_spans<T: Into<Value> + Copy>(&mut self, name: &str, spans: &[(T, T)]) -> &mut Self {
        self.with(name, |sql| {
            sql.push("(k, lo, hi) AS (VALUES ");
            for (k, &(lo, hi)) in (0_i64..).zip(spans) {
                sql.push(if k == 0 { "(" } else { ", (" }).bind(k).push(", ").bind(lo).push(", ").bind(hi).push(")");
            }
            sql.push(")");
        })
    }

    /// [`Sql::push_scope`] with `join` (a fixed `JOIN … ON …` over `a` and `t`) added to the rows.
    pub fn push_scope_joined(&mut self, filter: &Filter, join: &str) -> &mut Self {
        self.push_scope_from(join).push_bounds(filter.utc_start(), filter.utc_end()).push_scope_filters(filter)
    }

    /// `FROM` the activities, their transactions, `join` (if any) and their users, `WHERE` true.
    fn push_scope_from(&mut self, join: &str) -> &mut Self {
        self.push(" FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id")
            .push(join)
            .push(" LEFT JOIN users u ON u.id = t.user_id WHERE 1 = 1")
    }

    fn push_scope_filters(&mut self, filter: &Filter) -> &mut Self {
        self.push_condition(condition(filter, Columns::log(), Internal::Apply))
    }

    /// Writes ` AND (…)` for a sea-query condition, its values bound like every other (nothing
    /// for an empty one).
    pub fn push_condition(&mut self, condition: Condition) -> &mut Self {
        if condition.is_empty() {
            return self;
        }
        let expr = Expr::from(condition);
        self.push(" AND (");
        match self.dialect.0 {
            DbBackend::Postgres => PostgresQueryBuilder.prepare_expr(&expr, self),
            _ => SqliteQueryBuilder.prepare_expr(&expr, self),
        }
        self.push(")")
    }

    /// The statement: its CTEs ([`Sql::with`]), then the text.
    pub fn into_statement(self) -> Statement {
        let text = if self.ctes.is_empty() {
            self.text
        } else {
            let ctes: Vec<String> = self.ctes.into_iter().map(|(name, definition)| name + &definition).collect();
            let with = if self.recursive { "WITH RECURSIVE" } else { "WITH" };
            format!("{with} {} {}", ctes.join(", "), self.text)
        };
        Statement::from_sql_and_values(self.dialect.0, text, self.values)
    }
}

/// Lets sea-query write into a statement: its text goes after ours, its values are bound with
/// ours, numbered on.
impl fmt::Write for Sql {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.text.push_str(text);
        Ok(())
    }
}

impl fmt::Display for Sql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl SqlWriter for Sql {
    fn push_param<T: QueryBuilder>(&mut self, value: Value, _: &T) {
        self.bind(value);
    }

    fn as_writer(&mut self) -> &mut dyn fmt::Write {
        self
    }
}
