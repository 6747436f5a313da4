//! The identity pages before and around sign-in: the address-verification link and its
//! "send again" button, forgot / reset password. Every action is the JSON API's
//! (`api/identity.rs`), through the same store calls.

use super::{Chrome, OrPage, PageError, PageRequest, Posted, SignedPost};
use crate::http::api::identity::reset_with_link;
use crate::http::api::identity::well_formed;
use crate::http::client_ip::ClientIp;
use crate::http::error::ApiError;
use crate::http::security_log::{event, note};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use coproof_core::{EmailAddress, Refusal};
use coproof_store::identity;
use coproof_store::security::SecurityAction;
use std::net::IpAddr;

/// The translated sentence of a refusal.
fn message(c: &Chrome, error: &ApiError) -> String {
    c.t.known(&format!("error-{}", error.code))
        .unwrap_or_else(|| c.t.get("error-generic"))
}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyEmailPage {
    c: Chrome,
    token: String,
}

/// The page of the e-mailed link: one button that confirms (a GET changes nothing, so a
/// mail scanner that follows links verifies nobody).
pub async fn verify_email_page(req: PageRequest) -> Result<Response, PageError> {
    let token = req.query.get("token").cloned().unwrap_or_default();
    if !well_formed(&token) {
        return Err(req.error_page(StatusCode::BAD_REQUEST, "invalid_token"));
    }
    let page = VerifyEmailPage {
        c: req.chrome("verify-email-title"),
        token,
    };
    Ok(req.render(&page))
}

pub async fn verify_email(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    posted: Posted,
) -> Result<Response, PageError> {
    let token = posted.field("token");
    if !well_formed(token) {
        return Err(posted
            .req
            .error_page(StatusCode::BAD_REQUEST, "invalid_token"));
    }
    let user = identity::verify_email(&state.store, token)
        .await
        .or_page(&posted.req)?;
    note(&state, event(SecurityAction::EmailVerified, &user, ip)).await;
    Ok(if posted.req.signed_in.is_some() {
        posted.req.redirect("/?ok=email_verified")
    } else {
        posted.req.redirect("/login?ok=email_verified")
    })
}

/// "Send the e-mail again" from the banner.
pub async fn resend_verification(State(state): State<AppState>, form: SignedPost) -> Response {
    match identity::resend_verification(&state.store, &form.me).await {
        Ok(()) => {
            state.mail_wake.notify_one();
            form.posted.req.redirect("/?ok=verification_sent")
        }
        Err(e) => {
            let error = ApiError::from(e);
            form.posted.req.redirect(&format!("/?error={}", error.code))
        }
    }
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    c: Chrome,
    email: String,
}

pub async fn forgot_page(req: PageRequest) -> Response {
    let email = req.query.get("email").cloned().unwrap_or_default();
    let page = ForgotPage {
        c: req.chrome("forgot-title"),
        email,
    };
    req.render(&page)
}

/// The same answer for every address, known or not.
pub async fn forgot(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    posted: Posted,
) -> Response {
    let email = posted.field("email").to_string();
    let done = match EmailAddress::parse(&email) {
        Ok(address) => identity::forgot_password(&state.store, &address, &ip.to_string())
            .await
            .map_err(ApiError::from),
        Err(refusal) => Err(refusal.into()),
    };
    let mut c = posted.req.chrome("forgot-title");
    let status = match done {
        Ok(()) => {
            state.mail_wake.notify_one();
            c.flash = Some(c.t.get("ok-reset_sent"));
            StatusCode::OK
        }
        Err(error) => {
            c.error = Some(message(&c, &error));
            error.status
        }
    };
    let html = ForgotPage { c, email }.render();
    posted.req.page(status, html)
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct ResetPage {
    c: Chrome,
    token: String,
    action: &'static str,
}

pub async fn reset_page(req: PageRequest) -> Result<Response, PageError> {
    let token = req.query.get("token").cloned().unwrap_or_default();
    if !well_formed(&token) {
        return Err(req.error_page(StatusCode::BAD_REQUEST, "invalid_token"));
    }
    let page = ResetPage {
        c: req.chrome("reset-title"),
        token,
        action: "/reset-password",
    };
    Ok(req.render(&page))
}

async fn apply_reset(state: &AppState, posted: &Posted, ip: IpAddr) -> Result<(), ApiError> {
    let password = posted.new_password()?;
    let token = posted.field("token");
    if !well_formed(token) {
        return Err(Refusal::InvalidToken.into());
    }
    reset_with_link(state, token, password, ip).await
}

pub async fn reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    posted: Posted,
) -> Result<Response, PageError> {
    match apply_reset(&state, &posted, ip).await {
        Ok(()) => {
            // Every session ended, this browser's too.
            let mut req = posted.req;
            req.add_cookie(super::session::clear_session_cookie(req.secure()));
            Ok(req.redirect("/login?ok=password_reset"))
        }
        Err(error) if error.code == "invalid_token" => Err(posted
            .req
            .error_page(StatusCode::BAD_REQUEST, "invalid_token")),
        Err(error) => {
            let mut c = posted.req.chrome("reset-title");
            c.error = Some(message(&c, &error));
            let page = ResetPage {
                c,
                token: posted.field("token").to_string(),
                action: "/reset-password",
            };
            let html = page.render();
            Ok(posted.req.page(error.status, html))
        }
    }
}
