//! Coproof's database: one migration set and one code path for SQLite and PostgreSQL.
//!
//! Queries go through sqlx's `Any` driver with `$1`-style placeholders, which both
//! backends understand. Types stay within what both share: `TEXT` ids, `BIGINT` numbers,
//! booleans and times (microseconds since the Unix epoch, UTC).
//!
//! Writes run in [`Store::begin`] (or, for short ones, [`Store::begin_grouped`])
//! transactions. On SQLite there is one writer connection and every write transaction is
//! `BEGIN IMMEDIATE` or a savepoint of one (group commit, `tx.rs`), so writers queue instead
//! of failing with "database is locked"; readers use connections of their own
//! (`readers.rs`) and never block (WAL). On PostgreSQL the rows at stake are locked with
//! `SELECT … FOR UPDATE` (see [`Store::for_update`]).

pub mod accounts;
mod affinity;
mod arrival;
pub mod attempts;
pub mod audit;
pub mod backup;
pub mod batch;
mod checkpoints;
pub mod contacts;
pub mod error;
pub mod identities;
pub mod identity;
pub mod ids;
pub mod items;
pub mod live;
mod locks;
mod mail_ceiling;
pub mod mail_messages;
pub mod model;
pub mod outbox;
pub mod partner_history;
pub mod partner_policy;
pub mod partner_preview;
pub mod partner_terms;
pub mod partners;
mod partnership;
mod readers;
pub mod removal_preview;
pub mod replicas;
pub mod security;
pub mod sign_up;
pub mod team;
pub mod tokens;
pub mod two_factor;
mod tx;
pub mod users;
pub mod webhooks;
pub mod writer;

pub use error::{StoreError, StoreResult};

pub use readers::Reader;
use readers::Readers;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub use tx::Tx;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which database is underneath.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The database: connections for reads (`readers.rs`) and for writes (`Writes`; on
/// PostgreSQL one pool serves both).
#[derive(Clone)]
pub struct Store {
    read: Arc<Readers>,
    write: Writes,
    backend: Backend,
    sync_fanout_limit: u32,
    mail_caps: coproof_core::throttle::MailCaps,
    /// E-mails queued in the last hour by this process (`mail_ceiling.rs`).
    mail_ceiling: Arc<mail_ceiling::MailCeiling>,
    fanout_wake: Arc<Notify>,
    /// Lets the WAL checkpointer have the fan-out worker stand aside (SQLite).
    fanout_pause: checkpoints::FanoutPause,
    /// Identities resolved from tokens (`identities.rs`).
    identities: Arc<identities::Identities>,
    /// Microseconds added to the wall clock where rules count time (request expiry):
    /// zero in service; tests move it instead of sleeping.
    clock_offset: Arc<AtomicI64>,
    /// Committed changes, for live pages (`live.rs`).
    live: live::Bus,
    /// Where the listeners connect (`live.rs`): the database's URL, or
    /// [`StoreOptions::listen_url`].
    url: Arc<str>,
    /// Read replicas (PostgreSQL; `replicas.rs`).
    replicas: Option<Arc<replicas::Replicas>>,
}

/// Where write transactions run.
#[derive(Clone)]
enum Writes {
    /// PostgreSQL: the pool.
    Pool(AnyPool),
    /// SQLite: the one writer connection, with group commit (`tx.rs`).
    Grouped(tx::Writer),
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    /// Connections for reads (SQLite) or for everything (PostgreSQL).
    pub max_connections: u32,
    /// Active partners up to which a new user's member rows are written in the
    /// transaction that adds it; beyond, right after it (`contacts::fanout`).
    pub sync_fanout_limit: u32,
    /// The caps on what makes e-mail (`coproof_core::throttle::MailCaps`).
    pub mail_caps: coproof_core::throttle::MailCaps,
    /// Read replicas of a PostgreSQL primary (`replicas.rs`).
    pub replica_urls: Vec<String>,
    /// How far behind a replica may be and still serve reads.
    pub replica_max_lag: Duration,
    /// A direct connection for `LISTEN` (PostgreSQL), when `url` goes through a pooler in
    /// transaction mode, where a session's `LISTEN` does not work.
    pub listen_url: Option<String>,
}

/// See [`StoreOptions::sync_fanout_limit`].
pub const DEFAULT_SYNC_FANOUT_LIMIT: u32 = 50;

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> StoreOptions {
        StoreOptions {
            url: url.into(),
            max_connections: 16,
            sync_fanout_limit: DEFAULT_SYNC_FANOUT_LIMIT,
            mail_caps: coproof_core::throttle::MailCaps::default(),
            replica_urls: Vec::new(),
            replica_max_lag: replicas::DEFAULT_MAX_LAG,
            listen_url: None,
        }
    }
}

