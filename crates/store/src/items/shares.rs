//! Shares: an item given to a person or (folders only) to a whole account. New shares need
//! the target to be the owning account or an active partner of it; ending a partnership
//! later changes no share, but the owner's list marks such shares. Picking an account for
//! a file or a proof gives a person share to each of its users as they are at that moment.
//! Each new person share queues one e-mail to that person, in their language.

use super::access::{authorize, Authorized};
use crate::attempts;
use crate::mail_messages::ItemShared;
use crate::model::Account;
use crate::model::User;
use crate::outbox::{self, Mail};
use crate::webhooks::{self, WebhookEvent};
use crate::{col, ids, now_micros, partnership, Store, StoreResult, Tx};
use coproof_core::access::Operation;
use coproof_core::sharing::{check_share, ItemKind, ProofRole};
use coproof_core::throttle::{Throttle, SHARE_MAIL_PER_SHARE};
use coproof_core::{Language, Refusal};
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub id: String,
    pub item_type: ItemKind,
    pub item_id: String,
    pub user_id: Option<String>,
    pub account_id: Option<String>,
    pub role: Option<ProofRole>,
    pub created_at: i64,
    pub created_by: String,
    /// The target is another account that is no longer an active partner of the owner.
    pub partnership_ended: bool,
}

const SHARE_COLUMNS: &str =
    "s.id, s.item_type, s.item_id, s.user_id, s.account_id, s.role, s.created_at, s.created_by";

impl Share {
    fn from_row(row: &AnyRow) -> StoreResult<Share> {
        let kind: String = col(row, "item_type")?;
        let role: Option<String> = col(row, "role")?;
        Ok(Share {
            id: col(row, "id")?,
            item_type: ItemKind::parse(&kind)
                .ok_or_else(|| crate::StoreError::Corrupt(format!("item type {kind:?}")))?,
            item_id: col(row, "item_id")?,
            user_id: col(row, "user_id")?,
            account_id: col(row, "account_id")?,
            role: role.as_deref().and_then(|r| ProofRole::parse(r).ok()),
            created_at: col(row, "created_at")?,
            created_by: col(row, "created_by")?,
            partnership_ended: false,
        })
    }
}

/// Whom an item is shared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    User(String),
    Account(String),
}

/// A user who may receive a share: id, account, e-mail, language.
struct Recipient {
    id: String,
    account_id: String,
    email: String,
    language: String,
}

