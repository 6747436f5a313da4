//! A relationship's history as one account may know it (`GET /partners/{id}/history`):
//! its audit entries that account sees ([`audit::VISIBLE_TO`]), oldest first, each told
//! from that account's side, with the reason when the change was not a user's answer.

use crate::audit::{AuditAction, VISIBLE_TO};
use crate::model::{Relationship, User, REL_COLUMNS};
use crate::{col, ids, Store, StoreError, StoreResult};
use coproof_core::partner::{self, Side, View};
use coproof_core::Refusal;

/// Who made a change, from the viewing account's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Ours,
    Theirs,
    /// Nobody: the policy, the clock, or an address joining an account.
    System,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Ours => "ours",
            Actor::Theirs => "theirs",
            Actor::System => "system",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: i64,
    /// `requested`, `received`, `accepted`, `rejected`, `deleted`, `withdrawn`,
    /// `removed`, `resolved`, `dropped` or `expired`.
    pub action: &'static str,
    pub side: Actor,
    /// The acting user's name: for our own users, and for the partner's user who accepted.
    pub actor_name: Option<String>,
    /// `auto_accepted_by_policy`, `another_request_accepted`, `already_partners`,
    /// `address_joined_your_account` or `no_answer_in_time`.
    pub reason: Option<&'static str>,
}

/// How one audit entry reads from `side`, whose view went from `before` to `after`.
pub fn describe(
    action: AuditAction,
    side: Side,
    actor: Actor,
    before: View,
    after: View,
) -> (&'static str, Option<&'static str>) {
    use AuditAction as A;
    match action {
        A::Send if side == Side::Sender => ("requested", None),
        A::Send => ("received", None),
        A::Attach => ("received", Some("address_joined_your_account")),
        A::Accept => ("accepted", None),
        A::AutoAccept => ("accepted", Some("auto_accepted_by_policy")),
        A::Reject => ("rejected", None),
        A::Delete if before == View::Accepted => ("removed", None),
        A::Delete if actor == Actor::Ours => ("deleted", None),
        A::Delete if after == View::Rejected => ("rejected", None),
        A::Delete => ("withdrawn", None),
        A::Resolve if actor == Actor::System => ("resolved", Some("already_partners")),
        A::Resolve => ("resolved", Some("another_request_accepted")),
        A::Drop => ("dropped", Some("address_joined_your_account")),
        A::Expire => ("expired", Some("no_answer_in_time")),
    }
}

