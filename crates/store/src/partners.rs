//! Partner relationships in the database: sending, accepting, rejecting and deleting
//! requests, each in one transaction that applies `coproof_core::partner`.
//!
//! Locks are taken in the one order of `locks.rs`.

use crate::audit::{self, AuditAction};
use crate::batch::{Batch, Statement};
use crate::live::{self, Change};
use crate::mail_messages::{
    MailMessage, PartnerAccepted, PartnerExpired, PartnerInvitation, PartnerRejected,
};
use crate::model::{Account, Inviter, Relationship, Seen, User, REL_COLUMNS};
use crate::outbox::{self, Mail};
use crate::partner_policy::{self, POLICY_COLUMNS};
use crate::partnership::{self, ACTIVE};
use crate::webhooks::{self, WebhookEvent};
use crate::{col, contacts, ids, locks, now_micros, Backend, Store, StoreError, StoreResult, Tx};
use coproof_core::partner::{self, Action, Effect, Outcome, SendFacts, Side, View, Views};
use coproof_core::policy::Arrival;
use coproof_core::{EmailAddress, Language, Refusal};
use sqlx::any::AnyRow;
use std::sync::LazyLock;

/// The highest possible id, for "from the start" of a descending keyset.
const ID_CEILING: &str = "zzzzzzzzzzzzzzzzzzzzzzzzzz";

const SEEN_QUERY: &str = "SELECT r.id, r.sender_account_id, r.sender_user_id, r.email, \
     r.recipient_account_id, r.sender_view, r.recipient_view, r.accepted_once, \
     r.created_at, r.updated_at, r.expires_at, su.name AS inviter_name, su.email AS inviter_email, \
     sa.name AS sender_account_name, ra.name AS recipient_account_name \
     FROM relationships r JOIN users su ON su.id = r.sender_user_id \
     JOIN accounts sa ON sa.id = r.sender_account_id \
     LEFT JOIN accounts ra ON ra.id = r.recipient_account_id";

/// Each side's view at `$6`, the store's clock: a request past its time is expired for
/// the sender and gone for the recipient before the sweep writes it so.
const SENDER_VIEW_AT: &str = "CASE WHEN r.sender_view = 'pending' AND r.expires_at <= $6 \
     THEN 'expired' ELSE r.sender_view END";
const RECIPIENT_VIEW_AT: &str = "CASE WHEN r.sender_view = 'pending' AND r.expires_at <= $6 \
     THEN 'none' ELSE r.recipient_view END";

fn seen_from_row(row: &AnyRow, account_id: &str, now: i64) -> StoreResult<Option<Seen>> {
    let rel = Relationship::from_row(row)?.as_of(now);
    let Some(side) = rel.side_of(account_id) else {
        return Ok(None);
    };
    let partner_account = match side {
        Side::Recipient => Some(Account {
            id: rel.sender_account_id.clone(),
            name: col(row, "sender_account_name")?,
        }),
        Side::Sender if rel.accepted_once => match &rel.recipient_account_id {
            Some(id) => Some(Account {
                id: id.clone(),
                name: col(row, "recipient_account_name")?,
            }),
            None => None,
        },
        Side::Sender => None,
    };
    Ok(Some(Seen {
        id: rel.id.clone(),
        direction: side,
        status: rel.views.of(side),
        email: rel.email.clone(),
        partner_account,
        invited_by: Inviter {
            id: rel.sender_user_id.clone(),
            name: col(row, "inviter_name")?,
            email: col(row, "inviter_email")?,
        },
        created_at: rel.created_at,
        updated_at: rel.updated_at,
    }))
}

/// Filters of the Partners list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<View>,
    pub direction: Option<Side>,
}