impl Store {
    /// Opens (and for SQLite creates) the database and runs the migrations.
    pub async fn open(options: &StoreOptions) -> StoreResult<Store> {
        let store = Store::connect(options).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens the database without migrating.
    pub async fn connect(options: &StoreOptions) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let url = options.url.as_str();
        if url.starts_with("sqlite:") {
            let url = sqlite_url(url)?;
            let write_url = url.clone();
            let write = writer::on_writer_thread(async move {
                let mut conn = AnyConnection::connect(&write_url).await?;
                sqlite_pragmas(&mut conn).await?;
                // Checkpoints run beside the writer (`checkpoints.rs`); this is only the
                // backstop should they stop.
                conn.execute(
                    format!(
                        "PRAGMA wal_autocheckpoint = {}; \
                         PRAGMA cache_size = -{WRITER_CACHE_KIB};",
                        checkpoints::BACKSTOP_PAGES
                    )
                    .as_str(),
                )
                .await?;
                Ok(conn)
            })
            .await?;
            let read_url = url.clone();
            let open: readers::Open = Arc::new(move || {
                let url = read_url.clone();
                Box::pin(async move {
                    let mut conn = AnyConnection::connect(&url).await?;
                    sqlite_pragmas(&mut conn).await?;
                    Ok(conn)
                })
            });
            let read = Arc::new(Readers::shelves(options.max_connections.max(1), open));
            // Fail here, not on the first request, if the database cannot be read.
            drop(read.get().await?);
            let writer = tx::Writer::new(write);
            let fanout_pause = checkpoints::FanoutPause::default();
            tokio::spawn(checkpoints::run(
                read.clone(),
                writer.clone(),
                fanout_pause.clone(),
            ));
            Ok(Store {
                read,
                write: Writes::Grouped(writer),
                backend: Backend::Sqlite,
                sync_fanout_limit: options.sync_fanout_limit,
                mail_caps: options.mail_caps,
                mail_ceiling: Arc::new(mail_ceiling::MailCeiling::new(options.mail_caps.mails)),
                fanout_wake: Arc::default(),
                fanout_pause,
                identities: Arc::default(),
                clock_offset: Arc::default(),
                live: live::Bus::default(),
                url: url.into(),
                replicas: None,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // No `SELECT 1` before each use of a pooled connection: it was a round trip per
            // transaction and per read. A connection the server closed fails its next
            // statement instead, and sqlx drops it from the pool.
            let pool = AnyPoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(30))
                .test_before_acquire(false)
                .connect(url)
                .await?;
            let replicas = (!options.replica_urls.is_empty())
                .then(|| {
                    replicas::Replicas::start(
                        pool.clone(),
                        &options.replica_urls,
                        options.replica_max_lag,
                        options.max_connections,
                    )
                })
                .transpose()?;
            let store = Store {
                read: Arc::new(Readers::Pool(pool.clone())),
                write: Writes::Pool(pool),
                backend: Backend::Postgres,
                sync_fanout_limit: options.sync_fanout_limit,
                mail_caps: options.mail_caps,
                mail_ceiling: Arc::new(mail_ceiling::MailCeiling::new(options.mail_caps.mails)),
                fanout_wake: Arc::default(),
                fanout_pause: Default::default(),
                identities: Arc::default(),
                clock_offset: Arc::default(),
                live: live::Bus::default(),
                url: options.listen_url.as_deref().unwrap_or(url).into(),
                replicas,
            };
            // Other processes' changes: live pages and the identity cache.
            live::start_listening(&store);
            Ok(store)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL {url:?}: use sqlite://PATH or postgres://…"
            )))
        }
    }

    /// Runs every migration not yet applied (forward only).
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.write {
            Writes::Pool(pool) => {
                MIGRATOR.run(pool).await?;
                contacts::search::ensure_postgres(&mut *pool.acquire().await?).await?;
            }
            Writes::Grouped(writer) => {
                let mut alone = writer.exclusive().await?;
                MIGRATOR.run(alone.connection()).await?;
                contacts::search::ensure(alone.connection()).await?;
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The time the rules that count time go by (request expiry), in microseconds since
    /// the Unix epoch: the wall clock, moved by [`Store::move_clock`].
    pub fn now(&self) -> i64 {
        now_micros() + self.clock_offset.load(Ordering::Relaxed)
    }

    /// Moves [`Store::now`] forward by `micros`, for this process's handle on the store:
    /// how tests reach a request's expiry without waiting for it.
    pub fn move_clock(&self, micros: i64) {
        self.clock_offset.fetch_add(micros, Ordering::Relaxed);
    }

    /// See [`StoreOptions::mail_caps`].
    pub fn mail_caps(&self) -> coproof_core::throttle::MailCaps {
        self.mail_caps
    }

    /// The server-wide ceiling on e-mails queued per hour (this process's count).
    pub(crate) fn mail_ceiling(&self) -> &mail_ceiling::MailCeiling {
        &self.mail_ceiling
    }

    /// See [`StoreOptions::sync_fanout_limit`].
    pub fn sync_fanout_limit(&self) -> u32 {
        self.sync_fanout_limit
    }

    /// The cache of identities resolved from tokens.
    pub(crate) fn identities(&self) -> &identities::Identities {
        &self.identities
    }

    /// Something a token resolves to changed (a user, a token): call after the commit.
    /// Every such change in the store calls it itself; the server calls it after
    /// committing a transaction it drove (a set-password link used).
    pub fn identities_changed(&self) {
        self.identities.changed();
        if self.backend == Backend::Postgres {
            live::identities_changed(self);
        }
    }

    /// Wakes the contacts fan-out worker: a job was queued.
    pub fn fanout_queued(&self) {
        self.fanout_wake.notify_one();
    }

    /// Resolves when a contacts fan-out job may have been queued (in this process).
    pub async fn fanout_queued_signal(&self) {
        self.fanout_wake.notified().await;
    }

    /// A connection for reads outside a transaction: `&mut *store.read().await?` is an
    /// executor.
    ///
    /// Inside [`replicas::lagging_reads`], a read replica's connection when one is fit.
    pub async fn read(&self) -> StoreResult<Reader> {
        if let Some(replicas) = &self.replicas {
            if let Some(reader) = replicas.reader().await {
                return Ok(reader);
            }
        }
        self.read.get().await
    }

    /// Reads served by a read replica since the store opened (`replicas.rs`).
    pub fn replica_reads(&self) -> u64 {
        self.replicas.as_ref().map_or(0, |r| r.reads())
    }

    /// A connection for reads that must see every commit (token look-ups): never a replica.
    pub async fn read_primary(&self) -> StoreResult<Reader> {
        self.read.get().await
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite, committed on its own).
    ///
    /// On SQLite the call must not be abandoned half-way (a dropped future while it waits
    /// on the connection); [`Store::write`] runs it on a task of its own.
    pub async fn begin(&self) -> StoreResult<Tx> {
        self.begin_in(false).await
    }

    /// Starts a short write transaction that may share its commit with others queued
    /// beside it (SQLite group commit, `tx.rs`); on PostgreSQL the same as [`Store::begin`].
    /// Only for transactions that are short whatever the data: the others of the group wait
    /// for all of it to commit.
    pub async fn begin_grouped(&self) -> StoreResult<Tx> {
        self.begin_in(true).await
    }

    async fn begin_in(&self, grouped: bool) -> StoreResult<Tx> {
        match &self.write {
            Writes::Grouped(writer) => {
                let mut tx = writer.begin(grouped).await?;
                tx.after_commit().bus = Some(self.live.clone());
                Ok(tx)
            }
            Writes::Pool(pool) => Ok(Tx::pooled(pool.begin().await?)),
        }
    }

    pub(crate) fn live_bus(&self) -> &live::Bus {
        &self.live
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The row-lock suffix for a `SELECT` whose rows the transaction will change:
    /// `FOR UPDATE` on PostgreSQL, nothing on SQLite (whose writer holds the database).
    pub fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        let Ok(mut conn) = self.read().await else {
            return false;
        };
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&mut *conn)
            .await
            .is_ok()
    }

    /// Closes the connections for writes and for reads, waiting for those in use.
    pub async fn close(&self) {
        match &self.write {
            Writes::Pool(pool) => pool.close().await,
            Writes::Grouped(writer) => writer.close().await,
        }
        self.read.close().await;
    }
}

