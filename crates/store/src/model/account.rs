//! An account: one organization.

use crate::{col, StoreResult};
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
