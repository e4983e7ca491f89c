//! The audit log itself: `users`, `transaction`, `activity` (docs/behaviour.md, section 1), with named
//! foreign keys and the indexes the gateway's queries read through.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Users::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Users::Name).string_len(255).not_null())
                    .col(ColumnDef::new(Users::UserName).string_len(255).not_null())
                    .col(ColumnDef::new(Users::Email).string_len(255).not_null())
                    .col(ColumnDef::new(Users::Role).string_len(32).not_null())
                    .col(ColumnDef::new(Users::IsInternal).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_users_user_name")
                    .table(Users::Table)
                    .col(Users::UserName)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Transaction::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Transaction::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Transaction::IssuedAt).timestamp().not_null())
                    .col(ColumnDef::new(Transaction::UserId).big_integer().null())
                    .col(ColumnDef::new(Transaction::RemoteAddr).string_len(50).null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_transaction_user_id")
                            .from(Transaction::Table, Transaction::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Every query bounds `issued_at` and lists newest first with `id` as the tie-break.
        manager
            .create_index(
                Index::create()
                    .name("ix_transaction_issued_at_id")
                    .table(Transaction::Table)
                    .col(Transaction::IssuedAt)
                    .col(Transaction::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // The `users` filter within a window, and the FK's ON DELETE SET NULL look-up.
        manager
            .create_index(
                Index::create()
                    .name("ix_transaction_user_id_issued_at")
                    .table(Transaction::Table)
                    .col(Transaction::UserId)
                    .col(Transaction::IssuedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Activity::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Activity::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Activity::Verb).string_len(255).not_null())
                    .col(ColumnDef::new(Activity::TransactionId).big_integer().not_null())
                    .col(ColumnDef::new(Activity::ObjectType).string_len(255).not_null())
                    .col(ColumnDef::new(Activity::ObjectId).big_integer().null())
                    .col(ColumnDef::new(Activity::Data).json().null())
                    .col(ColumnDef::new(Activity::ObjectTxId).big_integer().null())
                    .col(ColumnDef::new(Activity::TargetType).string_len(255).null())
                    .col(ColumnDef::new(Activity::TargetId).big_integer().null())
                    .col(ColumnDef::new(Activity::TargetTxId).big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_activity_transaction_id")
                            .from(Activity::Table, Activity::TransactionId)
                            .to(Transaction::Table, Transaction::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Joins from the transactions of a window to their activities; the extra columns let the
        // counts by verb and object type be answered from the index alone.
        manager
            .create_index(
                Index::create()
                    .name("ix_activity_transaction_id")
                    .table(Activity::Table)
                    .col(Activity::TransactionId)
                    .col(Activity::Verb)
                    .col(Activity::ObjectType)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Activity::Table.into_iden(), Transaction::Table.into_iden(), Users::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Name,
    UserName,
    Email,
    Role,
    IsInternal,
}

#[derive(DeriveIden)]
enum Transaction {
    Table,
    Id,
    IssuedAt,
    UserId,
    RemoteAddr,
}

#[derive(DeriveIden)]
enum Activity {
    Table,
    Id,
    Verb,
    TransactionId,
    ObjectType,
    ObjectId,
    Data,
    ObjectTxId,
    TargetType,
    TargetId,
    TargetTxId,
}
