//! Request expiry: every [`EVERY`], requests nobody answered within the recipient policy's
//! lifetime become `expired` for their sender (who is e-mailed) and leave the recipient's
//! Partners tab. Reads already show a request past its time as expired; this job makes it
//! so for good and sends the mail, within [`EVERY`] of the moment. On PostgreSQL several
//! processes may run it at once (each request is expired under its row lock, once).

use coproof_store::{partners, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// How often the job runs.
pub const EVERY: Duration = Duration::from_secs(30);

pub fn spawn(
    store: Store,
    mail_wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                return;
            }
            match partners::expire_overdue(&store).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(requests = n, "partner requests expired");
                    mail_wake.notify_one();
                }
                Err(e) => tracing::warn!("partner request expiry: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(EVERY) => {}
                _ = stop.changed() => {}
            }
        }
    })
}
