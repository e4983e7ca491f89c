//! Migrations run up, down and up again, leaving the schema the queries expect.

use migration::{Migrator, MigratorTrait, SchemaManager};

use crate::common::*;

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let test_db = TestDb::new().await; // already migrated up
    let db = &test_db.db;
    let manager = SchemaManager::new(db);
    for table in ["users", "transaction", "activity", "api_token"] {
        assert!(manager.has_table(table).await.expect("inspect"), "{table} after up");
    }
    assert!(manager.has_index("transaction", "ix_transaction_issued_at_id").await.expect("inspect"));

    Migrator::down(db, None).await.expect("down");
    for table in ["users", "transaction", "activity", "api_token"] {
        assert!(!manager.has_table(table).await.expect("inspect"), "{table} after down");
    }

    Migrator::up(db, None).await.expect("up again");
    handmade_log_with_admin(db).await;
    assert!(Migrator::get_pending_migrations(db).await.expect("status").is_empty());
}

async fn handmade_log_with_admin(db: &sea_orm::DatabaseConnection) {
    add_user(db, ADMIN_ID, "admin", "Admin", false).await;
    handmade_log(db).await;
}
