//! The contacts fan-out worker: writes the member rows queued for users added to
//! accounts with many partners (`coproof_store::contacts::fanout`), chunk by chunk, as
//! soon as they are queued; jobs left by a stopped server are picked up at start. When
//! the queue is empty it merges the contacts search index, a short step at a time
//! (`coproof_store::contacts::search::merge_step`).

use coproof_store::contacts::{fanout, search};
use coproof_store::Store;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the queue is looked at when nothing woke the worker (jobs queued by another
/// server process on the same PostgreSQL database).
const POLL: Duration = Duration::from_secs(1);

pub struct FanoutWorker {
    store: Store,
}

impl FanoutWorker {
    pub fn new(store: Store) -> FanoutWorker {
        FanoutWorker { store }
    }

    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            match fanout::step(&self.store).await {
                Ok(true) => continue,
                Ok(false) => {
                    match search::merge_step(&self.store).await {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(e) => tracing::warn!("contacts search index merge: {e}"),
                    }
                    tokio::select! {
                        _ = self.store.fanout_queued_signal() => {}
                        _ = tokio::time::sleep(POLL) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!("contacts fan-out: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(POLL) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
    }
}
