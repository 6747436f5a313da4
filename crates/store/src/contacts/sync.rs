//! Keeping contacts in step with users and partnerships, inside the transaction of the
//! change, with one set-based statement per direction (no row-by-row loops):
//!
//! - a user is added: a `user` row in its account, and a `member` row in every account
//!   that is an active partner now;
//! - a user's name or active state changes: its `user` row and its `member` rows whose
//!   partnership is active follow (ended rows are frozen);
//! - a partnership starts: each side's users are upserted into the other's contacts,
//!   every user the side's terms show (`partner_terms`), reviving rows of an earlier
//!   partnership (even deleted ones);
//! - a partnership ends: that pair's member rows are marked `ended`, on both sides;
//! - an account changes its terms for a partner: users it no longer shows end on the
//!   partner's page (kept, frozen, like an ended partnership's), users it shows again are
//!   revived there.
//!
//! On PostgreSQL these changes are serialized per account by the contacts advisory locks,
//! the first step of the lock order (`locks.rs`).

use super::INSERT_COLUMNS;
use crate::model::User;
use crate::partnership;
use crate::partnership::visible;
use crate::{locks, now_micros, Store, StoreResult, Tx};
use coproof_core::contact::{name_key, search_text};

/// A user was added: it appears in its own account, and in every active partner's.
pub async fn user_added(store: &Store, tx: &mut Tx, user: &User) -> StoreResult<()> {
    let now = now_micros();
    let company: String = sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1")
        .bind(&user.account_id)
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO contacts ({INSERT_COLUMNS}) \
         VALUES ($1, $2, 'user', $1, $3, $4, $5, NULL, NULL, NULL, $6, 0, $7, $8, $9, $9)"
    ))
    .bind(&user.account_id)
    .bind(&user.id)
    .bind(&user.name)
    .bind(&user.email)
    .bind(&company)
    .bind(i64::from(user.active))
    .bind(name_key(&user.name))
    .bind(search_text(&user.name, &user.email, Some(&company)))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    super::fanout::user_added(store, tx, user).await
}

/// A user is about to change from `before` to `after`: its name and active state follow
/// on its own account's page and on the pages of active partners.
pub async fn user_changed(
    store: &Store,
    tx: &mut Tx,
    before: &User,
    after: &User,
) -> StoreResult<()> {
    if before.name == after.name && before.active == after.active {
        return Ok(());
    }
    locks::contacts_of_account(store, tx, &after.account_id).await?;
    let company: String = sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1")
        .bind(&after.account_id)
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE contacts SET name = $1, name_key = $2, search = $3, active = $4, updated_at = $5 \
         WHERE id = $6 AND (kind = 'user' OR (kind = 'member' AND partnership = 'active'))",
    )
    .bind(&after.name)
    .bind(name_key(&after.name))
    .bind(search_text(&after.name, &after.email, Some(&company)))
    .bind(i64::from(after.active))
    .bind(now_micros())
    .bind(&after.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A partnership between `a` and `b` starts: every user of each appears on the other's
/// page, rows left from an earlier partnership (even deleted ones) included and revived.
pub async fn partnership_started(tx: &mut Tx, a: &str, b: &str) -> StoreResult<()> {
    for (owner, partner) in [(a, b), (b, a)] {
        show_users(tx, owner, partner).await?;
    }
    Ok(())
}

/// Upserts every user of `partner` that its terms show `owner` as an active member row
/// on `owner`'s page.
async fn show_users(tx: &mut Tx, owner: &str, partner: &str) -> StoreResult<()> {
    let now = now_micros();
    {
        sqlx::query(&format!(
            "INSERT INTO contacts ({INSERT_COLUMNS}) \
             SELECT $1, c.id, 'member', c.account_id, c.name, c.email, c.company, NULL, NULL, \
               'active', c.active, 0, c.name_key, c.search, $3, $3 \
             FROM contacts c WHERE c.owner_account_id = $2 AND c.kind = 'user' \
             AND {shown} \
             ON CONFLICT (owner_account_id, id) DO UPDATE SET kind = 'member', \
               account_id = excluded.account_id, name = excluded.name, email = excluded.email, \
               company = excluded.company, partnership = 'active', active = excluded.active, \
               hidden = 0, name_key = excluded.name_key, search = excluded.search, \
               updated_at = excluded.updated_at",
            shown = visible("$2", "$1", "c.id")
        ))
        .bind(owner)
        .bind(partner)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// `account` changed its terms for `partner`: while the two are partners, the users it
/// no longer shows end on `partner`'s page, and those it shows are there, active.
pub async fn terms_changed(tx: &mut Tx, account: &str, partner: &str) -> StoreResult<()> {
    if !partnership::exists(&mut **tx, account, partner).await? {
        return Ok(());
    }
    sqlx::query(&format!(
        "UPDATE contacts SET partnership = 'ended', updated_at = $3 \
         WHERE (owner_account_id, id) IN \
           (SELECT CAST($1 AS TEXT), u.id FROM users u WHERE u.account_id = $2 \
            AND NOT {shown}) \
         AND kind = 'member' AND partnership = 'active'",
        shown = visible("$2", "$1", "u.id")
    ))
    .bind(partner)
    .bind(account)
    .bind(now_micros())
    .execute(&mut **tx)
    .await?;
    show_users(tx, partner, account).await
}

/// The partnership between `a` and `b` ends: the members synced so far stay on both
/// pages, marked ended, and nothing more follows. The rows are found by primary key from
/// the partner's users (a user never leaves its account), with no index of their own.
pub async fn partnership_ended(tx: &mut Tx, a: &str, b: &str) -> StoreResult<()> {
    let now = now_micros();
    for (owner, partner) in [(a, b), (b, a)] {
        sqlx::query(
            "UPDATE contacts SET partnership = 'ended', updated_at = $3 \
             WHERE (owner_account_id, id) IN \
               (SELECT CAST($1 AS TEXT), id FROM users WHERE account_id = $2) \
             AND kind = 'member'",
        )
        .bind(owner)
        .bind(partner)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
