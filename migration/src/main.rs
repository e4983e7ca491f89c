//! A small CLI over the migrations: `migration [up|down|status]`, database from `DATABASE_URL`.
//! The gateway's own `audit-gateway migrate` is the usual way; this one also rolls back.

use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::Database;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://audit.db?mode=rwc".into());
    let db = Database::connect(&url).await?;
    match std::env::args().nth(1).as_deref().unwrap_or("up") {
        "up" => Migrator::up(&db, None).await?,
        "down" => Migrator::down(&db, Some(1)).await?,
        "status" => Migrator::status(&db).await?,
        other => return Err(format!("unknown command {other:?}; expected up, down or status").into()),
    }
    Ok(())
}
