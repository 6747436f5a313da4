//! HTTP: the router, the error mapping, extractors, and the API and service routes.

pub mod api;
pub mod client_ip;
pub mod connections;
pub mod credentials;
pub mod dto;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod item_dto;
pub mod metrics;
pub mod params;
pub mod partner_dto;
pub mod replica_reads;
pub mod security_log;
pub mod service;
pub mod web;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use coproof_core::Refusal;
use error::ApiError;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Coproof API",
        version = "1",
        description = "Partner accounts, contacts and shared proofs. See spec/api.md."
    ),
    components(schemas(error::ErrorBody))
)]
struct ApiDoc;

/// The OpenAPI document of every route (built once).
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| split().1)
}

fn split() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api::routes())
        .merge(service::routes())
        .split_for_parts();
    if let Some(components) = doc.components.as_mut() {
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
    (router, doc)
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (router, _) = split();
    router
        .merge(web::routes())
        .route_layer(axum::middleware::from_fn(metrics::track))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            replica_reads::route,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // A whole request, body included, within `--request-timeout-secs`: 408 past it.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(state.config.request_timeout_secs.max(1)),
        ))
        .layer(DefaultBodyLimit::max(state.config.json_limit))
        .layer(axum::middleware::from_fn(envelope::wrap_plain_errors))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
            .into_response()
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts(&state.config),
        ))
        .with_state(state)
}

/// `Strict-Transport-Security` for a server whose public URL is https (browsers then never
/// reach it over plain http); none otherwise (the layer adds nothing for `None`).
fn hsts(config: &crate::config::Config) -> Option<HeaderValue> {
    config
        .secure_cookies()
        .then(|| HeaderValue::from_static("max-age=31536000"))
}

/// JSON 404 for the API; for a browser asking for a page, the translated 404 page.
async fn not_found(request: axum::extract::Request) -> axum::response::Response {
    let (parts, _) = request.into_parts();
    web::not_found_page(&parts).unwrap_or_else(|| ApiError::from(Refusal::NotFound).into_response())
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This path does not take that method.",
    )
}
