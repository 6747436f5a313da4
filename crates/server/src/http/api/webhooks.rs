//! Signed webhooks (spec/api.md, "Partner connections"): an admin's endpoints, each
//! endpoint's delivery log, and a test event. Account configuration, like the Partners
//! tab: `admin` and `billing_admin` only.

use crate::http::dto::timestamp;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{next_cursor, ApiJson, ApiQuery, Caller, PageQuery};
use crate::state::AppState;
use crate::webhooks::address;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use coproof_core::Refusal;
use coproof_store::model::User;
use coproof_store::webhooks::{self, Delivery, Endpoint, WebhookEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewWebhook {
    /// Where events are posted: `http` or `https`, no credentials, at most 2048 bytes, on
    /// a public address (unless the server runs with `--webhooks-allow-private`).
    pub url: String,
    /// At least one of `partner.requested`, `partner.accepted`, `partner.rejected`,
    /// `partner.removed`, `partner.expired`, `share.created`, `share.removed`,
    /// `proof.decided`, `proof.commented`.
    pub events: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: String,
}

impl From<&Endpoint> for Webhook {
    fn from(e: &Endpoint) -> Webhook {
        Webhook {
            id: e.id.clone(),
            url: e.url.clone(),
            events: e.events.iter().map(|e| e.as_str().to_string()).collect(),
            created_at: timestamp(e.created_at),
        }
    }
}

/// A new endpoint, with its signing secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_<base64 key>` (Standard Webhooks).
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

/// One event on its way to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDelivery {
    /// The event's id: the `webhook-id` header, the same on every attempt.
    pub id: String,
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    /// Why the last attempt failed (`HTTP 503`, `timed out`, a refused address, …).
    pub last_error: Option<String>,
    pub created_at: String,
    /// For a pending delivery: when it is tried next.
    pub next_attempt_at: Option<String>,
}

impl From<&Delivery> for WebhookDelivery {
    fn from(d: &Delivery) -> WebhookDelivery {
        WebhookDelivery {
            id: d.id.clone(),
            event: d.event.clone(),
            status: d.status.as_str().to_string(),
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error.clone(),
            created_at: timestamp(d.created_at),
            next_attempt_at: (d.status == webhooks::DeliveryStatus::Pending)
                .then(|| timestamp(d.next_attempt_at)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<WebhookDelivery>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestQueued {
    /// The test event's id (its `webhook-id`).
    pub id: String,
}

fn admin(user: &User) -> ApiResult<()> {
    if user.profile.is_admin() {
        Ok(())
    } else {
        Err(Refusal::Forbidden.into())
    }
}

/// 400 `invalid_url` with the reason.
pub fn invalid_url(refused: address::Refused) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_url", refused.0)
}

/// Registers an endpoint for `me`'s account: events checked, URL checked (form, then
/// every address of its host), then stored. The endpoint and its secret.
pub async fn register(
    state: &AppState,
    me: &User,
    url: &str,
    events: &[String],
) -> ApiResult<(Endpoint, String)> {
    admin(me)?;
    let events = WebhookEvent::parse_list(events)?;
    let parsed = address::parse(url).map_err(invalid_url)?;
    address::check(&parsed, state.config.webhooks_allow_private)
        .await
        .map_err(invalid_url)?;
    let endpoint = webhooks::create(&state.store, me, parsed.as_str(), &events).await?;
    let secret = state.webhook_key.secret(&endpoint.id, &endpoint.salt);
    Ok((endpoint, secret))
}

/// Registers a webhook endpoint; the answer carries its secret, shown only this once.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook),
              (status = 400, body = ErrorBody, description = "`invalid_url` or `invalid_input`"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    let (endpoint, secret) = register(&state, &caller.user, &req.url, &req.events).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            webhook: Webhook::from(&endpoint),
            secret,
        }),
    ))
}

/// The account's webhook endpoints (without their secrets).
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = WebhookList), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<WebhookList>> {
    admin(&caller.user)?;
    let found = webhooks::list(&state.store, &caller.user).await?;
    Ok(Json(WebhookList {
        webhooks: found.iter().map(Webhook::from).collect(),
    }))
}

/// Removes an endpoint, its queue and its delivery log.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    admin(&caller.user)?;
    webhooks::delete(&state.store, &caller.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An endpoint's deliveries, newest first.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks",
    security(("bearer" = [])), params(("id" = String, Path), PageQuery),
    responses((status = 200, body = DeliveryList), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<DeliveryList>> {
    admin(&caller.user)?;
    let (limit, cursor) = page.parse()?;
    let found = webhooks::deliveries(&state.store, &caller.user, &id, cursor, limit).await?;
    Ok(Json(DeliveryList {
        next_cursor: next_cursor(&found, limit, |d| &d.id),
        deliveries: found.iter().map(WebhookDelivery::from).collect(),
    }))
}

/// Sends a `webhook.test` event to this endpoint only.
#[utoipa::path(post, path = "/webhooks/{id}/test", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 202, body = TestQueued), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<TestQueued>)> {
    admin(&caller.user)?;
    let id = webhooks::send_test(&state.store, &caller.user, &id).await?;
    state.webhook_wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(TestQueued { id })))
}
