//! Folders: a tree per account, with a materialized path. Create, read with contents,
//! rename, move (never into itself or below itself), put in the trash.

use super::access::{authorize, place, Authorized};
use super::files::{File, FILE_COLUMNS};
use super::proofs::{self, Proof};
use crate::model::User;
use crate::{col, ids, now_micros, Store, StoreResult};
use coproof_core::access::Operation;
use coproof_core::sharing::ItemKind;
use coproof_core::Refusal;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: String,
    pub account_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub path: String,
    pub created_by: String,
    pub created_at: i64,
}

pub(crate) const FOLDER_COLUMNS: &str =
    "f.id, f.account_id, f.parent_id, f.name, f.path, f.created_by, f.created_at";

impl Folder {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Folder> {
        Ok(Folder {
            id: col(row, "id")?,
            account_id: col(row, "account_id")?,
            parent_id: col(row, "parent_id")?,
            name: col(row, "name")?,
            path: col(row, "path")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
        })
    }
}

/// A folder with what is inside it (everything inside a visible folder is visible).
#[derive(Debug, Clone)]
pub struct FolderView {
    pub folder: Folder,
    pub access: Authorized,
    pub folders: Vec<Folder>,
    pub files: Vec<File>,
    pub proofs: Vec<Proof>,
}

/// Creates a folder at the top of the actor's account or inside `parent_id`.
pub async fn create(
    store: &Store,
    actor: &User,
    name: &str,
    parent_id: Option<&str>,
) -> StoreResult<Folder> {
    let mut tx = store.begin().await?;
    let (account_id, parent_path) = place(&mut tx, actor, parent_id).await?;
    let id = ids::new_id();
    let now = now_micros();
    let folder = Folder {
        path: format!("{parent_path}{id}/"),
        id,
        account_id,
        parent_id: parent_id.map(str::to_string),
        name: name.to_string(),
        created_by: actor.id.clone(),
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO folders (id, account_id, parent_id, path, name, created_by, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&folder.id)
    .bind(&folder.account_id)
    .bind(folder.parent_id.clone())
    .bind(&folder.path)
    .bind(&folder.name)
    .bind(&folder.created_by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(folder)
}

pub(crate) async fn load(conn: &mut sqlx::AnyConnection, id: &str) -> StoreResult<Folder> {
    let row = sqlx::query(&format!(
        "SELECT {FOLDER_COLUMNS} FROM folders f WHERE f.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Refusal::NotFound)?;
    Folder::from_row(&row)
}

/// A folder the actor can see, with the folders, files and proofs inside it.
pub async fn get(store: &Store, actor: &User, id: &str) -> StoreResult<FolderView> {
    let mut conn = store.read().await?;
    let access = authorize(&mut conn, actor, ItemKind::Folder, id, Operation::View).await?;
    let folder = load(&mut conn, id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {FOLDER_COLUMNS} FROM folders f WHERE f.parent_id = $1 AND f.trashed_at IS NULL \
         ORDER BY f.name, f.id"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let folders = rows
        .iter()
        .map(Folder::from_row)
        .collect::<StoreResult<_>>()?;
    let rows = sqlx::query(&format!(
        "SELECT {FILE_COLUMNS} FROM files x WHERE x.folder_id = $1 ORDER BY x.name, x.id"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let files = rows
        .iter()
        .map(File::from_row)
        .collect::<StoreResult<_>>()?;
    let proofs = proofs::in_folder(&mut conn, id).await?;
    Ok(FolderView {
        folder,
        access,
        folders,
        files,
        proofs,
    })
}

/// Where a folder moves: unchanged, to the top, or into another folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    Stay,
    ToTop,
    Into(String),
}

/// Renames and/or moves a folder. Moving a folder into itself or below itself is
/// `InvalidState`; moving needs the right to edit the destination.
pub async fn update(
    store: &Store,
    actor: &User,
    id: &str,
    name: Option<&str>,
    destination: &Move,
) -> StoreResult<Folder> {
    let mut tx = store.begin().await?;
    authorize(&mut tx, actor, ItemKind::Folder, id, Operation::Edit).await?;
    let before = load(&mut tx, id).await?;
    let now = now_micros();
    if let Some(name) = name {
        sqlx::query("UPDATE folders SET name = $1, updated_at = $2 WHERE id = $3")
            .bind(name)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let new_parent = match destination {
        Move::Stay => None,
        Move::ToTop => Some(None),
        Move::Into(parent) => Some(Some(parent.as_str())),
    };
    if let Some(parent) = new_parent {
        let (account_id, parent_path) = place(&mut tx, actor, parent).await?;
        if account_id != before.account_id {
            // Items never change account: the destination must be in the same tree.
            return Err(Refusal::NotFound.into());
        }
        if parent_path.starts_with(&before.path) {
            return Err(Refusal::InvalidState.into());
        }
        let new_path = format!("{parent_path}{id}/");
        sqlx::query("UPDATE folders SET parent_id = $1, updated_at = $2 WHERE id = $3")
            .bind(parent.map(str::to_string))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE folders SET path = $1 || substr(path, CAST($2 AS INTEGER)) WHERE path LIKE $3",
        )
        .bind(&new_path)
        .bind(before.path.len() as i64 + 1)
        .bind(format!("{}%", before.path))
        .execute(&mut *tx)
        .await?;
    }
    let after = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Puts a folder (and so everything inside it) in the trash; returns the folder as it was
/// (where it stood, for the page to go back to).
pub async fn trash(store: &Store, actor: &User, id: &str) -> StoreResult<Folder> {
    let mut tx = store.begin().await?;
    authorize(&mut tx, actor, ItemKind::Folder, id, Operation::Edit).await?;
    let folder = load(&mut tx, id).await?;
    sqlx::query("UPDATE folders SET trashed_at = $1, trashed_by = $2 WHERE id = $3")
        .bind(now_micros())
        .bind(&actor.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(folder)
}
