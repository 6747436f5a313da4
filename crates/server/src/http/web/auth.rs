//! Sign-up, log-in, log-out and the set-password page of the e-mailed link.

use super::session;
use super::{Chrome, OrPage, PageError, PageRequest, Posted};
use crate::http::api::identity::well_formed;
use crate::http::client_ip::ClientIp;
use crate::http::credentials::check_credentials;
use crate::http::error::ApiError;
use crate::http::security_log::{event, note};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use coproof_core::Refusal;
use coproof_core::{name::parse_name, password::check_password, EmailAddress, Language, Profile};
use coproof_store::model::NewUser;
use coproof_store::security::SecurityAction;
use coproof_store::tokens::{self, Kind};
use coproof_store::{identity, StoreError};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    /// Ask for a two-factor code as well.
    needs_code: bool,
}

pub async fn login_page(req: PageRequest) -> Response {
    if req.signed_in.is_some() {
        return req.redirect("/");
    }
    let page = LoginPage {
        c: req.chrome("login-title"),
        email: String::new(),
        needs_code: false,
    };
    req.render(&page)
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    posted: Posted,
) -> Result<Response, PageError> {
    let email = posted.field("email").to_string();
    let code = Some(posted.field("code")).filter(|c| !c.is_empty());
    let result = check_credentials(&state, &email, posted.field("password"), code, ip).await;
    let mut req = posted.req;
    match result {
        Ok((user, _)) => {
            let secret = tokens::issue(&state.store, &user.id, Kind::Session)
                .await
                .or_page(&req)?;
            req.start_session(&secret);
            Ok(req.redirect("/"))
        }
        Err(error) => {
            let mut c = req.chrome("login-title");
            let needs_code = matches!(error.code, "two_factor_required" | "invalid_code");
            c.error = Some(match error.code {
                "rate_limited" => c.t.get("error-sign_in_rate_limited"),
                "two_factor_required" => c.t.get("login-code-needed"),
                _ => message(&c, &error),
            });
            let page = LoginPage {
                c,
                email,
                needs_code,
            };
            let status = error.status;
            let html = page.render();
            Ok(req.page(status, html))
        }
    }
}

/// The translated sentence of a refusal.
fn message(c: &Chrome, error: &ApiError) -> String {
    c.t.known(&format!("error-{}", error.code))
        .unwrap_or_else(|| c.t.get("error-generic"))
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    c: Chrome,
    open: bool,
    account_name: String,
    name: String,
    email: String,
}

pub async fn signup_page(State(state): State<AppState>, req: PageRequest) -> Response {
    if req.signed_in.is_some() {
        return req.redirect("/");
    }
    let mut c = req.chrome("signup-title");
    if !state.config.allow_signup {
        c.error = c.t.known("error-signup_disabled");
    }
    let page = SignupPage {
        c,
        open: state.config.allow_signup,
        account_name: String::new(),
        name: String::new(),
        email: req.query.get("email").cloned().unwrap_or_default(),
    };
    req.render(&page)
}

async fn create_account(state: &AppState, posted: &Posted) -> Result<String, ApiError> {
    if !state.config.allow_signup {
        return Err(coproof_core::Refusal::SignupDisabled.into());
    }
    let account_name = parse_name("account_name", posted.field("account_name"))?;
    let name = parse_name("name", posted.field("name"))?;
    let email = EmailAddress::parse(posted.field("email"))?;
    let password = posted.field("password");
    check_password(password)?;
    let language = Language::parse(posted.field("language")).unwrap_or(posted.req.lang);
    let owner = NewUser {
        email,
        name,
        profile: Profile::BillingAdmin,
        language,
        password_hash: Some(state.hasher.hash(password).await?),
        email_verified: false,
    };
    let ip = posted.req.ip.to_string();
    let (_, user) =
        coproof_store::sign_up::sign_up(&state.store, &account_name, &owner, Some(&ip)).await?;
    state.mail_wake.notify_one();
    Ok(tokens::issue(&state.store, &user.id, Kind::Session).await?)
}

pub async fn signup(State(state): State<AppState>, posted: Posted) -> Response {
    match create_account(&state, &posted).await {
        Ok(secret) => {
            let mut req = posted.req;
            req.start_session(&secret);
            req.redirect("/?ok=signed_up")
        }
        Err(error) => {
            let mut c = posted.req.chrome("signup-title");
            c.error = Some(message(&c, &error));
            let page = SignupPage {
                c,
                open: state.config.allow_signup,
                account_name: posted.field("account_name").to_string(),
                name: posted.field("name").to_string(),
                email: posted.field("email").to_string(),
            };
            let html = page.render();
            posted.req.page(error.status, html)
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    posted: Posted,
) -> Result<Response, PageError> {
    let mut req = posted.req;
    if let Some(signed_in) = &req.signed_in {
        tokens::revoke(&state.store, &signed_in.secret)
            .await
            .or_page(&req)?;
        note(&state, event(SecurityAction::Logout, &signed_in.user, ip)).await;
    }
    req.add_cookie(session::clear_session_cookie(req.secure()));
    Ok(req.redirect("/login?ok=signed_out"))
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    c: Chrome,
    token: String,
    action: &'static str,
}

pub async fn set_password_page(req: PageRequest) -> Result<Response, PageError> {
    let token = req.query.get("token").cloned().unwrap_or_default();
    if !well_formed(&token) {
        return Err(PageError::bare(
            req.lang,
            StatusCode::NOT_FOUND,
            "link_expired",
        ));
    }
    let page = SetPasswordPage {
        c: req.chrome("set-password-title"),
        token,
        action: "/set-password",
    };
    Ok(req.render(&page))
}

async fn apply_password(state: &AppState, posted: &Posted) -> Result<(), ApiError> {
    let token = posted.field("token");
    let password = posted.new_password()?;
    let expired = || ApiError::new(StatusCode::NOT_FOUND, "link_expired", "link expired");
    if !well_formed(token) {
        return Err(expired());
    }
    let hash = state.hasher.hash(password).await?;
    match identity::use_password_link(&state.store, token, Kind::SetPassword, &hash).await {
        Err(StoreError::Refused(Refusal::InvalidToken)) => Err(expired()),
        done => done.map(|_| ()).map_err(ApiError::from),
    }
}

pub async fn set_password(
    State(state): State<AppState>,
    posted: Posted,
) -> Result<Response, PageError> {
    match apply_password(&state, &posted).await {
        Ok(()) => Ok(posted.req.redirect("/login?ok=password_set")),
        Err(error) if error.code == "link_expired" => {
            Err(PageError::bare(posted.req.lang, error.status, error.code))
        }
        Err(error) => {
            let mut c = posted.req.chrome("set-password-title");
            c.error = Some(message(&c, &error));
            let page = SetPasswordPage {
                c,
                token: posted.field("token").to_string(),
                action: "/set-password",
            };
            let html = page.render();
            Ok(posted.req.page(error.status, html))
        }
    }
}
