//! Where write transactions run: on SQLite, a thread of their own; on PostgreSQL, here,
//! retried when the database broke a deadlock or a serialization conflict.
//!
//! SQLite has one writer connection, held for the whole of a write transaction, and every
//! statement is a hop from the task to the connection's thread and back. On the server's
//! runtime the way back waits in line behind whatever HTTP work the runtime is doing, and
//! so does everyone queued for the writer. Here the transaction's task runs on a runtime
//! of its own, which does nothing else: each hop back is one thread wake-up. The thread
//! and the connection's thread share one core (`affinity.rs`), so that wake-up is cheap.

use crate::{affinity, Backend, Store, StoreError, StoreResult};
use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::{Builder, Handle};

/// One for the process: stores share it (each still has its own writer connection).
fn handle() -> Option<&'static Handle> {
    static WRITER: OnceLock<Option<Handle>> = OnceLock::new();
    WRITER
        .get_or_init(|| {
            // Timers only: with no I/O driver the thread sleeps on a futex, not in epoll,
            // and the connection's thread wakes it with one system call.
            let runtime = Builder::new_current_thread().enable_time().build().ok()?;
            let handle = runtime.handle().clone();
            std::thread::Builder::new()
                .name("sqlite-writer".into())
                .spawn(move || {
                    if let Some(core) = affinity::writer_core() {
                        affinity::pin_current_thread(core);
                    }
                    runtime.block_on(std::future::pending::<()>())
                })
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Runs `task` on the writer thread (here if it could not start): write transactions,
/// and opening the writer connection, whose own thread then shares the writer's core.
pub(crate) async fn on_writer_thread<T, Fut>(task: Fut) -> StoreResult<T>
where
    Fut: Future<Output = StoreResult<T>> + Send + 'static,
    T: Send + 'static,
{
    match handle() {
        Some(writer) => writer
            .spawn(task)
            .await
            .map_err(|e| StoreError::Corrupt(format!("writer thread: {e}")))?,
        None => task.await,
    }
}

/// Times a PostgreSQL transaction is tried when the database aborts it to break a
/// deadlock (40P01) or a serialization conflict (40001); nothing of it was kept.
const ATTEMPTS: u32 = 3;

impl Store {
    /// Runs a write transaction: on the writer thread (SQLite), or here (PostgreSQL,
    /// whose connections belong to the server's runtime; also SQLite if the thread could
    /// not start), trying again from the start if PostgreSQL aborted it to break a
    /// deadlock. `write` must build the whole transaction each time it is called.
    pub async fn write<T, F, Fut>(&self, write: F) -> StoreResult<T>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = StoreResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        match self.backend() {
            Backend::Sqlite => on_writer_thread(write()).await,
            Backend::Postgres => {
                let mut attempt = 1;
                loop {
                    match write().await {
                        Err(e) if e.is_transient_conflict() && attempt < ATTEMPTS => {
                            tracing::info!(
                                attempt,
                                "transaction aborted by the database, retrying: {e}"
                            );
                            attempt += 1;
                        }
                        done => return done,
                    }
                }
            }
        }
    }
}