/// Shares `item` with `target` on behalf of `actor` (who may share it: checked by the
/// caller). Returns the person or account shares that now exist for the target.
pub(crate) async fn add(
    store: &Store,
    tx: &mut Tx,
    actor: &User,
    item: &Authorized,
    target: &Target,
    role: Option<&str>,
) -> StoreResult<Vec<Share>> {
    match target {
        Target::User(user_id) => {
            let found: Option<(String, String, String, String)> = if ids::looks_like_id(user_id) {
                sqlx::query_as("SELECT id, account_id, email, language FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_optional(&mut **tx)
                    .await?
            } else {
                None
            };
            // An unknown user is refused like a stranger's: no id reveals whether it exists.
            let (id, account_id, email, language) = found.ok_or(Refusal::NotPartner)?;
            let partner = partnership::exists(&mut **tx, &item.account_id, &account_id).await?;
            let role = check_share(item.kind, &item.account_id, &account_id, role, partner)?;
            let recipient = Recipient {
                id,
                account_id,
                email,
                language,
            };
            Ok(vec![
                share_with_person(store, tx, actor, item, &recipient, role).await?,
            ])
        }
        Target::Account(account_id) => {
            let exists = ids::looks_like_id(account_id)
                && sqlx::query_scalar::<_, String>("SELECT id FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&mut **tx)
                    .await?
                    .is_some();
            if !exists {
                return Err(Refusal::NotPartner.into());
            }
            let partner = partnership::exists(&mut **tx, &item.account_id, account_id).await?;
            let role = check_share(item.kind, &item.account_id, account_id, role, partner)?;
            let users: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT id, email, language FROM users \
                 WHERE account_id = $1 AND active = 1 ORDER BY id",
            )
            .bind(account_id)
            .fetch_all(&mut **tx)
            .await?;
            let recipients = users.into_iter().map(|(id, email, language)| Recipient {
                id,
                account_id: account_id.clone(),
                email,
                language,
            });
            if item.kind == ItemKind::Folder {
                let share = share_with_account(tx, actor, item, account_id).await?;
                if share.1 {
                    for r in recipients.filter(|r| r.id != actor.id) {
                        mail(store, tx, actor, item, &r).await?;
                    }
                }
                return Ok(vec![share.0]);
            }
            let mut out = Vec::new();
            for r in recipients.filter(|r| r.id != actor.id) {
                out.push(share_with_person(store, tx, actor, item, &r, role).await?);
            }
            Ok(out)
        }
    }
}

/// Tells `to` that `actor` shared `item`: at most once a day for the same item and person
/// (a share deleted and made again stays quiet), within the account's hourly cap on share
/// e-mails (past it, `rate_limited` and the whole share is refused) and the server's.
async fn mail(
    store: &Store,
    tx: &mut Tx,
    actor: &User,
    item: &Authorized,
    to: &Recipient,
) -> StoreResult<()> {
    let once = format!("share-mail:{}:{}:{}", item.kind.as_str(), item.id, to.id);
    if !attempts::allowed_and_counted(tx, &once, SHARE_MAIL_PER_SHARE).await? {
        return Ok(());
    }
    let cap = Throttle::per_hour(store.mail_caps().share_mails_per_account);
    let key = format!("share-mails:{}", actor.account_id);
    attempts::check_and_count(tx, &[(key, cap)]).await?;
    store.mail_ceiling().take(1)?;
    outbox::enqueue(
        tx,
        &Mail::new(
            &to.email,
            Language::parse(&to.language).unwrap_or_default(),
            ItemShared {
                sharer_name: actor.name.clone(),
                item_name: item.name.clone(),
                item_type: item.kind.as_str().to_string(),
                path: item.kind.page(&item.id),
            },
        ),
    )
    .await
}

async fn find(
    tx: &mut Tx,
    item: &Authorized,
    column: &str,
    value: &str,
) -> StoreResult<Option<Share>> {
    let row = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM shares s WHERE s.item_type = $1 AND s.item_id = $2 \
         AND s.{column} = $3"
    ))
    .bind(item.kind.as_str())
    .bind(&item.id)
    .bind(value)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(Share::from_row).transpose()
}

/// A person share: a new one (with an e-mail), or the existing one with the new role.
async fn share_with_person(
    store: &Store,
    tx: &mut Tx,
    actor: &User,
    item: &Authorized,
    to: &Recipient,
    role: Option<ProofRole>,
) -> StoreResult<Share> {
    if let Some(mut existing) = find(tx, item, "user_id", &to.id).await? {
        if role.is_some() && existing.role != role {
            sqlx::query("UPDATE shares SET role = $1 WHERE id = $2")
                .bind(role.map(ProofRole::as_str))
                .bind(&existing.id)
                .execute(&mut **tx)
                .await?;
            existing.role = role;
        }
        return Ok(existing);
    }
    let share = Share {
        id: ids::new_id(),
        item_type: item.kind,
        item_id: item.id.clone(),
        user_id: Some(to.id.clone()),
        account_id: None,
        role,
        created_at: now_micros(),
        created_by: actor.id.clone(),
        partnership_ended: false,
    };
    insert(tx, &share).await?;
    announce(
        tx,
        WebhookEvent::ShareCreated,
        actor,
        item,
        &share,
        &to.account_id,
    )
    .await?;
    if to.id != actor.id {
        mail(store, tx, actor, item, to).await?;
    }
    Ok(share)
}

/// An account share (folders): the existing one, or a new one (`true`).
async fn share_with_account(
    tx: &mut Tx,
    actor: &User,
    item: &Authorized,
    account_id: &str,
) -> StoreResult<(Share, bool)> {
    if let Some(existing) = find(tx, item, "account_id", account_id).await? {
        return Ok((existing, false));
    }
    let share = Share {
        id: ids::new_id(),
        item_type: item.kind,
        item_id: item.id.clone(),
        user_id: None,
        account_id: Some(account_id.to_string()),
        role: None,
        created_at: now_micros(),
        created_by: actor.id.clone(),
        partnership_ended: false,
    };
    insert(tx, &share).await?;
    announce(
        tx,
        WebhookEvent::ShareCreated,
        actor,
        item,
        &share,
        account_id,
    )
    .await?;
    Ok((share, true))
}