/// How much of the database file a connection reads through a memory map instead of a
/// `read` call per page (SQLite's own cap, `SQLITE_MAX_MMAP_SIZE`, is raised to match in
/// `.cargo/config.toml`). Pages then come straight from the operating system's cache, shared
/// by every connection, without a system call or a copy.
const MMAP_BYTES: u64 = 1 << 40;
/// The writer's own page cache, in KiB: the inner pages of the indexes a write touches stay
/// in it between transactions (SQLite's default is 2 MiB).
const WRITER_CACHE_KIB: u32 = 64 * 1024;

/// Every SQLite connection's settings. `temp_store = MEMORY`: the statement journal SQLite
/// keeps while one statement writes many rows (an `INSERT … SELECT … ON CONFLICT` of the
/// contacts fan-out), and the sorts of a query, stay in memory instead of a temporary file
/// written page by page (one fan-out of 2,000 rows made 16,000 `pwrite` calls).
async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute(
        format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
             PRAGMA mmap_size = {MMAP_BYTES}; PRAGMA temp_store = MEMORY;"
        )
        .as_str(),
    )
    .await?;
    Ok(())
}

/// Normalizes a SQLite URL so the file (and its folder) is created when missing.
fn sqlite_url(url: &str) -> StoreResult<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::Config(
            "an in-memory SQLite database cannot be shared between connections; give a file path"
                .into(),
        ));
    }
    if let Some(parent) = Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Config(format!("cannot create {parent:?}: {e}")))?;
        }
    }
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    Ok(format!("sqlite://{path}?{}", params.join("&")))
}

/// The current time in microseconds since the Unix epoch.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Reads one column of a row; a missing or mistyped column is a programming error
/// reported as a database error, never a panic.
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    use sqlx::Row;
    Ok(row.try_get(name)?)
}

impl FromStr for Backend {
    type Err = StoreError;
    fn from_str(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL {url:?}"
            )))
        }
    }
}

/// A SQLite store on a file of its own in the temporary directory, migrated (for tests);
/// the file's path, to remove it after.
#[cfg(test)]
pub(crate) async fn store_on_temp_file(name: &str) -> (Store, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("coproof-{name}-{}.db", ids::new_id()));
    let store = Store::open(&StoreOptions::new(format!("sqlite://{}", path.display())))
        .await
        .unwrap();
    (store, path)
}
