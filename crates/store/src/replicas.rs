//! Read replicas (PostgreSQL): reads that may lag a little go to streaming replicas, and a
//! session still reads its own writes.
//!
//! Only reads made inside [`lagging_reads`] may go to a replica (the server runs `GET` and
//! `HEAD` requests in it); every other read, every write and every token look-up stays on
//! the primary. A replica is used for a read when it has replayed everything committed
//! before both
//!
//! - the session's last write, when the caller knows it (read-your-writes), and
//! - `max_lag` ago (a replica that falls further behind is skipped until it catches up).
//!
//! How far a replica has replayed is known in time, not only in WAL position: every
//! [`SAMPLE_EVERY`] a task reads the primary's WAL position (`pg_current_wal_lsn()`) and
//! notes when it asked, then each replica's replayed position (`pg_last_wal_replay_lsn()`).
//! A commit that returned before the primary was asked lies at or before the position it
//! answered; so a replica that has replayed that position has every commit made before
//! that instant: its *fresh as of*. A replica that does not answer, or answers that it is
//! no replica, is skipped until it answers again; so is one whose connection cannot be had
//! at once. A read that finds no replica fit reads from the primary: a replica's trouble is
//! never the user's.

use crate::readers::Reader;
use crate::StoreResult;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the WAL positions are read.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// How long a read waits for a replica's connection before it goes to the primary.
const PATIENCE: Duration = Duration::from_millis(500);
/// How long a sample may take, connecting included: longer than [`PATIENCE`], so that a
/// loaded machine still gets its connections made (in the background, for the reads to
/// find); a slow answer only makes the replica look older.
const SAMPLE_PATIENCE: Duration = Duration::from_secs(3);
/// The default of `--database-replica-max-lag`.
pub const DEFAULT_MAX_LAG: Duration = Duration::from_secs(1);

tokio::task_local! {
    static LAGGING: Option<Instant>;
}

/// Runs `work` with its reads allowed on a replica that has replayed every commit made
/// before `wrote_at` (the session's last write, when known) and before `max_lag` ago.
pub async fn lagging_reads<F: Future>(wrote_at: Option<Instant>, work: F) -> F::Output {
    LAGGING.scope(wrote_at, work).await
}

/// The replicas of a store and what is known of how far each has replayed.
pub(crate) struct Replicas {
    max_lag: Duration,
    /// The primary's WAL positions and when each was asked for, oldest first.
    primary: Mutex<VecDeque<(Instant, u64)>>,
    replicas: Vec<Replica>,
    /// Where the next read starts looking, so reads spread over the replicas.
    next: AtomicUsize,
    /// Connections handed out for reads on a replica, since the store opened.
    reads: AtomicU64,
}

struct Replica {
    pool: AnyPool,
    /// Every commit made before this instant is replayed; `None`: not known, or down.
    fresh_as_of: Mutex<Option<Instant>>,
}

