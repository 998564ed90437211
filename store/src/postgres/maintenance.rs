//! The read-only inspection behind `referral-broker check` on PostgreSQL
//! (ADR 0013): no migration runs, nothing is written. PostgreSQL checks its
//! own pages and enforces foreign keys on every write, so only the
//! migrations, the log and the root are read.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use super::{MIGRATOR, auth, directory};
use crate::StoreError;
use crate::inspect::{Inspection, MigrationReport, RECORDED_MIGRATIONS};

/// Reads what `check` needs from the database at `url`.
pub async fn inspect(url: &str) -> Result<Inspection, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    let has_table: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
    )
    .fetch_optional(&pool)
    .await?;
    let recorded: Vec<(i64, Vec<u8>, bool)> = if has_table.is_some() {
        sqlx::query_as(RECORDED_MIGRATIONS).fetch_all(&pool).await?
    } else {
        Vec::new()
    };
    let migrations = MigrationReport::compare(&MIGRATOR, &recorded);
    let (directory, root) = if migrations.missing.is_empty() {
        (
            directory::since(&pool, 0).await?,
            auth::root_key(&pool).await?,
        )
    } else {
        (Vec::new(), None)
    };
    pool.close().await;
    Ok(Inspection {
        integrity: None,
        foreign_key_violations: None,
        migrations,
        directory,
        root,
    })
}
