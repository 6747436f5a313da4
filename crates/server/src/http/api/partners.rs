//! Partners (Settings > Account Settings > Partners). Admins only.

use crate::http::dto::{parse_status, Relationship, RemovalPreview};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{next_cursor, ApiJson, ApiQuery, Caller, PageQuery};
use crate::http::partner_dto::{ConsentPreview, History, HistoryEvent, TermsBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use coproof_core::partner::{Action, Side};
use coproof_core::Refusal;
use coproof_store::partners::{self, ListFilter};
use coproof_store::{partner_history, partner_preview, partner_terms, removal_preview};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipList {
    pub relationships: Vec<Relationship>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnerQuery {
    /// `pending`, `accepted`, `rejected` or `expired`.
    pub status: Option<String>,
    /// `sent` or `received`.
    pub direction: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The relationships visible to the caller's account, newest first.
#[utoipa::path(get, path = "/partners", tag = "partners", security(("bearer" = [])), params(PartnerQuery),
    responses((status = 200, body = RelationshipList), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PartnerQuery>,
) -> ApiResult<Json<RelationshipList>> {
    let page = PageQuery {
        limit: query.limit.clone(),
        cursor: query.cursor.clone(),
    };
    let (limit, cursor) = page.parse()?;
    let filter = ListFilter {
        status: match query.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(parse_status(s).ok_or_else(|| {
                ApiError::invalid_input("status must be pending, accepted, rejected or expired")
            })?),
        },
        direction: match query.direction.as_deref() {
            None | Some("") => None,
            Some("sent") => Some(Side::Sender),
            Some("received") => Some(Side::Recipient),
            Some(_) => {
                return Err(ApiError::invalid_input(
                    "direction must be sent or received",
                ))
            }
        },
    };
    let found = partners::list(&state.store, &caller.user, &filter, cursor, limit).await?;
    Ok(Json(RelationshipList {
        next_cursor: next_cursor(&found, limit, |s| &s.id),
        relationships: found.iter().map(Relationship::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SendRequest {
    /// The address of a user in the other organization.
    pub email: String,
}

/// Sends a partner request to an address.
#[utoipa::path(post, path = "/partners", tag = "partners", security(("bearer" = [])), request_body = SendRequest,
    responses((status = 201, body = Relationship), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SendRequest>,
) -> ApiResult<(StatusCode, Json<Relationship>)> {
    let seen = partners::send(
        &state.store,
        &caller.user,
        &req.email,
        state.config.invite_limit_per_hour,
    )
    .await?;
    state.mail_wake.notify_one();
    Ok((StatusCode::CREATED, Json(Relationship::from(&seen))))
}

/// One relationship as the caller's account sees it.
#[utoipa::path(get, path = "/partners/{id}", tag = "partners", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Relationship), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Relationship>> {
    let seen = partners::get(&state.store, &caller.user, &id).await?;
    Ok(Json(Relationship::from(&seen)))
}

/// What removing this partner keeps and stops: shares both ways, the members synced each
/// way, the open proofs with the partner's approvers (counts and up to 50 of each). An
/// accepted partnership only; changes nothing.
#[utoipa::path(get, path = "/partners/{id}/removal-preview", tag = "partners", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = RemovalPreview), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn removal_preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RemovalPreview>> {
    let preview = removal_preview::get(&state.store, &caller.user, &id).await?;
    Ok(Json(RemovalPreview::from(&preview)))
}

/// Who asks, how many people each side will see, and the terms offered: what an admin of
/// the recipient account reads before accepting. A request pending for the caller's
/// account as its recipient only; changes nothing.
#[utoipa::path(get, path = "/partners/{id}/preview", tag = "partners", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ConsentPreview), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ConsentPreview>> {
    let preview = partner_preview::get(&state.store, &caller.user, &id).await?;
    Ok(Json(ConsentPreview::from(&preview)))
}

/// What the caller's account may know of the relationship's life, oldest first: each
/// change told from its side, with the reason when no user answered.
#[utoipa::path(get, path = "/partners/{id}/history", tag = "partners", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = History), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<History>> {
    let events = partner_history::get(&state.store, &caller.user, &id).await?;
    Ok(Json(History {
        events: events.iter().map(HistoryEvent::from).collect(),
    }))
}

/// The terms your account set for this partner: the highest proof role its users may get
/// on what you share, whether they may download originals, and which of your users it
/// sees on Contacts. An active partnership only.
#[utoipa::path(get, path = "/partners/{id}/terms", tag = "partners", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = TermsBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn get_terms(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<TermsBody>> {
    let terms = partner_terms::get(&state.store, &caller.user, &id).await?;
    Ok(Json(TermsBody::from(&terms)))
}

/// Replaces the terms your account set for this partner. They cap rights (never add
/// them) from the partner's next request on; users taken out of `visible_users` leave the
/// partner's Contacts (kept there as ended), users put back return.
#[utoipa::path(put, path = "/partners/{id}/terms", tag = "partners", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TermsBody,
    responses((status = 200, body = TermsBody), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn put_terms(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TermsBody>,
) -> ApiResult<Json<TermsBody>> {
    // Who may, and which partnership, before what was typed.
    partner_terms::get(&state.store, &caller.user, &id).await?;
    let terms = partner_terms::put(&state.store, &caller.user, &id, body.to_terms()?).await?;
    Ok(Json(TermsBody::from(&terms)))
}

async fn act(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> ApiResult<Option<Relationship>> {
    let seen = partners::act(&state.store, &caller.user, id, action).await?;
    state.mail_wake.notify_one();
    Ok(seen.as_ref().map(Relationship::from))
}

/// Accepts a received pending request; other pending requests between the two accounts
/// are resolved into this one.
#[utoipa::path(post, path = "/partners/{id}/accept", tag = "partners", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Relationship), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Relationship>> {
    let seen = act(&state, &caller, &id, Action::Accept).await?;
    seen.map(Json).ok_or_else(|| Refusal::NotFound.into())
}

/// "Reject and ignore" a received pending request.
#[utoipa::path(post, path = "/partners/{id}/reject", tag = "partners", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Relationship), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Relationship>> {
    let seen = act(&state, &caller, &id, Action::Reject).await?;
    seen.map(Json).ok_or_else(|| Refusal::NotFound.into())
}

/// Deletes a request, or removes a partner, from the caller's side.
#[utoipa::path(delete, path = "/partners/{id}", tag = "partners", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    act(&state, &caller, &id, Action::Delete).await?;
    Ok(StatusCode::NO_CONTENT)
}
