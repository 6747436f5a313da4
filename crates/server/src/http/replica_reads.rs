//! Which requests may read from a replica (`coproof_store::replicas`), when the server has
//! any: `GET` and `HEAD`, each only from a replica that has replayed everything its session
//! wrote.
//!
//! A session is its credential (the bearer token or the session cookie). This process
//! notes when each session last wrote: after the response to any other method. A session
//! it has not seen yet counts as having written when it is first seen, so its first reads
//! go where every commit made before that instant is (the primary, in practice, for a few
//! milliseconds); that covers what a session wrote before it had its credential (a sign-up,
//! the sign-in that made the cookie). Forgetting a session is therefore always safe, and
//! the notes are kept only while they matter.
//!
//! The notes are this process's: with several processes behind one address, a session's
//! write through one is unknown to the others, which may serve its reads up to
//! `--database-replica-max-lag` stale; route a session to one process (sticky sessions) to
//! keep read-your-writes there (`docs/operations.md`).

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::Instant;

/// Sessions noted at most (the notes empty themselves when full: safe, see above).
const MOST_SESSIONS: usize = 100_000;

/// When each session last wrote, as far as this process knows.
#[derive(Default)]
pub struct SessionWrites {
    /// Credential hash → last write (or first sight).
    noted: Mutex<HashMap<u64, Instant>>,
    /// Keys the hashes per process (never stored, never logged).
    hasher: RandomState,
}

impl SessionWrites {
    fn key(&self, credential: &str) -> u64 {
        self.hasher.hash_one(credential)
    }

    /// When the session last wrote (or was first seen: now).
    fn wrote_at(&self, key: u64) -> Instant {
        let now = Instant::now();
        let mut noted = self.lock();
        if noted.len() >= MOST_SESSIONS {
            noted.clear();
        }
        *noted.entry(key).or_insert(now)
    }

    /// The session wrote, and its response has gone.
    fn wrote(&self, key: u64) {
        let now = Instant::now();
        let mut noted = self.lock();
        if noted.len() >= MOST_SESSIONS {
            noted.clear();
        }
        noted.insert(key, now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Instant>> {
        self.noted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The request's credential, as the extractors read it.
fn credential(request: &Request) -> Option<&str> {
    if let Some(value) = request.headers().get(header::AUTHORIZATION) {
        return value.to_str().ok();
    }
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == crate::http::extract::SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// Middleware: reads of `GET` and `HEAD` may go to a replica that has the session's
/// writes; every other request notes that its session wrote.
pub async fn route(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(writes) = state.session_writes.as_deref() else {
        return next.run(request).await;
    };
    let key = credential(&request).map(|c| writes.key(c));
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        let wrote_at = key.map_or_else(Instant::now, |k| writes.wrote_at(k));
        coproof_store::replicas::lagging_reads(Some(wrote_at), next.run(request)).await
    } else {
        let response = next.run(request).await;
        if let Some(key) = key {
            writes.wrote(key);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_first_seen_counts_as_having_written_then() {
        let writes = SessionWrites::default();
        let before = Instant::now();
        let first = writes.wrote_at(writes.key("a"));
        assert!(first >= before);
        assert_eq!(writes.wrote_at(writes.key("a")), first, "kept while seen");
        writes.wrote(writes.key("a"));
        assert!(
            writes.wrote_at(writes.key("a")) > first,
            "a write moves it on"
        );
        assert_ne!(writes.key("a"), writes.key("b"));
    }
}
