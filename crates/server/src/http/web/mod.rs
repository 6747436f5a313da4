//! The web pages: server-rendered HTML (askama) in English and Korean (fluent), with a
//! session cookie, CSRF-checked forms that post and redirect, and strict security headers.
//! Handlers call the store directly, under the same rules as the JSON API.
//!
//! A handler takes who may see it ([`PageRequest`], [`Signed`], [`Admin`], or a posted
//! form: [`Posted`], [`SignedPost`], [`AdminPost`]) and returns
//! `Result<Response, PageError>`: a page, a redirect, or with `?` the log-in redirect or
//! the error page ([`OrPage::or_page`]).

pub mod access;
pub mod audit;
pub mod auth;
pub mod chrome;
pub mod contacts;
pub mod create;
pub mod error_page;
pub mod forms;
pub mod headers;
pub mod home;
pub mod i18n;
pub mod identity;
pub mod items;
pub mod live;
pub mod partner_detail;
pub mod partner_policy;
pub mod partners;
pub mod profile;
pub mod request;
pub mod session;
pub mod trash;
pub mod users;
pub mod webhooks;

use crate::state::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub use access::{Admin, Signed};
pub use chrome::{when, Chrome};
pub use error_page::{not_found_page, OrPage, PageError};
pub use forms::{with_code, AdminPost, Posted, SignedPost};
pub use headers::with_security_headers;
pub use request::{PageRequest, SignedIn};

/// Every page route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/signup", get(auth::signup_page).post(auth::signup))
        .route("/logout", post(auth::logout))
        .route(
            "/set-password",
            get(auth::set_password_page).post(auth::set_password),
        )
        .route(
            "/verify-email",
            get(identity::verify_email_page).post(identity::verify_email),
        )
        .route("/verify-email/resend", post(identity::resend_verification))
        .route(
            "/forgot-password",
            get(identity::forgot_page).post(identity::forgot),
        )
        .route(
            "/reset-password",
            get(identity::reset_page).post(identity::reset),
        )
        .route(
            "/settings/profile",
            get(profile::page).post(profile::change_profile),
        )
        .route("/settings/profile/password", post(profile::change_password))
        .route(
            "/settings/profile/two-factor",
            post(profile::two_factor_start),
        )
        .route(
            "/settings/profile/two-factor/confirm",
            post(profile::two_factor_confirm),
        )
        .route(
            "/settings/profile/two-factor/off",
            post(profile::two_factor_off),
        )
        .route("/settings/profile/tokens", post(profile::create_token))
        .route(
            "/settings/profile/sessions/end-others",
            post(profile::end_other_sessions),
        )
        .route(
            "/settings/profile/sessions/{id}/end",
            post(profile::end_session),
        )
        .route("/settings/account", get(users::settings))
        .route("/settings/account/audit", get(audit::page))
        .route("/settings/account/audit.csv", get(audit::export))
        .route("/settings/account/users", get(users::page).post(users::add))
        .route("/settings/account/users/{id}", post(users::change))
        .route(
            "/settings/account/partners",
            get(partners::page).post(partners::send),
        )
        .route(
            "/settings/account/partners/policy",
            get(partner_policy::page).post(partner_policy::save),
        )
        .route(
            "/settings/account/partners/{id}",
            get(partner_detail::history),
        )
        .route(
            "/settings/account/partners/{id}/{action}",
            get(partners::confirm).post(partners::act),
        )
        .route(
            "/settings/account/webhooks",
            get(webhooks::page).post(webhooks::add),
        )
        .route("/settings/account/webhooks/{id}", get(webhooks::log))
        .route("/settings/account/webhooks/{id}/test", post(webhooks::test))
        .route(
            "/settings/account/webhooks/{id}/delete",
            post(webhooks::delete),
        )
        .route("/contacts", get(contacts::page).post(contacts::add))
        .route("/contacts/import", post(contacts::import))
        .route("/contacts/{id}/delete", post(contacts::delete))
        .route("/shared-with-me", get(items::shared_with_me))
        .route("/folders/{id}", get(items::folder))
        .route("/proofs/{id}", get(items::proof))
        .route("/proofs/{id}/decision", post(items::decide))
        .route("/proofs/{id}/comments", post(items::comment))
        .route(
            "/proofs/{id}/comments/{comment_id}/resolve",
            post(items::resolve_comment),
        )
        .route(
            "/proofs/{id}/versions",
            post(create::new_version).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/folders/{id}/share", post(items::share_folder))
        .route("/proofs/{id}/share", post(items::share_proof))
        .route("/folders", post(create::new_folder))
        .route("/folders/{id}/rename", post(trash::rename))
        .route("/folders/{id}/trash", post(trash::put_in_trash))
        .route("/trash", get(trash::page))
        .route("/trash/empty", post(trash::empty))
        .route("/trash/{id}/restore", post(trash::restore))
        .route(
            "/files",
            post(create::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/files/{id}/proof", post(create::new_proof))
        .route("/files/{id}", get(items::file))
        .route("/files/{id}/share", post(items::share_file))
        .route("/shares/{id}/delete", post(items::delete_share))
        .route("/static/app.css", get(stylesheet))
        .route("/static/live.js", get(live_script))
        .route("/live", get(live::stream))
        .layer(axum::middleware::from_fn(headers::security_headers))
}

async fn live_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../../static/live.js"),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../../static/app.css"),
    )
        .into_response()
}