async fn insert(tx: &mut Tx, share: &Share) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO shares (id, item_type, item_id, user_id, account_id, role, created_at, \
         created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&share.id)
    .bind(share.item_type.as_str())
    .bind(&share.item_id)
    .bind(share.user_id.clone())
    .bind(share.account_id.clone())
    .bind(share.role.map(ProofRole::as_str))
    .bind(share.created_at)
    .bind(&share.created_by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues `share.created` or `share.removed` for the item's account and the account it is
/// shared to (`webhooks`), in the transaction of the change.
async fn announce(
    tx: &mut Tx,
    event: WebhookEvent,
    actor: &User,
    item: &Authorized,
    share: &Share,
    to_account: &str,
) -> StoreResult<()> {
    let at = |micros: i64| {
        chrono::DateTime::from_timestamp_micros(micros)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let data = serde_json::json!({
        "share": {
            "id": share.id,
            "item_type": share.item_type.as_str(),
            "item_id": share.item_id,
            "user_id": share.user_id,
            "account_id": share.account_id,
            "role": share.role.map(ProofRole::as_str),
            "created_at": at(share.created_at),
        },
        "item": {"type": item.kind.as_str(), "id": item.id, "name": item.name,
                 "account_id": item.account_id},
        "to_account_id": to_account,
        "by": {"id": actor.id, "name": actor.name, "account_id": actor.account_id},
    });
    webhooks::emit_to_each(tx, &[&item.account_id, to_account], event, data).await
}

/// Shares an item the actor may share.
pub async fn create(
    store: &Store,
    actor: &User,
    kind: ItemKind,
    id: &str,
    target: &Target,
    role: Option<&str>,
) -> StoreResult<Vec<Share>> {
    let mut tx = store.begin().await?;
    let item = authorize(&mut tx, actor, kind, id, Operation::Share).await?;
    let shares = add(store, &mut tx, actor, &item, target, role).await?;
    tx.commit().await?;
    Ok(shares)
}

/// The shares of an item (not those inherited from folders above), oldest first, each
/// marked when its target account is no longer an active partner of the owner.
pub async fn list(
    store: &Store,
    actor: &User,
    kind: ItemKind,
    id: &str,
) -> StoreResult<Vec<Share>> {
    Ok(list_named(store, actor, kind, id)
        .await?
        .into_iter()
        .map(|listed| listed.share)
        .collect())
}

/// A share with whom it is to, as people read it: a user's name and address, or an
/// account's name.
#[derive(Debug, Clone)]
pub struct Listed {
    pub share: Share,
    pub to: String,
}

/// The shares of an item (for those who may share it), oldest first, with names.
pub async fn list_named(
    store: &Store,
    actor: &User,
    kind: ItemKind,
    id: &str,
) -> StoreResult<Vec<Listed>> {
    let mut conn = store.read().await?;
    let item = authorize(&mut conn, actor, kind, id, Operation::Share).await?;
    let rows = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS}, COALESCE(s.account_id, u.account_id) AS target_account, \
           COALESCE(u.name || ' <' || u.email || '>', a.name, '') AS target_name \
         FROM shares s LEFT JOIN users u ON u.id = s.user_id \
         LEFT JOIN accounts a ON a.id = s.account_id \
         WHERE s.item_type = $1 AND s.item_id = $2 ORDER BY s.id"
    ))
    .bind(kind.as_str())
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut known: Vec<(String, bool)> = Vec::new();
    for row in &rows {
        let mut share = Share::from_row(row)?;
        let target: String = col(row, "target_account")?;
        if target != item.account_id {
            let active = match known.iter().find(|(a, _)| *a == target) {
                Some((_, active)) => *active,
                None => {
                    let active = partnership::exists(&mut *conn, &item.account_id, &target).await?;
                    known.push((target.clone(), active));
                    active
                }
            };
            share.partnership_ended = !active;
        }
        out.push(Listed {
            share,
            to: col(row, "target_name")?,
        });
    }
    Ok(out)
}

