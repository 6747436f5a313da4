//! Proofs: made from a file, with versions, reviewers (the proof's person shares, each
//! with a role) and their decisions per version. The overall status is
//! `coproof_core::sharing::overall_status` over the approvers' decisions.

use super::access::{authorize, authorize_then, place, Authorized};
use super::shares::{self, Target};
use crate::model::User;
use crate::{col, ids, now_micros, Store, StoreError, StoreResult};
use coproof_core::access::Operation;
use coproof_core::sharing::{overall_status, Decision, ItemKind, ProofRole};
use coproof_core::Refusal;
use sqlx::AnyConnection;

/// A reviewer of a proof: a person share with a role, and its decision on the current
/// version (`None` for roles that do not decide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    pub user_id: String,
    pub name: String,
    pub role: ProofRole,
    pub decision: Option<Decision>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub id: String,
    pub account_id: String,
    pub folder_id: Option<String>,
    pub name: String,
    pub version: i64,
    /// The file of the current version.
    pub file_id: String,
    pub created_by: String,
    pub created_at: i64,
    pub status: Decision,
    pub reviewers: Vec<Reviewer>,
}

const PROOF_COLUMNS: &str = "p.id, p.account_id, p.folder_id, p.name, p.version, v.file_id, \
     p.created_by, p.created_at";
const PROOF_FROM: &str =
    "proofs p JOIN proof_versions v ON v.proof_id = p.id AND v.version = p.version";

fn reviewer(
    user_id: String,
    name: String,
    role: Option<String>,
    decision: Option<String>,
) -> StoreResult<Reviewer> {
    let role = role.unwrap_or_default();
    let role =
        ProofRole::parse(&role).map_err(|_| StoreError::Corrupt(format!("proof role {role:?}")))?;
    let decision = role.approves().then(|| {
        decision
            .as_deref()
            .and_then(Decision::parse)
            .unwrap_or(Decision::Pending)
    });
    Ok(Reviewer {
        user_id,
        name,
        role,
        decision,
    })
}

/// The query of the proofs matching `filter` (its one parameter `$1`) with their
/// reviewers and decisions on the current version: one row per (proof, reviewer), a
/// proof without reviewers once.
fn load_sql(filter: &str) -> String {
    format!(
        "SELECT {PROOF_COLUMNS}, s.user_id AS reviewer_id, u.name AS reviewer_name, \
           s.role AS reviewer_role, d.decision AS reviewer_decision \
         FROM {PROOF_FROM} \
         LEFT JOIN shares s ON s.item_type = 'proof' AND s.item_id = p.id \
           AND s.role IS NOT NULL AND s.user_id IS NOT NULL \
         LEFT JOIN users u ON u.id = s.user_id \
         LEFT JOIN reviewer_decisions d ON d.proof_id = p.id AND d.version = p.version \
           AND d.user_id = s.user_id \
         WHERE {filter} ORDER BY p.name, p.id, s.id"
    )
}

/// The proofs matching `filter`, in one query (see [`load_sql`]).
async fn load_many(conn: &mut AnyConnection, filter: &str, arg: &str) -> StoreResult<Vec<Proof>> {
    let rows = sqlx::query(&load_sql(filter))
        .bind(arg)
        .fetch_all(&mut *conn)
        .await?;
    from_rows(&rows)
}

/// Proofs from the rows of [`load_sql`].
fn from_rows(rows: &[sqlx::any::AnyRow]) -> StoreResult<Vec<Proof>> {
    let mut proofs: Vec<Proof> = Vec::new();
    for row in rows {
        let id: String = col(row, "id")?;
        if proofs.last().is_none_or(|p| p.id != id) {
            proofs.push(Proof {
                id,
                account_id: col(row, "account_id")?,
                folder_id: col(row, "folder_id")?,
                name: col(row, "name")?,
                version: col(row, "version")?,
                file_id: col(row, "file_id")?,
                created_by: col(row, "created_by")?,
                created_at: col(row, "created_at")?,
                status: Decision::Pending,
                reviewers: Vec::new(),
            });
        }
        let reviewer_id: Option<String> = col(row, "reviewer_id")?;
        if let (Some(proof), Some(user_id)) = (proofs.last_mut(), reviewer_id) {
            proof.reviewers.push(reviewer(
                user_id,
                col::<Option<String>>(row, "reviewer_name")?.unwrap_or_default(),
                col(row, "reviewer_role")?,
                col(row, "reviewer_decision")?,
            )?);
        }
    }
    for proof in &mut proofs {
        proof.status = overall_status(proof.reviewers.iter().filter_map(|r| r.decision));
    }
    Ok(proofs)
}

pub(crate) async fn load(conn: &mut AnyConnection, id: &str) -> StoreResult<Proof> {
    load_many(conn, "p.id = $1", id)
        .await?
        .pop()
        .ok_or_else(|| Refusal::NotFound.into())
}

/// The proofs at the top of an account (in no folder).
pub(crate) async fn at_top(conn: &mut AnyConnection, account_id: &str) -> StoreResult<Vec<Proof>> {
    load_many(
        conn,
        "p.account_id = $1 AND p.folder_id IS NULL",
        account_id,
    )
    .await
}

