//! An application account. Only `Admin`s may read the audit API; `is_internal` marks
//! platform/service accounts whose actions count as "system" actions.

use sea_orm::entity::prelude::*;

/// The one role allowed to read the audit log.
pub const ADMIN_ROLE: &str = "Admin";

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[sea_orm(unique)]
    pub user_name: String,
    pub email: String,
    /// `Admin`, `Manager` or `Member`.
    pub role: String,
    pub is_internal: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::transaction::Entity")]
    Transaction,
    #[sea_orm(has_many = "super::api_token::Entity")]
    ApiToken,
}

impl Related<super::transaction::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transaction.def()
    }
}

impl Related<super::api_token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ApiToken.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
