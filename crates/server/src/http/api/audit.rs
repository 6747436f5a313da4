//! The partner audit log of the caller's account. Admins only.

use crate::http::dto::{direction, timestamp, ViewsDto};
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{next_cursor, ApiQuery, Caller, PageQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use coproof_core::Refusal;
use coproof_store::audit;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    /// `send`, `accept`, `reject`, `delete`, `resolve`, `attach` or `drop`.
    pub action: String,
    /// `own_account`, `partner_account` or `system`.
    pub actor: String,
    /// The acting user, when it is a user of your account.
    pub actor_user_id: Option<String>,
    pub relationship_id: String,
    /// `sent` or `received`, from your account's side.
    pub direction: String,
    pub before: ViewsDto,
    pub after: ViewsDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// Every change to the account's partner relationships, newest first.
#[utoipa::path(get, path = "/audit", tag = "partners", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = AuditList), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<AuditList>> {
    if !caller.user.profile.is_admin() {
        return Err(Refusal::Forbidden.into());
    }
    let (limit, cursor) = page.parse()?;
    let found = audit::list(&state.store, &caller.user.account_id, cursor, limit).await?;
    Ok(Json(AuditList {
        next_cursor: next_cursor(&found, limit, |e| &e.id),
        entries: found
            .into_iter()
            .map(|e| AuditEntry {
                id: e.id,
                at: timestamp(e.at),
                action: e.action,
                actor: e.actor.to_string(),
                actor_user_id: e.actor_user_id,
                relationship_id: e.relationship_id,
                direction: direction(e.direction).to_string(),
                before: e.before.into(),
                after: e.after.into(),
            })
            .collect(),
    }))
}
