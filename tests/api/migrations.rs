//! Migrations run up, down and up again, leaving the schema the queries expect.

use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::ConnectionTrait;

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

/// A deployment whose application already wrote the audit log: the migrations must keep its tables
/// and rows, and add only what the gateway needs.
#[tokio::test]
async fn migrations_adopt_an_existing_audit_log() {
    let test_db = TestDb::unmigrated().await;
    let db = &test_db.db;
    // The tables as another system created them (portable DDL, no gateway indexes).
    for ddl in [
        "CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL, user_name VARCHAR(255) NOT NULL UNIQUE, \
         email VARCHAR(255) NOT NULL, role VARCHAR(32) NOT NULL, is_internal BOOLEAN NOT NULL DEFAULT false)",
        "CREATE TABLE \"transaction\" (id BIGINT PRIMARY KEY, issued_at TIMESTAMP NOT NULL, \
         user_id BIGINT NULL REFERENCES users (id) ON DELETE SET NULL, remote_addr VARCHAR(50) NULL)",
        "CREATE TABLE activity (id BIGINT PRIMARY KEY, verb VARCHAR(255) NOT NULL, \
         transaction_id BIGINT NOT NULL REFERENCES \"transaction\" (id), object_type VARCHAR(255) NOT NULL, \
         object_id BIGINT NULL, data TEXT NULL, object_tx_id BIGINT NULL, target_type VARCHAR(255) NULL, \
         target_id BIGINT NULL, target_tx_id BIGINT NULL)",
    ] {
        db.execute_unprepared(ddl).await.expect("existing table");
    }
    add_user(db, ADMIN_ID, "admin", "Admin", false).await;
    handmade_log(db).await;

    audit_gateway::db::migrate(db).await.expect("migrate over the existing log");

    let manager = SchemaManager::new(db);
    assert!(manager.has_table("api_token").await.expect("inspect"));
    assert!(manager.has_index("transaction", "ix_transaction_issued_at_id").await.expect("inspect"));
    let token = audit_gateway::tokens::create(db, "admin", "adopted", None).await.expect("token");
    let found = audit_gateway::auth::authenticate(db, &bearer(&token.secret)).await;
    assert!(found.is_ok(), "the adopted log's Admin can authenticate");
    let filter = audit_gateway::filter::Filter::parse(
        Default::default(),
        audit_gateway::filter::Purpose::List,
        chrono::Utc::now(),
    )
    .expect("filter");
    // With offset 0 the total is read from the rollups, so it also shows the backfill counted the
    // log that was there before the migration.
    assert!(audit_gateway::audit::rollup::covers(&filter));
    for path in [audit_gateway::audit::Path::Plain, audit_gateway::audit::Path::Fastest] {
        let page = audit_gateway::audit::list_by_path(
            db,
            &filter,
            Default::default(),
            audit_gateway::audit::Total::Count,
            path,
        )
        .await
        .expect("list");
        assert_eq!(page.total, Some(11), "the existing rows are kept and readable ({path:?})");
    }
}

fn bearer(secret: &str) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(axum::http::header::AUTHORIZATION, format!("Bearer {secret}").parse().expect("header"));
    headers
}