/// Removes a share; it stops giving access on the very next request.
pub async fn delete(store: &Store, actor: &User, share_id: &str) -> StoreResult<()> {
    if !ids::looks_like_id(share_id) {
        return Err(Refusal::NotFound.into());
    }
    let mut tx = store.begin().await?;
    let row = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM shares s WHERE s.id = $1"
    ))
    .bind(share_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Refusal::NotFound)?;
    let share = Share::from_row(&row)?;
    let item = authorize(
        &mut tx,
        actor,
        share.item_type,
        &share.item_id,
        Operation::Share,
    )
    .await?;
    sqlx::query("DELETE FROM shares WHERE id = $1")
        .bind(share_id)
        .execute(&mut *tx)
        .await?;
    let to_account = match (&share.account_id, &share.user_id) {
        (Some(account), _) => Some(account.clone()),
        (None, Some(user)) => {
            sqlx::query_scalar("SELECT account_id FROM users WHERE id = $1")
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?
        }
        (None, None) => None,
    };
    let to_account = to_account.unwrap_or_else(|| item.account_id.clone());
    announce(
        &mut tx,
        WebhookEvent::ShareRemoved,
        actor,
        &item,
        &share,
        &to_account,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// type, id, first share id, name, owner account id, owner account name.
type SharedRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// An item shared with a user (directly, or with its account).
#[derive(Debug, Clone)]
pub struct SharedItem {
    pub item_type: ItemKind,
    pub item_id: String,
    pub name: String,
    pub owner_account: Account,
    /// The first share of it to the user; the list's cursor.
    pub share_id: String,
}

/// Items shared with the actor or its account that it can still see, in order of their
/// first share, after `cursor`.
pub async fn shared_with_me(
    store: &Store,
    actor: &User,
    cursor: Option<&str>,
    limit: u32,
) -> StoreResult<(Vec<SharedItem>, Option<String>)> {
    let mut conn = store.read().await?;
    let rows: Vec<SharedRow> = sqlx::query_as(
        "SELECT g.item_type, g.item_id, g.sid, \
                    COALESCE(f.name, x.name, p.name) AS name, \
                    COALESCE(f.account_id, x.account_id, p.account_id) AS owner, a.name \
             FROM (SELECT item_type, item_id, MIN(id) AS sid FROM shares \
                   WHERE user_id = $1 OR account_id = $2 GROUP BY item_type, item_id) g \
             LEFT JOIN folders f ON g.item_type = 'folder' AND f.id = g.item_id \
             LEFT JOIN files x ON g.item_type = 'file' AND x.id = g.item_id \
             LEFT JOIN proofs p ON g.item_type = 'proof' AND p.id = g.item_id \
             LEFT JOIN accounts a ON a.id = COALESCE(f.account_id, x.account_id, p.account_id) \
             WHERE g.sid > $3 ORDER BY g.sid LIMIT $4",
    )
    .bind(&actor.id)
    .bind(&actor.account_id)
    .bind(cursor.unwrap_or(""))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    let next = if rows.len() as u32 >= limit {
        rows.last().map(|r| r.2.clone())
    } else {
        None
    };
    let mut out = Vec::with_capacity(rows.len());
    for (item_type, item_id, sid, name, owner, owner_name) in rows {
        let (Some(kind), Some(name), Some(owner), Some(owner_name)) =
            (ItemKind::parse(&item_type), name, owner, owner_name)
        else {
            continue;
        };
        // Still visible (not in the trash, say)?
        match authorize(&mut conn, actor, kind, &item_id, Operation::View).await {
            Ok(_) => {}
            Err(crate::StoreError::Refused(_)) => continue,
            Err(e) => return Err(e),
        }
        out.push(SharedItem {
            item_type: kind,
            item_id,
            name,
            owner_account: Account {
                id: owner,
                name: owner_name,
            },
            share_id: sid,
        });
    }
    Ok((out, next))
}
