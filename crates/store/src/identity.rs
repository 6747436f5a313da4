//! Proving who one is: verifying an address, using a set-password or reset link, asking
//! for a reset, changing a password (`spec/api.md`, "Identity"). Each a transaction.
//!
//! An address counts as verified once its owner used a single-use link e-mailed to it;
//! only then do partner requests waiting for that address attach to the owner's account.

use crate::mail_messages::{PasswordReset, UserInvited, VerifyEmail};
use crate::model::{User, USER_COLUMNS};
use crate::outbox::{self, Mail};
use crate::tokens::{self, Kind};
use crate::{accounts, attempts, now_micros, partners, Store, StoreResult, Tx};
use coproof_core::throttle::{RESEND_PER_USER, RESET_PER_ADDRESS, RESET_PER_IP};
use coproof_core::{EmailAddress, Refusal};

/// Queues a verification e-mail for `user` (sign-up, a user added with a password, resend).
pub(crate) async fn queue_verification(tx: &mut Tx, user: &User) -> StoreResult<()> {
    let secret = tokens::insert(tx, &user.id, Kind::VerifyEmail).await?;
    outbox::enqueue(
        tx,
        &Mail::new(
            &user.email,
            user.language,
            VerifyEmail {
                name: user.name.clone(),
                token: secret,
            },
        ),
    )
    .await
}

/// Queues the set-password e-mail of a user an admin added without a password.
pub(crate) async fn queue_set_password(
    tx: &mut Tx,
    inviter: &User,
    user: &User,
) -> StoreResult<()> {
    let secret = tokens::insert(tx, &user.id, Kind::SetPassword).await?;
    let account = accounts::get_in(tx, &inviter.account_id).await?;
    outbox::enqueue(
        tx,
        &Mail::new(
            &user.email,
            user.language,
            UserInvited {
                inviter_name: inviter.name.clone(),
                account_name: account.name,
                name: user.name.clone(),
                token: secret,
            },
        ),
    )
    .await
}

/// The user's address is now proved: it is marked verified and the partner requests
/// waiting for it attach to the user's account.
async fn mark_verified(store: &Store, tx: &mut Tx, user_id: &str) -> StoreResult<User> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1{}",
        store.for_update()
    ))
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Refusal::InvalidToken)?;
    let mut user = User::from_row(&row)?;
    if !user.email_verified {
        sqlx::query("UPDATE users SET email_verified = 1, updated_at = $1 WHERE id = $2")
            .bind(now_micros())
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        user.email_verified = true;
        partners::attach_address(store, tx, &user).await?;
    }
    Ok(user)
}

/// Runs `flow` as one write transaction and forgets cached identities after it committed.
pub(crate) async fn write<T, F, Fut>(store: &Store, flow: F) -> StoreResult<T>
where
    T: Send + 'static,
    F: Fn(Store) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = StoreResult<T>> + Send + 'static,
{
    let s = store.clone();
    let flow = std::sync::Arc::new(flow);
    let done = store
        .write(move || {
            let (s, flow) = (s.clone(), flow.clone());
            async move { flow(s).await }
        })
        .await?;
    store.identities_changed();
    Ok(done)
}

/// Uses a verification link: the user, now verified.
pub async fn verify_email(store: &Store, secret: &str) -> StoreResult<User> {
    let secret = secret.to_string();
    write(store, move |s| {
        let secret = secret.clone();
        async move {
            let mut tx = s.begin().await?;
            let user_id = tokens::take(&mut tx, &secret, Kind::VerifyEmail)
                .await?
                .ok_or(Refusal::InvalidToken)?;
            let user = mark_verified(&s, &mut tx, &user_id).await?;
            tx.commit().await?;
            Ok(user)
        }
    })
    .await
}

/// The operator vouches for a user's address (`coproof user verify`).
pub async fn vouch(store: &Store, user_id: &str) -> StoreResult<User> {
    let user_id = user_id.to_string();
    write(store, move |s| {
        let user_id = user_id.clone();
        async move {
            let mut tx = s.begin().await?;
            let user = mark_verified(&s, &mut tx, &user_id).await?;
            tx.commit().await?;
            Ok(user)
        }
    })
    .await
}

/// Sends the verification e-mail again, unless the address is verified already (then
/// nothing is sent). At most [`RESEND_PER_USER`].
pub async fn resend_verification(store: &Store, user: &User) -> StoreResult<()> {
    if user.email_verified {
        return Ok(());
    }
    let user = user.clone();
    write(store, move |s| {
        let user = user.clone();
        async move {
            let mut tx = s.begin_grouped().await?;
            let limits = [(format!("resend:{}", user.id), RESEND_PER_USER)];
            attempts::check_and_count(&mut tx, &limits).await?;
            s.mail_ceiling().take(1)?;
            queue_verification(&mut tx, &user).await?;
            tx.commit().await
        }
    })
    .await
}

