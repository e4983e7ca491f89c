//! The `audit-gateway` binary: token commands print what scripts rely on, and never a secret twice.

use std::process::Command;

use audit_gateway::tokens;
use entity::api_token;
use sea_orm::EntityTrait;

use crate::common::*;

fn run(test_db: &TestDb, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_audit-gateway"))
        .args(args)
        .env("DATABASE_URL", cli_url(test_db))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run audit-gateway");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("utf-8");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

#[tokio::test]
async fn token_create_prints_the_secret_alone_and_stores_only_its_hash() {
    let test_db = TestDb::new().await;
    add_user(&test_db.db, ADMIN_ID, "admin", "Admin", false).await;

    let (ok, stdout, stderr) =
        run(&test_db, &["token", "create", "--user", "admin", "--name", "ci", "--expires-in-days", "30"]);
    assert!(ok, "{stderr}");
    let secret = stdout.strip_suffix('\n').expect("one line");
    assert!(secret.starts_with("agw_") && !secret.contains(char::is_whitespace), "{stdout:?}");
    let rows = api_token::Entity::find().all(&test_db.db).await.expect("query");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].token_hash, tokens::hash_secret(secret));
    assert_eq!(rows[0].name, "ci");

    let (ok, listing, _) = run(&test_db, &["token", "list"]);
    assert!(ok);
    assert!(listing.contains("ci") && listing.contains("admin") && listing.contains("active"), "{listing}");
    assert!(!listing.contains(secret));

    let (ok, _, _) = run(&test_db, &["token", "revoke", &rows[0].id.to_string()]);
    assert!(ok);
    let (_, listing, _) = run(&test_db, &["token", "list"]);
    assert!(listing.contains("revoked"), "{listing}");
}

#[tokio::test]
async fn token_create_for_an_unknown_user_fails_and_writes_nothing() {
    let test_db = TestDb::new().await;
    let (ok, stdout, stderr) = run(&test_db, &["token", "create", "--user", "nobody"]);
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(stderr.contains("nobody"), "{stderr}");
    assert!(api_token::Entity::find().all(&test_db.db).await.expect("query").is_empty());
}

#[test]
fn schema_prints_the_sdl() {
    let output = Command::new(env!("CARGO_BIN_EXE_audit-gateway")).arg("schema").output().expect("run");
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).expect("utf-8"), audit_gateway::graphql::export_sdl());
}

#[tokio::test]
async fn rollups_rebuild_catches_up_with_rows_written_past_the_triggers() {
    use audit_gateway::audit::{self, Path, Total};
    use sea_orm::ConnectionTrait;

    let test_db = TestDb::new().await;
    let db = &test_db.db;
    handmade_log(db).await;
    // A bulk load with the triggers out of the way, as a restore might do it.
    let backend = db.get_database_backend();
    for statement in migration::rollup::drop_triggers(backend) {
        db.execute_unprepared(&statement).await.expect("drop triggers");
    }
    add_transaction(db, 60, "2026-06-09 12:00:00", Some(2)).await;
    add_activity(db, 60, 60, "create", "Tag").await;
    for statement in migration::rollup::create_triggers(backend) {
        db.execute_unprepared(&statement).await.expect("create triggers");
    }
    let filter = audit_gateway::filter::Filter::parse(
        Default::default(),
        audit_gateway::filter::Purpose::List,
        chrono::Utc::now(),
    )
    .expect("filter");
    let filter = &filter;
    let total = |path| async move {
        audit::list_by_path(db, filter, Default::default(), Total::Count, path).await.expect("list").total
    };
    assert_eq!(total(Path::Plain).await, Some(12));
    assert_eq!(total(Path::Fastest).await, Some(11), "the rollups missed the bypassing write");

    let (ok, _, stderr) = run(&test_db, &["rollups", "rebuild"]);
    assert!(ok, "{stderr}");
    assert_eq!(total(Path::Fastest).await, Some(12));
}
