//! An admin adds or changes a user of its account (Settings > Account Settings > Users),
//! each in one transaction; `coproof_core::team` decides who may.

use crate::arrival::{self, FirstMail};
use crate::live::{self, Change};
use crate::model::{NewUser, User, UserChange};
use crate::{attempts, contacts, locks, tokens, users, Store, StoreResult};
use coproof_core::team;
use coproof_core::throttle::Throttle;

/// An admin adds a user to its account. Without a password, a set-password e-mail is
/// queued in the same transaction; with one, a verification e-mail (unless the operator
/// vouched for the address). Partner requests waiting for the address attach once the
/// address is verified.
pub async fn add(store: &Store, actor: &User, new: &NewUser) -> StoreResult<User> {
    let (s, actor, new) = (store.clone(), actor.clone(), new.clone());
    let user = store
        .write(move || {
            let (s, actor, new) = (s.clone(), actor.clone(), new.clone());
            async move { add_now(&s, &actor, &new).await }
        })
        .await?;
    // Its member rows may have been queued for the fan-out worker.
    store.fanout_queued();
    Ok(user)
}

async fn add_now(store: &Store, actor: &User, new: &NewUser) -> StoreResult<User> {
    team::check_add(actor.profile, new.profile)?;
    let mut tx = store.begin().await?;
    let cap = Throttle::per_hour(store.mail_caps().users_added_per_account);
    let key = format!("user-add:{}", actor.account_id);
    attempts::check_and_count(&mut tx, &[(key, cap)]).await?;
    store.mail_ceiling().take(1)?;
    locks::contacts_of_account(store, &mut tx, &actor.account_id).await?;
    let user = users::insert(&mut tx, &actor.account_id, new).await?;
    let first = match new.password_hash {
        Some(_) => FirstMail::VerifyAddress,
        None => FirstMail::SetPassword { inviter: actor },
    };
    arrival::user_arrived(store, &mut tx, &user, first).await?;
    live::notify(&mut tx, vec![Change::contacts(&actor.account_id)]);
    tx.commit().await?;
    Ok(user)
}

/// A user of the actor's account changes: its own name and language, or (an admin) anyone's
/// profile and active state. Deactivating ends every token at once. Returns the user
/// before and after.
pub async fn change(
    store: &Store,
    actor: &User,
    id: &str,
    change: &UserChange,
) -> StoreResult<(User, User)> {
    let (s, actor, id, change) = (store.clone(), actor.clone(), id.to_string(), change.clone());
    store
        .write(move || {
            let (s, actor, id, change) = (s.clone(), actor.clone(), id.clone(), change.clone());
            async move { change_now(&s, &actor, &id, &change).await }
        })
        .await
}

async fn change_now(
    store: &Store,
    actor: &User,
    id: &str,
    change: &UserChange,
) -> StoreResult<(User, User)> {
    // Refused before any lock is taken when the target is someone else's to change.
    team::check_may_change(actor.profile, actor.id == id)?;
    let mut tx = store.begin().await?;
    // Changes to one account's users take turns: two admins stepping down at once must
    // not both see the other as the admin who stays (`locks.rs`, steps 1 and 2).
    locks::contacts_of_account(store, &mut tx, &actor.account_id).await?;
    locks::account_row(store, &mut tx, &actor.account_id).await?;
    let before = users::get_for_update(store, &mut tx, &actor.account_id, id).await?;
    let after = before.changed(change);
    team::check_change(
        actor.profile,
        actor.id == id,
        before.standing(),
        after.standing(),
    )?;
    if team::loses_an_admin(before.standing(), after.standing()) {
        let others = users::other_active_admins(&mut tx, &actor.account_id, id).await?;
        team::check_keeps_an_admin(before.standing(), after.standing(), others)?;
    }
    contacts::sync::user_changed(store, &mut tx, &before, &after).await?;
    users::save(&mut tx, &after).await?;
    if !after.active {
        tokens::revoke_all(&mut tx, id).await?;
    }
    live::notify(&mut tx, vec![Change::contacts(&actor.account_id)]);
    tx.commit().await?;
    store.identities_changed();
    Ok((before, after))
}
