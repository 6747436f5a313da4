//! Building and running the server: open the store, start the mail worker, serve HTTP
//! until told to stop, then let in-flight requests finish.

use crate::config::Config;
use crate::fanout::FanoutWorker;
use crate::housekeeping::Housekeeping;
use crate::http;
use crate::http::connections::{GuardedListener, Peer};
use crate::mail::MailWorker;
use crate::password::Hasher;
use crate::state::AppState;
use crate::webhooks::WebhookWorker;
use anyhow::Context;
use coproof_store::{Store, StoreOptions};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// A built server, bound to its port, not yet serving.
pub struct App {
    listener: TcpListener,
    state: AppState,
}

impl App {
    /// Opens the database (running migrations), creates the data folders and binds the port.
    pub async fn build(mut config: Config) -> anyhow::Result<App> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating {}", config.data_dir.display()))?;
        std::fs::create_dir_all(config.files_dir())?;
        std::fs::create_dir_all(config.mail_dir())?;
        let mut options = StoreOptions::new(config.database_url());
        options.max_connections = config.db_connections;
        options.sync_fanout_limit = config.contacts_sync_limit;
        if !config.database_replica_urls.is_empty()
            && !config.database_url().starts_with("postgres")
        {
            anyhow::bail!("read replicas (--database-replica-url) need a PostgreSQL database");
        }
        options.replica_urls = config.database_replica_urls.clone();
        options.listen_url = config.database_listen_url.clone();
        options.replica_max_lag = Duration::from_millis(config.database_replica_max_lag_ms);
        options.mail_caps = coproof_core::throttle::MailCaps {
            signups_per_ip: config.signup_limit_per_ip,
            users_added_per_account: config.user_add_limit_per_hour,
            share_mails_per_account: config.share_mail_limit_per_hour,
            mails: config.mail_limit_per_hour,
        };
        let store = Store::open(&options)
            .await
            .with_context(|| format!("opening the database {}", redact(&config.database_url())))?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        // With port 0 the kernel picks the port; links in e-mails must carry the real one.
        config.listen = listener.local_addr()?;
        let files = crate::files::FileStore::open(&config)?;
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let hasher = Hasher::new(workers, config.hash_queue);
        let webhook_key = Arc::new(crate::webhooks::worker::load_key(&config)?);
        let session_writes = (!config.database_replica_urls.is_empty())
            .then(|| Arc::new(crate::http::replica_reads::SessionWrites::default()));
        let state = AppState {
            store,
            config: Arc::new(config),
            hasher,
            mail_wake: Arc::new(Notify::new()),
            files,
            webhook_key,
            webhook_wake: Arc::new(Notify::new()),
            session_writes,
        };
        Ok(App { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.config.listen)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Keeps files' bytes in `files` rather than where `--file-store` says; for tests and
    /// embedding (an S3 store configured in code rather than by `AWS_*` variables).
    pub fn with_file_store(mut self, files: crate::files::FileStore) -> App {
        self.state.files = files;
        self
    }

    /// Serves until `shutdown` completes; then stops accepting, lets in-flight requests
    /// finish (for up to `shutdown_grace_secs`) and stops the mail worker after its
    /// current message.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = MailWorker::new(self.state.clone()).spawn(stop_rx.clone());
        let webhooks = WebhookWorker::new(self.state.clone())?.spawn(stop_rx.clone());
        let housekeeping = Housekeeping::new(
            self.state.store.clone(),
            self.state.config.outbox_retention_days,
        )
        .spawn(stop_rx.clone());
        let expiry = crate::partner_expiry::spawn(
            self.state.store.clone(),
            self.state.mail_wake.clone(),
            stop_rx.clone(),
        );
        let fanout = FanoutWorker::new(self.state.store.clone()).spawn(stop_rx);
        let router = http::router(self.state.clone());
        let (told_tx, told_rx) = tokio::sync::oneshot::channel::<()>();
        let listener = GuardedListener::new(
            self.listener,
            self.state.config.max_connections,
            Duration::from_secs(self.state.config.idle_timeout_secs.max(1)),
            Duration::from_secs(self.state.config.header_timeout_secs.max(1)),
        );
        let serving = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<Peer>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = told_tx.send(());
        });
        let grace = Duration::from_secs(self.state.config.shutdown_grace_secs);
        let grace_over = async move {
            if told_rx.await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            served = serving => served?,
            () = grace_over => {
                tracing::warn!("requests still in flight after {grace:?}; stopping anyway");
            }
        }
        let _ = stop_tx.send(true);
        let _ = worker.await;
        let _ = webhooks.await;
        let _ = fanout.await;
        let _ = housekeeping.await;
        let _ = expiry.await;
        self.state.store.close().await;
        Ok(())
    }

    /// Serves in a background task; for tests and embedding. Dropping nothing stops it:
    /// call [`Running::stop`].
    pub fn spawn(self) -> Running {
        let addr = self.local_addr();
        let state = self.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(self.run_until(async move {
            let _ = rx.await;
        }));
        Running {
            addr,
            state,
            stop: Some(tx),
            handle,
        }
    }
}

/// A server running in the background.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops gracefully and waits until it has.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.handle).await?
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}
