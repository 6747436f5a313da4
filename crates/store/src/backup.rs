//! A consistent copy of a running SQLite database, without stopping writes: `VACUUM INTO`
//! reads one snapshot (a read transaction, which WAL lets writers go on beside) and writes
//! it, compacted, to a new file. PostgreSQL has its own tools (`pg_dump`,
//! `pg_basebackup`; `docs/operations.md`).

use crate::{Backend, Store, StoreError, StoreResult};
use std::path::Path;

/// Writes the database as it is at one instant to `target`, a file that must not exist.
pub async fn snapshot_into(store: &Store, target: &Path) -> StoreResult<()> {
    if store.backend() != Backend::Sqlite {
        return Err(StoreError::Config(
            "coproof backup copies SQLite databases; back PostgreSQL up with pg_dump or \
             pg_basebackup (docs/operations.md)"
                .into(),
        ));
    }
    if target.exists() {
        return Err(StoreError::Config(format!(
            "{} exists already; a backup never overwrites",
            target.display()
        )));
    }
    let target = target
        .to_str()
        .ok_or_else(|| StoreError::Config("the backup path is not UTF-8".into()))?
        .to_string();
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut *store.read().await?)
        .await?;
    Ok(())
}
