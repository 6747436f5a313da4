//! Two-factor sign-in in the database: the secret offered while a user sets it up, the
//! confirmed secret with the last time step used, and the recovery codes (SHA-256 hashes,
//! each deleted when used). The rules are `coproof_core::two_factor`'s.
//!
//! The TOTP secret itself cannot be stored as a hash (codes are computed from it); it is
//! readable by whoever reads the database, as with every TOTP server.

use crate::identity::write;
use crate::{ids, Store, StoreResult, Tx};
use coproof_core::two_factor::{accepted_step, normalize_recovery_code};
use coproof_core::Refusal;

/// Offers `secret` to `user_id` (not on until confirmed with a code of it).
pub async fn offer(store: &Store, user_id: &str, secret: &str) -> StoreResult<()> {
    let (user_id, secret) = (user_id.to_string(), secret.to_string());
    write(store, move |s| {
        let (user_id, secret) = (user_id.clone(), secret.clone());
        async move {
            let mut tx = s.begin_grouped().await?;
            let done = sqlx::query(
                "UPDATE users SET totp_pending = $1 WHERE id = $2 AND totp_secret IS NULL",
            )
            .bind(&secret)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(Refusal::TwoFactorOn.into());
            }
            tx.commit().await
        }
    })
    .await
}

async fn secrets(tx: &mut Tx, user_id: &str) -> StoreResult<(Option<String>, Option<String>, i64)> {
    let row: Option<(Option<String>, Option<String>, i64)> =
        sqlx::query_as("SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await?;
    row.ok_or_else(|| Refusal::NotFound.into())
}

async fn replace_recovery_codes(tx: &mut Tx, user_id: &str, codes: &[String]) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for code in codes {
        sqlx::query("INSERT INTO recovery_codes (user_id, hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(ids::hash_secret(&normalize_recovery_code(code)))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Turns two-factor on with a code of the offered secret; `recovery` replaces the user's
/// recovery codes. `invalid_code` when the code does not fit (or nothing was offered).
pub async fn confirm(
    store: &Store,
    user_id: &str,
    code: &str,
    now_secs: u64,
    recovery: &[String],
) -> StoreResult<()> {
    let (user_id, code, recovery) = (user_id.to_string(), code.to_string(), recovery.to_vec());
    write(store, move |s| {
        let (user_id, code, recovery) = (user_id.clone(), code.clone(), recovery.clone());
        async move {
            let mut tx = s.begin().await?;
            let (on, pending, last) = secrets(&mut tx, &user_id).await?;
            if on.is_some() {
                return Err(Refusal::TwoFactorOn.into());
            }
            let pending = pending.ok_or(Refusal::InvalidCode)?;
            let step =
                accepted_step(&pending, &code, now_secs, last).ok_or(Refusal::InvalidCode)?;
            sqlx::query(
                "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, \
                 totp_last_step = $1 WHERE id = $2",
            )
            .bind(step)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
            replace_recovery_codes(&mut tx, &user_id, &recovery).await?;
            tx.commit().await
        }
    })
    .await
}

/// Uses `code` (a TOTP code or a recovery code) for `user_id`: whether it was accepted.
/// Either kind works once: the TOTP step is recorded, the recovery code deleted.
pub async fn use_code(
    store: &Store,
    user_id: &str,
    code: &str,
    now_secs: u64,
) -> StoreResult<bool> {
    let (user_id, code) = (user_id.to_string(), code.to_string());
    write(store, move |s| {
        let (user_id, code) = (user_id.clone(), code.clone());
        async move {
            let mut tx = s.begin().await?;
            let (on, _, last) = secrets(&mut tx, &user_id).await?;
            let Some(secret) = on else {
                return Ok(false);
            };
            if let Some(step) = accepted_step(&secret, &code, now_secs, last) {
                // Only a later step wins, also against a concurrent use of the same code.
                let done = sqlx::query(
                    "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
                )
                .bind(step)
                .bind(&user_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(done.rows_affected() == 1);
            }
            let used = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND hash = $2")
                .bind(&user_id)
                .bind(ids::hash_secret(&normalize_recovery_code(&code)))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(used.rows_affected() == 1)
        }
    })
    .await
}

/// Turns two-factor off (the caller checked the password and a code).
pub async fn turn_off(store: &Store, user_id: &str) -> StoreResult<()> {
    let user_id = user_id.to_string();
    write(store, move |s| {
        let user_id = user_id.clone();
        async move {
            let mut tx = s.begin().await?;
            sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending = NULL WHERE id = $1")
                .bind(&user_id)
                .execute(&mut *tx)
                .await?;
            replace_recovery_codes(&mut tx, &user_id, &[]).await?;
            tx.commit().await
        }
    })
    .await
}