/// The relationships `account_id` sees, newest first, after `cursor`.
pub async fn list(
    store: &Store,
    actor: &User,
    filter: &ListFilter,
    cursor: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<Seen>> {
    partner::check_manage(actor.profile)?;
    let account_id = actor.account_id.as_str();
    let direction = match filter.direction {
        None => "",
        Some(Side::Sender) => "sent",
        Some(Side::Recipient) => "received",
    };
    let status = filter.status.map(View::as_str).unwrap_or("");
    let now = store.now();
    let rows = sqlx::query(&format!(
        "{SEEN_QUERY} WHERE r.id < $2 AND ( \
           (r.sender_account_id = $1 AND r.sender_view <> 'none' AND $3 <> 'received' \
            AND ($4 = '' OR {SENDER_VIEW_AT} = $4)) \
           OR (r.recipient_account_id = $1 AND {RECIPIENT_VIEW_AT} <> 'none' AND $3 <> 'sent' \
            AND ($4 = '' OR {RECIPIENT_VIEW_AT} = $4))) \
         ORDER BY r.id DESC LIMIT $5"
    ))
    .bind(account_id)
    .bind(cursor.unwrap_or(ID_CEILING))
    .bind(direction)
    .bind(status)
    .bind(i64::from(limit))
    .bind(now)
    .fetch_all(&mut *store.read().await?)
    .await?;
    let mut seen = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(s) = seen_from_row(row, account_id, now)? {
            seen.push(s);
        }
    }
    Ok(seen)
}

/// One relationship as the actor's account sees it; not found when invisible to it.
pub async fn get(store: &Store, actor: &User, id: &str) -> StoreResult<Seen> {
    partner::check_manage(actor.profile)?;
    if !ids::looks_like_id(id) {
        return Err(Refusal::NotFound.into());
    }
    seen_by(
        &mut *store.read().await?,
        &actor.account_id,
        id,
        store.now(),
    )
    .await
}

pub(crate) async fn seen_by<'e, E>(
    executor: E,
    account_id: &str,
    id: &str,
    now: i64,
) -> StoreResult<Seen>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!("{SEEN_QUERY} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await?
        .ok_or(Refusal::NotFound)?;
    seen_from_row(&row, account_id, now)?.ok_or(Refusal::NotFound.into())
}

/// Everything the send rules ask about a request from account `$1` to address `$2`, in
/// one statement (each statement is a round trip to the single SQLite writer, which is
/// the hot path of sending). `$3` is one hour ago. The views of the requests each way are
/// listed as `sender:recipient` pairs for the core to weigh, those gone for both sides
/// left out (they count for no rule, and a sender may have sent and deleted many), those
/// past their time at `$4` listed as expired. The recipient's partner policy comes along.
static SEND_FACTS: LazyLock<String> = LazyLock::new(|| {
    const LIVE: &str = "AND (sender_view <> 'none' OR recipient_view <> 'none')";
    const VIEWS: &str = "string_agg(CASE WHEN sender_view = 'pending' AND expires_at <= $4 \
        THEN 'expired:none' ELSE sender_view || ':' || recipient_view END, ',')";
    format!(
        "SELECT o.account_id AS owner, o.language AS owner_language, {POLICY_COLUMNS}, \
     (SELECT name FROM accounts WHERE id = $1) AS sender_name, \
     (SELECT {VIEWS} FROM relationships \
        WHERE sender_account_id = $1 AND email = $2 {LIVE}) AS to_address, \
     (SELECT COUNT(*) FROM relationships WHERE {ACTIVE} AND ( \
        (sender_account_id = $1 AND recipient_account_id = o.account_id) OR \
        (sender_account_id = o.account_id AND recipient_account_id = $1))) AS partnerships, \
     (SELECT {VIEWS} FROM relationships \
        WHERE sender_account_id = o.account_id AND recipient_account_id = $1 {LIVE}) AS incoming, \
     (SELECT COUNT(*) FROM relationships WHERE sender_account_id = $1 \
        AND created_at > $3) AS sent_last_hour, \
     (SELECT MIN(created_at) FROM relationships WHERE sender_account_id = $1 \
        AND created_at > $3) AS oldest, \
     (SELECT COUNT(*) FROM webhook_subscriptions WHERE event = 'partner.requested' \
        AND (account_id = $1 OR account_id = o.account_id)) AS hooks \
     FROM (SELECT 1 AS one) base LEFT JOIN users o ON o.email = $2 AND o.email_verified = 1 \
     LEFT JOIN partner_policies p ON p.account_id = o.account_id"
    )
});

/// The distinct views `SEND_FACTS` lists as `sender:recipient` pairs joined by commas.
fn views_listed(listed: Option<String>) -> StoreResult<Vec<Views>> {
    listed
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            Views::parse_pair(pair).ok_or_else(|| StoreError::Corrupt(format!("views {pair:?}")))
        })
        .collect()
}

