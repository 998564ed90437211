//! The directory log's rows as the bootstrap claim and the append both
//! write them: a module of its own so that neither imports the other.

use sqlx::SqliteConnection;

use super::codec;
use crate::{NewEntry, StoreError};

pub(super) async fn has_entries(conn: &mut SqliteConnection) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM directory_entries LIMIT 1")
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

pub(super) async fn insert_entry(
    conn: &mut SqliteConnection,
    entry: &NewEntry,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO directory_entries (seq, hash, entry) VALUES (?, ?, ?)")
        .bind(codec::signed(entry.seq)?)
        .bind(&entry.hash[..])
        .bind(&entry.bytes[..])
        .execute(conn)
        .await?;
    Ok(())
}
