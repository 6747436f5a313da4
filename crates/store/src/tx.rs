//! Write transactions ([`Tx`]) and, on SQLite, group commit.
//!
//! SQLite has one writer connection, and write transactions queue for it. Committing each
//! on its own costs the writer a hop to the connection's thread for `BEGIN` and one for
//! `COMMIT`, and the commit writes every page the transaction changed to the WAL (two write
//! calls a page), even when the next transaction in line changes the same pages again.
//! So short transactions that queue together ([`Store::begin_grouped`]: partner requests
//! sent, the outbox's claims and marks) share one SQLite transaction, a *group*:
//!
//! - the first opens it (`BEGIN IMMEDIATE`); each later one runs inside a `SAVEPOINT`, so a
//!   refusal or an error undoes its own changes and nobody else's;
//! - a transaction that commits joins the group and gives the writer to the next in line;
//!   the group is committed by the one who finds nobody waiting for the writer, or the
//!   group holding [`MAX_MEMBERS`] transactions, or open for [`MAX_OPEN`];
//! - [`Tx::commit`] returns once the group's `COMMIT` has: nothing is acknowledged before
//!   it is in the WAL. If that `COMMIT` fails, every transaction of the group gets the
//!   error, and none of them was acknowledged.
//!
//! With nobody else waiting, a transaction is a group of one: `BEGIN IMMEDIATE` … `COMMIT`.
//! Every other transaction ([`Store::begin`]) runs *alone*: it commits the open group
//! before it starts and commits itself at once. A long one (a contacts fan-out chunk, an
//! acceptance syncing thousands of members) must not join a group: those who committed
//! before it would wait for it to finish. On PostgreSQL a `Tx` is a plain transaction of
//! the pool.
//!
//! Invariant: a group is left open, with the writer free, only while somebody waits for
//! the writer; whoever takes it next either joins the group or commits it.

#[cfg(doc)]
use crate::Store;
use crate::{StoreError, StoreResult};
use sqlx::{Any, AnyConnection, Connection, TransactionManager};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

type Manager = <Any as sqlx::Database>::TransactionManager;

/// Transactions in one group at most.
pub const MAX_MEMBERS: usize = 32;
/// How long a group stays open at most before the next one to commit commits it.
pub const MAX_OPEN: Duration = Duration::from_millis(5);

/// A write transaction: `&mut *tx` is an executor. Dropped without [`Tx::commit`], its
/// changes are undone, and so are the live-page changes it announced (`live.rs`).
pub struct Tx(Inner, AfterCommit);

/// What a transaction tells live pages once it has committed (`live.rs`): on SQLite this
/// process's bus after the commit; on PostgreSQL a `pg_notify` before it, which the database
/// delivers at commit.
#[derive(Default)]
pub(crate) struct AfterCommit {
    pub(crate) bus: Option<crate::live::Bus>,
    pub(crate) changes: Vec<crate::live::Change>,
}

enum Inner {
    Pooled(sqlx::Transaction<'static, Any>),
    Grouped(Member),
}

impl Tx {
    pub(crate) fn pooled(tx: sqlx::Transaction<'static, Any>) -> Tx {
        Tx(Inner::Pooled(tx), AfterCommit::default())
    }

    /// Where the changes announced in this transaction go once it commits.
    pub(crate) fn after_commit(&mut self) -> &mut AfterCommit {
        &mut self.1
    }

    /// Commits, and returns once the changes are durable (on SQLite, once the group the
    /// transaction joined is committed); then tells live pages.
    pub async fn commit(self) -> StoreResult<()> {
        match self.0 {
            Inner::Pooled(mut tx) => {
                if let Some((sql, params)) = crate::live::notice(&self.1.changes, 0) {
                    let mut query = sqlx::query(&sql);
                    for param in params {
                        query = query.bind(param);
                    }
                    query.execute(&mut *tx).await?;
                }
                tx.commit().await?
            }
            Inner::Grouped(member) => member.commit().await?,
        }
        if let Some(bus) = &self.1.bus {
            for change in self.1.changes {
                bus.publish(change);
            }
        }
        Ok(())
    }
}

impl Deref for Tx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match &self.0 {
            Inner::Pooled(tx) => tx,
            Inner::Grouped(member) => member.conn(),
        }
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.0 {
            Inner::Pooled(tx) => tx,
            Inner::Grouped(member) => member.conn_mut(),
        }
    }
}

