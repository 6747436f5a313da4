//! The facts behind an access decision, read from the database: the item's owner and
//! creator, the folders above it (from the materialized path), whether any of them is in
//! the trash, and the shares on the item and on those folders that name the actor or its
//! account. Two indexed queries whatever the depth: the item, then the folders and the
//! shares together.

use super::{path_ids, placeholders};
use crate::users::User;
use crate::{col, ids, StoreResult};
use coproof_core::access::{self, Grant, Grantee, Item, Operation, Rights};
use coproof_core::sharing::{ItemKind, ProofRole};
use coproof_core::Refusal;
use sqlx::AnyConnection;

/// item type, item id, user, account, role.
/// A folder above the item (`source` = 'folder': creator, trashed) or a share on the
/// item or a folder above it (`source` = 'share': type, id, user, account, role).
type FactRow = (
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// An item the actor may act on, with what it may do.
#[derive(Debug, Clone)]
pub struct Authorized {
    pub kind: ItemKind,
    pub id: String,
    pub account_id: String,
    pub name: String,
    /// The folder's own path (for a folder) or its containing folder's (else); `/` at the top.
    pub path: String,
    pub rights: Rights,
}

/// Decides whether `user` may do `op` to the item: `NotFound` when the item does not exist
/// or is invisible to the user, `Forbidden` when visible but not allowed.
pub async fn authorize(
    conn: &mut AnyConnection,
    user: &User,
    kind: ItemKind,
    id: &str,
    op: Operation,
) -> StoreResult<Authorized> {
    if !ids::looks_like_id(id) {
        return Err(Refusal::NotFound.into());
    }
    let base = match kind {
        ItemKind::Folder => {
            "SELECT f.account_id, f.created_by, f.name, f.path FROM folders f WHERE f.id = $1"
        }
        ItemKind::File => {
            "SELECT x.account_id, x.created_by, x.name, COALESCE(f.path, '/') AS path \
             FROM files x LEFT JOIN folders f ON f.id = x.folder_id WHERE x.id = $1"
        }
        ItemKind::Proof => {
            "SELECT x.account_id, x.created_by, x.name, COALESCE(f.path, '/') AS path \
             FROM proofs x LEFT JOIN folders f ON f.id = x.folder_id WHERE x.id = $1"
        }
    };
    let row = sqlx::query(base)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Refusal::NotFound)?;
    let account_id: String = col(&row, "account_id")?;
    let created_by: String = col(&row, "created_by")?;
    let name: String = col(&row, "name")?;
    let path: String = col(&row, "path")?;
    // Every folder on the path: for a folder this includes itself.
    let chain: Vec<&str> = path_ids(&path).collect();

    // The folders above (creator, trash) and the shares naming the actor or its account
    // on them or on the item itself: one query.
    let mut on: Vec<&str> = chain.iter().copied().filter(|f| *f != id).collect();
    on.push(id);
    let sql = format!(
        "SELECT 'folder' AS source, created_by, trashed_at, NULL AS item_type, NULL AS item_id, \
           NULL AS user_id, NULL AS account_id, NULL AS role \
         FROM folders WHERE id IN ({chain_ids}) \
         UNION ALL \
         SELECT 'share', NULL, NULL, item_type, item_id, user_id, account_id, role FROM shares \
         WHERE item_id IN ({share_ids}) AND (user_id = $1 OR account_id = $2)",
        chain_ids = if chain.is_empty() {
            "NULL".to_string()
        } else {
            placeholders(3, chain.len())
        },
        share_ids = placeholders(3 + chain.len(), on.len()),
    );
    let mut q = sqlx::query_as::<_, FactRow>(&sql)
        .bind(&user.id)
        .bind(&user.account_id);
    for folder in &chain {
        q = q.bind(*folder);
    }
    for item in &on {
        q = q.bind(*item);
    }
    let mut created_by_actor = created_by == user.id;
    let mut trashed = false;
    let mut grants = Vec::new();
    for (source, creator, trashed_at, item_type, item_id, to_user, to_account, role) in
        q.fetch_all(&mut *conn).await?
    {
        if source == "folder" {
            created_by_actor |= creator.as_deref() == Some(user.id.as_str());
            trashed |= trashed_at.is_some();
            continue;
        }
        let (Some(item_type), Some(item_id)) = (item_type, item_id) else {
            continue;
        };
        let itself = item_type == kind.as_str() && item_id == id;
        let above = item_type == ItemKind::Folder.as_str() && item_id != id;
        if !(itself || above) {
            continue;
        }
        let to = match (to_user, to_account) {
            (Some(u), _) => Grantee::User(u),
            (None, Some(a)) => Grantee::Account(a),
            (None, None) => continue,
        };
        grants.push(Grant {
            to,
            inherited: !itself,
            role: role.as_deref().and_then(|r| ProofRole::parse(r).ok()),
        });
    }
    let item = Item {
        kind,
        account_id: &account_id,
        created_by_actor,
        trashed,
        grants: &grants,
    };
    let rights = access::check(&super::actor(user), &item, op)?;
    Ok(Authorized {
        kind,
        id: id.to_string(),
        account_id,
        name,
        path,
        rights,
    })
}
