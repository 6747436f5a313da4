//! The outbox: e-mail queued in the transaction of the change that causes it, then
//! delivered by a worker that claims a few messages at a time (safely across processes)
//! and marks them sent only after the mail server took them.

use crate::batch::{placeholders, Statement};
use crate::{col, ids, now_micros, Store, StoreError, StoreResult, Tx};
use coproof_core::Language;

/// What an e-mail is about; the server renders each kind in the recipient's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// An admin added the recipient as a user without a password.
    UserInvited,
    /// A partner request was sent to the recipient's address.
    PartnerInvitation,
    /// The recipient's partner request was accepted.
    PartnerAccepted,
    /// The recipient's partner request was rejected.
    PartnerRejected,
    /// The recipient's partner request expired unanswered.
    PartnerExpired,
    /// Something was shared with the recipient.
    ItemShared,
    /// The recipient should prove that it reads this mailbox (a verification link).
    VerifyEmail,
    /// The recipient asked for a password-reset link.
    PasswordReset,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::UserInvited => "user_invited",
            MailKind::PartnerInvitation => "partner_invitation",
            MailKind::PartnerAccepted => "partner_accepted",
            MailKind::PartnerRejected => "partner_rejected",
            MailKind::PartnerExpired => "partner_expired",
            MailKind::ItemShared => "item_shared",
            MailKind::VerifyEmail => "verify_email",
            MailKind::PasswordReset => "password_reset",
        }
    }

    /// Kinds whose details hold a link's secret, wiped from the outbox once delivered.
    pub const WITH_SECRETS: [MailKind; 3] = [
        MailKind::UserInvited,
        MailKind::VerifyEmail,
        MailKind::PasswordReset,
    ];

    pub fn parse(s: &str) -> Option<MailKind> {
        [
            MailKind::UserInvited,
            MailKind::PartnerInvitation,
            MailKind::PartnerAccepted,
            MailKind::PartnerRejected,
            MailKind::PartnerExpired,
            MailKind::ItemShared,
            MailKind::VerifyEmail,
            MailKind::PasswordReset,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A message to queue: what it is about, to whom, in which language, with what details.
/// Made by [`Mail::new`] from a typed message of `crate::mail_messages`, read back by
/// [`Mail::message`]: `kind` and `params` are the outbox row's columns.
#[derive(Debug, Clone)]
pub struct Mail {
    pub kind: MailKind,
    pub recipient: String,
    pub language: Language,
    /// The message's fields as a JSON object.
    pub params: serde_json::Value,
}

/// A message claimed for delivery.
#[derive(Debug, Clone)]
pub struct Queued {
    pub id: String,
    pub mail: Mail,
    /// Delivery attempts so far, this one included.
    pub attempts: i64,
}

/// Queues `mail` inside the caller's transaction.
pub async fn enqueue(tx: &mut Tx, mail: &Mail) -> StoreResult<()> {
    message(mail).execute(tx).await
}

/// The row [`enqueue`] writes, for a [`crate::batch::Batch`].
pub fn message(mail: &Mail) -> Statement {
    let now = now_micros();
    Statement::new(
        "INSERT INTO outbox (id, kind, recipient, language, params, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
        vec![
            ids::new_id().into(),
            mail.kind.as_str().into(),
            (&mail.recipient).into(),
            mail.language.as_str().into(),
            mail.params.to_string().into(),
            now.into(),
        ],
    )
}

/// How long a worker may go without a heartbeat before its claims are free again.
pub const STALE_MICROS: i64 = 6_000_000;

/// A message is free to claim: not claimed, its lease over, or its owner silent for
/// [`STALE_MICROS`] (`$2` is now, `$5` the oldest live heartbeat).
const FREE: &str = "(claimed_until <= $2 OR claimed_by IS NULL \
     OR claimed_by NOT IN (SELECT id FROM workers WHERE seen_at > $5))";

/// Claims up to `limit` messages due, oldest first, for worker `worker` and `lease_micros`;
/// another worker (or process) will not take them while the lease runs and the owner's
/// heartbeat ([`heartbeat`]) keeps renewing it.
pub async fn claim_due(
    store: &Store,
    worker: &str,
    lease_micros: i64,
    limit: u32,
) -> StoreResult<Vec<Queued>> {
    let (s, worker) = (store.clone(), worker.to_string());
    store
        .write(move || {
            let (s, worker) = (s.clone(), worker.clone());
            async move { claim_now(&s, &worker, lease_micros, limit).await }
        })
        .await
}

async fn claim_now(
    store: &Store,
    worker: &str,
    lease_micros: i64,
    limit: u32,
) -> StoreResult<Vec<Queued>> {
    let now = now_micros();
    let skip_locked = match store.backend() {
        crate::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        crate::Backend::Sqlite => "",
    };
    let free = FREE;
    let mut tx = store.begin_grouped().await?;
    let rows = sqlx::query(&format!(
        "UPDATE outbox SET claimed_until = $1, claimed_by = $4, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $2 \
                      AND {free} ORDER BY next_attempt_at, id LIMIT $3{skip_locked}) \
         AND {free} \
         RETURNING id, kind, recipient, language, params, attempts, next_attempt_at"
    ))
    .bind(now + lease_micros)
    .bind(now)
    .bind(i64::from(limit))
    .bind(worker)
    .bind(now - STALE_MICROS)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let kind: String = col(row, "kind")?;
        let language: String = col(row, "language")?;
        let params: String = col(row, "params")?;
        let due: i64 = col(row, "next_attempt_at")?;
        let id: String = col(row, "id")?;
        claimed.push((
            (due, id.clone()),
            Queued {
                id,
                attempts: col(row, "attempts")?,
                mail: Mail {
                    kind: MailKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("mail kind {kind:?}")))?,
                    recipient: col(row, "recipient")?,
                    language: Language::parse(&language).unwrap_or_default(),
                    params: serde_json::from_str(&params)
                        .map_err(|e| StoreError::Corrupt(format!("mail params: {e}")))?,
                },
            },
        ));
    }
    // RETURNING gives no order: deliver in the order they were queued.
    claimed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(claimed.into_iter().map(|(_, q)| q).collect())
}

