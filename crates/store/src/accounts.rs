//! Accounts: one organization each. Sign-up creates an account with its first user.

use crate::users::{self, NewUser, User};
use crate::{col, contacts, identity, ids, now_micros, partners, Store, StoreResult, Tx};
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
pub async fn sign_up(
    store: &Store,
    account_name: &str,
    owner: &NewUser,
) -> StoreResult<(Account, User)> {
    let (s, account_name, owner) = (store.clone(), account_name.to_string(), owner.clone());
    store
        .write(move || {
            let (s, account_name, owner) = (s.clone(), account_name.clone(), owner.clone());
            async move { sign_up_now(&s, &account_name, &owner).await }
        })
        .await
}

async fn sign_up_now(
    store: &Store,
    account_name: &str,
    owner: &NewUser,
) -> StoreResult<(Account, User)> {
    let mut tx = store.begin().await?;
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
