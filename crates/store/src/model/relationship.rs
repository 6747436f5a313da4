//! A partner relationship as stored, and as one account sees it on its Partners tab.

use super::Account;
use crate::{col, StoreError, StoreResult};
use coproof_core::partner::{self, Side, View, Views};
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
    /// When the request expires if the sender still waits on it then (the recipient
    /// policy's lifetime after it was sent).
    pub expires_at: Option<i64>,
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
     r.created_at, r.updated_at, r.expires_at";

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
            expires_at: col(row, "expires_at")?,
        })
    }

    /// Whether the sender still waits on this request at `now` although its time is up
    /// (the expiry sweep has not reached it yet).
    pub fn is_overdue(&self, now: i64) -> bool {
        self.views.awaits_answer() && self.expires_at.is_some_and(|t| t <= now)
    }

    /// The relationship as it stands at `now`: an overdue request is already expired,
    /// whether or not the sweep has written it.
    pub fn as_of(mut self, now: i64) -> Relationship {
        if self.is_overdue(now) {
            if let Ok(out) = partner::expire(self.views) {
                self.views = out.views;
            }
        }
        self
    }

    /// The side `account_id` is on, whatever its view.
    pub fn party(&self, account_id: &str) -> Option<Side> {
        if self.sender_account_id == account_id {
            Some(Side::Sender)
        } else if self.recipient_account_id.as_deref() == Some(account_id) {
            Some(Side::Recipient)
        } else {
            None
        }
    }

    /// The side `account_id` is on, if it can see this relationship at all.
    pub fn side_of(&self, account_id: &str) -> Option<Side> {
        let side = self.party(account_id)?;
        (self.views.of(side) != View::None).then_some(side)
    }
}
