//! Attempts counted by throttles (`coproof_core::throttle`): one row per attempt, keyed by
//! what is throttled (`sign-in:ADDRESS`, `sign-in-ip:IP`, …). Kept in the database, so
//! that every server process on one PostgreSQL database counts the same attempts and a
//! restart forgets nothing.

use crate::{now_micros, Store, StoreResult, Tx};
use coproof_core::throttle::Throttle;
use sqlx::AnyConnection;

/// The longest window of any throttle (a day: the same share is e-mailed once a day):
/// older rows are purged.
pub const KEEP_MICROS: i64 = 24 * 3600 * 1_000_000;

async fn check_on(
    conn: &mut AnyConnection,
    limits: &[(String, Throttle)],
    now: i64,
) -> StoreResult<()> {
    for (key, throttle) in limits {
        // One row more than the limit is all the decision needs.
        let recent: Vec<i64> = sqlx::query_scalar(
            "SELECT at FROM (SELECT at FROM throttle_attempts WHERE key = $1 AND at > $2 \
             ORDER BY at DESC LIMIT $3) newest ORDER BY at",
        )
        .bind(key)
        .bind(now - throttle.window_micros())
        .bind(i64::from(throttle.limit) + 1)
        .fetch_all(&mut *conn)
        .await?;
        throttle.check(&recent, now)?;
    }
    Ok(())
}

/// Refuses (`rate_limited`) when any key has used up its throttle; reads only.
pub async fn check(store: &Store, limits: &[(String, Throttle)]) -> StoreResult<()> {
    let mut reader = store.read().await?;
    check_on(&mut reader, limits, now_micros()).await
}

/// [`check`] inside a write transaction, then counts one attempt for each key.
pub async fn check_and_count(tx: &mut Tx, limits: &[(String, Throttle)]) -> StoreResult<()> {
    let now = now_micros();
    check_on(tx, limits, now).await?;
    for (key, _) in limits {
        insert(tx, key, now).await?;
    }
    Ok(())
}

/// Whether one more attempt for `key` fits `throttle`; if so it is counted. For what is
/// skipped rather than refused when it does not fit.
pub async fn allowed_and_counted(tx: &mut Tx, key: &str, throttle: Throttle) -> StoreResult<bool> {
    let limits = [(key.to_string(), throttle)];
    match check_and_count(tx, &limits).await {
        Ok(()) => Ok(true),
        Err(crate::StoreError::Refused(coproof_core::Refusal::RateLimited { .. })) => Ok(false),
        Err(other) => Err(other),
    }
}

async fn insert(tx: &mut Tx, key: &str, now: i64) -> StoreResult<()> {
    sqlx::query("INSERT INTO throttle_attempts (key, at) VALUES ($1, $2)")
        .bind(key)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Counts one attempt for each key of `limits`, in its own transaction (a failed sign-in,
/// after [`check`] let it be tried).
pub async fn count(store: &Store, limits: &[(String, Throttle)]) -> StoreResult<()> {
    let keys: Vec<String> = limits.iter().map(|(key, _)| key.clone()).collect();
    let s = store.clone();
    store
        .write(move || {
            let (s, keys) = (s.clone(), keys.clone());
            async move {
                let mut tx = s.begin_grouped().await?;
                let now = now_micros();
                for key in &keys {
                    insert(&mut tx, key, now).await?;
                }
                tx.commit().await
            }
        })
        .await
}

/// Deletes attempts no throttle counts any more (the housekeeping job).
pub async fn purge(store: &Store, now: i64) -> StoreResult<u64> {
    let mut tx = store.begin_grouped().await?;
    let done = sqlx::query("DELETE FROM throttle_attempts WHERE at <= $1")
        .bind(now - KEEP_MICROS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