/// Sends a partner request from the actor's account to the address `email` as typed
/// (send rules 1–8). Who may send is asked before what was typed: a user who may not send
/// is refused whatever the address.
pub async fn send(
    store: &Store,
    actor: &User,
    email: &str,
    limit_per_hour: u32,
) -> StoreResult<Seen> {
    partner::check_manage(actor.profile)?;
    let email = EmailAddress::parse(email)?;
    let (s, actor) = (store.clone(), actor.clone());
    store
        .write(move || {
            let (s, actor, email) = (s.clone(), actor.clone(), email.clone());
            async move { send_now(&s, &actor, &email, limit_per_hour).await }
        })
        .await
}

async fn send_now(
    store: &Store,
    actor: &User,
    email: &EmailAddress,
    limit_per_hour: u32,
) -> StoreResult<Seen> {
    // An unverified sender is refused before any lock is taken (`send` refused a non-admin
    // already); `check_send` states the rule.
    if !actor.email_verified {
        partner::check_send(
            &SendFacts {
                sender_is_admin: actor.profile.is_admin(),
                sender_is_verified: actor.email_verified,
                ..SendFacts::default()
            },
            limit_per_hour,
        )?;
    }
    let sender = actor.account_id.as_str();
    let sender_domain = EmailAddress::parse(&actor.email)?.domain().to_string();
    let now = store.now();
    let hour_ago = now_micros() - 3600 * 1_000_000;
    let mut tx = store.begin_grouped().await?;
    // Whether this send may start a partnership at once (the recipient's policy accepts
    // the sender's domain): on PostgreSQL that needs the contacts locks, taken first.
    let mut may_accept = store.backend() == Backend::Sqlite;
    let mut recipient_locked = None;
    if store.backend() == Backend::Postgres {
        let owner = sqlx::query(&format!(
            "SELECT o.account_id, {POLICY_COLUMNS} FROM users o \
             LEFT JOIN partner_policies p ON p.account_id = o.account_id \
             WHERE o.email = $1 AND o.email_verified = 1"
        ))
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(owner) = owner {
            let r: String = col(&owner, "account_id")?;
            if r != sender {
                if partner_policy::from_columns(&owner)?.arrival(&sender_domain)
                    == Arrival::AutoAccepted
                {
                    locks::contacts_of_pair(store, &mut tx, sender, Some(&r)).await?;
                    may_accept = true;
                }
                recipient_locked = Some(r);
            }
        }
    }
    locks::account_row(store, &mut tx, sender).await?;
    if let Some(r) = recipient_locked.as_deref() {
        // Lock the pair before reading the facts that depend on it.
        locks::pair_row(store, &mut tx, sender, r).await?;
    }
    let row = sqlx::query(&SEND_FACTS)
        .bind(sender)
        .bind(email.as_str())
        .bind(hour_ago)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
    let recipient: Option<String> = col(&row, "owner")?;
    let count = |name: &str| -> StoreResult<i64> { col::<i64>(&row, name) };
    let facts = SendFacts {
        sender_is_admin: actor.profile.is_admin(),
        sender_is_verified: actor.email_verified,
        address_is_own_user: recipient.as_deref() == Some(sender),
        already_partners: count("partnerships")? > 0,
        existing_to_address: views_listed(col(&row, "to_address")?)?,
        incoming: views_listed(col(&row, "incoming")?)?,
        sent_last_hour: u32::try_from(count("sent_last_hour")?).unwrap_or(u32::MAX),
        retry_after_secs: col::<Option<i64>>(&row, "oldest")?
            .map_or(0, |t| ((t - hour_ago).max(0) as u64).div_ceil(1_000_000)),
    };
    partner::check_send(&facts, limit_per_hour)?;
    store.mail_ceiling().take(1)?;

    // The recipient's policy decides what the request becomes (an address nobody here
    // owns yet: the defaults, until a user with it appears).
    let policy = partner_policy::from_columns(&row)?;
    let arrival = match (&recipient, policy.arrival(&sender_domain)) {
        (None, _) => Arrival::Pending,
        // Its policy changed between the look before the locks and now: an admin answers.
        (Some(_), Arrival::AutoAccepted) if !may_accept => Arrival::Pending,
        (Some(_), arrival) => arrival,
    };
    let id = ids::new_id();
    let sender_name: String = col(&row, "sender_name")?;
    let owner_language: Option<String> = col(&row, "owner_language")?;
    let language = owner_language
        .as_deref()
        .and_then(Language::parse)
        .unwrap_or(actor.language);
    let views = if arrival == Arrival::Withheld {
        Views::WITHHELD
    } else {
        Views::NEW
    };
    let rel = Relationship {
        id: id.clone(),
        sender_account_id: sender.to_string(),
        sender_user_id: actor.id.clone(),
        email: email.as_str().to_string(),
        recipient_account_id: recipient.clone(),
        views,
        accepted_once: false,
        created_at: now,
        updated_at: now,
        expires_at: Some(now + policy.lifetime_micros()),
    };
    // The request, its invitation and its audit entry: one round trip on SQLite.
    let mut writes = Batch::default();
    writes.push(Statement::new(
        "INSERT INTO relationships (id, sender_account_id, sender_user_id, email, \
         recipient_account_id, sender_view, recipient_view, accepted_once, created_at, \
         updated_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8, $9)",
        vec![
            (&id).into(),
            sender.into(),
            (&actor.id).into(),
            email.as_str().into(),
            recipient.clone().into(),
            views.sender.as_str().into(),
            views.recipient.as_str().into(),
            now.into(),
            (now + policy.lifetime_micros()).into(),
        ],
    ));
    // A withheld request tells its recipient nothing; one accepted at once is announced
    // by the acceptance mail to the sender.
    if arrival == Arrival::Pending {
        writes.push(outbox::message(&Mail::new(
            email.as_str(),
            language,
            PartnerInvitation {
                inviter_name: actor.name.clone(),
                inviter_email: actor.email.clone(),
                account_name: sender_name,
                has_account: recipient.is_some(),
                email: email.as_str().to_string(),
            },
        )));
    }
    writes.push(audit::entry(
        AuditAction::Send,
        Some(actor),
        &rel,
        Views::new(View::None, View::None),
        views,
    ));
    // Events only when either account has an endpoint for them (most sends: none, and
    // the send is the hot path).
    let hooked = count("hooks")? > 0;
    let requested = |side| event_data(&rel, side, views, Some(actor), None);
    if hooked {
        writes.push(webhooks::statement(
            sender,
            WebhookEvent::PartnerRequested,
            &requested(Side::Sender),
        ));
    }
    if let (Some(recipient), false, true) = (&recipient, arrival == Arrival::Withheld, hooked) {
        writes.push(webhooks::statement(
            recipient,
            WebhookEvent::PartnerRequested,
            &requested(Side::Recipient),
        ));
    }
    // Announced first, so that on PostgreSQL the batch carries the notice too.
    live::notify(
        &mut tx,
        live_changes(&rel, Views::new(View::None, View::None), views),
    );
    writes.execute(&mut tx).await?;
    if arrival == Arrival::AutoAccepted {
        let accounts = [sender, recipient.as_deref().unwrap_or_default()];
        contacts::fanout::finish_for(&mut tx, &accounts).await?;
        let outcome = partner::accept_by_policy(views)?;
        settle(&mut tx, &rel, &outcome, None, AuditAction::AutoAccept).await?;
        let seen = seen_by(&mut *tx, sender, &id, now).await?;
        tx.commit().await?;
        return Ok(seen);
    }
    tx.commit().await?;
    // What the sender sees of a new request: no partner account until it is accepted.
    Ok(Seen {
        id,
        direction: Side::Sender,
        status: View::Pending,
        email: rel.email,
        partner_account: None,
        invited_by: Inviter {
            id: actor.id.clone(),
            name: actor.name.clone(),
            email: actor.email.clone(),
        },
        created_at: now,
        updated_at: now,
    })
}

