//! Sign-up: a new account with its first user, a billing admin.

use crate::arrival::{self, FirstMail};
use crate::model::{Account, NewUser, User};
use crate::{accounts, attempts, users, Store, StoreResult};
use coproof_core::throttle::Throttle;

/// Creates an account whose first user (a billing admin) is `owner`. A verification
/// e-mail goes out in the same transaction; partner requests waiting for the owner's
/// address attach once it is verified (at once when the operator vouched for it).
///
/// A sign-up from a client IP counts against the cap of sign-ups per IP and hour (the
/// operator's `coproof account create` passes none); past it, `rate_limited` and nothing
/// is written.
pub async fn sign_up(
    store: &Store,
    account_name: &str,
    owner: &NewUser,
    client_ip: Option<&str>,
) -> StoreResult<(Account, User)> {
    let (s, account_name, owner) = (store.clone(), account_name.to_string(), owner.clone());
    let client_ip = client_ip.map(str::to_string);
    store
        .write(move || {
            let (s, account_name, owner) = (s.clone(), account_name.clone(), owner.clone());
            let client_ip = client_ip.clone();
            async move { sign_up_now(&s, &account_name, &owner, client_ip.as_deref()).await }
        })
        .await
}

async fn sign_up_now(
    store: &Store,
    account_name: &str,
    owner: &NewUser,
    client_ip: Option<&str>,
) -> StoreResult<(Account, User)> {
    let mut tx = store.begin().await?;
    if let Some(ip) = client_ip {
        let cap = Throttle::per_hour(store.mail_caps().signups_per_ip);
        attempts::check_and_count(&mut tx, &[(format!("signup-ip:{ip}"), cap)]).await?;
    }
    if !owner.email_verified {
        store.mail_ceiling().take(1)?;
    }
    let account = accounts::insert(&mut tx, account_name).await?;
    let user = users::insert(&mut tx, &account.id, owner).await?;
    arrival::user_arrived(store, &mut tx, &user, FirstMail::VerifyAddress).await?;
    tx.commit().await?;
    Ok((account, user))
}
