//! Housekeeping: at start and then every [`EVERY`], deletes what nothing needs any more —
//! delivered e-mail and finished webhook deliveries older than `--outbox-retention-days`,
//! tokens and links past their end,
//! attempts no throttle counts. Each a short transaction of its own; on PostgreSQL several
//! processes may run it at once (the deletes are idempotent).

use coproof_store::{attempts, now_micros, outbox, tokens, Store};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the job runs.
pub const EVERY: Duration = Duration::from_secs(600);

pub struct Housekeeping {
    store: Store,
    outbox_retention_days: u32,
}

impl Housekeeping {
    pub fn new(store: Store, outbox_retention_days: u32) -> Housekeeping {
        Housekeeping {
            store,
            outbox_retention_days,
        }
    }

    pub fn spawn(self, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if *stop.borrow() {
                    return;
                }
                if let Err(e) = self.run_once().await {
                    tracing::warn!("housekeeping: {e}");
                }
                tokio::select! {
                    _ = tokio::time::sleep(EVERY) => {}
                    _ = stop.changed() => {}
                }
            }
        })
    }

    /// One pass; what each step deleted goes to the debug log.
    pub async fn run_once(&self) -> coproof_store::StoreResult<()> {
        let now = now_micros();
        let retention = i64::from(self.outbox_retention_days) * 24 * 3600 * 1_000_000;
        let mail = outbox::purge_sent(&self.store, now - retention).await?;
        let tokens = tokens::purge_expired(&self.store, now).await?;
        let attempts = attempts::purge(&self.store, now).await?;
        let workers = outbox::purge_workers(&self.store, now).await?;
        let webhooks =
            coproof_store::webhooks::purge_finished(&self.store, now - retention).await?;
        tracing::debug!(
            mail,
            tokens,
            attempts,
            workers,
            webhooks,
            "housekeeping deleted"
        );
        Ok(())
    }
}