/// Accept, reject or delete a relationship on behalf of the actor's account. Returns the
/// relationship as the actor's account now sees it (`None` once gone from its tab).
pub async fn act(
    store: &Store,
    actor: &User,
    id: &str,
    action: Action,
) -> StoreResult<Option<Seen>> {
    let (s, actor, id) = (store.clone(), actor.clone(), id.to_string());
    store
        .write(move || {
            let (s, actor, id) = (s.clone(), actor.clone(), id.clone());
            async move { act_now(&s, &actor, &id, action).await }
        })
        .await
}

async fn act_now(
    store: &Store,
    actor: &User,
    id: &str,
    action: Action,
) -> StoreResult<Option<Seen>> {
    partner::check_manage(actor.profile)?;
    if !ids::looks_like_id(id) {
        return Err(Refusal::NotFound.into());
    }
    loop {
        let mut tx = store.begin().await?;
        let first = load(&mut tx, id, "").await?.ok_or(Refusal::NotFound)?;
        locks::contacts_of_pair(
            store,
            &mut tx,
            &first.sender_account_id,
            first.recipient_account_id.as_deref(),
        )
        .await?;
        if let Some(r) = first.recipient_account_id.as_deref() {
            locks::pair_row(store, &mut tx, &first.sender_account_id, r).await?;
        }
        // Member rows still owed to either account are written before the partnership
        // between them can start or end.
        let mut accounts = vec![first.sender_account_id.as_str()];
        accounts.extend(first.recipient_account_id.as_deref());
        contacts::fanout::finish_for(&mut tx, &accounts).await?;
        let rel = load(&mut tx, id, store.for_update())
            .await?
            .ok_or(Refusal::NotFound)?;
        let now = store.now();
        if rel.is_overdue(now) {
            // Its time ran out before the sweep came by: it expires first, for good, and
            // the action then meets the expired request.
            expire_in(&mut tx, &rel).await?;
            tx.commit().await?;
            continue;
        }
        let side = rel.side_of(&actor.account_id).ok_or(Refusal::NotFound)?;
        let outcome = partner::transition(rel.views, action, side, actor.profile)?;
        let audit_action = match action {
            Action::Accept => AuditAction::Accept,
            Action::Reject => AuditAction::Reject,
            Action::Delete => AuditAction::Delete,
        };
        settle(&mut tx, &rel, &outcome, Some(actor), audit_action).await?;
        let seen = if outcome.views.of(side) == View::None {
            None
        } else {
            Some(seen_by(&mut *tx, &actor.account_id, id, now).await?)
        };
        tx.commit().await?;
        return Ok(seen);
    }
}

