//! Verified addresses and passwords (`spec/api.md`, "Identity"): the verification link
//! and sending it again, forgot / reset, and changing one's own password.

use crate::http::client_ip::ClientIp;
use crate::http::credentials::confirm_password;
use crate::http::dto::{timestamp, User};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, Caller};
use crate::http::security_log::{event, note};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use coproof_core::{name::parse_name, password::check_password, EmailAddress, Refusal};
use coproof_store::identity;
use coproof_store::ids::looks_like_id;
use coproof_store::security::SecurityAction;
use coproof_store::tokens::{self, Kind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A link's secret, as it came in the e-mail.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub token: String,
}

/// An empty JSON object, for answers that carry nothing.
#[derive(Debug, Serialize, ToSchema)]
pub struct Empty {}

/// A link secret is 64 hexadecimal digits; anything else cannot be one.
pub fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

fn link_secret(token: &str) -> Result<(), Refusal> {
    if well_formed(token) {
        Ok(())
    } else {
        Err(Refusal::InvalidToken)
    }
}

/// Uses a verification link: the address is verified, and partner requests waiting for it
/// attach to the user's account.
#[utoipa::path(post, path = "/email/verify", tag = "identity", request_body = TokenRequest,
    responses((status = 200, body = User), (status = 400, body = ErrorBody)))]
pub async fn verify_email(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<Json<User>> {
    link_secret(&req.token)?;
    let user = identity::verify_email(&state.store, &req.token).await?;
    note(&state, event(SecurityAction::EmailVerified, &user, ip)).await;
    Ok(Json(User::from(&user)))
}

/// Sends the verification e-mail again (nothing when the address is verified already).
#[utoipa::path(post, path = "/email/verify/resend", tag = "identity", security(("bearer" = [])),
    responses((status = 202, body = Empty), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn resend_verification(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<Empty>)> {
    identity::resend_verification(&state.store, &caller.user).await?;
    state.mail_wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(Empty {})))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ForgotRequest {
    pub email: String,
}

/// Asks for a password-reset link. The answer is the same for every address, known or
/// not; an active user gets the e-mail.
#[utoipa::path(post, path = "/password/forgot", tag = "identity", request_body = ForgotRequest,
    responses((status = 202, body = Empty), (status = 400, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn forgot_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<ForgotRequest>,
) -> ApiResult<(StatusCode, Json<Empty>)> {
    let email = EmailAddress::parse(&req.email)?;
    identity::forgot_password(&state.store, &email, &ip.to_string()).await?;
    state.mail_wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(Empty {})))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    pub token: String,
    pub password: String,
}

/// Sets a new password with a reset link: every session and token of the user ends, and
/// the address counts as verified.
#[utoipa::path(post, path = "/password/reset", tag = "identity", request_body = ResetRequest,
    responses((status = 200, body = Empty), (status = 400, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<ResetRequest>,
) -> ApiResult<Json<Empty>> {
    check_password(&req.password)?;
    link_secret(&req.token)?;
    reset_with_link(&state, &req.token, &req.password, ip).await?;
    Ok(Json(Empty {}))
}

/// Sets a new password with a reset link and records it. Shared with the pages.
pub async fn reset_with_link(
    state: &AppState,
    token: &str,
    password: &str,
    ip: std::net::IpAddr,
) -> ApiResult<()> {
    let hash = state.hasher.hash(password).await?;
    let user = identity::use_password_link(&state.store, token, Kind::ResetPassword, &hash).await?;
    note(state, event(SecurityAction::PasswordReset, &user, ip)).await;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the caller's own password; its other sessions and tokens end. A wrong current
/// password counts as a failed sign-in for the caller's address.
#[utoipa::path(post, path = "/password", tag = "identity", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    caller: Caller,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    check_password(&req.new_password)?;
    change_own_password(
        &state,
        &caller,
        ip,
        &req.current_password,
        &req.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks `current` against the caller's password (throttled as a sign-in) and sets
/// `new`, ending every other session and token of the caller. Shared with the pages.
pub async fn change_own_password(
    state: &AppState,
    caller: &Caller,
    ip: std::net::IpAddr,
    current: &str,
    new: &str,
) -> ApiResult<()> {
    confirm_password(state, &caller.user, ip, current).await?;
    let hash = state.hasher.hash(new).await?;
    identity::change_password(&state.store, &caller.user.id, &caller.secret, &hash).await?;
    note(
        state,
        event(SecurityAction::PasswordChanged, &caller.user, ip),
    )
    .await;
    Ok(())
}

/// A session or token as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    pub id: String,
    /// `session` (a log-in, on the API or the pages) or `token` (a named personal token).
    pub kind: String,
    pub name: Option<String>,
    pub created_at: String,
    pub last_used_at: String,
    pub expires_at: String,
    /// The one that signed this request in.
    pub current: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}

/// The caller's own live sessions and tokens, newest first. `last_used_at` is kept to
/// within five minutes.
#[utoipa::path(get, path = "/sessions", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = SessionList), (status = 401, body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<SessionList>> {
    let held = tokens::held(&state.store, &caller.user.id, &caller.secret).await?;
    Ok(Json(SessionList {
        sessions: held
            .into_iter()
            .map(|h| SessionInfo {
                id: h.id,
                kind: h.kind.to_string(),
                name: h.name,
                created_at: timestamp(h.created_at),
                last_used_at: timestamp(h.last_used_at),
                expires_at: timestamp(h.expires_at),
                current: h.current,
            })
            .collect(),
    }))
}

/// Ends one of the caller's sessions or tokens.
#[utoipa::path(delete, path = "/sessions/{id}", tag = "identity", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if !looks_like_id(&id) {
        return Err(Refusal::NotFound.into());
    }
    identity::end_session(&state.store, &caller.user, &id).await?;
    note(
        &state,
        event(SecurityAction::SessionEnded, &caller.user, ip).about(id),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session and token of the caller but the one signing this request.
#[utoipa::path(delete, path = "/sessions", tag = "identity", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn end_other_sessions(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    caller: Caller,
) -> ApiResult<StatusCode> {
    let ended = identity::end_other_sessions(&state.store, &caller.user, &caller.secret).await?;
    if ended > 0 {
        let note_of = event(SecurityAction::SessionEnded, &caller.user, ip).about("all others");
        note(&state, note_of).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    /// 1–100 characters.
    pub name: String,
    /// 1–365 days; 90 when absent.
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: String,
    pub name: String,
    /// Shown this once; only its hash is kept.
    pub token: String,
    pub expires_at: String,
}

/// Creates a named personal API token (a bearer token) for the caller.
#[utoipa::path(post, path = "/tokens", tag = "identity", security(("bearer" = [])),
    request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    caller: Caller,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let name = parse_name("name", &req.name)?;
    if name.chars().count() > 100 {
        return Err(ApiError::invalid_input(
            "name must be at most 100 characters",
        ));
    }
    let days = req.expires_in_days.unwrap_or(90);
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid_input(
            "expires_in_days must be from 1 to 365",
        ));
    }
    let expires_at = coproof_store::now_micros() + i64::from(days) * 24 * 3600 * 1_000_000;
    let (id, token) = identity::create_token(&state.store, &caller.user, &name, expires_at).await?;
    note(
        &state,
        event(SecurityAction::TokenCreated, &caller.user, ip).about(&id),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id,
            name,
            token,
            expires_at: timestamp(expires_at),
        }),
    ))
}
