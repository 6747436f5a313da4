//! Sign-up, log-in, log-out and `me`.

use crate::http::client_ip::ClientIp;
use crate::http::credentials::check_credentials;
use crate::http::dto::{Account, Session, User};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, Caller};
use crate::http::security_log::{event, note};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coproof_core::{
    name::parse_name, password::check_password, EmailAddress, Language, Profile, Refusal,
};
use coproof_store::model::NewUser;
use coproof_store::security::SecurityAction;
use coproof_store::tokens::{self, Kind};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupRequest {
    pub account_name: String,
    pub name: String,
    pub email: String,
    pub password: String,
    /// `en` (default) or `ko`.
    pub language: Option<String>,
}

/// Parses a language field: absent is English, anything but `en`/`ko` is refused.
pub fn parse_language(raw: Option<&str>) -> Result<Language, ApiError> {
    match raw {
        None => Ok(Language::En),
        Some(s) => Language::parse(s)
            .ok_or_else(|| ApiError::invalid_input("language must be \"en\" or \"ko\"")),
    }
}

/// Creates an account; its first user is a billing admin.
#[utoipa::path(post, path = "/signup", tag = "sessions", request_body = SignupRequest,
    responses((status = 201, body = Session), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<SignupRequest>,
) -> ApiResult<(StatusCode, Json<Session>)> {
    if !state.config.allow_signup {
        return Err(Refusal::SignupDisabled.into());
    }
    let account_name = parse_name("account_name", &req.account_name)?;
    let name = parse_name("name", &req.name)?;
    let email = EmailAddress::parse(&req.email)?;
    check_password(&req.password)?;
    let language = parse_language(req.language.as_deref())?;
    let owner = NewUser {
        email,
        name,
        profile: Profile::BillingAdmin,
        language,
        password_hash: Some(state.hasher.hash(&req.password).await?),
        email_verified: false,
    };
    let ip = ip.to_string();
    let (account, user) =
        coproof_store::sign_up::sign_up(&state.store, &account_name, &owner, Some(&ip)).await?;
    let token = tokens::issue(&state.store, &user.id, Kind::Api).await?;
    state.mail_wake.notify_one();
    Ok((
        StatusCode::CREATED,
        Json(Session {
            token: Some(token),
            user: User::from(&user),
            account: Account::from(&account),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// A TOTP code or a recovery code, when the user has two-factor sign-in on.
    pub code: Option<String>,
}

/// Exchanges an address and password for an API token.
#[utoipa::path(post, path = "/login", tag = "sessions", request_body = LoginRequest,
    responses((status = 200, body = Session), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<Session>> {
    let (user, account) =
        check_credentials(&state, &req.email, &req.password, req.code.as_deref(), ip).await?;
    let token = tokens::issue(&state.store, &user.id, Kind::Api).await?;
    Ok(Json(Session {
        token: Some(token),
        user: User::from(&user),
        account: Account::from(&account),
    }))
}

/// Ends the token that signed this request.
#[utoipa::path(post, path = "/logout", tag = "sessions", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    caller: Caller,
) -> ApiResult<StatusCode> {
    tokens::revoke(&state.store, &caller.secret).await?;
    note(&state, event(SecurityAction::Logout, &caller.user, ip)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user and its account.
#[utoipa::path(get, path = "/me", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, body = Session), (status = 401, body = ErrorBody)))]
pub async fn me(caller: Caller) -> Json<Session> {
    Json(Session {
        token: None,
        user: User::from(&caller.user),
        account: Account::from(&caller.account),
    })
}
