//! Copying the WAL back into the database file (SQLite), beside the writer.
//!
//! SQLite would otherwise do it inside whichever write transaction crossed the threshold,
//! holding the one writer (and everyone queued behind it) for the copy and its fsyncs. A
//! passive checkpoint from a reader connection waits for no reader and no writer.
//!
//! Copying is not enough under writes that never stop (a contacts fan-out to 2,000
//! partners, user after user): SQLite starts the WAL over from its beginning only when a
//! write transaction begins with every frame already copied, and with one transaction
//! after the other some are always new. The WAL then grows until the writer's own backstop
//! checkpoint ([`BACKSTOP_PAGES`]), which holds the writer for a whole copy, and every
//! fsync meanwhile waits for the growing file's new blocks. So once the WAL holds
//! [`RESTART_PAGES`], the checkpointer makes that moment: it has the fan-out worker stand
//! aside between two chunks ([`FanoutPause`]), copies what is left (again while requests
//! wrote meanwhile), holds the writer for a last copy of next to nothing, and lets go; the
//! next write transaction starts the WAL over. The pause lasts about as long as copying
//! what the fan-out wrote since the last copy (`docs/performance.md` has the figures).

use crate::readers::{Reader, Readers};
use crate::{tx, StoreError, StoreResult};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{RwLock, RwLockReadGuard};

/// How often the WAL is copied back into the database file while it grows. Each copy
/// fsyncs the WAL first, and the writer's next WAL writes wait for that fsync: the less
/// there is to flush, the shorter the wait, so copies are frequent and small (the interval
/// was chosen by measurement, `docs/performance.md`).
const EVERY_GROWING: Duration = Duration::from_millis(20);
/// How often the WAL is looked at when it did not grow since the last look.
const EVERY_IDLE: Duration = Duration::from_millis(250);
/// WAL pages (of 4 KiB) after which the checkpointer starts the WAL over (512 MiB): each
/// start-over pauses the fan-out, so not too often (each pause is that much later on
/// every partner's page for the users being written).
const RESTART_PAGES: i64 = 131_072;
/// Copies with the fan-out worker paused at most, before the writer is held for the last.
const PAUSED_COPIES: usize = 3;
/// WAL pages after which the writer checkpoints by itself (about 1.2 GB): reached only if
/// the checkpoint task stopped.
pub(crate) const BACKSTOP_PAGES: u32 = 300_000;

/// Lets the checkpointer have the contacts fan-out worker stand aside between two chunks.
#[derive(Clone, Default)]
pub(crate) struct FanoutPause(Arc<RwLock<()>>);

impl FanoutPause {
    /// Held while a chunk is written; waits while the checkpointer pauses the worker.
    pub(crate) async fn chunk(&self) -> RwLockReadGuard<'_, ()> {
        self.0.read().await
    }
}

/// Checkpoints every [`EVERY_GROWING`] while the WAL grows, every [`EVERY_IDLE`]
/// otherwise, until the readers are closed.
pub(crate) async fn run(read: Arc<Readers>, writer: tx::Writer, pause: FanoutPause) {
    let (mut wal_pages, mut growing) = (0, false);
    loop {
        tokio::time::sleep(if growing { EVERY_GROWING } else { EVERY_IDLE }).await;
        let mut conn = match read.get_for_housekeeping().await {
            Ok(conn) => conn,
            Err(StoreError::Database(sqlx::Error::PoolClosed)) => return,
            Err(e) => {
                tracing::warn!("WAL checkpoint: {e}");
                continue;
            }
        };
        let result = match copy(&mut conn).await {
            Ok(pages) => {
                // Any change means frames were written since (a WAL started over is
                // shorter).
                growing = pages != wal_pages;
                wal_pages = pages;
                if pages >= RESTART_PAGES {
                    start_over(&mut conn, &writer, &pause).await
                } else {
                    Ok(())
                }
            }
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!("WAL checkpoint: {e}");
        }
    }
}

