//! The directory log's rows as the bootstrap claim and the append both
//! write them: a module of its own so that neither imports the other.

use sqlx::postgres::PgConnection;

use super::codec;
use crate::{NewEntry, StoreError};

pub(super) async fn has_entries(conn: &mut PgConnection) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM directory_entries LIMIT 1")
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Inserts the entry; `false` if its `seq` is taken.
pub(super) async fn insert_entry(
    conn: &mut PgConnection,
    entry: &NewEntry,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO directory_entries (seq, hash, entry) VALUES ($1, $2, $3) \
         ON CONFLICT (seq) DO NOTHING",
    )
    .bind(codec::to_i64("directory seq", entry.seq)?)
    .bind(entry.hash)
    .bind(&entry.bytes[..])
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