/// The mail server took these messages: they are never sent again.
pub async fn mark_sent(store: &Store, ids: &[String]) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let (s, ids) = (store.clone(), ids.to_vec());
    store
        .write(move || {
            let (s, ids) = (s.clone(), ids.clone());
            async move { mark_sent_now(&s, &ids).await }
        })
        .await
}

async fn mark_sent_now(store: &Store, ids: &[String]) -> StoreResult<()> {
    let now = now_micros();
    let mut tx = store.begin_grouped().await?;
    for chunk in ids.chunks(100) {
        // A delivered link's secret is not kept: only the mailbox has it now.
        let secret_kinds: &str = &SECRET_KINDS;
        let sql = format!(
            "UPDATE outbox SET sent_at = $1, last_error = NULL, \
             params = CASE WHEN kind IN ({secret_kinds}) THEN '{{}}' ELSE params END \
             WHERE id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(now);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Worker `worker` is alive: its heartbeat is recorded and its unsent claims renewed for
/// `lease_micros` from now. Call every couple of seconds while the worker runs.
pub async fn heartbeat(store: &Store, worker: &str, lease_micros: i64) -> StoreResult<()> {
    let (s, worker) = (store.clone(), worker.to_string());
    store
        .write(move || {
            let (s, worker) = (s.clone(), worker.clone());
            async move {
                let now = now_micros();
                let mut tx = s.begin_grouped().await?;
                let seen = sqlx::query("UPDATE workers SET seen_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(&worker)
                    .execute(&mut *tx)
                    .await?;
                if seen.rows_affected() == 0 {
                    sqlx::query("INSERT INTO workers (id, seen_at) VALUES ($1, $2)")
                        .bind(&worker)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "UPDATE outbox SET claimed_until = $1 WHERE claimed_by = $2 \
                     AND sent_at IS NULL AND claimed_until > $3",
                )
                .bind(now + lease_micros)
                .bind(&worker)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
        })
        .await
}

/// Frees every claim (the server starting on SQLite: one process owns the database, so
/// any claim there is of a process that died). How many were freed.
pub async fn free_claims_of_the_dead(store: &Store) -> StoreResult<u64> {
    if store.backend() != crate::Backend::Sqlite {
        return Ok(0);
    }
    let mut tx = store.begin_grouped().await?;
    let done = sqlx::query(
        "UPDATE outbox SET claimed_until = 0, claimed_by = NULL \
         WHERE sent_at IS NULL AND claimed_until > 0",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Forgets workers silent for a day (the housekeeping job).
pub async fn purge_workers(store: &Store, now: i64) -> StoreResult<u64> {
    let mut tx = store.begin_grouped().await?;
    let done = sqlx::query("DELETE FROM workers WHERE seen_at < $1")
        .bind(now - 24 * 3600 * 1_000_000)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Gives claimed messages back untried: due again now, the attempt not counted.
pub async fn release(store: &Store, ids: &[String]) -> StoreResult<()> {
    let mut tx = store.begin_grouped().await?;
    for id in ids {
        sqlx::query(
            "UPDATE outbox SET claimed_until = 0, claimed_by = NULL, attempts = attempts - 1 \
             WHERE id = $1 AND sent_at IS NULL",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Delivery failed: try again at `retry_at` (microseconds since the epoch).
pub async fn mark_failed(store: &Store, id: &str, error: &str, retry_at: i64) -> StoreResult<()> {
    let mut tx = store.begin_grouped().await?;
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1, claimed_until = 0, claimed_by = NULL, \
         last_error = $2 WHERE id = $3",
    )
    .bind(retry_at)
    .bind(error)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The kinds of [`MailKind::WITH_SECRETS`] as an SQL list of strings.
static SECRET_KINDS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    MailKind::WITH_SECRETS
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
});

/// Deletes messages sent before `before` (the housekeeping job, `--outbox-retention-days`).
pub async fn purge_sent(store: &Store, before: i64) -> StoreResult<u64> {
    let mut tx = store.begin_grouped().await?;
    let done = sqlx::query("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1")
        .bind(before)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Messages not yet sent.
pub async fn depth(store: &Store) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&mut *store.read().await?)
            .await?,
    )
}
