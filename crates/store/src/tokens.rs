//! Tokens: API bearer tokens, web sessions and the single-use links of e-mails
//! (set-password, verify-address, reset-password). 256 random bits, given to the holder
//! once and stored only as a SHA-256 hash.

use crate::model::Account;
use crate::model::{User, USER_COLUMNS};
use crate::{ids, now_micros, Store, StoreResult, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `Authorization: Bearer`, from sign-up and log-in on the API. Resolving an `Api`
    /// bearer also finds the user's named personal tokens (stored as `personal`).
    Api,
    /// The web pages' session cookie.
    Session,
    /// The link in a set-password e-mail; works once.
    SetPassword,
    /// The link in a verification e-mail; works once.
    VerifyEmail,
    /// The link in a password-reset e-mail; works once.
    ResetPassword,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Api => "api",
            Kind::Session => "session",
            Kind::SetPassword => "set_password",
            Kind::VerifyEmail => "verify_email",
            Kind::ResetPassword => "reset_password",
        }
    }

    fn ttl_micros(self) -> i64 {
        const HOUR: i64 = 3600 * 1_000_000;
        const DAY: i64 = 24 * HOUR;
        match self {
            Kind::Api => 90 * DAY,
            Kind::Session => 30 * DAY,
            Kind::SetPassword => 7 * DAY,
            Kind::VerifyEmail => DAY,
            Kind::ResetPassword => HOUR,
        }
    }
}

/// The kind a named personal API token is stored as.
const PERSONAL: &str = "personal";

/// Creates a token and returns its secret (the only time it exists in clear).
pub async fn insert(tx: &mut Tx, user_id: &str, kind: Kind) -> StoreResult<String> {
    let now = now_micros();
    let (_, secret) = insert_row(tx, user_id, kind.as_str(), None, now + kind.ttl_micros()).await?;
    Ok(secret)
}

async fn insert_row(
    tx: &mut Tx,
    user_id: &str,
    kind: &str,
    name: Option<&str>,
    expires_at: i64,
) -> StoreResult<(String, String)> {
    let (id, secret) = (ids::new_id(), ids::new_secret());
    let now = now_micros();
    sqlx::query(
        "INSERT INTO tokens (hash, id, user_id, kind, name, created_at, last_used_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(ids::hash_secret(&secret))
    .bind(&id)
    .bind(user_id)
    .bind(kind)
    .bind(name)
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok((id, secret))
}

/// A named personal API token of `user_id` that ends at `expires_at`: its id and secret.
pub async fn insert_personal(
    tx: &mut Tx,
    user_id: &str,
    name: &str,
    expires_at: i64,
) -> StoreResult<(String, String)> {
    insert_row(tx, user_id, PERSONAL, Some(name), expires_at).await
}

/// Issues a token in its own transaction.
pub async fn issue(store: &Store, user_id: &str, kind: Kind) -> StoreResult<String> {
    let mut tx = store.begin().await?;
    let secret = insert(&mut tx, user_id, kind).await?;
    tx.commit().await?;
    Ok(secret)
}

/// How stale a token's `last_used_at` may get: a token in use is written to at most once
/// in this time, not on every request.
pub const LAST_USED_PRECISION: i64 = 5 * 60 * 1_000_000;

/// Records, in the background, that a token was used at `now`.
fn touch(store: &Store, hash: &str, now: i64) {
    let (store, hash) = (store.clone(), hash.to_string());
    tokio::spawn(async move {
        let s = store.clone();
        let done = store
            .write(move || {
                let (s, hash) = (s.clone(), hash.clone());
                async move {
                    let mut tx = s.begin_grouped().await?;
                    sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE hash = $2")
                        .bind(now)
                        .bind(&hash)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await
                }
            })
            .await;
        if let Err(e) = done {
            tracing::debug!("recording a token's use: {e}");
        }
    });
}

/// The active user (and account) a live token names, if any. Answers come from the
/// identity cache when it knows the token (`identities.rs`).
pub async fn resolve(
    store: &Store,
    secret: &str,
    kind: Kind,
) -> StoreResult<Option<(User, Account)>> {
    let hash = ids::hash_secret(secret);
    let now = now_micros();
    let cache = store.identities();
    if let Some(found) = cache.get(&hash, kind, now) {
        return Ok(Some(found));
    }
    let generation = cache.generation();
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, a.name AS account_name, t.expires_at, t.last_used_at \
         FROM tokens t JOIN users u ON u.id = t.user_id JOIN accounts a ON a.id = u.account_id \
         WHERE t.hash = $1 AND t.kind IN ($2, $3) AND t.expires_at > $4 AND u.active = 1"
    ))
    .bind(&hash)
    .bind(kind.as_str())
    .bind(if kind == Kind::Api {
        PERSONAL
    } else {
        kind.as_str()
    })
    .bind(now)
    .fetch_optional(&mut *store.read_primary().await?)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let last_used: Option<i64> = crate::col(&row, "last_used_at")?;
    if last_used.is_none_or(|at| now - at > LAST_USED_PRECISION) {
        touch(store, &hash, now);
    }
    let user = User::from_row(&row)?;
    let account = Account {
        id: user.account_id.clone(),
        name: crate::col(&row, "account_name")?,
    };
    let found = (user, account);
    let expires_at: i64 = crate::col(&row, "expires_at")?;
    cache.put(generation, hash, kind, &found, expires_at);
    Ok(Some(found))
}