/// A passive checkpoint: the pages the WAL holds.
async fn copy(conn: &mut Reader) -> StoreResult<i64> {
    let (_busy, pages, _copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut **conn)
        .await?;
    Ok(pages)
}

/// Copies every frame with the fan-out worker and then the writer stood aside, so that
/// the next write transaction starts the WAL over. With the worker paused, copies again
/// while requests wrote meanwhile (a few pages, but a copy's fsyncs can take long even
/// so), so that the writer is held, if at all, for a last copy of next to nothing.
pub(crate) async fn start_over(
    conn: &mut Reader,
    writer: &tx::Writer,
    pause: &FanoutPause,
) -> StoreResult<()> {
    let started = Instant::now();
    let _paused = pause.0.write().await;
    let mut pages = copy(conn).await?;
    for _ in 1..PAUSED_COPIES {
        let now = copy(conn).await?;
        if now == pages {
            break;
        }
        pages = now;
    }
    let paused = started.elapsed();
    let _held = writer.exclusive().await?;
    let last = copy(conn).await?;
    tracing::debug!(
        pages,
        last_pages = last - pages,
        paused_ms = paused.as_secs_f64() * 1000.0,
        held_ms = (started.elapsed() - paused).as_secs_f64() * 1000.0,
        "WAL started over"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{contacts::fanout, Store, Writes};
    use std::sync::atomic::{AtomicBool, Ordering};

    fn writer(store: &Store) -> tx::Writer {
        match &store.write {
            Writes::Grouped(writer) => writer.clone(),
            Writes::Pool(_) => unreachable!("a SQLite store"),
        }
    }

    /// One transaction after the other, each a few rows, until `stop`.
    async fn write_until(store: Store, stop: Arc<AtomicBool>) {
        let mut n = 0_i64;
        while !stop.load(Ordering::SeqCst) {
            n += 1;
            let s = store.clone();
            store
                .write(move || {
                    let s = s.clone();
                    async move {
                        let mut tx = s.begin().await?;
                        for i in 0..20 {
                            sqlx::query("INSERT INTO numbers (n, pad) VALUES ($1, $2)")
                                .bind(n * 100 + i)
                                .bind("x".repeat(300))
                                .execute(&mut *tx)
                                .await?;
                        }
                        tx.commit().await
                    }
                })
                .await
                .unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_under_writes_that_never_stop() {
        let (store, path) = crate::store_on_temp_file("checkpoints").await;
        let mut tx = store.begin().await.unwrap();
        sqlx::query("CREATE TABLE numbers (n BIGINT PRIMARY KEY, pad TEXT)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let writes = tokio::spawn(write_until(store.clone(), stop.clone()));
        let mut conn = store.read.get_for_housekeeping().await.unwrap();
        // Copies alone, as often as the checkpointer makes them and more: the WAL grows.
        let started = Instant::now();
        let grown = loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let pages = copy(&mut conn).await.unwrap();
            if pages > 2_000 {
                break pages;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{pages} pages");
        };
        start_over(&mut conn, &writer(&store), &FanoutPause::default())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let after = copy(&mut conn).await.unwrap();
        stop.store(true, Ordering::SeqCst);
        writes.await.unwrap();
        assert!(
            after < grown / 2,
            "the WAL held {grown} pages, then {after} after starting over"
        );
        drop(conn);
        store.close().await;
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_fan_out_worker_stands_aside_while_paused() {
        let (store, path) = crate::store_on_temp_file("checkpoints").await;
        let paused = store.fanout_pause.0.clone().write_owned().await;
        let s = store.clone();
        let step = tokio::spawn(async move { fanout::step(&s).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!step.is_finished(), "no chunk while paused");
        drop(paused);
        let more = step.await.unwrap().unwrap();
        assert!(!more, "no job queued");
        store.close().await;
        let _ = std::fs::remove_file(path);
    }
}
