//! One action inside a transaction: a verb applied to an object.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `create`, `update`, `delete`, `activate`, `archive`, … (an open set).
    pub verb: String,
    pub transaction_id: i64,
    /// CamelCase entity type: `Datastore`, `QualityCheck`, `Anomaly`, …
    pub object_type: String,
    /// `None` when the action targets no single entity.
    pub object_id: Option<i64>,
    /// Free-form; TEXT on SQLite.
    pub data: Option<Json>,
    // The remaining columns are kept for fidelity with the activity plugin; the gateway never reads them.
    pub object_tx_id: Option<i64>,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub target_tx_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::transaction::Entity",
        from = "Column::TransactionId",
        to = "super::transaction::Column::Id"
    )]
    Transaction,
}

impl Related<super::transaction::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transaction.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
