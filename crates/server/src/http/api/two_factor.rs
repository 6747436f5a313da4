//! Two-factor sign-in (`spec/api.md`, "Identity"): offer a TOTP secret, confirm it with a
//! code (recovery codes are given once), turn it off with the password and a code.

use crate::http::credentials::{confirm_password, now_secs};
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, Caller};
use crate::http::security_log::{event, note};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coproof_core::{two_factor as totp, Refusal};
use coproof_store::security::SecurityAction;
use coproof_store::two_factor;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordRequest {
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Offer {
    /// Base32, for typing into an authenticator app.
    pub secret: String,
    /// The same as an `otpauth://` address (what the QR code on the profile page holds).
    pub otpauth_url: String,
}

/// A new secret offered to the caller (after its password); not on until confirmed.
pub async fn offer_secret(state: &AppState, caller: &Caller, password: &str) -> ApiResult<Offer> {
    if caller.user.two_factor {
        return Err(Refusal::TwoFactorOn.into());
    }
    confirm_password(state, &caller.user, caller.ip, password).await?;
    let mut random = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut random);
    let secret = totp::encode_secret(random);
    two_factor::offer(&state.store, &caller.user.id, &secret).await?;
    Ok(Offer {
        otpauth_url: totp::otpauth_url(&secret, "Coproof", &caller.user.email),
        secret,
    })
}

/// Starts setting up two-factor sign-in.
#[utoipa::path(post, path = "/two-factor", tag = "identity", security(("bearer" = [])),
    request_body = PasswordRequest,
    responses((status = 200, body = Offer), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn offer(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> ApiResult<Json<Offer>> {
    Ok(Json(offer_secret(&state, &caller, &req.password).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten codes, each usable once instead of a TOTP code; shown this once.
    pub recovery_codes: Vec<String>,
}

/// Turns two-factor on with a code of the offered secret: the recovery codes, once.
pub async fn confirm_code(state: &AppState, caller: &Caller, code: &str) -> ApiResult<Vec<String>> {
    let codes: Vec<String> = (0..totp::RECOVERY_CODES)
        .map(|_| totp::format_recovery_code(rand::thread_rng().next_u64()))
        .collect();
    two_factor::confirm(&state.store, &caller.user.id, code, now_secs(), &codes).await?;
    note(
        state,
        event(SecurityAction::TwoFactorOn, &caller.user, caller.ip),
    )
    .await;
    Ok(codes)
}

/// Turns two-factor sign-in on.
#[utoipa::path(post, path = "/two-factor/confirm", tag = "identity", security(("bearer" = [])),
    request_body = CodeRequest,
    responses((status = 200, body = RecoveryCodes), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CodeRequest>,
) -> ApiResult<Json<RecoveryCodes>> {
    let recovery_codes = confirm_code(&state, &caller, &req.code).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TurnOffRequest {
    pub password: String,
    pub code: String,
}

/// Turns two-factor off after the password and a code (TOTP or recovery).
pub async fn turn_off_with(
    state: &AppState,
    caller: &Caller,
    password: &str,
    code: &str,
) -> ApiResult<()> {
    confirm_password(state, &caller.user, caller.ip, password).await?;
    if !two_factor::use_code(&state.store, &caller.user.id, code, now_secs()).await? {
        return Err(Refusal::InvalidCode.into());
    }
    two_factor::turn_off(&state.store, &caller.user.id).await?;
    note(
        state,
        event(SecurityAction::TwoFactorOff, &caller.user, caller.ip),
    )
    .await;
    Ok(())
}

/// Turns two-factor sign-in off.
#[utoipa::path(delete, path = "/two-factor", tag = "identity", security(("bearer" = [])),
    request_body = TurnOffRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn turn_off(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<TurnOffRequest>,
) -> ApiResult<StatusCode> {
    turn_off_with(&state, &caller, &req.password, &req.code).await?;
    Ok(StatusCode::NO_CONTENT)
}
