//! The JSON API under `/api/v1`, one module per part of `spec/api.md`.

pub mod audit;
pub mod contacts;
pub mod contacts_csv;
pub mod partners;
pub mod sessions;
pub mod users;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every API route, with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sessions::signup))
        .routes(routes!(sessions::login))
        .routes(routes!(sessions::logout))
        .routes(routes!(sessions::me))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::update))
        .routes(routes!(partners::list, partners::send))
        .routes(routes!(partners::get, partners::delete))
        .routes(routes!(partners::accept))
        .routes(routes!(partners::reject))
        .routes(routes!(audit::list))
        .routes(routes!(contacts::list, contacts::add))
        .routes(routes!(contacts::delete))
        .routes(routes!(contacts::import))
        .routes(routes!(contacts::export))
}
