//! Accounts: one organization each. Sign-up creates an account with its first user.

use crate::users::{self, NewUser, User};
use crate::{attempts, col, contacts, identity, ids, now_micros, partners, Store, StoreResult, Tx};
use coproof_core::throttle::Throttle;
use coproof_core::Refusal;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
}

impl Account {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Account> {
        Ok(Account {
            id: col(row, "id")?,
            name: col(row, "name")?,
        })
    }
}

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
    let account = insert(&mut tx, account_name).await?;
    let user = users::insert(&mut tx, &account.id, owner).await?;
    contacts::sync::user_added(store, &mut tx, &user).await?;
    if user.email_verified {
        partners::attach_address(store, &mut tx, &user).await?;
    } else {
        identity::queue_verification(&mut tx, &user).await?;
    }
    tx.commit().await?;
    Ok((account, user))
}

/// Inserts a new account (no user yet).
pub async fn insert(tx: &mut Tx, name: &str) -> StoreResult<Account> {
    let account = Account {
        id: ids::new_id(),
        name: name.to_string(),
    };
    sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&account.id)
        .bind(&account.name)
        .bind(now_micros())
        .execute(&mut **tx)
        .await?;
    Ok(account)
}

pub async fn get(store: &Store, id: &str) -> StoreResult<Account> {
    let row = sqlx::query("SELECT id, name FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *store.read().await?)
        .await?
        .ok_or(Refusal::NotFound)?;
    Account::from_row(&row)
}
