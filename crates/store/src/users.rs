//! Users of an account (Settings > Account Settings > Users).

use crate::accounts::Account;
use crate::error::OnUnique;
use crate::{
    attempts, col, contacts, identity, ids, now_micros, outbox, partners, tokens, Store,
    StoreError, StoreResult, Tx,
};
use coproof_core::throttle::Throttle;
use coproof_core::{EmailAddress, Language, Profile, Refusal};
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub name: String,
    pub profile: Profile,
    pub active: bool,
    pub language: Language,
    /// The user has used a single-use link e-mailed to its address.
    pub email_verified: bool,
    /// Signing in needs a TOTP or recovery code as well as the password.
    pub two_factor: bool,
}

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.account_id, u.email, u.name, u.profile, u.active, u.language, u.email_verified, \
     CAST(CASE WHEN u.totp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) AS two_factor";

impl User {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<User> {
        let profile: String = col(row, "profile")?;
        let language: String = col(row, "language")?;
        Ok(User {
            id: col(row, "id")?,
            account_id: col(row, "account_id")?,
            email: col(row, "email")?,
            name: col(row, "name")?,
            profile: Profile::parse(&profile)
                .map_err(|_| StoreError::Corrupt(format!("profile {profile:?}")))?,
            active: col::<i64>(row, "active")? != 0,
            language: Language::parse(&language)
                .ok_or_else(|| StoreError::Corrupt(format!("language {language:?}")))?,
            email_verified: col::<i64>(row, "email_verified")? != 0,
            two_factor: col::<i64>(row, "two_factor")? != 0,
        })
    }
}

/// A user about to be created. `password_hash` is already hashed by the caller.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: EmailAddress,
    pub name: String,
    pub profile: Profile,
    pub language: Language,
    pub password_hash: Option<String>,
    /// Already verified: only the operator's CLI vouches so; everyone else proves it by
    /// using a link e-mailed to the address.
    pub email_verified: bool,
}

/// What may change on a user.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub name: Option<String>,
    pub profile: Option<Profile>,
    pub active: Option<bool>,
    pub language: Option<Language>,
}

/// How long a set-password link works.
pub const SET_PASSWORD_TTL_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;

pub(crate) async fn insert(tx: &mut Tx, account_id: &str, new: &NewUser) -> StoreResult<User> {
    let now = now_micros();
    let user = User {
        id: ids::new_id(),
        account_id: account_id.to_string(),
        email: new.email.as_str().to_string(),
        name: new.name.clone(),
        profile: new.profile,
        active: true,
        language: new.language,
        email_verified: new.email_verified,
        two_factor: false,
    };
    sqlx::query(
        "INSERT INTO users (id, account_id, email, name, profile, active, language, \
         password_hash, email_verified, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $9)",
    )
    .bind(&user.id)
    .bind(&user.account_id)
    .bind(&user.email)
    .bind(&user.name)
    .bind(user.profile.as_str())
    .bind(user.language.as_str())
    .bind(new.password_hash.clone())
    .bind(i64::from(new.email_verified))
    .bind(now)
    .execute(&mut **tx)
    .await
    .on_unique(Refusal::EmailTaken)?;
    Ok(user)
}

/// An admin adds a user to its account. Without a password, a set-password e-mail is
/// queued in the same transaction; with one, a verification e-mail. Partner requests
/// waiting for the address attach once the address is verified.
pub async fn create(store: &Store, actor: &User, new: &NewUser) -> StoreResult<User> {
    let (s, actor, new) = (store.clone(), actor.clone(), new.clone());
    let user = store
        .write(move || {
            let (s, actor, new) = (s.clone(), actor.clone(), new.clone());
            async move { create_now(&s, &actor, &new).await }
        })
        .await?;
    // Its member rows may have been queued for the fan-out worker.
    store.fanout_queued();
    Ok(user)
}

async fn create_now(store: &Store, actor: &User, new: &NewUser) -> StoreResult<User> {
    if !actor.profile.is_admin() {
        return Err(Refusal::Forbidden.into());
    }
    if !actor.profile.may_grant(new.profile) {
        return Err(Refusal::Forbidden.into());
    }
    let mut tx = store.begin().await?;
    let cap = Throttle::per_hour(store.mail_caps().users_added_per_account);
    let key = format!("user-add:{}", actor.account_id);
    attempts::check_and_count(&mut tx, &[(key, cap)]).await?;
    store.mail_ceiling().take(1)?;
    contacts::sync::lock_account(store, &mut tx, &actor.account_id).await?;
    let user = insert(&mut tx, &actor.account_id, new).await?;
    contacts::sync::user_added(store, &mut tx, &user).await?;
    if new.password_hash.is_some() {
        identity::queue_verification(&mut tx, &user).await?;
    } else {
        let secret = tokens::insert(&mut tx, &user.id, tokens::Kind::SetPassword).await?;
        let account = account_in(&mut tx, &actor.account_id).await?;
        outbox::enqueue(
            &mut tx,
            &outbox::Mail {
                kind: outbox::MailKind::UserInvited,
                recipient: user.email.clone(),
                language: user.language,
                params: serde_json::json!({
                    "inviter_name": actor.name,
                    "account_name": account.name,
                    "name": user.name,
                    "token": secret,
                }),
            },
        )
        .await?;
    }
    if user.email_verified {
        partners::attach_address(store, &mut tx, &user).await?;
    }
    tx.commit().await?;
    Ok(user)
}

