//! What every request handler shares.

use crate::config::Config;
use crate::password::Hasher;
use coproof_store::Store;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub hasher: Hasher,
    /// Wakes the mail worker when a change queued an e-mail.
    pub mail_wake: Arc<Notify>,
    /// Where uploaded files' bytes are kept.
    pub files: crate::files::FileStore,
    /// The key every webhook endpoint's signing secret is derived from.
    pub webhook_key: Arc<crate::webhooks::ServerKey>,
    /// Wakes the webhook worker (a test event was queued).
    pub webhook_wake: Arc<Notify>,
    /// When each session last wrote, where reads may go to replicas
    /// (`http/replica_reads.rs`).
    pub session_writes: Option<Arc<crate::http::replica_reads::SessionWrites>>,
}
