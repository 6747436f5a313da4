//! The terms an account sets for each partner (`coproof_core::terms`): read by the access
//! facts (`items/access.rs`) and the contacts sync, changed by the account's admins on an
//! active partnership. Taking users out of the visible list ends their rows on the
//! partner's Contacts; putting them back revives them, in the same transaction. The SQL
//! condition "the partner sees this user" is `partnership::visible`.

use crate::model::User;
use crate::{
    col, contacts, ids, live, locks, now_micros, partners, Store, StoreError, StoreResult, Tx,
};
use coproof_core::partner::{self, View};
use coproof_core::sharing::ProofRole;
use coproof_core::terms::{Terms, VisibleUsers};
use coproof_core::Refusal;

/// The terms `account` set for `partner_account`; the defaults where it set none.
pub(crate) async fn of(
    conn: &mut sqlx::AnyConnection,
    account: &str,
    partner_account: &str,
) -> StoreResult<Terms> {
    let row = sqlx::query(
        "SELECT max_proof_role, download, visible_all FROM partner_terms \
         WHERE account_id = $1 AND partner_account_id = $2",
    )
    .bind(account)
    .bind(partner_account)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(Terms::default());
    };
    let role: String = col(&row, "max_proof_role")?;
    let visible_users = if col::<i64>(&row, "visible_all")? != 0 {
        VisibleUsers::All
    } else {
        VisibleUsers::Only(
            sqlx::query_scalar(
                "SELECT user_id FROM partner_visible_users WHERE account_id = $1 \
                 AND partner_account_id = $2 ORDER BY user_id",
            )
            .bind(account)
            .bind(partner_account)
            .fetch_all(&mut *conn)
            .await?,
        )
    };
    Ok(Terms {
        max_proof_role: ProofRole::parse(&role)
            .map_err(|_| StoreError::Corrupt(format!("terms role {role:?}")))?,
        download: col::<i64>(&row, "download")? != 0,
        visible_users,
    })
}

/// The partner account of relationship `id`, an active partnership of the actor's account.
async fn partner_of(store: &Store, actor: &User, id: &str) -> StoreResult<String> {
    let seen = partners::get(store, actor, id).await?;
    match (seen.status, seen.partner_account) {
        (View::Accepted, Some(partner)) => Ok(partner.id),
        _ => Err(Refusal::NotFound.into()),
    }
}

/// The terms the actor's account set for the partner of relationship `id`.
pub async fn get(store: &Store, actor: &User, id: &str) -> StoreResult<Terms> {
    partner::check_manage(actor.profile)?;
    let partner = partner_of(store, actor, id).await?;
    let mut conn = store.read().await?;
    of(&mut conn, &actor.account_id, &partner).await
}

/// Replaces the terms the actor's account set for the partner of relationship `id`. Every
/// listed user must be a user of the actor's account (else `invalid_input`).
pub async fn put(store: &Store, actor: &User, id: &str, terms: Terms) -> StoreResult<Terms> {
    partner::check_manage(actor.profile)?;
    let partner = partner_of(store, actor, id).await?;
    let (s, account) = (store.clone(), actor.account_id.clone());
    store
        .write(move || {
            let (s, account, partner, terms) =
                (s.clone(), account.clone(), partner.clone(), terms.clone());
            async move {
                let mut tx = s.begin().await?;
                locks::contacts_of_pair(&s, &mut tx, &account, Some(&partner)).await?;
                contacts::fanout::finish_for(&mut tx, &[account.as_str()]).await?;
                write(&mut tx, &account, &partner, &terms).await?;
                contacts::sync::terms_changed(&mut tx, &account, &partner).await?;
                live::notify(&mut tx, vec![live::Change::contacts(&partner)]);
                tx.commit().await?;
                Ok(terms)
            }
        })
        .await
}

async fn write(tx: &mut Tx, account: &str, partner: &str, terms: &Terms) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM partner_visible_users WHERE account_id = $1 AND partner_account_id = $2",
    )
    .bind(account)
    .bind(partner)
    .execute(&mut **tx)
    .await?;
    if let VisibleUsers::Only(ids) = &terms.visible_users {
        for user in ids {
            let not_ours = || {
                Refusal::InvalidInput(format!(
                    "visible_users: {:?} is not a user of your account.",
                    user.chars().take(40).collect::<String>()
                ))
            };
            if !ids::looks_like_id(user) {
                return Err(not_ours().into());
            }
            let written = sqlx::query(
                "INSERT INTO partner_visible_users (account_id, partner_account_id, user_id) \
                 SELECT $1, $2, id FROM users WHERE id = $3 AND account_id = $1",
            )
            .bind(account)
            .bind(partner)
            .bind(user)
            .execute(&mut **tx)
            .await?;
            if written.rows_affected() == 0 {
                return Err(not_ours().into());
            }
        }
    }
    sqlx::query(
        "INSERT INTO partner_terms (account_id, partner_account_id, max_proof_role, download, \
         visible_all, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (account_id, partner_account_id) DO UPDATE SET \
         max_proof_role = excluded.max_proof_role, download = excluded.download, \
         visible_all = excluded.visible_all, updated_at = excluded.updated_at",
    )
    .bind(account)
    .bind(partner)
    .bind(terms.max_proof_role.as_str())
    .bind(i64::from(terms.download))
    .bind(i64::from(terms.visible_users == VisibleUsers::All))
    .bind(now_micros())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