impl Replicas {
    /// Pools for `urls` (connected when first used: a replica down at start is skipped,
    /// not fatal) and the task that samples their positions against `primary`'s.
    pub(crate) fn start(
        primary: AnyPool,
        urls: &[String],
        max_lag: Duration,
        connections: u32,
    ) -> StoreResult<Arc<Replicas>> {
        let replicas = urls
            .iter()
            .map(|url| {
                Ok(Replica {
                    pool: AnyPoolOptions::new()
                        .max_connections(connections.max(2))
                        .acquire_timeout(SAMPLE_PATIENCE)
                        .connect_lazy(url)?,
                    fresh_as_of: Mutex::new(None),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let replicas = Arc::new(Replicas {
            max_lag,
            primary: Mutex::default(),
            replicas,
            next: AtomicUsize::new(0),
            reads: AtomicU64::new(0),
        });
        tokio::spawn(sample(Arc::downgrade(&replicas), primary));
        Ok(replicas)
    }

    /// A connection to a replica fit for a read here, if the read may lag and one is.
    pub(crate) async fn reader(&self) -> Option<Reader> {
        let wrote_at = LAGGING.try_with(|w| *w).ok()?;
        let now = Instant::now();
        let oldest = now.checked_sub(self.max_lag).unwrap_or(now);
        let needed = wrote_at.map_or(oldest, |w| w.max(oldest));
        let count = self.replicas.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..count {
            let replica = &self.replicas[(first + i) % count];
            if replica.fresh_as_of().is_none_or(|fresh| fresh < needed) {
                continue;
            }
            match tokio::time::timeout(PATIENCE, replica.pool.acquire()).await {
                Ok(Ok(conn)) => {
                    self.reads.fetch_add(1, Ordering::Relaxed);
                    return Some(Reader::replica(conn));
                }
                Ok(Err(e)) => {
                    tracing::warn!("read replica skipped: {e}");
                    *lock(&replica.fresh_as_of) = None;
                }
                Err(_) => {
                    tracing::warn!("read replica skipped: no connection within {PATIENCE:?}");
                    *lock(&replica.fresh_as_of) = None;
                }
            }
        }
        None
    }

    /// Reads served by a replica so far.
    pub(crate) fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// The instant of the newest primary sample at or before `replayed`.
    fn fresh_as_of_position(&self, replayed: u64) -> Option<Instant> {
        lock(&self.primary)
            .iter()
            .rev()
            .find(|(_, position)| *position <= replayed)
            .map(|(at, _)| *at)
    }

    /// Notes the primary's position, asked for at `asked`, and forgets samples too old to
    /// matter (a replica that old is skipped anyway); the newest is always kept.
    fn note_primary(&self, asked: Instant, position: u64) {
        let mut samples = lock(&self.primary);
        samples.push_back((asked, position));
        let keep = self.max_lag * 2 + Duration::from_secs(1);
        while samples.len() > 1 && samples.front().is_some_and(|(at, _)| at.elapsed() > keep) {
            samples.pop_front();
        }
    }
}

impl Replica {
    fn fresh_as_of(&self) -> Option<Instant> {
        *lock(&self.fresh_as_of)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Samples the positions for as long as the store lives.
async fn sample(replicas: std::sync::Weak<Replicas>, primary: AnyPool) {
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let Some(replicas) = replicas.upgrade() else {
            return;
        };
        if primary.is_closed() {
            return;
        }
        let asked = Instant::now();
        match position(&primary, "pg_current_wal_lsn()").await {
            Some(at) => replicas.note_primary(asked, at),
            None => continue,
        }
        for replica in &replicas.replicas {
            let fresh = position(&replica.pool, "pg_last_wal_replay_lsn()")
                .await
                .and_then(|replayed| replicas.fresh_as_of_position(replayed));
            *lock(&replica.fresh_as_of) = fresh;
        }
    }
}

/// A WAL position read with `function`; `None` when the database does not answer in time
/// or has none to give (`pg_last_wal_replay_lsn()` on a primary).
async fn position(pool: &AnyPool, function: &str) -> Option<u64> {
    let sql = format!("SELECT {function}::text");
    let asked = sqlx::query_scalar::<_, Option<String>>(&sql).fetch_one(pool);
    match tokio::time::timeout(SAMPLE_PATIENCE, asked).await {
        Ok(Ok(Some(text))) => parse_position(&text),
        Ok(Err(e)) => {
            tracing::debug!("read replicas: {function}: {e}");
            None
        }
        _ => None,
    }
}

/// `16/B374D848` → 0x16_B374D848.
fn parse_position(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    let high = u64::from_str_radix(high, 16).ok()?;
    let low = u64::from_str_radix(low, 16).ok()?;
    (high <= u64::from(u32::MAX) && low <= u64::from(u32::MAX)).then_some(high << 32 | low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse_as_postgresql_writes_them() {
        assert_eq!(parse_position("0/0"), Some(0));
        assert_eq!(parse_position("16/B374D848"), Some(0x16_B374_D848));
        assert!(parse_position("1/2") < parse_position("2/1"));
        for bad in ["", "16", "x/1", "1/100000000", "/"] {
            assert_eq!(parse_position(bad), None, "{bad:?}");
        }
    }

    fn with_samples(samples: &[(Instant, u64)]) -> Replicas {
        Replicas {
            max_lag: Duration::from_secs(1),
            primary: Mutex::new(samples.iter().copied().collect()),
            replicas: Vec::new(),
            next: AtomicUsize::new(0),
            reads: AtomicU64::new(0),
        }
    }

    #[test]
    fn a_replica_is_fresh_as_of_the_newest_primary_sample_it_has_replayed() {
        let t0 = Instant::now();
        let (t1, t2) = (
            t0 + Duration::from_millis(20),
            t0 + Duration::from_millis(40),
        );
        let replicas = with_samples(&[(t0, 100), (t1, 200), (t2, 300)]);
        assert_eq!(replicas.fresh_as_of_position(99), None);
        assert_eq!(replicas.fresh_as_of_position(100), Some(t0));
        assert_eq!(replicas.fresh_as_of_position(250), Some(t1));
        assert_eq!(replicas.fresh_as_of_position(300), Some(t2));
        assert_eq!(replicas.fresh_as_of_position(u64::MAX), Some(t2));
    }
}
