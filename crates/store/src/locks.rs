//! The locks of write transactions, and the one order they are taken in.
//!
//! On SQLite the single writer connection serializes every write transaction, so each
//! function here does nothing there. On PostgreSQL a transaction takes the locks it needs
//! in this order, never another, so concurrent transactions queue instead of deadlocking:
//!
//! 1. the contacts advisory locks: [`contacts_of_account`] (shared) before a user of the
//!    account is added or changed, or [`contacts_of_pair`] (exclusive, both accounts in
//!    key order) before a partner action that may start or end a partnership;
//! 2. the account row, [`account_row`] (`FOR NO KEY UPDATE`): sends from one account
//!    take turns (rate limit, send rules 5 and 6), and so do changes to one account's
//!    users (two admins stepping down at once cannot leave it without one);
//! 3. the `account_pairs` row of the two accounts, [`pair_row`] (created on demand,
//!    `FOR UPDATE`): two accepts of two requests between the same accounts serialize here,
//!    and the loser finds its request resolved;
//! 4. the relationship rows, read with [`crate::Store::for_update`].
//!
//! A transaction may skip a step, never go back to an earlier one.

use crate::{Backend, Store, StoreResult, Tx};

/// A 64-bit key per account for advisory locks (FNV-1a, the same in every process).
fn advisory_key(account_id: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in b"coproof-contacts:".iter().chain(account_id.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// Step 1, for a user of `account_id` being added or changed: waits for partner actions
/// of that account to finish, so the change and the partnership see each other.
pub(crate) async fn contacts_of_account(
    store: &Store,
    tx: &mut Tx,
    account_id: &str,
) -> StoreResult<()> {
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
            .bind(advisory_key(account_id))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Step 1, for a partner action between `a` and `b` (which may start or end a
/// partnership): waits for user changes and other partner actions of either account.
pub(crate) async fn contacts_of_pair(
    store: &Store,
    tx: &mut Tx,
    a: &str,
    b: Option<&str>,
) -> StoreResult<()> {
    if store.backend() != Backend::Postgres {
        return Ok(());
    }
    let mut keys = vec![advisory_key(a)];
    keys.extend(b.map(advisory_key));
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(key)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Step 2: the account's row. `NO KEY UPDATE` leaves the key-share locks of foreign-key
/// inserts (new users, new account pairs) free.
pub(crate) async fn account_row(store: &Store, tx: &mut Tx, account_id: &str) -> StoreResult<()> {
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE")
            .bind(account_id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Step 3: the row of the pair `a`, `b`, made on first use; every change that may create
/// or end a partnership between them holds it.
///
/// One statement: the insert makes the row, or, when it is there (or being made by a
/// transaction not yet committed, which it waits for), `ON CONFLICT DO UPDATE` locks it
/// as `FOR UPDATE` would; `WHERE false` leaves it unwritten ("all rows will be locked when
/// the `ON CONFLICT DO UPDATE` action is taken", PostgreSQL's `INSERT` reference).
pub(crate) async fn pair_row(store: &Store, tx: &mut Tx, a: &str, b: &str) -> StoreResult<()> {
    if store.backend() != Backend::Postgres {
        return Ok(());
    }
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    sqlx::query(
        "INSERT INTO account_pairs (account_a, account_b) VALUES ($1, $2) \
         ON CONFLICT (account_a, account_b) DO UPDATE SET account_a = EXCLUDED.account_a \
         WHERE false",
    )
    .bind(first)
    .bind(second)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::advisory_key;

    #[test]
    fn advisory_keys_are_stable_across_processes_and_differ_per_account() {
        // Another process (or version) must lock the same key for the same account.
        assert_eq!(advisory_key("a"), advisory_key("a"));
        assert_ne!(advisory_key("a"), advisory_key("b"));
        assert_eq!(advisory_key(""), 0xf82e_55fa_624a_a7ff_u64 as i64);
    }
}
