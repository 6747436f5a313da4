//! Writing security events to the account's audit log from the handlers, right after the
//! change they report has committed and before the answer goes out.

use crate::state::AppState;
use coproof_store::model::User;
use coproof_store::security::{self, SecurityAction, SecurityEvent};
use std::net::IpAddr;

/// Records `event`. A failure is logged, not answered: the change itself is done.
pub async fn note(state: &AppState, event: SecurityEvent) {
    if let Err(e) = security::record(&state.store, &event).await {
        tracing::error!(action = event.action.as_str(), error = %e, "recording a security event");
    }
}

/// `actor` did `action` from `ip`.
pub fn event(action: SecurityAction, actor: &User, ip: IpAddr) -> SecurityEvent {
    SecurityEvent::by(action, actor, &ip.to_string())
}

/// A user's fields as the log shows them before and after a change.
pub fn user_state(user: &User) -> serde_json::Value {
    serde_json::json!({
        "email": user.email,
        "name": user.name,
        "profile": user.profile.as_str(),
        "active": user.active,
        "language": user.language.as_str(),
    })
}
