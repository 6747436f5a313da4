//! Member rows of a user added to an account with many partners, written right after
//! the change instead of inside it.
//!
//! A user joining an agency with 2,000 partners means 2,000 new rows, one on each
//! partner's Contacts page. Up to [`Store::sync_fanout_limit`] active partners they are
//! written in the transaction that adds the user; beyond it that transaction queues a
//! job (`contact_fanout`) and a worker ([`step`]) writes the rows in chunks of about
//! [`CHUNK`] rows, each chunk its own short transaction, so the request and everyone
//! queued behind the writer do not wait for all of them.
//!
//! Jobs of one account queued together (users added one after the other) are written
//! together, up to [`USERS_PER_CHUNK`] users, over fewer partners per chunk: their rows
//! on one partner's page sit side by side in its indexes, so the users share the pages a
//! chunk changes, where one user alone changes about three pages per row.
//!
//! Nothing is lost or phantom: the job commits with the user; each chunk re-reads the
//! partnerships inside its transaction (under the account's contacts lock on
//! PostgreSQL) and records how far it got; a partner action on the account finishes the
//! account's jobs first, in its own transaction ([`finish_for`]), so a partnership never
//! ends or starts with rows still owed to it; `coproof check contacts` finishes every
//! job before it checks ([`finish_all`]).

use super::INSERT_COLUMNS;
use crate::batch::placeholders;
use crate::model::User;
use crate::partnership::ACTIVE_R;
use crate::{col, ids, locks, now_micros, Store, StoreResult, Tx};

/// Member rows per chunk transaction (partner accounts × users written together).
pub const CHUNK: i64 = 250;
/// Partner accounts per chunk at most. Each is another page of every index of `contacts`
/// to change, and a request queued behind the chunk waits for all of them: a chunk of many
/// users of few partners is cheaper than one of one user of many partners.
pub const PARTNERS_PER_CHUNK: i64 = 80;
/// Jobs of one account a chunk writes together at most.
pub const USERS_PER_CHUNK: i64 = 25;

/// Above every id: "no upper bound" of a range of partner accounts.
const ID_CEILING: &str = "zzzzzzzzzzzzzzzzzzzzzzzzzz";

/// The accounts that are an active partner of account `$account` now, with an id in
/// (`$after`, `$up_to`] (placeholder numbers), in id order: two ranges of the partial
/// indexes `partnerships_by_*`, merged.
fn active_partners(account: usize, after: usize, up_to: usize) -> String {
    format!(
        "SELECT r.recipient_account_id AS owner_id FROM relationships r \
         WHERE r.sender_account_id = ${account} AND {ACTIVE_R} \
         AND r.recipient_account_id > ${after} AND r.recipient_account_id <= ${up_to} \
         UNION \
         SELECT r.sender_account_id FROM relationships r \
         WHERE r.recipient_account_id = ${account} AND {ACTIVE_R} \
         AND r.sender_account_id > ${after} AND r.sender_account_id <= ${up_to} \
         ORDER BY 1"
    )
}

