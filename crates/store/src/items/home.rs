//! What the home page lists: the folders, proofs and files at the top of the user's own
//! account that the user may see, each let through by the one access function (so a
//! manager sees what it created or what is shared with it, an observer only shares).

use super::access::authorize;
use super::files::{File, FILE_COLUMNS};
use super::folders::{Folder, FOLDER_COLUMNS};
use super::proofs::{self, Proof};
use crate::model::User;
use crate::{Store, StoreResult};
use coproof_core::access::Operation;
use coproof_core::sharing::ItemKind;
use sqlx::AnyConnection;

/// The most items of each kind the home page lists.
const MOST: i64 = 500;

/// The top of an account, as one user sees it.
#[derive(Debug, Clone, Default)]
pub struct Top {
    pub folders: Vec<Folder>,
    pub proofs: Vec<Proof>,
    pub files: Vec<File>,
}

async fn may_see(conn: &mut AnyConnection, actor: &User, kind: ItemKind, id: &str) -> bool {
    authorize(conn, actor, kind, id, Operation::View)
        .await
        .is_ok()
}

/// The top of the actor's own account that it may see, by name.
pub async fn top(store: &Store, actor: &User) -> StoreResult<Top> {
    let mut conn = store.read().await?;
    let mut top = Top::default();
    let rows = sqlx::query(&format!(
        "SELECT {FOLDER_COLUMNS} FROM folders f WHERE f.account_id = $1 \
         AND f.parent_id IS NULL AND f.trashed_at IS NULL ORDER BY f.name, f.id LIMIT $2"
    ))
    .bind(&actor.account_id)
    .bind(MOST)
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let folder = Folder::from_row(row)?;
        if may_see(&mut conn, actor, ItemKind::Folder, &folder.id).await {
            top.folders.push(folder);
        }
    }
    for proof in proofs::at_top(&mut conn, &actor.account_id).await? {
        if may_see(&mut conn, actor, ItemKind::Proof, &proof.id).await {
            top.proofs.push(proof);
        }
    }
    let rows = sqlx::query(&format!(
        "SELECT {FILE_COLUMNS} FROM files x WHERE x.account_id = $1 AND x.folder_id IS NULL \
         ORDER BY x.name, x.id LIMIT $2"
    ))
    .bind(&actor.account_id)
    .bind(MOST)
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let file = File::from_row(row)?;
        if may_see(&mut conn, actor, ItemKind::File, &file.id).await {
            top.files.push(file);
        }
    }
    Ok(top)
}
