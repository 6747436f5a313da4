//! The facts behind an access decision, read from the database in one query whatever the
//! depth: the item (owner, creator, name), the folders above it (walked up `parent_id`
//! by primary key: creator, trash, path), and the shares on the item and on those folders
//! that name the actor or its account.

use crate::batch::renumber;
use crate::model::User;
use crate::{ids, StoreResult};
use coproof_core::access::{self, Grant, Grantee, Item, Operation, Rights};
use coproof_core::sharing::{ItemKind, ProofRole};
use coproof_core::terms::Terms;
use coproof_core::Refusal;
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Either, FromRow};

/// One fact, by `source`:
/// - `item`: account, creator, name, the path of its own (folder) or containing folder,
///   the latest trash time on the chain of folders (the item itself included when it is
///   a folder), `creator` when the actor created one of those folders;
/// - `share`: item type, item id, user, account, role;
/// - `terms`: the terms the item's account set for the actor's account, if any: max proof
///   role, download (as `trashed_at`), whether every user is visible.
type FactRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// A safety bound on the walk up the tree (moves into a descendant are refused, so the
/// tree has no cycles; this only keeps a damaged database from looping).
const MAX_DEPTH: i64 = 1_000;

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

/// The one query of [`authorize`] for an item kind: `$1` the actor, `$2` its account,
/// `$3` the item. The shares are looked up by item id (`CROSS JOIN` keeps SQLite's
/// planner from walking every share of the actor's account instead).
fn facts_sql(kind: ItemKind) -> String {
    let (table, start) = match kind {
        ItemKind::Folder => ("folders", "$3".to_string()),
        ItemKind::File => (
            "files",
            "(SELECT folder_id FROM files WHERE id = $3)".into(),
        ),
        ItemKind::Proof => (
            "proofs",
            "(SELECT folder_id FROM proofs WHERE id = $3)".into(),
        ),
    };
    format!(
        "WITH RECURSIVE chain (id, parent_id, path, created_by, trashed_at, depth) AS ( \
           SELECT id, parent_id, path, created_by, trashed_at, CAST(0 AS BIGINT) \
           FROM folders WHERE id = {start} \
           UNION ALL \
           SELECT f.id, f.parent_id, f.path, f.created_by, f.trashed_at, c.depth + 1 \
           FROM folders f JOIN chain c ON f.id = c.parent_id WHERE c.depth < {MAX_DEPTH}) \
         SELECT 'item' AS source, account_id AS a, created_by AS b, name AS c, \
           (SELECT path FROM chain WHERE depth = 0) AS d, \
           (SELECT MAX(trashed_at) FROM chain) AS trashed_at, \
           (SELECT 'creator' FROM chain WHERE created_by = $1 LIMIT 1) AS role \
         FROM {table} WHERE id = $3 \
         UNION ALL \
         SELECT 'share', s.item_type, s.item_id, s.user_id, s.account_id, NULL, s.role \
         FROM (SELECT id FROM chain UNION SELECT $3) x CROSS JOIN shares s \
         WHERE s.item_id = x.id AND (s.user_id = $1 OR s.account_id = $2) \
         UNION ALL \
         SELECT 'terms', t.max_proof_role, NULL, NULL, NULL, t.download, NULL \
         FROM {table} i JOIN partner_terms t ON t.account_id = i.account_id \
           AND t.partner_account_id = $2 WHERE i.id = $3"
    )
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
    let rows = sqlx::query_as::<_, FactRow>(&facts_sql(kind))
        .bind(&user.id)
        .bind(&user.account_id)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    decide(user, kind, id, op, rows)
}