/// The proofs directly inside a folder.
pub(crate) async fn in_folder(
    conn: &mut AnyConnection,
    folder_id: &str,
) -> StoreResult<Vec<Proof>> {
    load_many(conn, "p.folder_id = $1", folder_id).await
}

/// A file the actor can see and that belongs to `account_id`, for a proof version.
async fn proof_file(
    conn: &mut AnyConnection,
    actor: &User,
    file_id: &str,
    account_id: &str,
) -> StoreResult<()> {
    let file = authorize(conn, actor, ItemKind::File, file_id, Operation::View).await?;
    if file.account_id != account_id {
        return Err(
            Refusal::InvalidInput("a proof is made from a file of its own account".into()).into(),
        );
    }
    Ok(())
}

/// Creates a proof from a file, with its first reviewers (each a person share).
pub async fn create(
    store: &Store,
    actor: &User,
    name: &str,
    file_id: &str,
    folder_id: Option<&str>,
    reviewers: &[(String, String)],
) -> StoreResult<Proof> {
    let mut tx = store.begin().await?;
    let (account_id, _) = place(&mut tx, actor, folder_id).await?;
    proof_file(&mut tx, actor, file_id, &account_id).await?;
    let id = ids::new_id();
    let now = now_micros();
    sqlx::query(
        "INSERT INTO proofs (id, account_id, folder_id, name, version, created_by, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $6)",
    )
    .bind(&id)
    .bind(&account_id)
    .bind(folder_id.map(str::to_string))
    .bind(name)
    .bind(&actor.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO proof_versions (proof_id, version, file_id, created_by, created_at) \
         VALUES ($1, 1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(file_id)
    .bind(&actor.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let item = Authorized {
        kind: ItemKind::Proof,
        id: id.clone(),
        account_id,
        name: name.to_string(),
        path: "/".into(),
        rights: Default::default(),
    };
    for (user_id, role) in reviewers {
        shares::add(
            store,
            &mut tx,
            actor,
            &item,
            &Target::User(user_id.clone()),
            Some(role),
        )
        .await?;
    }
    let proof = load(&mut tx, &id).await?;
    tx.commit().await?;
    Ok(proof)
}

/// A proof the actor can see.
pub async fn get(store: &Store, actor: &User, id: &str) -> StoreResult<(Proof, Authorized)> {
    let mut conn = store.read().await?;
    let (access, rows) = authorize_then(
        &mut conn,
        actor,
        (ItemKind::Proof, id, Operation::View),
        &load_sql("p.id = $1"),
        id,
    )
    .await?;
    let proof = from_rows(&rows)?.pop().ok_or(Refusal::NotFound)?;
    Ok((proof, access))
}

/// A new version of a proof from another file; decisions start again (pending).
pub async fn add_version(
    store: &Store,
    actor: &User,
    id: &str,
    file_id: &str,
) -> StoreResult<Proof> {
    let mut tx = store.begin().await?;
    let proof = authorize(&mut tx, actor, ItemKind::Proof, id, Operation::Edit).await?;
    proof_file(&mut tx, actor, file_id, &proof.account_id).await?;
    let now = now_micros();
    let version: i64 = sqlx::query_scalar(&format!(
        "SELECT version FROM proofs WHERE id = $1{}",
        store.for_update()
    ))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO proof_versions (proof_id, version, file_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(version + 1)
    .bind(file_id)
    .bind(&actor.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE proofs SET version = $1, updated_at = $2 WHERE id = $3")
        .bind(version + 1)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let proof = load(&mut tx, id).await?;
    crate::live::notify(
        &mut tx,
        vec![crate::live::Change::proof(&proof.account_id, id)],
    );
    tx.commit().await?;
    Ok(proof)
}

/// An approver's decision on the current version (it may change it any time).
pub async fn decide(
    store: &Store,
    actor: &User,
    id: &str,
    decision: Decision,
) -> StoreResult<Proof> {
    let mut tx = store.begin().await?;
    authorize(&mut tx, actor, ItemKind::Proof, id, Operation::Decide).await?;
    let version: i64 = sqlx::query_scalar("SELECT version FROM proofs WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let now = now_micros();
    let changed = sqlx::query(
        "UPDATE reviewer_decisions SET decision = $1, decided_at = $2 \
         WHERE proof_id = $3 AND version = $4 AND user_id = $5",
    )
    .bind(decision.as_str())
    .bind(now)
    .bind(id)
    .bind(version)
    .bind(&actor.id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO reviewer_decisions (proof_id, version, user_id, decision, decided_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(version)
        .bind(&actor.id)
        .bind(decision.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let proof = load(&mut tx, id).await?;
    let data = serde_json::json!({
        "proof": {"id": proof.id, "name": proof.name, "account_id": proof.account_id,
                  "version": proof.version, "status": proof.status.as_str()},
        "decision": decision.as_str(),
        "by": {"id": actor.id, "name": actor.name, "account_id": actor.account_id},
    });
    crate::webhooks::emit_to_each(
        &mut tx,
        &[&proof.account_id, &actor.account_id],
        crate::webhooks::WebhookEvent::ProofDecided,
        data,
    )
    .await?;
    crate::live::notify(
        &mut tx,
        vec![crate::live::Change::proof(&proof.account_id, id)],
    );
    tx.commit().await?;
    Ok(proof)
}