/// The `data` of a partner webhook event for the account on `side`: the relationship as
/// that side sees it after the change (the partner account's id only once the sender may
/// know it), who acted (`by`, when that side may know: the caller decides), and why when
/// no user did.
fn event_data(
    rel: &Relationship,
    side: Side,
    views: Views,
    by: Option<&User>,
    reason: Option<&str>,
) -> serde_json::Value {
    let partner = match side {
        Side::Recipient => Some(rel.sender_account_id.as_str()),
        Side::Sender if rel.accepted_once || views.is_partnership() => {
            rel.recipient_account_id.as_deref()
        }
        Side::Sender => None,
    };
    serde_json::json!({
        "relationship": {
            "id": rel.id,
            "direction": if side == Side::Sender { "sent" } else { "received" },
            "status": views.of(side).as_str(),
            "email": rel.email,
            "partner_account": partner.map(|id| serde_json::json!({"id": id})),
        },
        "by": by.map(|u| serde_json::json!({"id": u.id, "name": u.name})),
        "reason": reason,
    })
}

/// The webhook events of a transition of `rel` by `action`: to each account that may know
/// of it, with what it may know.
fn events_of(
    rel: &Relationship,
    after: Views,
    actor: Option<&User>,
    action: AuditAction,
) -> Vec<Statement> {
    use WebhookEvent as E;
    let before = rel.views;
    let (event, reason) = match action {
        AuditAction::Accept => (E::PartnerAccepted, None),
        AuditAction::AutoAccept => (E::PartnerAccepted, Some("auto_accepted_by_policy")),
        AuditAction::Reject => (E::PartnerRejected, None),
        AuditAction::Delete if before.is_partnership() => (E::PartnerRemoved, None),
        // The recipient deleted a pending request: to its sender, a rejection.
        AuditAction::Delete if before.is_pending() && after.sender == View::Rejected => {
            (E::PartnerRejected, None)
        }
        AuditAction::Expire => (E::PartnerExpired, Some("no_answer_in_time")),
        _ => return Vec::new(),
    };
    let mut sides = vec![Side::Sender];
    // The recipient hears of what it saw (never of a withheld request, nor of its expiry).
    if rel.recipient_account_id.is_some() && event != E::PartnerExpired {
        sides.push(Side::Recipient);
    }
    sides
        .into_iter()
        .map(|side| {
            let account = match side {
                Side::Sender => rel.sender_account_id.as_str(),
                Side::Recipient => rel.recipient_account_id.as_deref().unwrap_or_default(),
            };
            // A side learns who acted when it was one of its users, or once partners.
            let by = actor.filter(|u| u.account_id == account || after.is_partnership());
            let data = event_data(rel, side, after, by, reason);
            webhooks::statement(account, event, &data)
        })
        .collect()
}