async fn account_in(tx: &mut Tx, id: &str) -> StoreResult<Account> {
    let row = sqlx::query("SELECT id, name FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Account::from_row(&row)
}

/// Users of an account ordered by id, after `cursor`.
pub async fn list(
    store: &Store,
    account_id: &str,
    cursor: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.account_id = $1 AND u.id > $2 \
         ORDER BY u.id LIMIT $3"
    ))
    .bind(account_id)
    .bind(cursor.unwrap_or(""))
    .bind(i64::from(limit))
    .fetch_all(&mut *store.read().await?)
    .await?;
    rows.iter().map(User::from_row).collect()
}

/// A user of `account_id`; users of other accounts are not found.
pub async fn get_in_account(store: &Store, account_id: &str, id: &str) -> StoreResult<User> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND u.account_id = $2"
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(&mut *store.read().await?)
    .await?
    .ok_or(Refusal::NotFound)?;
    User::from_row(&row)
}

/// The user with this address and its password hash (for log-in).
pub async fn find_for_login(
    store: &Store,
    email: &EmailAddress,
) -> StoreResult<Option<(User, Option<String>)>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1"
    ))
    .bind(email.as_str())
    .fetch_optional(&mut *store.read().await?)
    .await?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some((User::from_row(&row)?, col(&row, "password_hash")?))),
    }
}

/// An admin changes a user of its own account.
///
/// An admin may not make anyone a billing admin, nor change a billing admin; an account
/// always keeps at least one active admin. Deactivating ends every token at once.
pub async fn update(
    store: &Store,
    actor: &User,
    id: &str,
    change: &UserChange,
) -> StoreResult<(User, User)> {
    let (s, actor, id, change) = (store.clone(), actor.clone(), id.to_string(), change.clone());
    store
        .write(move || {
            let (s, actor, id, change) = (s.clone(), actor.clone(), id.clone(), change.clone());
            async move { update_now(&s, &actor, &id, &change).await }
        })
        .await
}

async fn update_now(
    store: &Store,
    actor: &User,
    id: &str,
    change: &UserChange,
) -> StoreResult<(User, User)> {
    let self_service = actor.id == id && change.profile.is_none() && change.active.is_none();
    if !actor.profile.is_admin() && !self_service {
        return Err(Refusal::Forbidden.into());
    }
    let mut tx = store.begin().await?;
    // The contacts lock comes first, as in every transaction that takes it (lock order:
    // contacts advisory lock, account row, pair row, relationship rows).
    contacts::sync::lock_account(store, &mut tx, &actor.account_id).await?;
    // Changes to one account's users take turns (PostgreSQL): two admins stepping down at
    // once must not both see the other as the admin who stays. `NO KEY UPDATE` leaves the
    // key-share locks of foreign keys (new account pairs, new users) free.
    if store.backend() == crate::Backend::Postgres {
        sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE")
            .bind(&actor.account_id)
            .fetch_optional(&mut *tx)
            .await?;
    }
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND u.account_id = $2{}",
        store.for_update()
    ))
    .bind(id)
    .bind(&actor.account_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Refusal::NotFound)?;
    let before = User::from_row(&row)?;
    let touches_rights = change.profile.is_some_and(|p| p != before.profile)
        || change.active.is_some_and(|a| a != before.active);
    if touches_rights {
        let target_ok = actor.profile.may_grant(before.profile)
            && change.profile.is_none_or(|p| actor.profile.may_grant(p));
        if !target_ok {
            return Err(Refusal::Forbidden.into());
        }
    }
    let after = User {
        name: change.name.clone().unwrap_or(before.name.clone()),
        profile: change.profile.unwrap_or(before.profile),
        active: change.active.unwrap_or(before.active),
        language: change.language.unwrap_or(before.language),
        ..before.clone()
    };
    let loses_admin =
        before.active && before.profile.is_admin() && !(after.active && after.profile.is_admin());
    if loses_admin {
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE account_id = $1 AND id <> $2 AND active = 1 \
             AND profile IN ('admin', 'billing_admin')",
        )
        .bind(&actor.account_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if others == 0 {
            return Err(Refusal::LastAdmin.into());
        }
    }
    contacts::sync::user_changed(store, &mut tx, &before, &after).await?;
    sqlx::query(
        "UPDATE users SET name = $1, profile = $2, active = $3, language = $4, updated_at = $5 \
         WHERE id = $6",
    )
    .bind(&after.name)
    .bind(after.profile.as_str())
    .bind(i64::from(after.active))
    .bind(after.language.as_str())
    .bind(now_micros())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if !after.active {
        tokens::revoke_all(&mut tx, id).await?;
    }
    tx.commit().await?;
    store.identities_changed();
    Ok((before, after))
}

/// Sets a user's password (admin CLI, set-password and reset links). Ends every session
/// and token of the user; the caller commits `tx`, then calls
/// [`Store::identities_changed`].
pub async fn set_password_hash(tx: &mut Tx, user_id: &str, hash: &str) -> StoreResult<()> {
    let done = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now_micros())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Refusal::NotFound.into());
    }
    tokens::revoke_all(tx, user_id).await
}

/// The user with this address, whatever its account (admin CLI).
pub async fn find_by_email(store: &Store, email: &EmailAddress) -> StoreResult<Option<User>> {
    Ok(find_for_login(store, email).await?.map(|(user, _)| user))
}
