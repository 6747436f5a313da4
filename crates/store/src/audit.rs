//! The append-only audit log of partner relationships: every send, accept, reject,
//! delete and automatic resolution, with actor, views before and after, and UTC time.

use crate::batch::Statement;
use crate::model::Relationship;
use crate::model::User;
use crate::{col, ids, now_micros, Store, StoreResult, Tx};
use coproof_core::partner::{Side, View, Views};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Send,
    Accept,
    Reject,
    Delete,
    /// Another pending request between the same accounts was resolved into a partnership.
    Resolve,
    /// A request waiting for an address attached to the account that got a user with it.
    Attach,
    /// A request waiting for an address was dropped: the address joined the sender's account.
    Drop,
    /// The recipient's policy accepted a request the moment it arrived.
    AutoAccept,
    /// Nobody answered a request within the recipient policy's lifetime.
    Expire,
}

impl AuditAction {
    pub const ALL: [AuditAction; 9] = [
        AuditAction::Send,
        AuditAction::Accept,
        AuditAction::Reject,
        AuditAction::Delete,
        AuditAction::Resolve,
        AuditAction::Attach,
        AuditAction::Drop,
        AuditAction::AutoAccept,
        AuditAction::Expire,
    ];

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Send => "send",
            AuditAction::Accept => "accept",
            AuditAction::Reject => "reject",
            AuditAction::Delete => "delete",
            AuditAction::Resolve => "resolve",
            AuditAction::Attach => "attach",
            AuditAction::Drop => "drop",
            AuditAction::AutoAccept => "auto_accept",
            AuditAction::Expire => "expire",
        }
    }
}

pub(crate) async fn record(
    tx: &mut Tx,
    action: AuditAction,
    actor: Option<&User>,
    rel: &Relationship,
    before: Views,
    after: Views,
) -> StoreResult<()> {
    entry(action, actor, rel, before, after).execute(tx).await
}

/// The entry [`record`] writes, for a [`crate::batch::Batch`].
pub(crate) fn entry(
    action: AuditAction,
    actor: Option<&User>,
    rel: &Relationship,
    before: Views,
    after: Views,
) -> Statement {
    Statement::new(
        "INSERT INTO audit_log (id, at, action, actor_user_id, actor_account_id, relationship_id, \
         sender_account_id, recipient_account_id, sender_view_before, recipient_view_before, \
         sender_view_after, recipient_view_after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        vec![
            ids::new_id().into(),
            now_micros().into(),
            action.as_str().into(),
            actor.map(|a| a.id.clone()).into(),
            actor.map(|a| a.account_id.clone()).into(),
            (&rel.id).into(),
            (&rel.sender_account_id).into(),
            rel.recipient_account_id.clone().into(),
            before.sender.as_str().into(),
            before.recipient.as_str().into(),
            after.sender.as_str().into(),
            after.recipient.as_str().into(),
        ],
    )
}

/// One audit entry as an account sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub at: i64,
    pub action: String,
    /// The acting user when it belongs to the viewing account.
    pub actor_user_id: Option<String>,
    /// Whether the actor was the viewing account, the other account, or nobody (automatic).
    pub actor: &'static str,
    pub relationship_id: String,
    pub direction: Side,
    pub before: Views,
    pub after: Views,
}

/// Which audit entries account `$1` may know of. The sender sees every entry of its
/// requests except the moment a waiting request attached to an account (`spec/partners.md`,
/// "What each side sees"). The recipient sees those where its view was or became
/// something other than `none`: a request its policy withheld, and whatever happens to
/// it, stays unknown to it (and so does what the sender does after the recipient deleted
/// its view).
pub(crate) const VISIBLE_TO: &str = "((sender_account_id = $1 AND action <> 'attach') \
     OR (recipient_account_id = $1 \
     AND (recipient_view_before <> 'none' OR recipient_view_after <> 'none')))";