/// Uses up a link's token inside `tx`: the user it names, if it was live.
pub async fn take(tx: &mut Tx, secret: &str, kind: Kind) -> StoreResult<Option<String>> {
    let user_id: Option<String> = sqlx::query_scalar(
        "DELETE FROM tokens WHERE hash = $1 AND kind = $2 AND expires_at > $3 RETURNING user_id",
    )
    .bind(ids::hash_secret(secret))
    .bind(kind.as_str())
    .bind(now_micros())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(user_id)
}

/// Ends one token (log-out).
pub async fn revoke(store: &Store, secret: &str) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM tokens WHERE hash = $1")
        .bind(ids::hash_secret(secret))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    store.identities_changed();
    Ok(())
}

/// Ends every session and API token of a user (deactivation, a new password), and any
/// reset link still out.
pub async fn revoke_all(tx: &mut Tx, user_id: &str) -> StoreResult<()> {
    revoke_all_but(tx, user_id, "").await
}

/// As [`revoke_all`], but the token whose secret is `keep` lives on (the caller's own,
/// when it changes its password).
pub async fn revoke_all_but(tx: &mut Tx, user_id: &str, keep: &str) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM tokens WHERE user_id = $1 \
         AND kind IN ('api', 'session', 'personal', 'reset_password') AND hash <> $2",
    )
    .bind(user_id)
    .bind(if keep.is_empty() {
        String::new()
    } else {
        ids::hash_secret(keep)
    })
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes tokens that ended before `now` (the housekeeping job).
pub async fn purge_expired(store: &Store, now: i64) -> StoreResult<u64> {
    let mut tx = store.begin_grouped().await?;
    let done = sqlx::query("DELETE FROM tokens WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// A session or token as its owner sees it (`GET /sessions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub id: String,
    /// `session` (a log-in, API or web) or `token` (a named personal API token).
    pub kind: &'static str,
    pub name: Option<String>,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    /// The one that signed this request in.
    pub current: bool,
}

/// The live sessions and tokens of `user_id`, newest first; `current` is the caller's
/// own secret.
pub async fn held(store: &Store, user_id: &str, current: &str) -> StoreResult<Vec<Held>> {
    let rows = sqlx::query(
        "SELECT id, hash, kind, name, created_at, last_used_at, expires_at FROM tokens \
         WHERE user_id = $1 AND kind IN ('api', 'session', 'personal') AND expires_at > $2 \
         ORDER BY created_at DESC, id DESC",
    )
    .bind(user_id)
    .bind(now_micros())
    .fetch_all(&mut *store.read().await?)
    .await?;
    let current = ids::hash_secret(current);
    rows.iter()
        .map(|row| {
            let kind: String = crate::col(row, "kind")?;
            let hash: String = crate::col(row, "hash")?;
            let created_at: i64 = crate::col(row, "created_at")?;
            Ok(Held {
                id: crate::col(row, "id")?,
                kind: if kind == PERSONAL { "token" } else { "session" },
                name: crate::col(row, "name")?,
                created_at,
                last_used_at: crate::col::<Option<i64>>(row, "last_used_at")?.unwrap_or(created_at),
                expires_at: crate::col(row, "expires_at")?,
                current: hash == current,
            })
        })
        .collect()
}

/// Ends one session or token of `user_id` by its id; `false` when it has none such.
pub async fn end(tx: &mut Tx, user_id: &str, id: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "DELETE FROM tokens WHERE id = $1 AND user_id = $2 \
         AND kind IN ('api', 'session', 'personal')",
    )
    .bind(id)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every session and token of `user_id` but the one whose secret is `keep`; how many.
pub async fn end_all_but(tx: &mut Tx, user_id: &str, keep: &str) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM tokens WHERE user_id = $1 AND kind IN ('api', 'session', 'personal') \
         AND hash <> $2",
    )
    .bind(user_id)
    .bind(ids::hash_secret(keep))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
