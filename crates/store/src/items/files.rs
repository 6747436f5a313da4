//! Files: metadata of uploaded bytes. The server streams the bytes into the file store
//! under the new file's id, then records them here.

use super::access::{authorize, place, Authorized};
use crate::model::User;
use crate::{col, now_micros, Store, StoreResult};
use coproof_core::access::Operation;
use coproof_core::sharing::ItemKind;
use coproof_core::Refusal;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub id: String,
    pub account_id: String,
    pub folder_id: Option<String>,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub storage_key: String,
    pub created_by: String,
    pub created_at: i64,
}

pub(crate) const FILE_COLUMNS: &str = "x.id, x.account_id, x.folder_id, x.name, x.size, \
     x.content_type, x.sha256, x.storage_key, x.created_by, x.created_at";

impl File {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<File> {
        Ok(File {
            id: col(row, "id")?,
            account_id: col(row, "account_id")?,
            folder_id: col(row, "folder_id")?,
            name: col(row, "name")?,
            size: col(row, "size")?,
            content_type: col(row, "content_type")?,
            sha256: col(row, "sha256")?,
            storage_key: col(row, "storage_key")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
        })
    }
}

/// Whether the actor may add a file at the top of its account or in `folder_id`.
pub async fn check_place(
    store: &Store,
    actor: &User,
    folder_id: Option<&str>,
) -> StoreResult<String> {
    let mut conn = store.read().await?;
    place(&mut conn, actor, folder_id)
        .await
        .map(|(account_id, _)| account_id)
}

async fn usage_on(conn: &mut sqlx::AnyConnection, account_id: &str) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_one(conn)
    .await?)
}

/// Bytes an account's files take (trashed ones too, until the trash is emptied).
pub async fn usage(store: &Store, account_id: &str) -> StoreResult<i64> {
    let mut reader = store.read().await?;
    usage_on(&mut reader, account_id).await
}

/// Bytes already in the file store under `storage_key`, to be recorded as a new file.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub id: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub storage_key: String,
}

/// Records an uploaded file (the placement is checked again, inside the transaction).
pub async fn create(
    store: &Store,
    actor: &User,
    folder_id: Option<&str>,
    uploaded: &Uploaded,
    quota: Option<u64>,
) -> StoreResult<File> {
    let mut tx = store.begin().await?;
    let (account_id, _) = place(&mut tx, actor, folder_id).await?;
    if let Some(quota) = quota {
        // Checked again here: two uploads streamed side by side may each have fitted.
        let used = u64::try_from(usage_on(&mut tx, &account_id).await?).unwrap_or(0);
        if used.saturating_add(u64::try_from(uploaded.size).unwrap_or(u64::MAX)) > quota {
            return Err(Refusal::QuotaExceeded.into());
        }
    }
    let file = File {
        id: uploaded.id.clone(),
        account_id,
        folder_id: folder_id.map(str::to_string),
        name: uploaded.name.clone(),
        size: uploaded.size,
        content_type: uploaded.content_type.clone(),
        sha256: uploaded.sha256.clone(),
        storage_key: uploaded.storage_key.clone(),
        created_by: actor.id.clone(),
        created_at: now_micros(),
    };
    sqlx::query(
        "INSERT INTO files (id, account_id, folder_id, name, size, content_type, sha256, \
         storage_key, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&file.id)
    .bind(&file.account_id)
    .bind(file.folder_id.clone())
    .bind(&file.name)
    .bind(file.size)
    .bind(&file.content_type)
    .bind(&file.sha256)
    .bind(&file.storage_key)
    .bind(&file.created_by)
    .bind(file.created_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(file)
}

pub(crate) async fn load(conn: &mut sqlx::AnyConnection, id: &str) -> StoreResult<File> {
    let row = sqlx::query(&format!(
        "SELECT {FILE_COLUMNS} FROM files x WHERE x.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Refusal::NotFound)?;
    File::from_row(&row)
}

/// A file the actor can see (view and download are one right).
pub async fn get(store: &Store, actor: &User, id: &str) -> StoreResult<(File, Authorized)> {
    let mut conn = store.read().await?;
    let access = authorize(&mut conn, actor, ItemKind::File, id, Operation::View).await?;
    Ok((load(&mut conn, id).await?, access))
}

/// The file of a proof version, once the caller was allowed to see the proof.
pub async fn get_for_proof(store: &Store, id: &str) -> StoreResult<File> {
    let mut conn = store.read().await?;
    load(&mut conn, id).await
}
