//! Connections for reads outside a transaction.
//!
//! On PostgreSQL, sqlx's pool. On SQLite, shelves of connections kept here, one shelf
//! per core the process may use, because the pool costs a SQLite read more than the
//! read itself: every connection it takes back is pinged first, one more round trip to
//! the connection's thread and a task spawned for it, per query. A SQLite connection to
//! a local file does not go stale and a read leaves nothing behind to flush, so a shelf
//! takes its connections back as they are.
//!
//! A read takes a connection from the shelf of the core its task runs on, and every
//! connection of a shelf is opened from a thread pinned to that core, so the
//! connection's thread is pinned there too (`affinity.rs`): the hop from the task to it
//! and back stays on one core, without waking the other.

use crate::{affinity, StoreError, StoreResult};
use sqlx::{Any, AnyConnection, AnyPool, Connection};
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a read waits for a connection before the server calls itself overloaded
/// (as sqlx's pool does, `StoreError::is_pool_timeout`).
const WAIT: Duration = Duration::from_secs(30);

/// Opens one SQLite connection, pragmas set.
pub(crate) type Open =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = StoreResult<AnyConnection>> + Send>> + Send + Sync>;

pub(crate) enum Readers {
    Pool(AnyPool),
    Shelves(Arc<[Arc<Shelf>]>),
}

pub(crate) struct Shelf {
    core: Option<usize>,
    idle: Mutex<Vec<AnyConnection>>,
    permits: Arc<Semaphore>,
    open: Open,
}

/// A connection for reads, given back when dropped. Use it as `&mut *reader`.
pub struct Reader(Held);

enum Held {
    Pooled(sqlx::pool::PoolConnection<Any>),
    /// A read replica's (`replicas.rs`).
    Replica(sqlx::pool::PoolConnection<Any>),
    Shelved {
        conn: Option<AnyConnection>,
        shelf: Arc<Shelf>,
        _permit: OwnedSemaphorePermit,
    },
}

impl Readers {
    /// `connections` in all, shared out among the cores.
    pub(crate) fn shelves(connections: u32, open: Open) -> Readers {
        let cores = affinity::cores_to_pin();
        let each = (connections as usize / cores.len().max(1)).max(1);
        let shelf = |core| {
            Arc::new(Shelf {
                core,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(each)),
                open: open.clone(),
            })
        };
        let shelves: Vec<_> = if cores.is_empty() {
            vec![shelf(None)]
        } else {
            cores.iter().map(|&c| shelf(Some(c))).collect()
        };
        Readers::Shelves(shelves.into())
    }

    /// A connection whose thread runs on the caller's core.
    pub(crate) async fn get(&self) -> StoreResult<Reader> {
        self.get_on(affinity::current_core()).await
    }

    /// A connection for housekeeping (WAL checkpoints): from the first core, away from
    /// the writer's (the last), which everyone's writes queue for.
    pub(crate) async fn get_for_housekeeping(&self) -> StoreResult<Reader> {
        self.get_on(None).await
    }

    async fn get_on(&self, core: Option<usize>) -> StoreResult<Reader> {
        match self {
            Readers::Pool(pool) => Ok(Reader(Held::Pooled(pool.acquire().await?))),
            Readers::Shelves(shelves) => {
                let shelf = core
                    .and_then(|core| shelves.iter().find(|s| s.core == Some(core)))
                    .unwrap_or(&shelves[0]);
                shelf.clone().take().await
            }
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Readers::Pool(pool) => pool.close().await,
            Readers::Shelves(shelves) => {
                for shelf in shelves.iter() {
                    shelf.permits.close();
                    let idle = std::mem::take(&mut *shelf.lock());
                    for conn in idle {
                        let _ = conn.close().await;
                    }
                }
            }
        }
    }
}

impl Shelf {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<AnyConnection>> {
        // A panic while holding the lock cannot leave the list half-changed.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn take(self: Arc<Self>) -> StoreResult<Reader> {
        let permit = tokio::time::timeout(WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        let idle = self.lock().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open_here().await?,
        };
        Ok(Reader(Held::Shelved {
            conn: Some(conn),
            shelf: self,
            _permit: permit,
        }))
    }

    /// Opens a connection from a thread pinned to the shelf's core, so that the
    /// connection's own thread starts there.
    async fn open_here(&self) -> StoreResult<AnyConnection> {
        let Some(core) = self.core else {
            return (self.open)().await;
        };
        let open = self.open.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("sqlite-opener".into())
            .spawn(move || {
                affinity::pin_current_thread(core);
                let opened = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .map_err(|e| StoreError::Config(format!("opening a reader: {e}")))
                    .and_then(|rt| rt.block_on(open()));
                let _ = tx.send(opened);
            })
            .map_err(|e| StoreError::Config(format!("opening a reader: {e}")))?;
        rx.await
            .map_err(|_| StoreError::Config("opening a reader: the thread died".into()))?
    }
}

impl Reader {
    pub(crate) fn replica(conn: sqlx::pool::PoolConnection<Any>) -> Reader {
        Reader(Held::Replica(conn))
    }

    /// Whether this connection is a read replica's.
    pub fn on_replica(&self) -> bool {
        matches!(self.0, Held::Replica(_))
    }
}

impl Deref for Reader {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match &self.0 {
            Held::Pooled(conn) | Held::Replica(conn) => conn,
            Held::Shelved { conn, .. } => conn.as_ref().expect("present until dropped"),
        }
    }
}

impl DerefMut for Reader {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.0 {
            Held::Pooled(conn) | Held::Replica(conn) => conn,
            Held::Shelved { conn, .. } => conn.as_mut().expect("present until dropped"),
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Held::Shelved { conn, shelf, .. } = &mut self.0 {
            if let Some(conn) = conn.take() {
                if !shelf.permits.is_closed() {
                    shelf.lock().push(conn);
                }
            }
        }
    }
}
