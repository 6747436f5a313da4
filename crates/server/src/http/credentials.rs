//! Checking who someone is: a password (and a second factor) at sign-in, the caller's
//! own password before a change to its security. Shared by the API and the pages; every
//! failure counts against the sign-in throttle.

use crate::http::error::ApiResult;
use crate::http::security_log::{event, note};
use crate::state::AppState;
use coproof_core::throttle::{self, Throttle};
use coproof_core::{EmailAddress, Refusal};
use coproof_store::security::SecurityAction;
use coproof_store::{accounts, attempts, two_factor, users};
use std::net::IpAddr;

/// The clock of TOTP codes: seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

/// The throttle keys of a sign-in attempt: the address (as typed, when it does not parse)
/// and the client IP.
pub fn sign_in_limits(email: &str, ip: IpAddr) -> [(String, Throttle); 2] {
    let address = EmailAddress::parse(email).map_or_else(
        |_| email.trim().to_lowercase().chars().take(320).collect(),
        |e| e.as_str().to_string(),
    );
    [
        (format!("sign-in:{address}"), throttle::SIGN_IN_PER_ADDRESS),
        (format!("sign-in-ip:{ip}"), throttle::SIGN_IN_PER_IP),
    ]
}

/// Checks a password (and, for a user with two-factor on, a code) and gives the user (and
/// account) behind it, or `invalid_credentials` alike for an unknown address, a wrong
/// password and a deactivated user. Failures are counted per address and per client IP;
/// past the throttle every attempt is `rate_limited`, whatever the password
/// (`spec/api.md`). A right password without a code is `two_factor_required`; a wrong
/// code is `invalid_code` and counts as a failure.
pub async fn check_credentials(
    state: &AppState,
    email: &str,
    password: &str,
    code: Option<&str>,
    ip: IpAddr,
) -> ApiResult<(coproof_store::model::User, coproof_store::model::Account)> {
    let limits = sign_in_limits(email, ip);
    attempts::check(&state.store, &limits).await?;
    let found = match EmailAddress::parse(email) {
        Ok(email) => users::find_for_login(&state.store, &email).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let matches = state.hasher.verify(password, hash).await?;
    match user {
        Some(user) if matches && user.active => {
            if user.two_factor {
                let code = code.map(str::trim).filter(|c| !c.is_empty());
                let Some(code) = code else {
                    return Err(Refusal::TwoFactorRequired.into());
                };
                let now = now_secs();
                if !two_factor::use_code(&state.store, &user.id, code, now).await? {
                    attempts::count(&state.store, &limits).await?;
                    let mut failed = event(SecurityAction::LoginFailed, &user, ip).about(&user.id);
                    failed.actor_user_id = None;
                    note(state, failed).await;
                    return Err(Refusal::WrongSignInCode.into());
                }
            }
            let account = accounts::get(&state.store, &user.account_id).await?;
            note(state, event(SecurityAction::Login, &user, ip)).await;
            Ok((user, account))
        }
        found => {
            attempts::count(&state.store, &limits).await?;
            if let Some(user) = found {
                // Someone tried this user's address: its account's admins see it.
                let mut failed = event(SecurityAction::LoginFailed, &user, ip).about(&user.id);
                failed.actor_user_id = None;
                note(state, failed).await;
            }
            Err(Refusal::InvalidCredentials.into())
        }
    }
}

/// Checks that `password` is `user`'s own (`wrong_password` if not). A wrong one counts as
/// a failed sign-in for the address and the IP, and the throttle applies.
pub async fn confirm_password(
    state: &AppState,
    user: &coproof_store::model::User,
    ip: std::net::IpAddr,
    password: &str,
) -> ApiResult<()> {
    let limits = sign_in_limits(&user.email, ip);
    attempts::check(&state.store, &limits).await?;
    let email = EmailAddress::parse(&user.email)?;
    let hash = users::find_for_login(&state.store, &email)
        .await?
        .and_then(|(_, hash)| hash);
    if !state.hasher.verify(password, hash).await? {
        attempts::count(&state.store, &limits).await?;
        return Err(Refusal::WrongPassword.into());
    }
    Ok(())
}
