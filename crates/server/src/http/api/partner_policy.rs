//! The account's partner policy (Settings > Account Settings > Partners > Policy). Admins
//! only.

use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, Caller};
use crate::http::partner_dto::PolicyBody;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use coproof_core::policy::{Incoming, PartnerPolicy};
use coproof_store::partner_policy;

/// Who may send your account partner requests, which domains are blocked or accepted at
/// once, and how long a request waits.
#[utoipa::path(get, path = "/partner-policy", tag = "partners", security(("bearer" = [])),
    responses((status = 200, body = PolicyBody), (status = 403, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<PolicyBody>> {
    let policy = partner_policy::get(&state.store, &caller.user).await?;
    Ok(Json(PolicyBody::from(&policy)))
}

/// Replaces the policy; it applies to requests that arrive from now on.
#[utoipa::path(put, path = "/partner-policy", tag = "partners", security(("bearer" = [])),
    request_body = PolicyBody,
    responses((status = 200, body = PolicyBody), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PolicyBody>,
) -> ApiResult<Json<PolicyBody>> {
    let incoming = Incoming::parse(&body.incoming).ok_or_else(|| {
        ApiError::invalid_input("incoming must be anyone, listed_domains or nobody")
    })?;
    let policy = PartnerPolicy::new(
        incoming,
        &body.allowed_domains,
        &body.blocked_domains,
        &body.auto_accept_domains,
        body.request_lifetime_days,
    )?;
    let policy = partner_policy::put(&state.store, &caller.user, policy).await?;
    Ok(Json(PolicyBody::from(&policy)))
}