/// Someone asks for a reset link for `email` from `client_ip`. The answer is the same
/// whether or not the address has a user: the attempt is counted (and throttled) either
/// way; an active user gets the e-mail.
pub async fn forgot_password(
    store: &Store,
    email: &EmailAddress,
    client_ip: &str,
) -> StoreResult<()> {
    let (email, client_ip) = (email.clone(), client_ip.to_string());
    write(store, move |s| {
        let (email, client_ip) = (email.clone(), client_ip.clone());
        async move {
            let mut tx = s.begin_grouped().await?;
            let limits = [
                (format!("reset:{}", email.as_str()), RESET_PER_ADDRESS),
                (format!("reset-ip:{client_ip}"), RESET_PER_IP),
            ];
            attempts::check_and_count(&mut tx, &limits).await?;
            // Taken for every address alike: the answer must not tell known from unknown.
            s.mail_ceiling().take(1)?;
            let row = sqlx::query(&format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1 AND u.active = 1"
            ))
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                let user = User::from_row(&row)?;
                let secret = tokens::insert(&mut tx, &user.id, Kind::ResetPassword).await?;
                outbox::enqueue(
                    &mut tx,
                    &Mail::new(
                        &user.email,
                        user.language,
                        PasswordReset {
                            name: user.name.clone(),
                            token: secret,
                        },
                    ),
                )
                .await?;
            }
            tx.commit().await
        }
    })
    .await
}

/// Uses a set-password or reset link (`kind`) to set the password hashed as `hash`: every
/// session and token of the user ends, and the address counts as verified.
pub async fn use_password_link(
    store: &Store,
    secret: &str,
    kind: Kind,
    hash: &str,
) -> StoreResult<User> {
    let (secret, hash) = (secret.to_string(), hash.to_string());
    write(store, move |s| {
        let (secret, hash) = (secret.clone(), hash.clone());
        async move {
            let mut tx = s.begin().await?;
            let user_id = tokens::take(&mut tx, &secret, kind)
                .await?
                .ok_or(Refusal::InvalidToken)?;
            crate::users::set_password_hash(&mut tx, &user_id, &hash).await?;
            let user = mark_verified(&s, &mut tx, &user_id).await?;
            tx.commit().await?;
            Ok(user)
        }
    })
    .await
}

/// The signed-in user sets a new password (the current one already checked by the
/// caller); every other session and token of the user ends, the one in `keep` stays.
pub async fn change_password(
    store: &Store,
    user_id: &str,
    keep: &str,
    hash: &str,
) -> StoreResult<()> {
    let (user_id, keep, hash) = (user_id.to_string(), keep.to_string(), hash.to_string());
    write(store, move |s| {
        let (user_id, keep, hash) = (user_id.clone(), keep.clone(), hash.clone());
        async move {
            let mut tx = s.begin().await?;
            let done =
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(&hash)
                    .bind(now_micros())
                    .bind(&user_id)
                    .execute(&mut *tx)
                    .await?;
            if done.rows_affected() == 0 {
                return Err(Refusal::NotFound.into());
            }
            tokens::revoke_all_but(&mut tx, &user_id, &keep).await?;
            tx.commit().await
        }
    })
    .await
}

/// Ends one of `user`'s sessions or tokens by id (`not_found` when it has none such).
pub async fn end_session(store: &Store, user: &User, id: &str) -> StoreResult<()> {
    let (user_id, id) = (user.id.clone(), id.to_string());
    write(store, move |s| {
        let (user_id, id) = (user_id.clone(), id.clone());
        async move {
            let mut tx = s.begin_grouped().await?;
            if !tokens::end(&mut tx, &user_id, &id).await? {
                return Err(Refusal::NotFound.into());
            }
            tx.commit().await
        }
    })
    .await
}

/// Ends every session and token of `user` but the one whose secret is `keep`; how many.
pub async fn end_other_sessions(store: &Store, user: &User, keep: &str) -> StoreResult<u64> {
    let (user_id, keep) = (user.id.clone(), keep.to_string());
    write(store, move |s| {
        let (user_id, keep) = (user_id.clone(), keep.clone());
        async move {
            let mut tx = s.begin_grouped().await?;
            let ended = tokens::end_all_but(&mut tx, &user_id, &keep).await?;
            tx.commit().await?;
            Ok(ended)
        }
    })
    .await
}

/// A named personal API token for `user` that ends at `expires_at`: its id and secret.
pub async fn create_token(
    store: &Store,
    user: &User,
    name: &str,
    expires_at: i64,
) -> StoreResult<(String, String)> {
    let (user_id, name) = (user.id.clone(), name.to_string());
    let s = store.clone();
    store
        .write(move || {
            let (s, user_id, name) = (s.clone(), user_id.clone(), name.clone());
            async move {
                let mut tx = s.begin_grouped().await?;
                let made = tokens::insert_personal(&mut tx, &user_id, &name, expires_at).await?;
                tx.commit().await?;
                Ok(made)
            }
        })
        .await
}
