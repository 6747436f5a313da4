//! The trash: folders put there (with everything inside) are invisible; an account's
//! admins list it, take a folder back out, or empty it for good.

use super::folders::{Folder, FOLDER_COLUMNS};
use crate::model::User;
use crate::{Store, StoreResult};
use coproof_core::Refusal;

fn admin(actor: &User) -> StoreResult<()> {
    if actor.profile.is_admin() {
        Ok(())
    } else {
        Err(Refusal::Forbidden.into())
    }
}

/// The folders of the actor's account that were put in the trash.
pub async fn list(store: &Store, actor: &User) -> StoreResult<Vec<Folder>> {
    admin(actor)?;
    let rows = sqlx::query(&format!(
        "SELECT {FOLDER_COLUMNS} FROM folders f WHERE f.account_id = $1 \
         AND f.trashed_at IS NOT NULL ORDER BY f.trashed_at, f.id"
    ))
    .bind(&actor.account_id)
    .fetch_all(&mut *store.read().await?)
    .await?;
    rows.iter().map(Folder::from_row).collect()
}

/// Takes a folder of the actor's account out of the trash, with everything inside it.
/// `NotFound` when the account has no such folder in the trash.
pub async fn restore(store: &Store, actor: &User, id: &str) -> StoreResult<Folder> {
    admin(actor)?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE folders SET trashed_at = NULL, trashed_by = NULL \
         WHERE id = $1 AND account_id = $2 AND trashed_at IS NOT NULL",
    )
    .bind(id)
    .bind(&actor.account_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Refusal::NotFound.into());
    }
    let folder = super::folders::load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(folder)
}

/// Deletes for good every trashed folder of the actor's account and everything inside:
/// folders, files, proofs with their versions, decisions and comments, and all their
/// shares. Returns the storage keys of the deleted files, for the server to remove.
/// A file still used by a proof outside the trash stays, moved to the top of the account.
pub async fn empty(store: &Store, actor: &User) -> StoreResult<Vec<String>> {
    admin(actor)?;
    let mut tx = store.begin().await?;
    let trashed: Vec<String> = sqlx::query_scalar(
        "SELECT path FROM folders WHERE account_id = $1 AND trashed_at IS NOT NULL",
    )
    .bind(&actor.account_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut keys = Vec::new();
    for prefix in trashed {
        let like = format!("{prefix}%");
        let in_tree = "SELECT id FROM folders WHERE path LIKE $1";
        let proofs_in_tree = format!("SELECT id FROM proofs WHERE folder_id IN ({in_tree})");
        for sql in [
            format!("DELETE FROM comments WHERE proof_id IN ({proofs_in_tree})"),
            format!("DELETE FROM reviewer_decisions WHERE proof_id IN ({proofs_in_tree})"),
            format!("DELETE FROM proof_versions WHERE proof_id IN ({proofs_in_tree})"),
            format!(
                "DELETE FROM shares WHERE item_type = 'proof' AND item_id IN ({proofs_in_tree})"
            ),
            format!("DELETE FROM proofs WHERE folder_id IN ({in_tree})"),
            format!(
                "UPDATE files SET folder_id = NULL WHERE folder_id IN ({in_tree}) \
                 AND id IN (SELECT file_id FROM proof_versions)"
            ),
        ] {
            sqlx::query(&sql).bind(&like).execute(&mut *tx).await?;
        }
        let gone: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT storage_key FROM files WHERE folder_id IN ({in_tree})"
        ))
        .bind(&like)
        .fetch_all(&mut *tx)
        .await?;
        keys.extend(gone);
        for sql in [
            format!("DELETE FROM shares WHERE item_type = 'file' AND item_id IN (SELECT id FROM files WHERE folder_id IN ({in_tree}))"),
            format!("DELETE FROM files WHERE folder_id IN ({in_tree})"),
            format!("DELETE FROM shares WHERE item_type = 'folder' AND item_id IN ({in_tree})"),
        ] {
            sqlx::query(&sql).bind(&like).execute(&mut *tx).await?;
        }
        // Deepest first, so no folder outlives its parent reference.
        let folders: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM folders WHERE path LIKE $1 ORDER BY LENGTH(path) DESC",
        )
        .bind(&like)
        .fetch_all(&mut *tx)
        .await?;
        for id in folders {
            sqlx::query("DELETE FROM folders WHERE id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(keys)
}
