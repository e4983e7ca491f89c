//! The figures of the insights, as both paths produce them: the plain aggregate (`insights.rs`)
//! and the rollups (`rollup/insights.rs`) each write rows of one shape, folded here.

use chrono::NaiveDate;
use sea_orm::{DbErr, FromQueryResult};

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

#[derive(Debug, FromQueryResult)]
pub(crate) struct FigureRow {
    figure: String,
    k: Option<i64>,
    name: Option<String>,
    n: i64,
    m: i64,
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
        match (row.figure.as_str(), row.k, row.name) {
            ("day", Some(k), _) => {
                let day = usize::try_from(k)
                    .ok()
                    .and_then(|k| actions_per_day.get_mut(k))
                    .ok_or_else(|| DbErr::Custom(format!("day index {k} outside the window")))?;
                day.system_count = row.m;
                day.user_count = row.n - row.m;
                insights.total_actions += row.n;
            }
            ("actors", _, _) => insights.unique_actors = row.n,
            ("top_actor", Some(user_id), _) => {
                insights.top_actor = Some(TopActor { user_id, action_count: row.n });
            }
            ("top_entity", _, Some(object_type)) => {
                insights.top_entity_type = Some(TopEntityType { object_type, count: row.n });
            }
            (figure, _, _) => return Err(DbErr::Custom(format!("unexpected insights row {figure:?}"))),
        }
    }
    insights.actions_per_day = actions_per_day;
    Ok(insights)
}
