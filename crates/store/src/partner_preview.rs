//! The consent preview: what an admin of the recipient account sees before it accepts a
//! request (`GET /partners/{id}/preview`): who asks, how many people each side will see,
//! and the terms offered.

use crate::model::{Account, Relationship, User, REL_COLUMNS};
use crate::{col, ids, Store, StoreResult};
use crate::{partner_terms, partnership};
use coproof_core::partner::{self, Side, View};
use coproof_core::terms::Terms;
use coproof_core::Refusal;

/// The user who sent the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: String,
    pub email: String,
    pub email_verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub sender_account: Account,
    pub sender: Sender,
    /// Active users of the sender's account that its terms show the recipient's users.
    pub users_you_will_see: i64,
    /// Active users of the recipient's account that its terms show the sender's users.
    pub users_they_will_see: i64,
    pub terms_offered: Terms,
}

/// The preview of request `id` for the actor's account: found only while the request is
/// pending for that account as its recipient.
pub async fn get(store: &Store, actor: &User, id: &str) -> StoreResult<Preview> {
    partner::check_manage(actor.profile)?;
    if !ids::looks_like_id(id) {
        return Err(Refusal::NotFound.into());
    }
    let mut conn = store.read().await?;
    let row = sqlx::query(&format!(
        "SELECT {REL_COLUMNS}, su.name AS sender_name, su.email AS sender_email, \
         su.email_verified AS sender_verified, sa.name AS sender_account_name, \
         (SELECT COUNT(*) FROM users u WHERE u.account_id = r.sender_account_id \
           AND u.active = 1 AND {theirs_shown}) AS theirs, \
         (SELECT COUNT(*) FROM users u WHERE u.account_id = $2 AND u.active = 1 \
           AND {ours_shown}) AS ours \
         FROM relationships r JOIN users su ON su.id = r.sender_user_id \
         JOIN accounts sa ON sa.id = r.sender_account_id WHERE r.id = $1",
        theirs_shown = partnership::visible("r.sender_account_id", "$2", "u.id"),
        ours_shown = partnership::visible("$2", "r.sender_account_id", "u.id"),
    ))
    .bind(id)
    .bind(&actor.account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Refusal::NotFound)?;
    let rel = Relationship::from_row(&row)?.as_of(store.now());
    if rel.side_of(&actor.account_id) != Some(Side::Recipient)
        || rel.views.recipient != View::Pending
    {
        return Err(Refusal::NotFound.into());
    }
    // What the sender's account has set for ours, from an earlier partnership; else none.
    let terms_offered =
        partner_terms::of(&mut conn, &rel.sender_account_id, &actor.account_id).await?;
    Ok(Preview {
        sender_account: Account {
            id: rel.sender_account_id,
            name: col(&row, "sender_account_name")?,
        },
        sender: Sender {
            name: col(&row, "sender_name")?,
            email: col(&row, "sender_email")?,
            email_verified: col::<i64>(&row, "sender_verified")? != 0,
        },
        users_you_will_see: col(&row, "theirs")?,
        users_they_will_see: col(&row, "ours")?,
        terms_offered,
    })
}
