//! The figures both paths produce, so neither imports the other: the insights (the plain
//! aggregate in `insights.rs` and the rollups in `rollup/insights.rs` each write rows of one shape,
//! folded here) and the facets' entries (`facets.rs`, `rollup/facets.rs`).

use chrono::NaiveDate;
use sea_orm::{DbErr, FromQueryResult};

use crate::filter::{Field, FieldError};

/// How many entries each facet lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FacetLimit(i64);

impl FacetLimit {
    pub const DEFAULT: i64 = 100;
    pub const MAX: i64 = 1_000;

    pub fn parse(limit: Option<i64>) -> Result<Self, FieldError> {
        FieldError::check_range(Field::Limit, limit.unwrap_or(Self::DEFAULT), 1, Self::MAX).map(FacetLimit)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// One user of the users facet; the faces look the account up by id (it may no longer exist).
/// Both paths select it as `user_id, count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromQueryResult)]
pub struct UserCount {
    pub user_id: i64,
    pub count: i64,
}

/// One verb or object type and its count, selected as `value, count`.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct ValueCount {
    pub value: String,
    pub count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facets {
    pub users: Vec<UserCount>,
    pub actions: Vec<ValueCount>,
    pub object_types: Vec<ValueCount>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insights {
    pub unique_actors: i64,
    pub total_actions: i64,
    pub top_actor: Option<TopActor>,
    pub top_entity_type: Option<TopEntityType>,
    /// One entry per local date of the window, oldest first, zero-filled.
    pub actions_per_day: Vec<DailyActions>,
}

/// The most active user; the faces look the account up by `user_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopActor {
    pub user_id: i64,
    pub action_count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopEntityType {
    pub object_type: String,
    pub count: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DailyActions {
    pub date: NaiveDate,
    /// Actions of non-internal users, including users that no longer exist.
    pub user_count: i64,
    /// Actions of internal users (always 0 when `include_internal` is off).
    pub system_count: i64,
}

/// One row of an insights statement, in the shape both the rollups and the plain path give: the
/// statement is a `UNION ALL` of one arm per figure, named by `figure`.
#[derive(Debug, FromQueryResult)]
pub(crate) struct FigureRow {
    /// `day`, `actors`, `top_actor` or `top_entity`.
    figure: String,
    /// The day's index in the window (`day`), or the user's id (`top_actor`).
    item: Option<i64>,
    /// The object type (`top_entity`).
    object_type: Option<String>,
    /// The actions counted: the day's, the actors, the top actor's or the top type's.
    actions: i64,
    /// Of a day's actions, those of internal users.
    system_actions: i64,
}

/// One bucket of a chart, in the shape both the rollups and the plain path give.
#[derive(Debug, FromQueryResult)]
pub(crate) struct BucketRow {
    /// The bucket's index in the chart.
    pub bucket: i64,
    pub actions: i64,
    /// Of its actions, those of internal users.
    pub system_actions: i64,
}

/// Folds the figure rows into [`Insights`], zero-filling the days without actions.
pub(crate) fn assemble(days: &[NaiveDate], rows: Vec<FigureRow>) -> Result<Insights, DbErr> {
    let mut actions_per_day: Vec<DailyActions> =
        days.iter().map(|&date| DailyActions { date, user_count: 0, system_count: 0 }).collect();
    let mut insights = Insights {
        unique_actors: 0,
        total_actions: 0,
        top_actor: None,
        top_entity_type: None,
        actions_per_day: Vec::new(),
    };
    for row in rows {
        match (row.figure.as_str(), row.item, row.object_type) {
            ("day", Some(k), _) => {
                let day = usize::try_from(k)
                    .ok()
                    .and_then(|k| actions_per_day.get_mut(k))
                    .ok_or_else(|| DbErr::Custom(format!("day index {k} outside the window")))?;
                day.system_count = row.system_actions;
                day.user_count = row.actions - row.system_actions;
                insights.total_actions += row.actions;
            }
            ("actors", _, _) => insights.unique_actors = row.actions,
            ("top_actor", Some(user_id), _) => {
                insights.top_actor = Some(TopActor { user_id, action_count: row.actions });
            }
            ("top_entity", _, Some(object_type)) => {
                insights.top_entity_type = Some(TopEntityType { object_type, count: row.actions });
            }
            (figure, _, _) => return Err(DbErr::Custom(format!("unexpected insights row {figure:?}"))),
        }
    }
    insights.actions_per_day = actions_per_day;
    Ok(insights)
}