/// SQLite's writer connection, shared by group commit.
#[derive(Clone)]
pub(crate) struct Writer {
    state: Arc<Mutex<State>>,
    /// Tasks queued for the writer.
    waiting: Arc<AtomicUsize>,
}

pub(crate) struct State {
    /// `None` once closed.
    conn: Option<AnyConnection>,
    group: Option<Group>,
}

struct Group {
    /// A transaction running alone: committed as soon as it commits.
    alone: bool,
    opened: Instant,
    /// The transactions that committed into the group, waiting for its `COMMIT`.
    committed: Vec<oneshot::Sender<Result<(), String>>>,
}

/// A task counted in `waiting` until it holds the writer (or gives up waiting).
struct Queued {
    writer: Writer,
    served: bool,
    /// Whether giving up leaves the commit to a task of its own (not for that task
    /// itself, which is only given up when its runtime is going away).
    hand_over: bool,
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.writer.waiting.fetch_sub(1, Ordering::SeqCst);
        if !self.served && self.hand_over {
            // Gave up waiting: someone may have left the group open for it.
            self.writer.commit_later();
        }
    }
}

impl Writer {
    pub(crate) fn new(conn: AnyConnection) -> Writer {
        Writer {
            state: Arc::new(Mutex::new(State {
                conn: Some(conn),
                group: None,
            })),
            waiting: Arc::default(),
        }
    }

    fn queue(&self) -> Queued {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        Queued {
            writer: self.clone(),
            served: false,
            hand_over: true,
        }
    }

    async fn take(&self, mut queued: Queued) -> OwnedMutexGuard<State> {
        let state = self.state.clone().lock_owned().await;
        queued.served = true;
        state
    }

    /// Starts a transaction: `grouped`, it opens a group or joins the open one with a
    /// savepoint; alone, it commits the open group first and is a group of its own.
    pub(crate) async fn begin(&self, grouped: bool) -> StoreResult<Tx> {
        let mut state = self.take(self.queue()).await;
        if !grouped
            || state
                .group
                .as_ref()
                .is_some_and(|g| g.opened.elapsed() >= MAX_OPEN)
        {
            commit_group(&mut state).await;
        }
        let first = state.group.is_none();
        let conn = state
            .conn
            .as_mut()
            .ok_or(StoreError::Database(sqlx::Error::PoolClosed))?;
        if first {
            if Manager::get_transaction_depth(conn) > 0 {
                // Left by a `begin` abandoned half-way (its task dropped while SQLite
                // opened the transaction): nothing of it was handed out.
                roll_back_everything(conn).await;
            }
            Manager::begin(conn, Some("BEGIN IMMEDIATE".into())).await?;
            state.group = Some(Group {
                alone: !grouped,
                opened: Instant::now(),
                committed: Vec::new(),
            });
        } else if let Err(e) = Manager::begin(conn, None).await {
            // Those already in the group keep what they did.
            commit_group(&mut state).await;
            return Err(e.into());
        }
        Ok(Tx(
            Inner::Grouped(Member {
                state: Some(state),
                savepoint: !first,
                writer: self.clone(),
            }),
            AfterCommit::default(),
        ))
    }

    /// Whether the one releasing the writer commits the group now.
    fn due(&self, state: &State) -> bool {
        state.group.as_ref().is_some_and(|g| {
            g.alone
                || self.waiting.load(Ordering::SeqCst) == 0
                || g.committed.len() >= MAX_MEMBERS
                || g.opened.elapsed() >= MAX_OPEN
        })
    }

    /// Commits the open group, if any, from a task of its own (a transaction dropped
    /// where it could not wait for the commit). Counts as waiting from now on.
    fn commit_later(&self) {
        let mut queued = self.queue();
        queued.hand_over = false;
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let writer = self.clone();
        runtime.spawn(async move {
            let mut state = writer.take(queued).await;
            commit_group(&mut state).await;
        });
    }

    /// The connection for something that needs it alone (migrations): any open group is
    /// committed first.
    pub(crate) async fn exclusive(&self) -> StoreResult<OwnedMutexGuard<State>> {
        let mut state = self.take(self.queue()).await;
        commit_group(&mut state).await;
        if state.conn.is_none() {
            return Err(StoreError::Database(sqlx::Error::PoolClosed));
        }
        Ok(state)
    }

