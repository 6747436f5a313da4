//! The outbox: e-mail queued in the transaction of the change that causes it, then
//! delivered by a worker that claims one message at a time (safely across processes) and
//! marks it sent only after the mail server took it.

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
    /// Something was shared with the recipient.
    ItemShared,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::UserInvited => "user_invited",
            MailKind::PartnerInvitation => "partner_invitation",
            MailKind::PartnerAccepted => "partner_accepted",
            MailKind::PartnerRejected => "partner_rejected",
            MailKind::ItemShared => "item_shared",
        }
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        [
            MailKind::UserInvited,
            MailKind::PartnerInvitation,
            MailKind::PartnerAccepted,
            MailKind::PartnerRejected,
            MailKind::ItemShared,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A message to queue: what it is about, to whom, in which language, with what details.
#[derive(Debug, Clone)]
pub struct Mail {
    pub kind: MailKind,
    pub recipient: String,
    pub language: Language,
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
    let now = now_micros();
    sqlx::query(
        "INSERT INTO outbox (id, kind, recipient, language, params, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(ids::new_id())
    .bind(mail.kind.as_str())
    .bind(&mail.recipient)
    .bind(mail.language.as_str())
    .bind(mail.params.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claims the next message due, for `lease_micros`; another worker (or process) will not
/// take it until the lease runs out.
pub async fn claim_due(store: &Store, lease_micros: i64) -> StoreResult<Option<Queued>> {
    let now = now_micros();
    let skip_locked = match store.backend() {
        crate::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        crate::Backend::Sqlite => "",
    };
    let mut tx = store.begin().await?;
    let row = sqlx::query(&format!(
        "UPDATE outbox SET claimed_until = $1, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $2 \
                     AND claimed_until <= $2 ORDER BY next_attempt_at, id LIMIT 1{skip_locked}) \
         AND claimed_until <= $2 \
         RETURNING id, kind, recipient, language, params, attempts"
    ))
    .bind(now + lease_micros)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(row) = row else { return Ok(None) };
    let kind: String = col(&row, "kind")?;
    let language: String = col(&row, "language")?;
    let params: String = col(&row, "params")?;
    Ok(Some(Queued {
        id: col(&row, "id")?,
        attempts: col(&row, "attempts")?,
        mail: Mail {
            kind: MailKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("mail kind {kind:?}")))?,
            recipient: col(&row, "recipient")?,
            language: Language::parse(&language).unwrap_or_default(),
            params: serde_json::from_str(&params)
                .map_err(|e| StoreError::Corrupt(format!("mail params: {e}")))?,
        },
    }))
}

/// The mail server took the message: it is never sent again.
pub async fn mark_sent(store: &Store, id: &str) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE outbox SET sent_at = $1, last_error = NULL WHERE id = $2")
        .bind(now_micros())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Delivery failed: try again at `retry_at` (microseconds since the epoch).
pub async fn mark_failed(store: &Store, id: &str, error: &str, retry_at: i64) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1, claimed_until = 0, last_error = $2 WHERE id = $3",
    )
    .bind(retry_at)
    .bind(error)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Messages not yet sent.
pub async fn depth(store: &Store) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(store.reader())
            .await?,
    )
}
