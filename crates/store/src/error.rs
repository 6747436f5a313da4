//! The store's error: a domain refusal, or the database failing.

use coproof_core::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The change is refused by a rule; nothing was written.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The database failed or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A value in the database that the code does not understand.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The group commit this transaction joined failed (`tx.rs`); nothing was kept.
    #[error("commit: {0}")]
    Commit(String),
    #[error("configuration: {0}")]
    Config(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// Whether every connection stayed busy for the whole wait (the server is overloaded).
    pub fn is_pool_timeout(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::PoolTimedOut))
    }

    /// Whether PostgreSQL aborted the transaction to break a deadlock or a serialization
    /// conflict: trying it again from the start is safe.
    pub fn is_transient_conflict(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                matches!(e.code().as_deref(), Some("40P01") | Some("40001"))
            }
            _ => false,
        }
    }

    /// Whether a database error is a unique-constraint violation (SQLite or PostgreSQL).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                e.is_unique_violation()
                    || e.code().as_deref() == Some("23505")
                    || e.code().as_deref() == Some("2067")
                    || e.message().contains("UNIQUE constraint failed")
            }
            _ => false,
        }
    }
}

/// Turns a unique violation into the given refusal, leaving other errors alone.
pub trait OnUnique<T> {
    fn on_unique(self, refusal: Refusal) -> Result<T, StoreError>;
}

impl<T> OnUnique<T> for Result<T, sqlx::Error> {
    fn on_unique(self, refusal: Refusal) -> Result<T, StoreError> {
        self.map_err(|e| {
            let e = StoreError::from(e);
            if e.is_unique_violation() {
                StoreError::Refused(refusal)
            } else {
                e
            }
        })
    }
}