/// The history of relationship `id` for the actor's account: found when the account is one
/// of its sides and may know at least one of its changes (so also once gone from its tab).
pub async fn get(store: &Store, actor: &User, id: &str) -> StoreResult<Vec<Event>> {
    partner::check_manage(actor.profile)?;
    if !ids::looks_like_id(id) {
        return Err(Refusal::NotFound.into());
    }
    let mut conn = store.read().await?;
    let row = sqlx::query(&format!(
        "SELECT {REL_COLUMNS} FROM relationships r WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Refusal::NotFound)?;
    let rel = Relationship::from_row(&row)?.as_of(store.now());
    let account = actor.account_id.as_str();
    let side = rel.party(account).ok_or(Refusal::NotFound)?;
    let rows = sqlx::query(&format!(
        "SELECT a.at, a.action, a.actor_account_id, u.name AS actor_name, \
         a.sender_view_before, a.sender_view_after, a.recipient_view_before, \
         a.recipient_view_after FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id \
         WHERE a.relationship_id = $2 AND {VISIBLE_TO} ORDER BY a.at, a.id"
    ))
    .bind(account)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let view = |row, name| -> StoreResult<View> {
        let raw: String = col(row, name)?;
        View::parse(&raw).ok_or_else(|| StoreError::Corrupt(format!("view {raw:?}")))
    };
    let (before, after) = match side {
        Side::Sender => ("sender_view_before", "sender_view_after"),
        Side::Recipient => ("recipient_view_before", "recipient_view_after"),
    };
    if rows.is_empty() {
        // Nothing of it was ever this account's to know (a request its policy withheld).
        return Err(Refusal::NotFound.into());
    }
    rows.iter()
        .map(|row| {
            let raw: String = col(row, "action")?;
            let action = AuditAction::parse(&raw)
                .ok_or_else(|| StoreError::Corrupt(format!("audit action {raw:?}")))?;
            let actor = match col::<Option<String>>(row, "actor_account_id")? {
                None => Actor::System,
                Some(a) if a == account => Actor::Ours,
                Some(_) => Actor::Theirs,
            };
            let (name, reason) =
                describe(action, side, actor, view(row, before)?, view(row, after)?);
            let named = actor == Actor::Ours || (actor == Actor::Theirs && name == "accepted");
            Ok(Event {
                at: col(row, "at")?,
                action: name,
                side: actor,
                actor_name: if named { col(row, "actor_name")? } else { None },
                reason,
            })
        })
        .collect()
}

/// What lies between the actor's account and the partner account of relationship `id`:
/// the members each shows of the other, the shares each way, and what `coproof check
/// contacts` finds wrong between the two. `None` while the partner account is unknown to
/// the actor's side (a sender before any acceptance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Between {
    pub partner: crate::model::Account,
    /// Our users on their Contacts (active and ended rows).
    pub ours_on_their_contacts: i64,
    /// Their users on our Contacts.
    pub theirs_on_our_contacts: i64,
    pub shares_out: i64,
    pub shares_in: i64,
    /// The differences of the consistency check that concern the pair (empty: consistent).
    pub differences: Vec<crate::contacts::check::Difference>,
}

pub async fn between(store: &Store, actor: &User, id: &str) -> StoreResult<Option<Between>> {
    let seen = crate::partners::get(store, actor, id).await;
    let partner = match seen {
        Ok(seen) => seen.partner_account,
        // A relationship gone from the tab: its history shows, and so does this, once the
        // two were partners.
        Err(StoreError::Refused(Refusal::NotFound)) => former_partner(store, actor, id).await?,
        Err(e) => return Err(e),
    };
    let Some(partner) = partner else {
        return Ok(None);
    };
    let (ours, theirs) = (actor.account_id.as_str(), partner.id.as_str());
    let mut conn = store.read().await?;
    let members = |owner: &str, of: &str| {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM contacts WHERE owner_account_id = $1 AND account_id = $2 \
             AND kind = 'member'",
        )
        .bind(owner.to_string())
        .bind(of.to_string())
    };
    let ours_on_their_contacts = members(theirs, ours).fetch_one(&mut *conn).await?;
    let theirs_on_our_contacts = members(ours, theirs).fetch_one(&mut *conn).await?;
    let shares_out = crate::removal_preview::shares(&mut conn, ours, theirs)
        .await?
        .count;
    let shares_in = crate::removal_preview::shares(&mut conn, theirs, ours)
        .await?
        .count;
    drop(conn);
    let differences = crate::contacts::check::check_pair(store, ours, theirs).await?;
    Ok(Some(Between {
        partner,
        ours_on_their_contacts,
        theirs_on_our_contacts,
        shares_out,
        shares_in,
        differences,
    }))
}

/// The other account of relationship `id` when it was accepted once and the actor's
/// account is one of its two sides.
async fn former_partner(
    store: &Store,
    actor: &User,
    id: &str,
) -> StoreResult<Option<crate::model::Account>> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT a.id, a.name FROM relationships r JOIN accounts a ON a.id = \
         CASE WHEN r.sender_account_id = $2 THEN r.recipient_account_id \
         ELSE r.sender_account_id END \
         WHERE r.id = $1 AND r.accepted_once = 1 \
         AND (r.sender_account_id = $2 OR r.recipient_account_id = $2)",
    )
    .bind(id)
    .bind(&actor.account_id)
    .fetch_optional(&mut *store.read().await?)
    .await?;
    match row {
        Some((id, name)) => Ok(Some(crate::model::Account { id, name })),
        None => Err(Refusal::NotFound.into()),
    }
}
