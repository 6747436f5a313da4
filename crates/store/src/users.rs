//! The `users` table: the users of an account (adding and changing them is `team.rs`).

use crate::error::OnUnique;
use crate::model::{NewUser, User, USER_COLUMNS};
use crate::{col, ids, now_micros, tokens, Store, StoreResult, Tx};
use coproof_core::{team, EmailAddress, Refusal};

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

/// A user of `account_id`, read to be changed (locked on PostgreSQL).
pub(crate) async fn get_for_update(
    store: &Store,
    tx: &mut Tx,
    account_id: &str,
    id: &str,
) -> StoreResult<User> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND u.account_id = $2{}",
        store.for_update()
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Refusal::NotFound)?;
    User::from_row(&row)
}

/// How many active admins `account_id` has besides `except`.
pub(crate) async fn other_active_admins(
    tx: &mut Tx,
    account_id: &str,
    except: &str,
) -> StoreResult<u64> {
    let admins: Vec<String> = team::admin_profiles()
        .map(|p| format!("'{}'", p.as_str()))
        .collect();
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM users WHERE account_id = $1 AND id <> $2 AND active = 1 \
         AND profile IN ({})",
        admins.join(", ")
    ))
    .bind(account_id)
    .bind(except)
    .fetch_one(&mut **tx)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Writes what a change may touch: name, profile, active state, language.
pub(crate) async fn save(tx: &mut Tx, user: &User) -> StoreResult<()> {
    sqlx::query(
        "UPDATE users SET name = $1, profile = $2, active = $3, language = $4, updated_at = $5 \
         WHERE id = $6",
    )
    .bind(&user.name)
    .bind(user.profile.as_str())
    .bind(i64::from(user.active))
    .bind(user.language.as_str())
    .bind(now_micros())
    .bind(&user.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