/// The live pages a change of `rel` from `before` to `after` changes: the Partners tab of
/// each side that sees the relationship before or after (never the recipient of a request
/// its policy withheld), and both Contacts pages when sync starts or stops.
fn live_changes(rel: &Relationship, before: Views, after: Views) -> Vec<Change> {
    let mut changes = Vec::new();
    let sides = [
        (Some(rel.sender_account_id.as_str()), Side::Sender),
        (rel.recipient_account_id.as_deref(), Side::Recipient),
    ];
    for (account, side) in sides {
        let Some(account) = account else { continue };
        if before.of(side) != View::None || after.of(side) != View::None {
            changes.push(Change::partners(account));
        }
        if before.is_partnership() != after.is_partnership() {
            changes.push(Change::contacts(account));
        }
    }
    changes
}

/// Writes an allowed transition of `rel`: its new views, the audit entry, and each effect.
async fn settle(
    tx: &mut Tx,
    rel: &Relationship,
    outcome: &Outcome,
    actor: Option<&User>,
    action: AuditAction,
) -> StoreResult<()> {
    let accepted = outcome.views.is_partnership();
    sqlx::query(
        "UPDATE relationships SET sender_view = $1, recipient_view = $2, \
         accepted_once = CASE WHEN $3 = 1 THEN 1 ELSE accepted_once END, updated_at = $4 \
         WHERE id = $5",
    )
    .bind(outcome.views.sender.as_str())
    .bind(outcome.views.recipient.as_str())
    .bind(i64::from(accepted))
    .bind(now_micros())
    .bind(&rel.id)
    .execute(&mut **tx)
    .await?;
    audit::record(tx, action, actor, rel, rel.views, outcome.views).await?;
    for event in events_of(rel, outcome.views, actor, action) {
        event.execute(tx).await?;
    }
    live::notify(tx, live_changes(rel, rel.views, outcome.views));
    for effect in &outcome.effects {
        apply(tx, rel, *effect, actor).await?;
    }
    Ok(())
}

/// Expires `rel`, which the sender still waits on and whose time is up (locked by the
/// caller's transaction).
async fn expire_in(tx: &mut Tx, rel: &Relationship) -> StoreResult<()> {
    let outcome = partner::expire(rel.views)?;
    settle(tx, rel, &outcome, None, AuditAction::Expire).await
}

/// Requests examined per transaction of [`expire_overdue`].
const EXPIRE_BATCH: i64 = 100;

/// Expires every request whose time is up at the store's clock, `EXPIRE_BATCH` per
/// transaction; returns how many. Safe to run in several processes at once.
pub async fn expire_overdue(store: &Store) -> StoreResult<u64> {
    let mut expired = 0;
    loop {
        let s = store.clone();
        let done = store
            .write(move || {
                let s = s.clone();
                async move {
                    let now = s.now();
                    let mut tx = s.begin().await?;
                    let due: Vec<String> = sqlx::query_scalar(
                        "SELECT id FROM relationships WHERE sender_view = 'pending' \
                         AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
                    )
                    .bind(now)
                    .bind(EXPIRE_BATCH)
                    .fetch_all(&mut *tx)
                    .await?;
                    let mut count = 0u64;
                    for id in &due {
                        // Under the row lock it may have been answered or expired since.
                        let Some(rel) = load(&mut tx, id, s.for_update()).await? else {
                            continue;
                        };
                        if rel.is_overdue(now) {
                            expire_in(&mut tx, &rel).await?;
                            count += 1;
                        }
                    }
                    tx.commit().await?;
                    Ok((count, due.len() as i64 == EXPIRE_BATCH))
                }
            })
            .await?;
        expired += done.0;
        if !done.1 {
            return Ok(expired);
        }
    }
}