/// [`authorize`], then a read of the item (`then`, its `$1` bound to `arg`) whose rows
/// are returned only when access is granted. On SQLite both go to the connection's
/// thread as one multi-statement query: one round trip instead of two, for the hottest
/// reads (a proof's page). Elsewhere the read runs after the decision.
pub async fn authorize_then(
    conn: &mut AnyConnection,
    user: &User,
    (kind, id, op): (ItemKind, &str, Operation),
    then: &str,
    arg: &str,
) -> StoreResult<(Authorized, Vec<AnyRow>)> {
    if conn.backend_name() != "SQLite" || !ids::looks_like_id(id) {
        let granted = authorize(conn, user, kind, id, op).await?;
        let rows = sqlx::query(then).bind(arg).fetch_all(&mut *conn).await?;
        return Ok((granted, rows));
    }
    let sql = format!("{};\n{}", facts_sql(kind), renumber(then, 3));
    // sqlx deprecates several statements in one prepared query because only its SQLite
    // driver supports them (`Batch` relies on the same); this branch is SQLite only.
    #[allow(deprecated)]
    let mut stream = sqlx::query(&sql)
        .bind(&user.id)
        .bind(&user.account_id)
        .bind(id)
        .bind(arg)
        .fetch_many(&mut *conn);
    let (mut facts, mut rows, mut statement) = (Vec::new(), Vec::new(), 0);
    while let Some(step) = stream.try_next().await? {
        match step {
            Either::Left(_) => statement += 1,
            Either::Right(row) if statement == 0 => facts.push(FactRow::from_row(&row)?),
            Either::Right(row) => rows.push(row),
        }
    }
    drop(stream);
    Ok((decide(user, kind, id, op, facts)?, rows))
}

/// The decision from the facts.
fn decide(
    user: &User,
    kind: ItemKind,
    id: &str,
    op: Operation,
    rows: Vec<FactRow>,
) -> StoreResult<Authorized> {
    let mut owner = None;
    let mut path = "/".to_string();
    let mut created_by_actor = false;
    let mut trashed = false;
    let mut grants = Vec::new();
    let mut terms = None;
    for (source, a, b, c, d, trashed_at, role) in rows {
        match source.as_str() {
            "terms" => {
                // Only the proof role and download bear on access.
                terms = Some(Terms {
                    max_proof_role: a
                        .as_deref()
                        .and_then(|r| ProofRole::parse(r).ok())
                        .unwrap_or(ProofRole::ReadOnly),
                    download: trashed_at.unwrap_or(0) != 0,
                    ..Terms::default()
                });
            }
            "item" => {
                created_by_actor =
                    b.as_deref() == Some(user.id.as_str()) || role.as_deref() == Some("creator");
                trashed = trashed_at.is_some();
                path = d.unwrap_or_else(|| "/".to_string());
                owner = a.zip(c);
            }
            _ => {
                let (Some(item_type), Some(item_id)) = (a, b) else {
                    continue;
                };
                let itself = item_type == kind.as_str() && item_id == id;
                let above = item_type == ItemKind::Folder.as_str() && item_id != id;
                if !(itself || above) {
                    continue;
                }
                let to = match (c, d) {
                    (Some(u), _) => Grantee::User(u),
                    (None, Some(acc)) => Grantee::Account(acc),
                    (None, None) => continue,
                };
                grants.push(Grant {
                    to,
                    inherited: !itself,
                    role: role.as_deref().and_then(|r| ProofRole::parse(r).ok()),
                });
            }
        }
    }
    let (account_id, name) = owner.ok_or(Refusal::NotFound)?;
    let item = Item {
        kind,
        account_id: &account_id,
        created_by_actor,
        trashed,
        grants: &grants,
        terms: terms.as_ref(),
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

/// Where a new item goes: the top of the actor's account, or a folder it may edit.
/// Returns the owning account and the folder's path (`/` at the top).
pub(crate) async fn place(
    conn: &mut sqlx::AnyConnection,
    actor: &User,
    folder_id: Option<&str>,
) -> StoreResult<(String, String)> {
    match folder_id {
        None => {
            access::check_create_at_top(&super::actor(actor))?;
            Ok((actor.account_id.clone(), "/".to_string()))
        }
        Some(id) => {
            let folder = authorize(conn, actor, ItemKind::Folder, id, Operation::Edit).await?;
            Ok((folder.account_id, folder.path))
        }
    }
}