    /// Commits any open group and closes the connection.
    pub(crate) async fn close(&self) {
        let mut state = self.take(self.queue()).await;
        commit_group(&mut state).await;
        if let Some(conn) = state.conn.take() {
            let _ = conn.close().await;
        }
    }
}

impl State {
    /// The connection of a writer held by [`Writer::exclusive`].
    pub(crate) fn connection(&mut self) -> &mut AnyConnection {
        self.conn.as_mut().expect("checked by Writer::exclusive")
    }
}

/// Commits the open group and tells its transactions how it went.
async fn commit_group(state: &mut State) {
    let Some(group) = state.group.take() else {
        return;
    };
    let result = match state.conn.as_mut() {
        Some(conn) => {
            let result = Manager::commit(conn).await.map_err(|e| e.to_string());
            if result.is_err() {
                roll_back_everything(conn).await;
            }
            result
        }
        None => Err("the writer connection is closed".to_string()),
    };
    if let Err(e) = &result {
        tracing::error!(
            transactions = group.committed.len(),
            "group commit failed, nothing of it was kept: {e}"
        );
    }
    group.tell(result);
}

impl Group {
    /// Tells the transactions that committed into the group how it ended.
    fn tell(self, result: Result<(), String>) {
        for member in self.committed {
            let _ = member.send(result.clone());
        }
    }
}

/// Leaves the connection outside any transaction, whatever state an error left it in.
async fn roll_back_everything(conn: &mut AnyConnection) {
    while Manager::get_transaction_depth(conn) > 0 {
        if let Err(e) = Manager::rollback(conn).await {
            tracing::error!("rolling back the writer's transaction: {e}");
            return;
        }
    }
}

/// A transaction of a group: holds the writer from `begin` until it commits or is dropped.
struct Member {
    /// `None` once ended.
    state: Option<OwnedMutexGuard<State>>,
    /// Whether it runs in a savepoint (it joined a group) or opened the group.
    savepoint: bool,
    writer: Writer,
}

impl Member {
    fn conn(&self) -> &AnyConnection {
        self.state
            .as_ref()
            .and_then(|s| s.conn.as_ref())
            .expect("a transaction holds the open writer until it ends")
    }

    fn conn_mut(&mut self) -> &mut AnyConnection {
        self.state
            .as_mut()
            .and_then(|s| s.conn.as_mut())
            .expect("a transaction holds the open writer until it ends")
    }

