//! Security events of an account's audit log (`spec/api.md`, "Identity"): sign-ins and
//! failed sign-ins, log-outs, address verification, password and two-factor changes,
//! sessions and tokens, users added and changed, shares, emptied trash, imports. Each with
//! the acting user, the client IP, the time, what it is about and, where a thing changed,
//! its state before and after. Partner transitions stay in `audit_log` (`audit.rs`).

use crate::model::User;
use crate::{col, ids, now_micros, Store, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityAction {
    Login,
    LoginFailed,
    Logout,
    EmailVerified,
    PasswordChanged,
    PasswordReset,
    TwoFactorOn,
    TwoFactorOff,
    TokenCreated,
    SessionEnded,
    UserAdded,
    UserChanged,
    ShareAdded,
    ShareRemoved,
    TrashEmptied,
    ContactsImported,
}

impl SecurityAction {
    pub const ALL: [SecurityAction; 16] = [
        SecurityAction::Login,
        SecurityAction::LoginFailed,
        SecurityAction::Logout,
        SecurityAction::EmailVerified,
        SecurityAction::PasswordChanged,
        SecurityAction::PasswordReset,
        SecurityAction::TwoFactorOn,
        SecurityAction::TwoFactorOff,
        SecurityAction::TokenCreated,
        SecurityAction::SessionEnded,
        SecurityAction::UserAdded,
        SecurityAction::UserChanged,
        SecurityAction::ShareAdded,
        SecurityAction::ShareRemoved,
        SecurityAction::TrashEmptied,
        SecurityAction::ContactsImported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecurityAction::Login => "login",
            SecurityAction::LoginFailed => "login_failed",
            SecurityAction::Logout => "logout",
            SecurityAction::EmailVerified => "email_verified",
            SecurityAction::PasswordChanged => "password_changed",
            SecurityAction::PasswordReset => "password_reset",
            SecurityAction::TwoFactorOn => "two_factor_on",
            SecurityAction::TwoFactorOff => "two_factor_off",
            SecurityAction::TokenCreated => "token_created",
            SecurityAction::SessionEnded => "session_ended",
            SecurityAction::UserAdded => "user_added",
            SecurityAction::UserChanged => "user_changed",
            SecurityAction::ShareAdded => "share_added",
            SecurityAction::ShareRemoved => "share_removed",
            SecurityAction::TrashEmptied => "trash_emptied",
            SecurityAction::ContactsImported => "contacts_imported",
        }
    }

    pub fn parse(s: &str) -> Option<SecurityAction> {
        SecurityAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct SecurityEvent {
    pub action: SecurityAction,
    /// The account whose log shows it.
    pub account_id: String,
    pub actor_user_id: Option<String>,
    /// What it is about: a user, share, token or session id, a file name.
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl SecurityEvent {
    /// `actor` did `action` from `ip`, in its own account's log.
    pub fn by(action: SecurityAction, actor: &User, ip: &str) -> SecurityEvent {
        SecurityEvent {
            action,
            account_id: actor.account_id.clone(),
            actor_user_id: Some(actor.id.clone()),
            subject: None,
            ip: Some(ip.to_string()),
            before: None,
            after: None,
        }
    }

    pub fn about(mut self, subject: impl Into<String>) -> SecurityEvent {
        self.subject = Some(subject.into());
        self
    }

    pub fn changed(
        mut self,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> SecurityEvent {
        self.before = before;
        self.after = after;
        self
    }
}

/// Records `event` in its own short transaction (after the change it reports committed).
pub async fn record(store: &Store, event: &SecurityEvent) -> StoreResult<()> {
    let (s, event) = (store.clone(), event.clone());
    store
        .write(move || {
            let (s, event) = (s.clone(), event.clone());
            async move {
                let mut tx = s.begin_grouped().await?;
                sqlx::query(
                    "INSERT INTO security_events (id, at, action, account_id, actor_user_id, \
                     subject, ip, before_state, after_state) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(ids::new_id())
                .bind(now_micros())
                .bind(event.action.as_str())
                .bind(&event.account_id)
                .bind(&event.actor_user_id)
                .bind(&event.subject)
                .bind(&event.ip)
                .bind(event.before.as_ref().map(|v| v.to_string()))
                .bind(event.after.as_ref().map(|v| v.to_string()))
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
        })
        .await
}

/// A recorded event as the account's admins see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub id: String,
    pub at: i64,
    pub action: String,
    pub actor_user_id: Option<String>,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The account's events, newest first, before `cursor`, of one action when given.
pub async fn list(
    store: &Store,
    account_id: &str,
    action: Option<SecurityAction>,
    cursor: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<Recorded>> {
    let rows = sqlx::query(
        "SELECT id, at, action, actor_user_id, subject, ip, before_state, after_state \
         FROM security_events WHERE account_id = $1 AND id < $2 \
         AND ($3 = '' OR action = $3) ORDER BY id DESC LIMIT $4",
    )
    .bind(account_id)
    .bind(cursor.unwrap_or("zzzzzzzzzzzzzzzzzzzzzzzzzz"))
    .bind(action.map_or("", SecurityAction::as_str))
    .bind(i64::from(limit))
    .fetch_all(&mut *store.read().await?)
    .await?;
    let json = |raw: Option<String>| raw.and_then(|r| serde_json::from_str(&r).ok());
    rows.iter()
        .map(|row| {
            Ok(Recorded {
                id: col(row, "id")?,
                at: col(row, "at")?,
                action: col(row, "action")?,
                actor_user_id: col(row, "actor_user_id")?,
                subject: col(row, "subject")?,
                ip: col(row, "ip")?,
                before: json(col(row, "before_state")?),
                after: json(col(row, "after_state")?),
            })
        })
        .collect()
}
