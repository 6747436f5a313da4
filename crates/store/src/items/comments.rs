//! Comments on a proof: threaded (a reply names its parent), resolvable.

use super::access::authorize;
use crate::model::User;
use crate::{col, ids, now_micros, Store, StoreResult};
use coproof_core::access::Operation;
use coproof_core::sharing::ItemKind;
use coproof_core::Refusal;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: String,
    pub proof_id: String,
    pub version: i64,
    pub parent_id: Option<String>,
    pub author_id: String,
    pub author_name: String,
    pub body: String,
    pub resolved: bool,
    pub created_at: i64,
}

const COMMENT_SELECT: &str = "SELECT c.id, c.proof_id, c.version, c.parent_id, c.author_id, \
     u.name AS author_name, c.body, c.resolved, c.created_at FROM comments c \
     JOIN users u ON u.id = c.author_id";

impl Comment {
    fn from_row(row: &AnyRow) -> StoreResult<Comment> {
        Ok(Comment {
            id: col(row, "id")?,
            proof_id: col(row, "proof_id")?,
            version: col(row, "version")?,
            parent_id: col(row, "parent_id")?,
            author_id: col(row, "author_id")?,
            author_name: col(row, "author_name")?,
            body: col(row, "body")?,
            resolved: col::<i64>(row, "resolved")? != 0,
            created_at: col(row, "created_at")?,
        })
    }
}

async fn load(
    conn: &mut sqlx::AnyConnection,
    proof_id: &str,
    id: &str,
) -> StoreResult<Option<Comment>> {
    if !ids::looks_like_id(id) {
        return Ok(None);
    }
    let row = sqlx::query(&format!(
        "{COMMENT_SELECT} WHERE c.id = $1 AND c.proof_id = $2"
    ))
    .bind(id)
    .bind(proof_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(Comment::from_row).transpose()
}

/// Adds a comment (or a reply to `parent_id`, a comment of the same proof) on the
/// proof's current version.
pub async fn add(
    store: &Store,
    actor: &User,
    proof_id: &str,
    body: &str,
    parent_id: Option<&str>,
) -> StoreResult<Comment> {
    let mut tx = store.begin().await?;
    authorize(
        &mut tx,
        actor,
        ItemKind::Proof,
        proof_id,
        Operation::Comment,
    )
    .await?;
    if let Some(parent) = parent_id {
        if load(&mut tx, proof_id, parent).await?.is_none() {
            return Err(
                Refusal::InvalidInput("parent_id is not a comment of this proof".into()).into(),
            );
        }
    }
    let version: i64 = sqlx::query_scalar("SELECT version FROM proofs WHERE id = $1")
        .bind(proof_id)
        .fetch_one(&mut *tx)
        .await?;
    let id = ids::new_id();
    sqlx::query(
        "INSERT INTO comments (id, proof_id, version, parent_id, author_id, body, resolved, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
    )
    .bind(&id)
    .bind(proof_id)
    .bind(version)
    .bind(parent_id.map(str::to_string))
    .bind(&actor.id)
    .bind(body)
    .bind(now_micros())
    .execute(&mut *tx)
    .await?;
    let comment = load(&mut tx, proof_id, &id)
        .await?
        .ok_or(Refusal::NotFound)?;
    let (owner, proof_name): (String, String) =
        sqlx::query_as("SELECT account_id, name FROM proofs WHERE id = $1")
            .bind(proof_id)
            .fetch_one(&mut *tx)
            .await?;
    let data = serde_json::json!({
        "proof": {"id": proof_id, "name": proof_name, "account_id": owner, "version": version},
        "comment": {"id": comment.id, "parent_id": comment.parent_id, "body": comment.body},
        "by": {"id": actor.id, "name": actor.name, "account_id": actor.account_id},
    });
    crate::webhooks::emit_to_each(
        &mut tx,
        &[&owner, &actor.account_id],
        crate::webhooks::WebhookEvent::ProofCommented,
        data,
    )
    .await?;
    crate::live::notify(&mut tx, vec![crate::live::Change::proof(&owner, proof_id)]);
    tx.commit().await?;
    Ok(comment)
}

/// The comments of a proof the actor can see, oldest first, after `cursor`.
pub async fn list(
    store: &Store,
    actor: &User,
    proof_id: &str,
    cursor: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<Comment>> {
    let mut conn = store.read().await?;
    authorize(&mut conn, actor, ItemKind::Proof, proof_id, Operation::View).await?;
    let rows = sqlx::query(&format!(
        "{COMMENT_SELECT} WHERE c.proof_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3"
    ))
    .bind(proof_id)
    .bind(cursor.unwrap_or(""))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(Comment::from_row).collect()
}

/// Marks a comment resolved (or open again).
pub async fn resolve(
    store: &Store,
    actor: &User,
    proof_id: &str,
    comment_id: &str,
    resolved: bool,
) -> StoreResult<Comment> {
    let mut tx = store.begin().await?;
    authorize(
        &mut tx,
        actor,
        ItemKind::Proof,
        proof_id,
        Operation::Resolve,
    )
    .await?;
    load(&mut tx, proof_id, comment_id)
        .await?
        .ok_or(Refusal::NotFound)?;
    sqlx::query(
        "UPDATE comments SET resolved = $1, resolved_by = $2, resolved_at = $3 WHERE id = $4",
    )
    .bind(i64::from(resolved))
    .bind(&actor.id)
    .bind(now_micros())
    .bind(comment_id)
    .execute(&mut *tx)
    .await?;
    let comment = load(&mut tx, proof_id, comment_id)
        .await?
        .ok_or(Refusal::NotFound)?;
    crate::live::notify(&mut tx, vec![crate::live::Change::proof("", proof_id)]);
    tx.commit().await?;
    Ok(comment)
}