    async fn commit(mut self) -> StoreResult<()> {
        let mut state = self.state.take().expect("not ended yet");
        if self.savepoint {
            let conn = state.conn.as_mut().expect("held since begin");
            if let Err(e) = Manager::commit(conn).await {
                // What SQLite could not release it may have half kept: undo the group.
                roll_back_everything(conn).await;
                if let Some(group) = state.group.take() {
                    group.tell(Err(format!("a later transaction failed: {e}")));
                }
                return Err(e.into());
            }
        }
        let (done, committed) = oneshot::channel();
        state
            .group
            .as_mut()
            .expect("a transaction belongs to the open group")
            .committed
            .push(done);
        if self.writer.due(&state) {
            commit_group(&mut state).await;
        }
        drop(state);
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Commit(e)),
            Err(_) => Err(StoreError::Commit(
                "the writer stopped before the commit".into(),
            )),
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let Some(mut state) = self.state.take() else {
            return;
        };
        if let Some(conn) = state.conn.as_mut() {
            // Queued on the connection: runs before anything sent to it later.
            Manager::start_rollback(conn);
        }
        if !self.savepoint {
            // It opened the group, so nobody else is in it: the whole transaction is gone.
            state.group = None;
            return;
        }
        if self.writer.due(&state) {
            // Others of the group wait for its commit, and nobody else will come to do it.
            // (Counted as waiting before the writer is let go: see the invariant.)
            self.writer.commit_later();
        }
        drop(state);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, StoreError};
    use coproof_core::Refusal;
    use std::time::Duration;
    use tokio::sync::oneshot;

    /// A store on a file of its own, with a table of numbers to write.
    async fn store() -> (Store, std::path::PathBuf) {
        let (store, path) = crate::store_on_temp_file("tx").await;
        let mut tx = store.begin().await.unwrap();
        sqlx::query("CREATE TABLE numbers (n BIGINT PRIMARY KEY)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        (store, path)
    }

    /// Writes `n`, then refuses (changing its mind) when `n` is odd.
    async fn write(store: &Store, n: i64) -> Result<(), StoreError> {
        let s = store.clone();
        store
            .write(move || {
                let s = s.clone();
                async move {
                    let mut tx = s.begin_grouped().await?;
                    sqlx::query("INSERT INTO numbers (n) VALUES ($1)")
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                    if n % 2 == 1 {
                        return Err(Refusal::Forbidden.into());
                    }
                    tx.commit().await
                }
            })
            .await
    }

    async fn numbers(store: &Store) -> Vec<i64> {
        sqlx::query_scalar("SELECT n FROM numbers ORDER BY n")
            .fetch_all(&mut *store.read().await.unwrap())
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn transactions_that_queue_together_keep_their_own_outcome() {
        let (store, path) = store().await;
        let writes: Vec<_> = (0..200)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move { (n, write(&store, n).await) })
            })
            .collect();
        for write in writes {
            let (n, result) = write.await.unwrap();
            // Each one sees its own outcome, and what was acknowledged is readable at once.
            match result {
                Ok(()) => {
                    assert_eq!(n % 2, 0);
                    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM numbers WHERE n = $1")
                        .bind(n)
                        .fetch_one(&mut *store.read().await.unwrap())
                        .await
                        .unwrap();
                    assert_eq!(kept, 1, "{n} acknowledged and readable");
                }
                Err(StoreError::Refused(_)) => assert_eq!(n % 2, 1),
                Err(e) => panic!("{n}: {e}"),
            }
        }
        let expected: Vec<i64> = (0..200).filter(|n| n % 2 == 0).collect();
        assert_eq!(
            numbers(&store).await,
            expected,
            "the refused ones left nothing"
        );
        store.close().await;
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_dropped_in_a_group_does_not_keep_the_others_waiting() {
        let (store, path) = store().await;
        // The first of a group commits and waits for the group; the second, queued behind
        // it, is dropped without committing, and nobody else comes.
        let first = store.begin_grouped().await.unwrap();
        let second = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin_grouped().await?;
                sqlx::query("INSERT INTO numbers (n) VALUES (2)")
                    .execute(&mut *tx)
                    .await?;
                drop(tx);
                Ok::<_, StoreError>(())
            })
        };
        let mut first = first;
        sqlx::query("INSERT INTO numbers (n) VALUES (1)")
            .execute(&mut *first)
            .await
            .unwrap();
        // Let the second queue for the writer so that the first leaves the group open.
        until_someone_queues(&store).await;
        tokio::time::timeout(Duration::from_secs(10), first.commit())
            .await
            .expect("the group is committed although its last member was dropped")
            .unwrap();
        second.await.unwrap().unwrap();
        assert_eq!(numbers(&store).await, vec![1]);
        store.close().await;
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_running_alone_does_not_keep_a_group_waiting_for_it() {
        let (store, path) = store().await;
        let mut grouped = store.begin_grouped().await.unwrap();
        sqlx::query("INSERT INTO numbers (n) VALUES (1)")
            .execute(&mut *grouped)
            .await
            .unwrap();
        // A long transaction queues behind it, and holds the writer until told to finish.
        let (started, has_started) = oneshot::channel();
        let (finish, may_finish) = oneshot::channel::<()>();
        let long = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin().await?;
                let _ = started.send(());
                sqlx::query("INSERT INTO numbers (n) VALUES (2)")
                    .execute(&mut *tx)
                    .await?;
                let _ = may_finish.await;
                tx.commit().await
            })
        };
        until_someone_queues(&store).await;
        tokio::time::timeout(Duration::from_secs(10), grouped.commit())
            .await
            .expect("committed before the long transaction ends")
            .unwrap();
        has_started.await.unwrap();
        assert_eq!(
            numbers(&store).await,
            vec![1],
            "the long one is not committed yet"
        );
        finish.send(()).unwrap();
        long.await.unwrap().unwrap();
        assert_eq!(numbers(&store).await, vec![1, 2]);
        store.close().await;
        let _ = std::fs::remove_file(path);
    }

    /// Returns once a task waits for the writer.
    async fn until_someone_queues(store: &Store) {
        let crate::Writes::Grouped(writer) = &store.write else {
            unreachable!("a SQLite store")
        };
        while writer.waiting.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
