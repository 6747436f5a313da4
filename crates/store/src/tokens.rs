//! Tokens: API bearer tokens, web sessions and set-password links. 256 random bits,
//! given to the holder once and stored only as a SHA-256 hash.

use crate::accounts::Account;
use crate::users::{User, USER_COLUMNS};
use crate::{ids, now_micros, Store, StoreResult, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `Authorization: Bearer`, from sign-up and log-in on the API.
    Api,
    /// The web pages' session cookie.
    Session,
    /// The link in a set-password e-mail; works once.
    SetPassword,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Api => "api",
            Kind::Session => "session",
            Kind::SetPassword => "set_password",
        }
    }

    fn ttl_micros(self) -> i64 {
        const DAY: i64 = 24 * 3600 * 1_000_000;
        match self {
            Kind::Api => 90 * DAY,
            Kind::Session => 30 * DAY,
            Kind::SetPassword => 7 * DAY,
        }
    }
}

/// Creates a token and returns its secret (the only time it exists in clear).
pub async fn insert(tx: &mut Tx, user_id: &str, kind: Kind) -> StoreResult<String> {
    let secret = ids::new_secret();
    let now = now_micros();
    sqlx::query(
        "INSERT INTO tokens (hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ids::hash_secret(&secret))
    .bind(user_id)
    .bind(kind.as_str())
    .bind(now)
    .bind(now + kind.ttl_micros())
    .execute(&mut **tx)
    .await?;
    Ok(secret)
}

/// Issues a token in its own transaction.
pub async fn issue(store: &Store, user_id: &str, kind: Kind) -> StoreResult<String> {
    let mut tx = store.begin().await?;
    let secret = insert(&mut tx, user_id, kind).await?;
    tx.commit().await?;
    Ok(secret)
}

/// The active user (and account) a live token names, if any. Answers come from the
/// identity cache when it knows the token (SQLite; see `identities.rs`).
pub async fn resolve(
    store: &Store,
    secret: &str,
    kind: Kind,
) -> StoreResult<Option<(User, Account)>> {
    let hash = ids::hash_secret(secret);
    let now = now_micros();
    let cache = store.identities();
    if let Some(found) = cache.and_then(|c| c.get(&hash, kind, now)) {
        return Ok(Some(found));
    }
    let generation = cache.map(|c| c.generation());
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, a.name AS account_name, t.expires_at FROM tokens t \
         JOIN users u ON u.id = t.user_id JOIN accounts a ON a.id = u.account_id \
         WHERE t.hash = $1 AND t.kind = $2 AND t.expires_at > $3 AND u.active = 1"
    ))
    .bind(&hash)
    .bind(kind.as_str())
    .bind(now)
    .fetch_optional(&mut *store.read().await?)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let user = User::from_row(&row)?;
    let account = Account {
        id: user.account_id.clone(),
        name: crate::col(&row, "account_name")?,
    };
    let found = (user, account);
    if let (Some(cache), Some(generation)) = (cache, generation) {
        let expires_at: i64 = crate::col(&row, "expires_at")?;
        cache.put(generation, hash, kind, &found, expires_at);
    }
    Ok(Some(found))
}

/// Uses up a set-password token inside `tx`: the user it names, if it was live.
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

/// Ends every token of a user (deactivation, password change).
pub async fn revoke_all(tx: &mut Tx, user_id: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND kind <> 'set_password'")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
