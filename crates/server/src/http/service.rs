//! Service routes: health, readiness, metrics, and the interactive API page.

use super::error::ErrorBody;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(api_docs_page))
        .routes(routes!(api_docs_script))
        .routes(routes!(api_docs_style))
}

/// This document: the OpenAPI 3 description of every route.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service", responses((status = 200, body = Object)))]
pub async fn openapi_json() -> Response {
    axum::Json(super::openapi()).into_response()
}

/// 200 while the process serves.
#[utoipa::path(get, path = "/healthz", tag = "service", responses((status = 200, body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, body = String), (status = 503, body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.store.ping().await {
        "ready".into_response()
    } else {
        super::error::ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The database does not answer.",
        )
        .into_response()
    }
}

/// Whether `headers` carry `Authorization: Bearer <token>` (compared in constant time).
fn bears(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().as_bytes())
        .unwrap_or_default();
    given.len() == token.len()
        && given
            .iter()
            .zip(token.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Prometheus text exposition; behind `--metrics-token` when one is set.
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, body = String), (status = 401, body = ErrorBody)))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = state.config.metrics_token.as_deref() {
        if !bears(&headers, token) {
            return super::error::ApiError::from(coproof_core::Refusal::Unauthenticated)
                .into_response();
        }
    }
    if let Ok(depth) = coproof_store::outbox::depth(&state.store).await {
        metrics::gauge!("coproof_outbox_depth").set(depth as f64);
    }
    if let Ok(depth) = coproof_store::webhooks::depth(&state.store).await {
        metrics::gauge!("coproof_webhook_queue_depth").set(depth as f64);
    }
    let text = super::metrics::handle()
        .map(|h| h.render())
        .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// An interactive page over the served OpenAPI document: every route, with a form to try it.
#[utoipa::path(get, path = "/api/docs", tag = "service", responses((status = 200, content_type = "text/html", body = String)))]
pub async fn api_docs_page() -> Response {
    (
        [(header::CONTENT_SECURITY_POLICY, "default-src 'self'")],
        Html(include_str!("../../static/api-docs.html")),
    )
        .into_response()
}

/// The script of the interactive API page.
#[utoipa::path(get, path = "/api/docs.js", tag = "service",
    responses((status = 200, content_type = "text/javascript", body = String)))]
pub async fn api_docs_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/api-docs.js"),
    )
        .into_response()
}

/// The style sheet of the interactive API page.
#[utoipa::path(get, path = "/api/docs.css", tag = "service",
    responses((status = 200, content_type = "text/css", body = String)))]
pub async fn api_docs_style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/api-docs.css"),
    )
        .into_response()
}
