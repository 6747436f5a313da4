//! The audit log of the caller's account: partner transitions and security events, newest
//! first, filtered by `?action=`. Admins only.

use crate::http::dto::{direction, timestamp, ViewsDto};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{next_cursor, ApiQuery, Caller};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use coproof_core::Refusal;
use coproof_store::audit::{self, ActionFilter, LogEntry};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    /// A partner transition (`send`, `accept`, `reject`, `delete`, `resolve`, `attach`,
    /// `drop`) or a security event (`login`, `login_failed`, `logout`, `email_verified`,
    /// `password_changed`, `password_reset`, `two_factor_on`, `two_factor_off`,
    /// `token_created`, `session_ended`, `user_added`, `user_changed`, `share_added`,
    /// `share_removed`, `trash_emptied`, `contacts_imported`).
    pub action: String,
    /// `own_account`, `partner_account` or `system`.
    pub actor: String,
    /// The acting user, when it is a user of your account.
    pub actor_user_id: Option<String>,
    /// Partner entries: the relationship.
    pub relationship_id: Option<String>,
    /// Partner entries: `sent` or `received`, from your account's side.
    pub direction: Option<String>,
    /// Security events: what it is about (a user, share, token or session id, a name).
    pub subject: Option<String>,
    /// Security events: the client's IP address.
    pub ip: Option<String>,
    /// The state before and after: a partner entry's views, a changed user's fields.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// One action only.
    pub action: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn views(v: coproof_core::partner::Views) -> Option<serde_json::Value> {
    serde_json::to_value(ViewsDto::from(v)).ok()
}

impl From<LogEntry> for AuditEntry {
    fn from(entry: LogEntry) -> AuditEntry {
        match entry {
            LogEntry::Partner(e) => AuditEntry {
                id: e.id,
                at: timestamp(e.at),
                action: e.action,
                actor: e.actor.to_string(),
                actor_user_id: e.actor_user_id,
                relationship_id: Some(e.relationship_id),
                direction: Some(direction(e.direction).to_string()),
                subject: None,
                ip: None,
                before: views(e.before),
                after: views(e.after),
            },
            LogEntry::Security(e) => AuditEntry {
                id: e.id,
                at: timestamp(e.at),
                action: e.action,
                actor: if e.actor_user_id.is_some() {
                    "own_account"
                } else {
                    "system"
                }
                .to_string(),
                actor_user_id: e.actor_user_id,
                relationship_id: None,
                direction: None,
                subject: e.subject,
                ip: e.ip,
                before: e.before,
                after: e.after,
            },
        }
    }
}

/// A page of the caller's account's log. Shared with the audit page and its CSV export.
pub async fn page_of_log(
    state: &AppState,
    caller: &coproof_store::model::User,
    query: &AuditQuery,
) -> ApiResult<(Vec<AuditEntry>, Option<String>)> {
    if !caller.profile.is_admin() {
        return Err(Refusal::Forbidden.into());
    }
    let page = crate::http::extract::PageQuery {
        limit: query.limit.clone(),
        cursor: query.cursor.clone(),
    };
    let (limit, cursor) = page.parse()?;
    let filter = ActionFilter::parse(query.action.as_deref())
        .ok_or_else(|| ApiError::invalid_input("action is not one the audit log records"))?;
    let found = audit::account_log(&state.store, &caller.account_id, filter, cursor, limit).await?;
    let next = next_cursor(&found, limit, |e| e.id());
    Ok((found.into_iter().map(AuditEntry::from).collect(), next))
}

/// Every change to the account's partner relationships and every security event of its
/// users, newest first.
#[utoipa::path(get, path = "/audit", tag = "partners", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditList), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditList>> {
    let (entries, next_cursor) = page_of_log(&state, &caller.user, &query).await?;
    Ok(Json(AuditList {
        entries,
        next_cursor,
    }))
}