/// Carries out one side effect of a transition, inside its transaction.
async fn apply(
    tx: &mut Tx,
    rel: &Relationship,
    effect: Effect,
    actor: Option<&User>,
) -> StoreResult<()> {
    let recipient = rel.recipient_account_id.as_deref().unwrap_or_default();
    match effect {
        Effect::ResolveOtherPending => {
            resolve_pending_between(tx, &rel.sender_account_id, recipient, Some(&rel.id), actor)
                .await
        }
        Effect::MailExpired => {
            let (email, language): (String, String) =
                sqlx::query_as("SELECT email, language FROM users WHERE id = $1")
                    .bind(&rel.sender_user_id)
                    .fetch_one(&mut **tx)
                    .await?;
            outbox::enqueue(
                tx,
                &Mail::new(
                    email,
                    Language::parse(&language).unwrap_or_default(),
                    PartnerExpired {
                        email: rel.email.clone(),
                    },
                ),
            )
            .await
        }
        Effect::MailAccepted | Effect::MailRejected => {
            let (email, language): (String, String) =
                sqlx::query_as("SELECT email, language FROM users WHERE id = $1")
                    .bind(&rel.sender_user_id)
                    .fetch_one(&mut **tx)
                    .await?;
            // A rejection names the account only to a sender that has been its partner:
            // an address must not reveal which organization it belongs to.
            let account_name: Option<String> = if effect == Effect::MailAccepted
                || partners_before(tx, &rel.sender_account_id, recipient).await?
            {
                Some(
                    sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1")
                        .bind(recipient)
                        .fetch_one(&mut **tx)
                        .await?,
                )
            } else {
                None
            };
            let message: MailMessage = if effect == Effect::MailAccepted {
                PartnerAccepted {
                    account_name: account_name.unwrap_or_default(),
                    email: rel.email.clone(),
                }
                .into()
            } else {
                PartnerRejected {
                    account_name,
                    email: rel.email.clone(),
                }
                .into()
            };
            outbox::enqueue(
                tx,
                &Mail::new(
                    email,
                    Language::parse(&language).unwrap_or_default(),
                    message,
                ),
            )
            .await
        }
        Effect::StartSync => {
            contacts::sync::partnership_started(tx, &rel.sender_account_id, recipient).await
        }
        Effect::StopSync => {
            contacts::sync::partnership_ended(tx, &rel.sender_account_id, recipient).await
        }
    }
}

/// Whether accounts `a` and `b` have ever been partners (a request between them was
/// accepted once, either direction).
async fn partners_before(tx: &mut Tx, a: &str, b: &str) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM relationships WHERE accepted_once = 1 AND ( \
         (sender_account_id = $1 AND recipient_account_id = $2) OR \
         (sender_account_id = $2 AND recipient_account_id = $1)) LIMIT 1",
    )
    .bind(a)
    .bind(b)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// Every request between `a` and `b` that its sender waits on (withheld ones too), either
/// direction, except `keep`, is resolved (both views become `none`), each with an audit
/// entry.
async fn resolve_pending_between(
    tx: &mut Tx,
    a: &str,
    b: &str,
    keep: Option<&str>,
    actor: Option<&User>,
) -> StoreResult<()> {
    let rows = sqlx::query(&format!(
        "SELECT {REL_COLUMNS} FROM relationships r WHERE r.sender_view = 'pending' \
         AND r.id <> $3 AND ( \
         (r.sender_account_id = $1 AND r.recipient_account_id = $2) OR \
         (r.sender_account_id = $2 AND r.recipient_account_id = $1))"
    ))
    .bind(a)
    .bind(b)
    .bind(keep.unwrap_or(""))
    .fetch_all(&mut **tx)
    .await?;
    for row in &rows {
        let other = Relationship::from_row(row)?;
        set_gone(tx, &other.id).await?;
        audit::record(tx, AuditAction::Resolve, actor, &other, other.views, gone()).await?;
    }
    Ok(())
}