/// The entries that concern `account_id` ([`VISIBLE_TO`]), newest first, after `cursor`.
pub async fn list(
    store: &Store,
    account_id: &str,
    action: Option<AuditAction>,
    cursor: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<Entry>> {
    let rows = sqlx::query(&format!(
        "SELECT id, at, action, actor_user_id, actor_account_id, relationship_id, \
         sender_account_id, sender_view_before, recipient_view_before, sender_view_after, \
         recipient_view_after FROM audit_log \
         WHERE {VISIBLE_TO} AND id < $2 AND ($4 = '' OR action = $4) ORDER BY id DESC LIMIT $3"
    ))
    .bind(account_id)
    .bind(cursor.unwrap_or("zzzzzzzzzzzzzzzzzzzzzzzzzz"))
    .bind(i64::from(limit))
    .bind(action.map_or("", AuditAction::as_str))
    .fetch_all(&mut *store.read().await?)
    .await?;
    let view = |row, name| -> StoreResult<View> {
        let raw: String = col(row, name)?;
        View::parse(&raw).ok_or_else(|| crate::StoreError::Corrupt(format!("view {raw:?}")))
    };
    rows.iter()
        .map(|row| {
            let actor_account: Option<String> = col(row, "actor_account_id")?;
            let sender: String = col(row, "sender_account_id")?;
            let own = actor_account.as_deref() == Some(account_id);
            Ok(Entry {
                id: col(row, "id")?,
                at: col(row, "at")?,
                action: col(row, "action")?,
                actor_user_id: if own {
                    col(row, "actor_user_id")?
                } else {
                    None
                },
                actor: match actor_account {
                    None => "system",
                    Some(_) if own => "own_account",
                    Some(_) => "partner_account",
                },
                relationship_id: col(row, "relationship_id")?,
                direction: if sender == account_id {
                    Side::Sender
                } else {
                    Side::Recipient
                },
                before: Views::new(
                    view(row, "sender_view_before")?,
                    view(row, "recipient_view_before")?,
                ),
                after: Views::new(
                    view(row, "sender_view_after")?,
                    view(row, "recipient_view_after")?,
                ),
            })
        })
        .collect()
}

/// One line of an account's whole audit log: a partner transition or a security event.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEntry {
    Partner(Entry),
    Security(crate::security::Recorded),
}

impl LogEntry {
    pub fn id(&self) -> &str {
        match self {
            LogEntry::Partner(e) => &e.id,
            LogEntry::Security(e) => &e.id,
        }
    }
}

/// Which entries of the log to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionFilter {
    All,
    Partner(AuditAction),
    Security(crate::security::SecurityAction),
}

impl ActionFilter {
    /// The filter for `?action=`; `None` for an action the log does not know.
    pub fn parse(raw: Option<&str>) -> Option<ActionFilter> {
        match raw {
            None | Some("") => Some(ActionFilter::All),
            Some(s) => AuditAction::parse(s)
                .map(ActionFilter::Partner)
                .or_else(|| crate::security::SecurityAction::parse(s).map(ActionFilter::Security)),
        }
    }
}

/// The account's whole log, newest first: partner entries and security events merged by
/// id (ids are time-ordered), at most `limit` after `cursor`.
pub async fn account_log(
    store: &Store,
    account_id: &str,
    filter: ActionFilter,
    cursor: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<LogEntry>> {
    let partner = match filter {
        ActionFilter::All => list(store, account_id, None, cursor, limit).await?,
        ActionFilter::Partner(a) => list(store, account_id, Some(a), cursor, limit).await?,
        ActionFilter::Security(_) => Vec::new(),
    };
    let security = match filter {
        ActionFilter::All => crate::security::list(store, account_id, None, cursor, limit).await?,
        ActionFilter::Security(a) => {
            crate::security::list(store, account_id, Some(a), cursor, limit).await?
        }
        ActionFilter::Partner(_) => Vec::new(),
    };
    let mut merged: Vec<LogEntry> = partner
        .into_iter()
        .map(LogEntry::Partner)
        .chain(security.into_iter().map(LogEntry::Security))
        .collect();
    merged.sort_by(|a, b| b.id().cmp(a.id()));
    merged.truncate(limit as usize);
    Ok(merged)
}
