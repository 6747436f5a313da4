//! Member rows of a user added to an account with many partners, written right after
//! the change instead of inside it.
//!
//! A user joining an agency with 2,000 partners means 2,000 new rows, one on each
//! partner's Contacts page. Up to [`Store::sync_fanout_limit`] active partners they are
//! written in the transaction that adds the user; beyond it that transaction queues a
//! job (`contact_fanout`) and a worker ([`step`]) writes the rows in chunks of
//! [`CHUNK`] partner accounts, each chunk its own short transaction, so the request and
//! everyone queued behind the writer do not wait for all of them.
//!
//! Nothing is lost or phantom: the job commits with the user; each chunk re-reads the
//! partnerships inside its transaction (under the account's contacts lock on
//! PostgreSQL) and records how far it got; a partner action on the account finishes the
//! account's jobs first, in its own transaction ([`finish_for`]), so a partnership never
//! ends or starts with rows still owed to it; `coproof check contacts` finishes every
//! job before it checks ([`finish_all`]).

use super::sync::{lock_account, INSERT_COLUMNS};
use crate::users::User;
use crate::{col, ids, now_micros, Store, StoreResult, Tx};

/// Partner accounts per chunk transaction.
pub const CHUNK: i64 = 250;

/// Above every id: "no upper bound" of a range of partner accounts.
const ID_CEILING: &str = "zzzzzzzzzzzzzzzzzzzzzzzzzz";

/// The accounts that are an active partner of account `$1` now.
const ACTIVE_PARTNERS: &str = "SELECT r.recipient_account_id AS owner_id FROM relationships r \
     WHERE r.sender_account_id = $1 AND r.sender_view = 'accepted' \
     AND r.recipient_view = 'accepted' \
     UNION \
     SELECT r.sender_account_id FROM relationships r \
     WHERE r.recipient_account_id = $1 AND r.sender_view = 'accepted' \
     AND r.recipient_view = 'accepted'";

/// The member rows of a user just added (its own `user` row already written): now, or
/// queued for the worker when its account has many partners.
pub(crate) async fn user_added(store: &Store, tx: &mut Tx, user: &User) -> StoreResult<()> {
    let partners: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM ({ACTIVE_PARTNERS}) p"))
        .bind(&user.account_id)
        .fetch_one(&mut **tx)
        .await?;
    if partners <= i64::from(store.sync_fanout_limit()) {
        return insert_members(tx, &user.account_id, &user.id, "", ID_CEILING).await;
    }
    sqlx::query(
        "INSERT INTO contact_fanout (id, account_id, user_id, done_up_to, created_at) \
         VALUES ($1, $2, $3, '', $4)",
    )
    .bind(ids::new_id())
    .bind(&user.account_id)
    .bind(&user.id)
    .bind(now_micros())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the member rows of user `user_id` of `account_id` on the page of every active
/// partner account with an id in (`after`, `up_to`]. Rows already there stay as they are.
async fn insert_members(
    tx: &mut Tx,
    account_id: &str,
    user_id: &str,
    after: &str,
    up_to: &str,
) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO contacts ({INSERT_COLUMNS}) \
         SELECT p.owner_id, c.id, 'member', c.account_id, c.name, c.email, c.company, NULL, \
           NULL, 'active', c.active, 0, c.name_key, c.search, $3, $3 \
         FROM contacts c, ({ACTIVE_PARTNERS}) p \
         WHERE c.owner_account_id = $1 AND c.id = $2 AND p.owner_id > $4 AND p.owner_id <= $5 \
         ON CONFLICT (owner_account_id, id) DO NOTHING"
    ))
    .bind(account_id)
    .bind(user_id)
    .bind(now_micros())
    .bind(after)
    .bind(up_to)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

struct Job {
    id: String,
    account_id: String,
    user_id: String,
    done_up_to: String,
}

const JOB_COLUMNS: &str = "id, account_id, user_id, done_up_to";

fn job(row: &sqlx::any::AnyRow) -> StoreResult<Job> {
    Ok(Job {
        id: col(row, "id")?,
        account_id: col(row, "account_id")?,
        user_id: col(row, "user_id")?,
        done_up_to: col(row, "done_up_to")?,
    })
}

/// Writes the next chunk of the oldest job, in one transaction. `false` when no job is
/// left.
pub async fn step(store: &Store) -> StoreResult<bool> {
    let s = store.clone();
    store
        .write(move || {
            let s = s.clone();
            async move { step_now(&s).await }
        })
        .await
}

async fn step_now(store: &Store) -> StoreResult<bool> {
    let mut tx = store.begin().await?;
    // The account's contacts lock comes before any other lock of the transaction (see
    // `sync`): find the job unlocked, lock the account, then read the job again.
    let account: Option<String> =
        sqlx::query_scalar("SELECT account_id FROM contact_fanout ORDER BY id LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let Some(account) = account else {
        return Ok(false);
    };
    lock_account(store, &mut tx, &account).await?;
    let row = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM contact_fanout WHERE account_id = $1 ORDER BY id LIMIT 1{}",
        store.for_update()
    ))
    .bind(&account)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        // Finished meanwhile by someone else.
        return Ok(true);
    };
    let job = job(&row)?;
    // The last partner of a full chunk (only it: every row fetched is a hop on SQLite);
    // none when what is left fits in one.
    let chunk_end: Option<String> = sqlx::query_scalar(&format!(
        "SELECT p.owner_id FROM ({ACTIVE_PARTNERS}) p WHERE p.owner_id > $2 \
         ORDER BY p.owner_id LIMIT 1 OFFSET $3"
    ))
    .bind(&job.account_id)
    .bind(&job.done_up_to)
    .bind(CHUNK - 1)
    .fetch_optional(&mut *tx)
    .await?;
    match chunk_end.as_deref() {
        Some(last) => {
            insert_members(
                &mut tx,
                &job.account_id,
                &job.user_id,
                &job.done_up_to,
                last,
            )
            .await?;
            sqlx::query("UPDATE contact_fanout SET done_up_to = $1 WHERE id = $2")
                .bind(last)
                .bind(&job.id)
                .execute(&mut *tx)
                .await?;
        }
        _ => {
            // The last chunk: everything after where it got to, and the job is done.
            insert_members(
                &mut tx,
                &job.account_id,
                &job.user_id,
                &job.done_up_to,
                ID_CEILING,
            )
            .await?;
            delete_job(&mut tx, &job.id).await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

async fn delete_job(tx: &mut Tx, id: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM contact_fanout WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Finishes, inside `tx`, every job of these accounts. The caller holds their contacts
/// locks (a partner action: exclusive on both accounts).
pub(crate) async fn finish_for(tx: &mut Tx, accounts: &[&str]) -> StoreResult<()> {
    for account in accounts {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM contact_fanout WHERE account_id = $1 ORDER BY id"
        ))
        .bind(account)
        .fetch_all(&mut **tx)
        .await?;
        for row in &rows {
            let job = job(row)?;
            insert_members(
                tx,
                &job.account_id,
                &job.user_id,
                &job.done_up_to,
                ID_CEILING,
            )
            .await?;
            delete_job(tx, &job.id).await?;
        }
    }
    Ok(())
}

/// Runs every queued job to the end.
pub async fn finish_all(store: &Store) -> StoreResult<()> {
    while step(store).await? {}
    Ok(())
}

/// Jobs not finished yet.
pub async fn pending(store: &Store) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM contact_fanout")
        .fetch_one(&mut *store.read().await?)
        .await?)
}
