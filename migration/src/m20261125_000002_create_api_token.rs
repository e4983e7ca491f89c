//! The gateway's own bearer tokens: only the SHA-256 of each secret is stored.

use sea_orm_migration::prelude::*;

use crate::m20261125_000001_create_audit_log::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ApiToken::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(ApiToken::UserId).big_integer().not_null())
                    .col(ColumnDef::new(ApiToken::Name).string_len(255).not_null())
                    .col(ColumnDef::new(ApiToken::TokenHash).string_len(64).not_null())
                    .col(ColumnDef::new(ApiToken::CreatedAt).timestamp().not_null())
                    .col(ColumnDef::new(ApiToken::ExpiresAt).timestamp().null())
                    .col(ColumnDef::new(ApiToken::RevokedAt).timestamp().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_token_user_id")
                            .from(ApiToken::Table, ApiToken::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Every authenticated request looks its token up by hash.
        manager
            .create_index(
                Index::create()
                    .name("ux_api_token_token_hash")
                    .table(ApiToken::Table)
                    .col(ApiToken::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The FK's ON DELETE CASCADE look-up and `token list --user`.
        manager
            .create_index(
                Index::create().name("ix_api_token_user_id").table(ApiToken::Table).col(ApiToken::UserId).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ApiToken::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}
