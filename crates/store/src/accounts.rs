//! The `accounts` table: one organization each (sign-up is `sign_up.rs`).

use crate::model::Account;
use crate::{ids, now_micros, Store, StoreResult, Tx};
use coproof_core::Refusal;

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

/// The account `id`, inside a transaction.
pub(crate) async fn get_in(tx: &mut Tx, id: &str) -> StoreResult<Account> {
    let row = sqlx::query("SELECT id, name FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Account::from_row(&row)
}