/// The member rows of a user just added (its own `user` row already written): now, or
/// queued for the worker when its account has many partners.
pub(crate) async fn user_added(store: &Store, tx: &mut Tx, user: &User) -> StoreResult<()> {
    let partners: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM ({}) p",
        active_partners(1, 2, 3)
    ))
    .bind(&user.account_id)
    .bind("")
    .bind(ID_CEILING)
    .fetch_one(&mut **tx)
    .await?;
    if partners <= i64::from(store.sync_fanout_limit()) {
        return insert_members(tx, &user.account_id, &[user.id.as_str()], "", ID_CEILING).await;
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

/// Writes the member rows of users `user_ids` of `account_id` on the page of every active
/// partner account with an id in (`after`, `up_to`] whose terms from `account_id` show
/// them (a new user is never in a chosen list). Rows already there stay as they are.
async fn insert_members(
    tx: &mut Tx,
    account_id: &str,
    user_ids: &[&str],
    after: &str,
    up_to: &str,
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO contacts ({INSERT_COLUMNS}) \
         SELECT p.owner_id, c.id, 'member', c.account_id, c.name, c.email, c.company, NULL, \
           NULL, 'active', c.active, 0, c.name_key, c.search, $2, $2 \
         FROM contacts c, ({partners}) p \
         WHERE c.owner_account_id = $1 AND c.id IN ({users}) AND {shown} \
         ON CONFLICT (owner_account_id, id) DO NOTHING",
        partners = active_partners(1, 3, 4),
        shown = crate::partnership::visible("$1", "p.owner_id", "c.id"),
        users = placeholders(5, user_ids.len())
    );
    let mut insert = sqlx::query(&sql)
        .bind(account_id)
        .bind(now_micros())
        .bind(after)
        .bind(up_to);
    for user in user_ids {
        insert = insert.bind(*user);
    }
    insert.execute(&mut **tx).await?;
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

/// Writes the next chunk of the oldest job, with the account's jobs that got as far, in
/// one transaction. `false` when no job is left.
pub async fn step(store: &Store) -> StoreResult<bool> {
    // Not while the WAL checkpointer has the worker stand aside (`checkpoints.rs`).
    let _go = store.fanout_pause.chunk().await;
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
    // `sync`): find the job unlocked, lock the account, then read the jobs again.
    let account: Option<String> =
        sqlx::query_scalar("SELECT account_id FROM contact_fanout ORDER BY id LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let Some(account) = account else {
        return Ok(false);
    };
    locks::contacts_of_account(store, &mut tx, &account).await?;
    // The account's oldest job, and those of its jobs that got exactly as far.
    let rows = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM contact_fanout WHERE account_id = $1 AND done_up_to = \
           (SELECT done_up_to FROM contact_fanout WHERE account_id = $1 ORDER BY id LIMIT 1) \
         ORDER BY id LIMIT $2{}",
        store.for_update()
    ))
    .bind(&account)
    .bind(USERS_PER_CHUNK)
    .fetch_all(&mut *tx)
    .await?;
    let jobs = rows.iter().map(job).collect::<StoreResult<Vec<_>>>()?;
    let Some(first) = jobs.first() else {
        // Finished meanwhile by someone else.
        return Ok(true);
    };
    let done_up_to = first.done_up_to.clone();
    let users: Vec<&str> = jobs.iter().map(|j| j.user_id.as_str()).collect();
    let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
    let partners = (CHUNK / jobs.len() as i64).clamp(1, PARTNERS_PER_CHUNK);
    // The last partner of a full chunk (only it: every row fetched is a hop on SQLite);
    // none when what is left fits in one.
    let chunk_end: Option<String> =
        sqlx::query_scalar(&format!("{} LIMIT 1 OFFSET $4", active_partners(1, 2, 3)))
            .bind(&account)
            .bind(&done_up_to)
            .bind(ID_CEILING)
            .bind(partners - 1)
            .fetch_optional(&mut *tx)
            .await?;
    let up_to = chunk_end.as_deref().unwrap_or(ID_CEILING);
    insert_members(&mut tx, &account, &users, &done_up_to, up_to).await?;
    let sql = match chunk_end {
        Some(_) => format!(
            "UPDATE contact_fanout SET done_up_to = $1 WHERE id IN ({})",
            placeholders(2, ids.len())
        ),
        // The last chunk: everything after where they got to, and the jobs are done.
        None => format!(
            "DELETE FROM contact_fanout WHERE id IN ({})",
            placeholders(1, ids.len())
        ),
    };
    let mut finish = sqlx::query(&sql);
    if let Some(last) = &chunk_end {
        finish = finish.bind(last);
    }
    ids.iter()
        .fold(finish, |query, id| query.bind(*id))
        .execute(&mut *tx)
        .await?;
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
                &[job.user_id.as_str()],
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
