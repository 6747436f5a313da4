//! A partner relationship as stored, and as one account sees it on its Partners tab.

use super::Account;
use crate::{col, StoreError, StoreResult};
use coproof_core::partner::{Side, View, Views};
use sqlx::any::AnyRow;

/// One relationship as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    pub id: String,
    pub sender_account_id: String,
    pub sender_user_id: String,
    pub email: String,
    pub recipient_account_id: Option<String>,
    pub views: Views,
    pub accepted_once: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inviter {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// A relationship as one account sees it on its Partners tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub id: String,
    pub direction: Side,
    pub status: View,
    pub email: String,
    /// The other side's account; for the sender only once the request was accepted.
    pub partner_account: Option<Account>,
    pub invited_by: Inviter,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) const REL_COLUMNS: &str = "r.id, r.sender_account_id, r.sender_user_id, r.email, \
     r.recipient_account_id, r.sender_view, r.recipient_view, r.accepted_once, \
     r.created_at, r.updated_at";

fn view(raw: &str) -> StoreResult<View> {
    View::parse(raw).ok_or_else(|| StoreError::Corrupt(format!("view {raw:?}")))
}

impl Relationship {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Relationship> {
        Ok(Relationship {
            id: col(row, "id")?,
            sender_account_id: col(row, "sender_account_id")?,
            sender_user_id: col(row, "sender_user_id")?,
            email: col(row, "email")?,
            recipient_account_id: col(row, "recipient_account_id")?,
            views: Views::new(
                view(&col::<String>(row, "sender_view")?)?,
                view(&col::<String>(row, "recipient_view")?)?,
            ),
            accepted_once: col::<i64>(row, "accepted_once")? != 0,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
        })
    }

    /// The side `account_id` is on, if it can see this relationship at all.
    pub fn side_of(&self, account_id: &str) -> Option<Side> {
        let side = if self.sender_account_id == account_id {
            Side::Sender
        } else if self.recipient_account_id.as_deref() == Some(account_id) {
            Side::Recipient
        } else {
            return None;
        };
        (self.views.of(side) != View::None).then_some(side)
    }
}
