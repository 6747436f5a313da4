//! Signed-in identities recently resolved from a token, so that a client's requests skip
//! one query each. Every change in this process that could alter what a token resolves to
//! (log-out, deactivation, a profile, name or language change, a new password) calls
//! [`Identities::changed`] after its commit. Other processes hear of it too on PostgreSQL
//! (`live.rs`: a `NOTIFY coproof_identities` that every process's listener turns into
//! [`Identities::changed`], and a listener that reconnects forgets everything); whatever
//! a notification misses (the admin CLI on SQLite, a lost connection) is seen within [`TTL`].
//!
//! A lookup that read the database before a change committed must not put its answer in
//! the cache after the change cleared it: [`Identities::generation`] is read before the
//! query and [`Identities::put`] keeps the answer only if no change came in between.

use crate::model::Account;
use crate::model::User;
use crate::tokens::Kind;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an answer is used without asking the database again.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries kept at most (the cache empties itself when full).
const CAPACITY: usize = 10_000;

struct Entry {
    kind: Kind,
    user: User,
    account: Account,
    /// The token's own end (microseconds since the epoch).
    expires_at: i64,
    cached_at: Instant,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    entries: HashMap<String, Entry>,
}

/// See the module documentation.
#[derive(Default)]
pub struct Identities {
    inner: Mutex<Inner>,
}

impl Identities {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current generation, read before asking the database.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// The identity a token hash resolved to, if known, still fresh and still live at `now`.
    pub fn get(&self, hash: &str, kind: Kind, now: i64) -> Option<(User, Account)> {
        let inner = self.lock();
        let entry = inner.entries.get(hash)?;
        (entry.kind == kind && now < entry.expires_at && entry.cached_at.elapsed() < TTL)
            .then(|| (entry.user.clone(), entry.account.clone()))
    }

    /// Keeps an answer read from the database at `generation`, unless a change came since.
    pub fn put(
        &self,
        generation: u64,
        hash: String,
        kind: Kind,
        identity: &(User, Account),
        expires_at: i64,
    ) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= CAPACITY {
            inner.entries.clear();
        }
        inner.entries.insert(
            hash,
            Entry {
                kind,
                user: identity.0.clone(),
                account: identity.1.clone(),
                expires_at,
                cached_at: Instant::now(),
            },
        );
    }

    /// Forgets everything: something a token resolves to has changed (call after commit).
    pub fn changed(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coproof_core::{Language, Profile};

    fn identity() -> (User, Account) {
        (
            User {
                id: "u1".into(),
                account_id: "a1".into(),
                email: "ann@agency.test".into(),
                name: "Ann".into(),
                profile: Profile::Admin,
                active: true,
                language: Language::En,
                email_verified: true,
                two_factor: false,
            },
            Account {
                id: "a1".into(),
                name: "Agency".into(),
            },
        )
    }

    #[test]
    fn an_answer_is_kept_for_its_kind_until_the_token_ends() {
        let cache = Identities::default();
        let g = cache.generation();
        cache.put(g, "h".into(), Kind::Session, &identity(), 100);
        assert_eq!(cache.get("h", Kind::Session, 99).unwrap().0.id, "u1");
        assert!(cache.get("h", Kind::Api, 99).is_none(), "another kind");
        assert!(
            cache.get("h", Kind::Session, 100).is_none(),
            "the token ended"
        );
        assert!(cache.get("other", Kind::Session, 1).is_none());
    }

    #[test]
    fn a_change_forgets_everything() {
        let cache = Identities::default();
        cache.put(cache.generation(), "h".into(), Kind::Api, &identity(), 100);
        cache.changed();
        assert!(cache.get("h", Kind::Api, 1).is_none());
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_kept() {
        let cache = Identities::default();
        let before = cache.generation();
        cache.changed(); // a log-out commits while the lookup was reading
        cache.put(before, "h".into(), Kind::Api, &identity(), 100);
        assert!(cache.get("h", Kind::Api, 1).is_none());
    }
}