fn gone() -> Views {
    Views::new(View::None, View::None)
}

async fn set_gone(tx: &mut Tx, id: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE relationships SET sender_view = 'none', recipient_view = 'none', updated_at = $1 \
         WHERE id = $2",
    )
    .bind(now_micros())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A user with `user.email` now exists: requests waiting for that address attach to the
/// user's account. A request from that same account is dropped; one from an account that
/// is already a partner is resolved into the partnership. The others meet the account's
/// policy as if they had just arrived, except that none is accepted at once (an admin
/// answers those): a refused one is withheld, and each expires after the policy's
/// lifetime counted from when it was sent.
pub(crate) async fn attach_address(store: &Store, tx: &mut Tx, user: &User) -> StoreResult<()> {
    let rows = sqlx::query(&format!(
        "SELECT {REL_COLUMNS}, su.email AS sender_email FROM relationships r \
         JOIN users su ON su.id = r.sender_user_id WHERE r.email = $1 \
         AND r.recipient_account_id IS NULL AND r.sender_view <> 'none' ORDER BY r.id"
    ))
    .bind(&user.email)
    .fetch_all(&mut **tx)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut waiting = Vec::with_capacity(rows.len());
    for row in &rows {
        let sender_email: String = col(row, "sender_email")?;
        let domain = EmailAddress::parse(&sender_email)
            .map(|e| e.domain().to_string())
            .unwrap_or_default();
        waiting.push((Relationship::from_row(row)?, domain));
    }
    let mut senders: Vec<&str> = waiting
        .iter()
        .map(|(r, _)| r.sender_account_id.as_str())
        .filter(|s| *s != user.account_id)
        .collect();
    senders.sort_unstable();
    senders.dedup();
    for sender in &senders {
        locks::pair_row(store, tx, sender, &user.account_id).await?;
    }
    let policy = partner_policy::of(&mut **tx, &user.account_id).await?;
    for (rel, sender_domain) in &waiting {
        if rel.sender_account_id == user.account_id {
            set_gone(tx, &rel.id).await?;
            audit::record(tx, AuditAction::Drop, None, rel, rel.views, gone()).await?;
            continue;
        }
        let views =
            if rel.views.awaits_answer() && policy.arrival(sender_domain) == Arrival::Withheld {
                Views::WITHHELD
            } else {
                rel.views
            };
        let expires_at = rel.created_at + policy.lifetime_micros();
        sqlx::query(
            "UPDATE relationships SET recipient_account_id = $1, recipient_view = $2, \
             expires_at = $3 WHERE id = $4",
        )
        .bind(&user.account_id)
        .bind(views.recipient.as_str())
        .bind(expires_at)
        .bind(&rel.id)
        .execute(&mut **tx)
        .await?;
        let attached = Relationship {
            recipient_account_id: Some(user.account_id.clone()),
            views,
            expires_at: Some(expires_at),
            ..rel.clone()
        };
        if partnership::exists(&mut **tx, &rel.sender_account_id, &user.account_id).await? {
            set_gone(tx, &rel.id).await?;
            audit::record(tx, AuditAction::Resolve, None, &attached, rel.views, gone()).await?;
        } else {
            audit::record(tx, AuditAction::Attach, None, &attached, rel.views, views).await?;
            // Before, the request was not the recipient's to see.
            let before = Views::new(rel.views.sender, View::None);
            live::notify(tx, live_changes(&attached, before, views));
            if views.recipient == View::Pending {
                // The request reaches the account now: its endpoints hear of it now.
                let data = event_data(&attached, Side::Recipient, views, None, None);
                webhooks::statement(&user.account_id, WebhookEvent::PartnerRequested, &data)
                    .execute(tx)
                    .await?;
            }
        }
    }
    Ok(())
}

async fn load(tx: &mut Tx, id: &str, lock: &str) -> StoreResult<Option<Relationship>> {
    let row = sqlx::query(&format!(
        "SELECT {REL_COLUMNS} FROM relationships r WHERE r.id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(Relationship::from_row).transpose()
}
