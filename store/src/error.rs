//! Storage errors. Refusals that are part of the protocol (a conflicting id,
//! an unknown thread) are not errors: they are [`crate::PutOutcome`] values.

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A setting the broker depends on is not in force (e.g. SQLite's
    /// journal mode); the broker refuses to start.
    #[error("database setting {name} is {actual:?}, expected {expected:?}")]
    Setting {
        /// The setting.
        name: &'static str,
        /// What it should be.
        expected: String,
        /// What it is.
        actual: String,
    },
    /// A stored value could not be parsed back (corruption or a bug).
    #[error("stored value is invalid: {0}")]
    Corrupt(String),
    /// The caller passed a value the store must not keep (a bug in the
    /// caller, not a refusal the protocol foresees).
    #[error("invalid value for the store: {0}")]
    Invalid(&'static str),
    /// The referenced desk does not exist.
    #[error("unknown desk")]
    UnknownDesk,
    /// The broker already has a root.
    #[error("the broker has already been claimed")]
    AlreadyClaimed,
    /// Reading a spooled packet body failed.
    #[error("reading the packet body failed: {0}")]
    Body(#[from] std::io::Error),
    /// The single SQLite writer has stopped (the broker is shutting down).
    #[error("the database writer has stopped")]
    WriterGone,
}
