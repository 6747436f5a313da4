//! The JSON API under `/api/v1`, one module per part of `spec/api.md`.

pub mod audit;
pub mod contacts;
pub mod contacts_csv;
pub mod files;
pub mod folders;
pub mod identity;
pub mod partner_policy;
pub mod partners;
pub mod proofs;
pub mod sessions;
pub mod shares;
pub mod two_factor;
pub mod users;
pub mod webhooks;

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
        .routes(routes!(identity::verify_email))
        .routes(routes!(identity::resend_verification))
        .routes(routes!(identity::forgot_password))
        .routes(routes!(identity::reset_password))
        .routes(routes!(identity::change_password))
        .routes(routes!(
            identity::list_sessions,
            identity::end_other_sessions
        ))
        .routes(routes!(identity::end_session))
        .routes(routes!(identity::create_token))
        .routes(routes!(two_factor::offer, two_factor::turn_off))
        .routes(routes!(two_factor::confirm))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::update))
        .routes(routes!(partners::list, partners::send))
        .routes(routes!(partners::get, partners::delete))
        .routes(routes!(partners::accept))
        .routes(routes!(partners::reject))
        .routes(routes!(partners::removal_preview))
        .routes(routes!(partners::preview))
        .routes(routes!(partners::history))
        .routes(routes!(partners::get_terms, partners::put_terms))
        .routes(routes!(partner_policy::get, partner_policy::put))
        .routes(routes!(audit::list))
        .routes(routes!(contacts::list, contacts::add))
        .routes(routes!(contacts::delete))
        .routes(routes!(contacts::import))
        .routes(routes!(contacts::export))
        .merge(items())
        .merge(webhook_routes())
}

/// Signed webhooks (`spec/api.md` "Partner connections").
fn webhook_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::test))
}

/// Folders, files, proofs and shares (`spec/api.md` "Folders, files, proofs, shares").
fn items() -> OpenApiRouter<AppState> {
    // Uploads are limited by `--max-upload-bytes` while streaming, not by the JSON limit.
    let uploads = OpenApiRouter::new()
        .routes(routes!(files::upload))
        .layer(axum::extract::DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes(routes!(folders::create))
        .routes(routes!(folders::get, folders::update, folders::delete))
        .routes(routes!(folders::list_trash, folders::empty_trash))
        .routes(routes!(folders::restore))
        .merge(uploads)
        .routes(routes!(files::get))
        .routes(routes!(files::content))
        .routes(routes!(proofs::create))
        .routes(routes!(proofs::get))
        .routes(routes!(proofs::content))
        .routes(routes!(proofs::add_version))
        .routes(routes!(proofs::decide))
        .routes(routes!(proofs::add_comment, proofs::list_comments))
        .routes(routes!(proofs::resolve_comment))
        .routes(routes!(shares::share_folder, shares::folder_shares))
        .routes(routes!(shares::share_file, shares::file_shares))
        .routes(routes!(shares::share_proof, shares::proof_shares))
        .routes(routes!(shares::delete))
        .routes(routes!(shares::shared_with_me))
}
